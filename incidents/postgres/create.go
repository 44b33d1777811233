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

// Create stores inc with its first events and effects and assigns its
// Number. A non-empty key already used returns the incident created with
// it and incidents.ErrDuplicate, and stores nothing.
func (s *Store) Create(ctx context.Context, inc incidents.Incident, ch incidents.Change, key string) (incidents.Incident, error) {
	inc, ch, bodies, err := storeutil.PrepareCreate(inc, ch, time.Now())
	if err != nil {
		return incidents.Incident{}, err // already says "create incident"
	}
	var existing incidents.Incident
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if key != "" {
			claimed, err := claimKey(ctx, tx, key, inc.ID)
			if err != nil {
				return err
			}
			if !claimed {
				existing, err = incidentForKey(ctx, tx, key)
				if err != nil {
					return err
				}
				return incidents.ErrDuplicate
			}
		}
		row := tx.QueryRow(ctx, `INSERT INTO incidents (id, title, description, severity, status, commander, reporter,
			channel_id, channel_name, header_ts, summary,
			declared_at, updated_at, mitigated_at, resolved_at, last_status_update_at,
			remind_at, escalate_at, escalation_level, reminder_snoozed,
			ack_due_at, acknowledged_at, acknowledged_by, paged, next_timer_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
			$17, $18, $19, $20, $21, $22, $23, $24, $25)
			RETURNING number`, append([]any{inc.ID}, incidentArgs(inc)...)...)
		if err := row.Scan(&inc.Number); err != nil {
			return writeError("insert incident", err)
		}
		for _, k := range ch.AlertKeys {
			if _, err := tx.Exec(ctx, "INSERT INTO alert_keys (key, incident_id, opened_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
				k, inc.ID, inc.DeclaredAt); err != nil {
				return fmt.Errorf("alert key: %w", err)
			}
		}
		return writeChange(ctx, tx, ch, bodies, s.presence.id())
	})
	if errors.Is(err, incidents.ErrDuplicate) {
		return existing, fmt.Errorf("create incident with key %q: %w", key, err)
	}
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("create incident %s: %w", inc.ID, err)
	}
	return inc, nil
}

// claimKey records that key was used on incident id, by Create or
// UpdateOnce. When another transaction holds the same key, the insert
// waits for it: if it commits the key is not claimed, if it rolls back the
// key is ours. That is what makes concurrent redeliveries create exactly
// one incident, or apply one change exactly once.
func claimKey(ctx context.Context, tx pgx.Tx, key string, id uuid.UUID) (bool, error) {
	tag, err := tx.Exec(ctx, "INSERT INTO idempotency_keys (key, incident_id) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", key, id)
	if err != nil {
		return false, fmt.Errorf("claim idempotency key: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func incidentForKey(ctx context.Context, tx pgx.Tx, key string) (incidents.Incident, error) {
	inc, err := scanIncident(tx.QueryRow(ctx, "SELECT "+incidentColumns+
		" FROM incidents WHERE id = (SELECT incident_id FROM idempotency_keys WHERE key = $1)", key))
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("read incident for idempotency key: %w", err)
	}
	return inc, nil
}
