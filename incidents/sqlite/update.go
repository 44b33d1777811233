package sqlite

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// Update reads the incident, calls fn and writes the result and fn's events
// in one transaction. The transaction takes the write lock at BEGIN (see
// connParams), so concurrent updates run one after another and none is
// lost; fn runs exactly once.
func (s *Store) Update(ctx context.Context, id uuid.UUID, fn func(*incidents.Incident) ([]incidents.Event, error)) (incidents.Incident, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("update incident %s: begin: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	cur, err := scanIncident(tx.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = ?", id.String()))
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("update incident %s: %w", id, err)
	}
	next := cur
	events, err := fn(&next)
	if err != nil {
		return incidents.Incident{}, err // the caller's own error, as documented
	}
	if next, events, err = storeutil.PrepareUpdate(cur, next, events); err != nil {
		return incidents.Incident{}, fmt.Errorf("update incident %s: %w", id, err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE incidents SET title = ?, description = ?, severity = ?, status = ?,
		commander = ?, reporter = ?, channel_id = ?, channel_name = ?, header_ts = ?, summary = ?,
		declared_at = ?, updated_at = ?, mitigated_at = ?, resolved_at = ?, last_status_update_at = ?
		WHERE id = ?`, append(incidentArgs(next), id.String())...)
	if err != nil {
		return incidents.Incident{}, writeError(fmt.Sprintf("update incident %s", id), err)
	}
	if err := insertEvents(ctx, tx, events); err != nil {
		return incidents.Incident{}, fmt.Errorf("update incident %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return incidents.Incident{}, fmt.Errorf("update incident %s: commit: %w", id, err)
	}
	return next, nil
}
