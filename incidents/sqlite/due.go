package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// dueQuery finds, in one statement and so from one snapshot, the incidents
// due at ?1 (at most ?2, earliest first) and, in a last row whose id is
// NULL, the earliest timer after ?1. Both halves are range scans of the
// partial index incidents_next_timer_at_idx (times are fixed-width text,
// so text order is time order); next_timer_at is NULL for resolved
// incidents, so they never show.
const dueQuery = `SELECT id, at FROM (
	SELECT * FROM (SELECT id, next_timer_at AS at, number FROM incidents
		WHERE next_timer_at <= ?1 ORDER BY next_timer_at, number LIMIT ?2)
	UNION ALL
	SELECT NULL, min(next_timer_at), NULL FROM incidents WHERE next_timer_at > ?1
) ORDER BY at, number`

// Due returns the open incidents whose earliest timer is at or before now,
// earliest first, at most limit, and the earliest timer after now (zero
// when there is none). Each incident counts by its earliest timer
// (next_timer_at), so next does not look at the later timer of an
// incident that is due: firing it reschedules it anyway. It reads outside
// any transaction, so it takes no lock and, thanks to WAL, never waits for
// writers. A limit below 1 is an incidents.EINVALID error.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]uuid.UUID, time.Time, error) {
	if err := storeutil.CheckDueLimit(limit); err != nil {
		return nil, time.Time{}, err
	}
	rows, err := s.q.QueryContext(ctx, dueQuery, formatTime(now), limit)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("due incidents: %w", err)
	}
	defer rows.Close()
	var (
		ids  []uuid.UUID
		next time.Time
	)
	for rows.Next() {
		var id, at sql.NullString
		if err := rows.Scan(&id, &at); err != nil {
			return nil, time.Time{}, fmt.Errorf("due incidents: %w", err)
		}
		switch {
		case id.Valid:
			u, err := uuid.Parse(id.String)
			if err != nil {
				return nil, time.Time{}, fmt.Errorf("due incidents: incident id %q: %w", id.String, err)
			}
			ids = append(ids, u)
		case at.Valid: // the earliest timer after now
			if next, err = time.Parse(timeLayout, at.String); err != nil {
				return nil, time.Time{}, fmt.Errorf("due incidents: next timer: %w", err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, fmt.Errorf("due incidents: %w", err)
	}
	return ids, next, nil
}
