package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// Update locks the incident's row (SELECT … FOR UPDATE), so concurrent
// updates from any replica run one after another and none is lost, then
// claims key, calls fn and writes the changed incident and fn's change
// (events, effects, settlements), all in one transaction. Under READ COMMITTED a row lock never causes a
// serialisation failure, so fn runs at most once.
//
// The key is claimed after the row lock, so of several calls with the same
// key for one incident the first to get the lock claims it and the others,
// once it commits, find it taken. A claim racing another incident's (a
// Create, or a caller's bug) waits on that transaction (see claimKey). If
// anything fails after the claim, the rollback releases the key.
func (s *Store) Update(ctx context.Context, id uuid.UUID, key string, fn func(*incidents.Incident) (incidents.Change, error)) (incidents.Incident, error) {
	var (
		out   incidents.Incident
		fnErr error
		dup   bool // key was used before; out is the incident as it is
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := scanIncident(tx.QueryRow(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = $1 FOR UPDATE", id))
		if err != nil {
			return fmt.Errorf("read incident: %w", err)
		}
		if key != "" {
			claimed, err := claimKey(ctx, tx, key, id)
			if err != nil {
				return err
			}
			if !claimed {
				out, dup = cur, true
				return incidents.ErrDuplicate // rolls back: nothing to write
			}
		}
		next := cur
		ch, err := fn(&next)
		if err != nil {
			fnErr = err
			return err
		}
		var bodies [][]byte
		if next, ch, bodies, err = storeutil.PrepareUpdate(cur, next, ch, time.Now()); err != nil {
			return err
		}
		// The incident, its events and effects go in one round trip.
		write := statement{sql: `UPDATE incidents SET title = $2, description = $3, severity = $4, status = $5,
			commander = $6, reporter = $7, channel_id = $8, channel_name = $9, header_ts = $10, summary = $11,
			declared_at = $12, updated_at = $13, mitigated_at = $14, resolved_at = $15, last_status_update_at = $16,
			remind_at = $17, escalate_at = $18, escalation_level = $19, reminder_snoozed = $20,
			ack_due_at = $21, acknowledged_at = $22, acknowledged_by = $23, paged = $24, next_timer_at = $25
			WHERE id = $1`, args: append([]any{id}, incidentArgs(next)...), what: "write incident"}
		if err := writeChange(ctx, tx, ch, bodies, s.presence.id(), write); err != nil {
			return err
		}
		for _, k := range ch.AlertKeys {
			if _, err := tx.Exec(ctx, "INSERT INTO alert_keys (key, incident_id, opened_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
				k, id, next.UpdatedAt); err != nil {
				return fmt.Errorf("alert key: %w", err)
			}
		}
		out = next
		return nil
	})
	if fnErr != nil && errors.Is(err, fnErr) {
		return incidents.Incident{}, fnErr // the caller's own error, as documented
	}
	if dup && errors.Is(err, incidents.ErrDuplicate) {
		return out, fmt.Errorf("update incident %s with key %q: %w", id, key, incidents.ErrDuplicate)
	}
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("update incident %s: %w", id, err)
	}
	return out, nil
}
