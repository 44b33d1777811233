package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if key != "" {
			claimed, err := claimKey(ctx, tx, key, inc.ID)
			if err != nil {
				return err
			}
			if !claimed {
				return incidents.ErrDuplicate
			}
		}
		row := tx.QueryRow(ctx, `INSERT INTO incidents (id, title, description, severity, status, commander, reporter,
			channel_id, channel_name, header_ts, summary,
			declared_at, updated_at, mitigated_at, resolved_at, last_status_update_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
			RETURNING number`, append([]any{inc.ID}, incidentArgs(inc)[:oldColumns]...)...)
		if err := row.Scan(&inc.Number); err != nil {
			return fmt.Errorf("insert incident: %w", err)
		}
		return writeChange(ctx, tx, incidents.Change{Events: events}, nil, 0)
	})
	if errors.Is(err, incidents.ErrDuplicate) {
		return incidents.Incident{}, err
	}
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("create incident %s: %w", inc.ID, err)
	}
	return inc, nil
}

// DropPresence ends the connection that holds this store's owner lock, as
// a network fault would, and returns once it has ended.
func (s *Store) DropPresence(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `SELECT pg_terminate_backend(pid, 5000) FROM pg_locks
		WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2`, ownerNS, s.presence.id())
	return err
}

// PresenceHeld reports whether this store's owner lock is held, as other
// processes see it.
func (s *Store) PresenceHeld(ctx context.Context) (bool, error) {
	var n int
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM ("+liveOwners+") o WHERE objid = $1", s.presence.id()).Scan(&n)
	return n == 1, err
}

// SetPresenceHeld makes the store believe its owner lock is held or lost.
func (s *Store) SetPresenceHeld(held bool) { s.presence.held.Store(held) }

// SpoilEffect overwrites a stored effect's body with one that does not
// decode.
func (s *Store) SpoilEffect(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, "UPDATE work_items SET body = '{'::bytea WHERE key = $1", key)
	return err
}

// Alive looks which owners are alive, as the store does every few
// seconds, and returns them.
func (s *Store) Alive(ctx context.Context) []int32 {
	s.presence.mu.Lock()
	defer s.presence.mu.Unlock()
	s.presence.look(ctx)
	return s.presence.alive()
}

// Owner is this store's owner number.
func (s *Store) Owner() int32 { return s.presence.id() }
