package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
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
		// An effect whose body no longer decodes is listed all the same,
		// with what its row says (its claim failed it, saying why).
		e, err := scanEffect(scanTail{rows, []any{&state, &res, &created}})
		if err != nil && e.ID == uuid.Nil {
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

// Prune deletes work settled before the given time: done effects, and
// settled jobs.
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for _, f := range []struct {
		db    *sql.DB
		w     *writer
		query string
	}{
		{s.db, s.w, "DELETE FROM work_items WHERE state = 'done' AND settled_at < ?"},
		{s.inbox, s.iw, "DELETE FROM work_items WHERE state <> 'pending' AND settled_at < ?"},
	} {
		release := f.w.hold(false)
		res, err := f.db.ExecContext(ctx, f.query, formatTime(before))
		release()
		if err != nil {
			return total, fmt.Errorf("prune work: %w", err)
		}
		n, _ := res.RowsAffected()
		total += int(n)
	}
	return total, nil
}

// Backlog counts pending jobs and effects and failed effects.
func (s *Store) Backlog(ctx context.Context) (incidents.Backlog, error) {
	var b incidents.Backlog
	var oldest sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE state = 'pending'),
		count(*) FILTER (WHERE state = 'failed'),
		min(created_at) FILTER (WHERE state = 'pending')
		FROM work_items WHERE queue = 'outbox' AND state <> 'done'`).Scan(&b.Effects, &b.Failed, &oldest)
	if err == nil {
		err = s.inbox.QueryRowContext(ctx, "SELECT count(*) FROM work_items WHERE state = 'pending'").Scan(&b.Jobs)
	}
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
