// Package postgres stores incidents in PostgreSQL. Several bot replicas may
// share one database: numbers come from an identity column, Create is made
// idempotent by a unique key table written in the same transaction, Update
// locks the incident row, and migrations are serialised by an advisory lock.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/incident-bot/incident-bot/incidents"
)

// Options configures New.
type Options struct {
	// URL is a postgres:// URL or a key=value connection string.
	URL string
	// MaxConns caps the connection pool; 0 means 16, room for the
	// workers, the outbox and the timers at once. Acknowledgements use two
	// connections of their own besides.
	MaxConns int32
}

// Store is an incidents.Store backed by PostgreSQL. It is safe for
// concurrent use, also by several processes sharing the database.
type Store struct {
	pool *pgxpool.Pool
	// intake is a small pool of its own for AddJobs: a request is
	// acknowledged once stored, so slow work holding the main pool's
	// connections (a long row lock, a slow query) must not hold up acks.
	intake    *pgxpool.Pool
	presence  *presence // this process's owner lock, for claims of work
	closeOnce sync.Once
}

var _ incidents.Store = (*Store)(nil)

// New connects to the database and applies pending migrations, so a replica
// never serves from a schema older than its code.
func New(ctx context.Context, opts Options) (*Store, error) {
	s, err := connect(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

// connect is New without migrating.
func connect(ctx context.Context, opts Options) (*Store, error) {
	if opts.URL == "" {
		return nil, errors.New("postgres: a database URL is required")
	}
	if opts.MaxConns < 0 {
		return nil, fmt.Errorf("postgres: MaxConns must not be negative, got %d", opts.MaxConns)
	}
	cfg, err := pgxpool.ParseConfig(opts.URL)
	if err != nil {
		// The parse error may quote the URL, password included; keep it out.
		return nil, errors.New("postgres: the database URL is malformed")
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(opts.URL, "pool_max_conns"):
		// pgx's default (4 or the CPUs) is small for the dispatcher's and
		// the inbox's workers; a pool_max_conns in the URL is kept.
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool: %w", err)
	}
	icfg := cfg.Copy()
	icfg.MaxConns, icfg.MinConns = 2, 0
	intake, err := pgxpool.NewWithConfig(ctx, icfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open pool: %w", err)
	}
	s := &Store{pool: pool, intake: intake}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		intake.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if s.presence, err = newPresence(ctx, cfg.ConnConfig.Copy()); err != nil {
		pool.Close()
		intake.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close releases the pool and this process's claims on work. It is safe
// to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.presence.close()
		s.intake.Close()
		s.pool.Close()
	})
	return nil
}
