package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// Create stores inc with its first events and effects and assigns its
// Number. A
// non-empty key already used returns the incident created with it and
// incidents.ErrDuplicate, and stores nothing. The transaction holds the
// write lock from its start, so checking the key and then inserting cannot
// race with another Create.
func (s *Store) Create(ctx context.Context, inc incidents.Incident, ch incidents.Change, key string) (incidents.Incident, error) {
	inc, ch, bodies, err := storeutil.PrepareCreate(inc, ch, time.Now())
	if err != nil {
		return incidents.Incident{}, err // already says "create incident"
	}
	tx, done, err := s.begin(ctx, false)
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("create incident %s: %w", inc.ID, err)
	}
	defer done()
	if key != "" {
		existing, err := scanIncident(tx.QueryRowContext(ctx, "SELECT "+incidentColumns+
			" FROM incidents WHERE id = (SELECT incident_id FROM idempotency_keys WHERE key = ?)", key))
		if err == nil {
			return existing, fmt.Errorf("create incident with key %q: %w", key, incidents.ErrDuplicate)
		}
		if !errors.Is(err, incidents.ErrNotFound) {
			return incidents.Incident{}, fmt.Errorf("create incident: read idempotency key: %w", err)
		}
	}
	row := tx.QueryRowContext(ctx, `INSERT INTO incidents (id, title, description, severity, status, commander, reporter,
		channel_id, channel_name, header_ts, summary,
		declared_at, updated_at, mitigated_at, resolved_at, last_status_update_at,
		remind_at, escalate_at, escalation_level, reminder_snoozed,
		ack_due_at, acknowledged_at, acknowledged_by, paged, next_timer_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING number`, append([]any{inc.ID.String()}, incidentArgs(inc)...)...)
	if err := row.Scan(&inc.Number); err != nil {
		return incidents.Incident{}, writeError(fmt.Sprintf("create incident %s", inc.ID), err)
	}
	if key != "" {
		if _, err := tx.ExecContext(ctx, "INSERT INTO idempotency_keys (key, incident_id, created_at) VALUES (?, ?, ?)",
			key, inc.ID.String(), formatTime(time.Now())); err != nil {
			return incidents.Incident{}, fmt.Errorf("create incident %s: record idempotency key: %w", inc.ID, err)
		}
	}
	if err := writeChange(ctx, tx, ch, bodies, s.owner); err != nil {
		return incidents.Incident{}, fmt.Errorf("create incident %s: %w", inc.ID, err)
	}
	for _, k := range ch.AlertKeys {
		if _, err := tx.ExecContext(ctx, "INSERT INTO alert_keys (key, incident_id, opened_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			k, inc.ID.String(), formatTime(inc.DeclaredAt)); err != nil {
			return incidents.Incident{}, fmt.Errorf("create incident %s: alert key: %w", inc.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return incidents.Incident{}, fmt.Errorf("create incident %s: commit: %w", inc.ID, err)
	}
	return inc, nil
}
