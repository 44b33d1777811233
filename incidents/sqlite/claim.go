package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// Claim records key in job_claims and reports whether this call inserted
// it. The single INSERT is its own write transaction: concurrent claimers
// queue on the write lock (busy_timeout), and every one after the first
// finds the key and inserts nothing.
func (s *Store) Claim(ctx context.Context, key string) (bool, error) {
	if err := storeutil.CheckClaimKey(key); err != nil {
		return false, err
	}
	defer s.w.hold(false)()
	res, err := s.db.ExecContext(ctx, "INSERT INTO job_claims (key, claimed_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
		key, formatTime(time.Now()))
	if err != nil {
		return false, fmt.Errorf("claim %q: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim %q: %w", key, err)
	}
	return n == 1, nil
}
