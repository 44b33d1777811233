package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// migrationFiles are the schema versions, named NNNN_what.sql and applied
// in order. A file, once released, is never edited: add a new one.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate applies the migrations the file has not seen yet, all in one
// transaction: a failure leaves the schema as it was. The transaction
// begins IMMEDIATE (see connParams), which serialises concurrent
// migrations, in this process or another.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := storeutil.LoadMigrations(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	if err := s.migrate(ctx, ms); err != nil {
		return err
	}
	return s.moveInbox(ctx)
}

// migrate applies those of ms the file has not seen yet. Tests pass a
// prefix of the migrations to make a database of an older version.
func (s *Store) migrate(ctx context.Context, ms []storeutil.Migration) error {
	return migrateDB(ctx, s.db, ms)
}

// migrateDB applies those of ms the file behind db has not seen yet.
func migrateDB(ctx context.Context, db *sql.DB, ms []storeutil.Migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.Version, m.Name, formatTime(time.Now())); err != nil {
			return fmt.Errorf("migrate: record %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

func appliedVersions(ctx context.Context, tx *sql.Tx) (map[int]bool, error) {
	rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	return applied, nil
}
