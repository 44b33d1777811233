package postgres

import (
	"context"
	"fmt"

	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// NewAtVersion is New migrating only up to version, to make a database of
// an older schema for upgrade tests.
func NewAtVersion(ctx context.Context, opts Options, version int) (*Store, error) {
	ms, err := storeutil.LoadMigrations(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	if version < 1 || version > len(ms) {
		return nil, fmt.Errorf("no migration version %d", version)
	}
	s, err := connect(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, ms[:version]); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}
