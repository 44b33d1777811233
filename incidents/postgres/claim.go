package postgres

import (
	"context"
	"fmt"

	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// Claim records key in job_claims and reports whether this call inserted
// it. An insert racing another transaction's insert of the same key waits
// for it and then does nothing, so of concurrent claimers, on any replica,
// exactly one gets true.
func (s *Store) Claim(ctx context.Context, key string) (bool, error) {
	if err := storeutil.CheckClaimKey(key); err != nil {
		return false, err
	}
	tag, err := s.pool.Exec(ctx, "INSERT INTO job_claims (key) VALUES ($1) ON CONFLICT (key) DO NOTHING", key)
	if err != nil {
		return false, fmt.Errorf("claim %q: %w", key, err)
	}
	return tag.RowsAffected() == 1, nil
}
