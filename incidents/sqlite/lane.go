package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// Effects returns a lane's effects in order, whatever their state.
func (s *Store) Effects(ctx context.Context, lane string) ([]incidents.EffectRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, id, key, lane, incident_id, kind, body, not_before, attempts, uncertain,
		last_error, state, result, created_at FROM work_items WHERE queue = 'outbox' AND lane = ? ORDER BY seq`, lane)
	if err != nil {
		return nil, fmt.Errorf("effects of %s: %w", lane, err)
	}
	defer rows.Close()
	var recs []incidents.EffectRecord
	for rows.Next() {
		var (
			r                   incidents.EffectRecord
			state, res, created string
		)
		e, err := scanEffect(scanTail{rows, []any{&state, &res, &created}})
		if err != nil {
			return nil, fmt.Errorf("effects of %s: %w", lane, err)
		}
		r.Effect, r.State = e, incidents.EffectState(state)
		if r.Result, err = storeutil.DecodeEventData([]byte(res)); err != nil {
			return nil, fmt.Errorf("effects of %s: %w", lane, err)
		}
		if r.Created, err = time.Parse(timeLayout, created); err != nil {
			return nil, fmt.Errorf("effects of %s: %w", lane, err)
		}
		recs = append(recs, r)
	}
	return recs, rows.Err()
}

// scanTail lets scanEffect read a row with more columns after its own.
type scanTail struct {
	rows *sql.Rows
	tail []any
}

func (t scanTail) Scan(dest ...any) error { return t.rows.Scan(append(dest, t.tail...)...) }

// RetryFailed makes a lane's failed effects pending again.
func (s *Store) RetryFailed(ctx context.Context, lane string, now time.Time) (int, error) {
	defer s.w.hold(false)()
	res, err := s.db.ExecContext(ctx, `UPDATE work_items SET state = 'pending', not_before = ?, attempts = 0, settled_at = NULL, owner = NULL
		WHERE queue = 'outbox' AND lane = ? AND state = 'failed'`, formatTime(now), lane)
	if err != nil {
		return 0, fmt.Errorf("retry failed effects of %s: %w", lane, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Prune deletes work settled before the given time.
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	defer s.w.hold(false)()
	res, err := s.db.ExecContext(ctx, "DELETE FROM work_items WHERE (state = 'done' OR (queue = 'inbox' AND state = 'failed')) AND settled_at < ?", formatTime(before))
	if err != nil {
		return 0, fmt.Errorf("prune work: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Backlog counts pending jobs and effects and failed effects.
func (s *Store) Backlog(ctx context.Context) (incidents.Backlog, error) {
	var b incidents.Backlog
	var oldest sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE queue = 'inbox' AND state = 'pending'),
		count(*) FILTER (WHERE queue = 'outbox' AND state = 'pending'),
		count(*) FILTER (WHERE queue = 'outbox' AND state = 'failed'),
		min(created_at) FILTER (WHERE queue = 'outbox' AND state = 'pending')
		FROM work_items WHERE state <> 'done'`).Scan(&b.Jobs, &b.Effects, &b.Failed, &oldest)
	if err != nil {
		return b, fmt.Errorf("backlog: %w", err)
	}
	if oldest.Valid {
		if b.Oldest, err = time.Parse(timeLayout, oldest.String); err != nil {
			return b, fmt.Errorf("backlog: %w", err)
		}
	}
	return b, nil
}
