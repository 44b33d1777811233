package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// Update reads the incident, claims key, calls fn and writes the
// result and fn's events in one transaction. The transaction takes the
// write lock at BEGIN (see connParams), so concurrent updates run one after
// another and none is lost, and of several with the same key only the
// first finds it unused; fn runs at most once. If anything fails after the
// claim, the rollback releases the key.
func (s *Store) Update(ctx context.Context, id uuid.UUID, key string, fn func(*incidents.Incident) (incidents.Change, error)) (incidents.Incident, error) {
	tx, done, err := s.begin(ctx, false)
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("update incident %s: %w", id, err)
	}
	defer done()
	cur, err := scanIncident(tx.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = ?", id.String()))
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("update incident %s: %w", id, err)
	}
	if key != "" {
		claimed, err := claimKey(ctx, tx, key, id)
		if err != nil {
			return incidents.Incident{}, fmt.Errorf("update incident %s: %w", id, err)
		}
		if !claimed {
			return cur, fmt.Errorf("update incident %s with key %q: %w", id, key, incidents.ErrDuplicate)
		}
	}
	next := cur
	ch, err := fn(&next)
	if err != nil {
		return incidents.Incident{}, err // the caller's own error, as documented
	}
	var bodies [][]byte
	if next, ch, bodies, err = storeutil.PrepareUpdate(cur, next, ch, time.Now()); err != nil {
		return incidents.Incident{}, fmt.Errorf("update incident %s: %w", id, err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE incidents SET title = ?, description = ?, severity = ?, status = ?,
		commander = ?, reporter = ?, channel_id = ?, channel_name = ?, header_ts = ?, summary = ?,
		declared_at = ?, updated_at = ?, mitigated_at = ?, resolved_at = ?, last_status_update_at = ?,
		remind_at = ?, escalate_at = ?, escalation_level = ?, reminder_snoozed = ?,
		ack_due_at = ?, acknowledged_at = ?, acknowledged_by = ?, paged = ?, next_timer_at = ?
		WHERE id = ?`, append(incidentArgs(next), id.String())...)
	if err != nil {
		return incidents.Incident{}, writeError(fmt.Sprintf("update incident %s", id), err)
	}
	if err := writeChange(ctx, tx, ch, bodies, s.owner); err != nil {
		return incidents.Incident{}, fmt.Errorf("update incident %s: %w", id, err)
	}
	for _, k := range ch.AlertKeys {
		if _, err := tx.ExecContext(ctx, "INSERT INTO alert_keys (key, incident_id, opened_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			k, id.String(), formatTime(next.UpdatedAt)); err != nil {
			return incidents.Incident{}, fmt.Errorf("update incident %s: alert key: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return incidents.Incident{}, fmt.Errorf("update incident %s: commit: %w", id, err)
	}
	return next, nil
}

// claimKey records that key was used on incident id, unless it was used
// before (on any incident), and says whether it did. The caller's
// transaction holds the write lock, so nothing can claim the key between
// the check and the commit.
func claimKey(ctx context.Context, tx *wtx, key string, id uuid.UUID) (bool, error) {
	res, err := tx.ExecContext(ctx, "INSERT INTO idempotency_keys (key, incident_id, created_at) VALUES (?, ?, ?)"+
		" ON CONFLICT (key) DO NOTHING", key, id.String(), formatTime(time.Now()))
	if err != nil {
		return false, fmt.Errorf("claim idempotency key: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim idempotency key: %w", err)
	}
	return n == 1, nil
}
