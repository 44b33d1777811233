package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
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
	s, err := open(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, ms[:version]); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// oldColumns is how many of incidentArgs the schema had before migration
// 0003 added the timers.
const oldColumns = 15

// CreateOld is Create as it was before migration 0003: it writes only the
// columns of schema versions 1 and 2, to seed a database of such a version
// for upgrade tests (storetest.OldStore).
func (s *Store) CreateOld(ctx context.Context, inc incidents.Incident, events []incidents.Event, key string) (incidents.Incident, error) {
	inc, ch, _, err := storeutil.PrepareCreate(inc, incidents.Change{Events: events}, time.Now())
	if err != nil {
		return incidents.Incident{}, err
	}
	events = ch.Events
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return incidents.Incident{}, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	row := tx.QueryRowContext(ctx, `INSERT INTO incidents (id, title, description, severity, status, commander, reporter,
		channel_id, channel_name, header_ts, summary,
		declared_at, updated_at, mitigated_at, resolved_at, last_status_update_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING number`, append([]any{inc.ID.String()}, incidentArgs(inc)[:oldColumns]...)...)
	if err := row.Scan(&inc.Number); err != nil {
		return incidents.Incident{}, fmt.Errorf("insert incident: %w", err)
	}
	if key != "" {
		if _, err := tx.ExecContext(ctx, "INSERT INTO idempotency_keys (key, incident_id, created_at) VALUES (?, ?, ?)",
			key, inc.ID.String(), formatTime(time.Now())); err != nil {
			return incidents.Incident{}, fmt.Errorf("record idempotency key: %w", err)
		}
	}
	if err := insertEvents(ctx, &wtx{Tx: tx, c: s.q}, events); err != nil {
		return incidents.Incident{}, err
	}
	if err := tx.Commit(); err != nil {
		return incidents.Incident{}, err
	}
	return inc, nil
}
