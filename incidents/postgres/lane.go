package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// Effects returns a lane's effects in order, whatever their state.
func (s *Store) Effects(ctx context.Context, lane string) ([]incidents.EffectRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, id, key, lane, incident_id, kind, body, not_before, attempts, uncertain,
		last_error, state, result, created_at FROM work_items WHERE queue = 'outbox' AND lane = $1 ORDER BY seq`, lane)
	if err != nil {
		return nil, fmt.Errorf("effects of %s: %w", lane, err)
	}
	recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (incidents.EffectRecord, error) {
		var (
			r     incidents.EffectRecord
			inc   *uuid.UUID
			kind  string
			body  []byte
			state string
			res   string
		)
		if err := row.Scan(&r.Seq, &r.ID, &r.Key, &r.Lane, &inc, &kind, &body, &r.NotBefore, &r.Attempts, &r.Uncertain,
			&r.LastError, &state, &res, &r.Created); err != nil {
			return r, err
		}
		if inc != nil {
			r.IncidentID = *inc
		}
		r.Kind, r.State, r.NotBefore, r.Created = incidents.EffectKind(kind), incidents.EffectState(state), r.NotBefore.UTC(), r.Created.UTC()
		var err error
		if r.Result, err = storeutil.DecodeEventData([]byte(res)); err != nil {
			return r, err
		}
		// An effect whose body no longer decodes is listed all the same,
		// with what its row says (its claim failed it, saying why).
		_ = storeutil.DecodeEffectBody(&r.Effect, body)
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("effects of %s: %w", lane, err)
	}
	return recs, nil
}

// RetryFailed makes a lane's failed effects pending again.
func (s *Store) RetryFailed(ctx context.Context, lane string, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE work_items SET state = 'pending', not_before = $2, attempts = 0, settled_at = NULL, owner = NULL
		WHERE queue = 'outbox' AND lane = $1 AND state = 'failed'`, lane, storeutil.StoredTime(now))
	if err != nil {
		return 0, fmt.Errorf("retry failed effects of %s: %w", lane, err)
	}
	return int(tag.RowsAffected()), nil
}

// Prune deletes work settled before the given time.
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM work_items WHERE (state = 'done' OR (queue = 'inbox' AND state = 'failed')) AND settled_at < $1", before)
	if err != nil {
		return 0, fmt.Errorf("prune work: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Backlog counts pending jobs and effects and failed effects.
func (s *Store) Backlog(ctx context.Context) (incidents.Backlog, error) {
	var b incidents.Backlog
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE queue = 'inbox' AND state = 'pending'),
		count(*) FILTER (WHERE queue = 'outbox' AND state = 'pending'),
		count(*) FILTER (WHERE queue = 'outbox' AND state = 'failed'),
		min(created_at) FILTER (WHERE queue = 'outbox' AND state = 'pending')
		FROM work_items WHERE state <> 'done'`).Scan(&b.Jobs, &b.Effects, &b.Failed, &oldest)
	if err != nil {
		return b, fmt.Errorf("backlog: %w", err)
	}
	if oldest != nil {
		b.Oldest = oldest.UTC()
	}
	return b, nil
}
