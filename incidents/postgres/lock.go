package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/incidents"
)

// TryLock takes a session-level advisory lock on a connection of its own
// (not one of the pool's, which every store call needs), so every replica
// on this database sees it and the lock dies with the connection if the
// process does. Closing the connection releases it.
func (s *Store) TryLock(ctx context.Context, name string) (func(), error) {
	h := fnv.New64a()
	h.Write([]byte("incident-bot lock:" + name))
	key := int64(h.Sum64())
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil || !got {
		_ = conn.Close(context.Background())
		if err == nil {
			err = incidents.ErrLocked
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// Unlock before closing: a closed session's locks go only once the
		// server has noticed, so the next TryLock could find it still held.
		_, _ = conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", key)
		_ = conn.Close(ctx) // ends the session and, if the unlock failed, its lock
	}, nil
}
