package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

// TryLock takes a session-level advisory lock on a connection kept out of
// the pool until release, so every replica on this database sees it; the
// lock dies with the connection if the process does.
func (s *Store) TryLock(ctx context.Context, name string) (func(), error) {
	h := fnv.New64a()
	h.Write([]byte("incident-bot lock:" + name))
	key := int64(h.Sum64())
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
		conn.Release()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if !got {
		conn.Release()
		return nil, fmt.Errorf("lock %s: %w", name, incidents.ErrLocked)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", key); err != nil {
			// Unlocking failed: drop the connection, which ends the lock.
			_ = conn.Conn().Close(ctx)
		}
		conn.Release()
	}, nil
}
