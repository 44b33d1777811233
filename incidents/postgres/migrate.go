package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// migrationFiles are the schema versions, named NNNN_what.sql and applied
// in order. A file, once released, is never edited: add a new one.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the pg_advisory_xact_lock key that serialises
// migrations, so replicas starting at once do not race to create the same
// tables. The value is arbitrary; it only has to be the same everywhere.
const migrationLockKey int64 = 0x696e63_6d6967 // "inc" "mig"

// Migrate applies the migrations the database has not seen yet, all in one
// transaction: a failure leaves the schema as it was. Running it again, or
// from several replicas at once, is safe.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := storeutil.LoadMigrations(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	return s.migrate(ctx, ms)
}

// migrate applies those of ms the database has not seen yet. Tests pass a
// prefix of the migrations to make a database of an older version.
func (s *Store) migrate(ctx context.Context, ms []storeutil.Migration) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Lock first: even CREATE TABLE IF NOT EXISTS fails when two
		// sessions run it concurrently.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		applied, err := appliedVersions(ctx, tx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if applied[m.Version] {
				continue
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
				return fmt.Errorf("record migration %s: %w", m.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func appliedVersions(ctx context.Context, tx pgx.Tx) (map[int]bool, error) {
	rows, err := tx.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	applied := make(map[int]bool, len(versions))
	for _, v := range versions {
		applied[int(v)] = true
	}
	return applied, nil
}
