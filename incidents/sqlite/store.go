// Package sqlite stores incidents in one SQLite file on local disk. It is
// for a single bot replica only: the file cannot be shared between hosts
// and nothing here coordinates several bots. To run more than one replica,
// use incidents/postgres.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/incident-bot/incident-bot/incidents"
)

// Options configures New.
type Options struct {
	// Path is the database file; its directory is created if missing.
	Path string
}

// Store is an incidents.Store in a SQLite file. It is safe for concurrent
// use by many goroutines.
type Store struct {
	db    *sql.DB
	inbox *sql.DB // the inbox file (see inbox.go)

	lockMu sync.Mutex
	locks  map[string]bool // TryLock's named locks

	// owner marks the work this process holds; work held by any other
	// owner was held by a process that has died.
	owner int32
	w, iw *writer // this process's write turns on each file
	q, iq *stmts  // each file's prepared statements

	closeOnce     sync.Once
	stop, stopped chan struct{} // the checkpointer's
}

// checkpointer copies the WAL into the database file every second, as a
// PASSIVE checkpoint: beside writers, never blocking one.
func (s *Store) checkpointer() {
	defer close(s.stopped)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			// Read the answer through: a statement left half-stepped keeps its
			// connection's read snapshot open, and that connection would then
			// show old data to whoever uses it next. A busy checkpoint is
			// tried again next second.
			for _, db := range []*sql.DB{s.db, s.inbox} {
				var busy, frames, done int
				_ = db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done)
			}
			cancel()
		}
	}
}

var _ incidents.Store = (*Store)(nil)

// connParams applies to every connection the pool opens.
//
// _txlock=immediate makes every transaction BEGIN IMMEDIATE, taking the
// write lock up front. Update and Create read, then write: in a deferred
// transaction two of them would both read, and the second to write would
// fail with SQLITE_BUSY at once (busy_timeout cannot help a lock upgrade).
// Taking the lock at BEGIN queues writers instead, waiting up to
// busy_timeout, and also works across processes (an `incident-bot migrate`
// run beside the bot), which a single in-process write connection would
// not. Plain reads run outside transactions and, thanks to WAL, never wait
// for writers.
//
// wal_autocheckpoint(0): a checkpoint syncs the file to disk, and left to
// SQLite it runs inside whichever write commits when the WAL is full —
// milliseconds in the write an acknowledgement waits for. A goroutine
// checkpoints instead (checkpointer), beside the writers, not in them.
const connParams = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(0)&_txlock=immediate"

// New opens (creating if needed) the database file and applies pending
// migrations.
func New(ctx context.Context, opts Options) (*Store, error) {
	s, err := open(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return s, nil
}

// open is New without migrating.
func open(ctx context.Context, opts Options) (*Store, error) {
	switch {
	case opts.Path == "":
		return nil, errors.New("sqlite: a database path is required")
	case strings.HasPrefix(opts.Path, ":memory:") || strings.HasPrefix(opts.Path, "file:"):
		// An in-memory database is private to one connection of the pool,
		// and a URI would bypass the connection settings below.
		return nil, fmt.Errorf("sqlite: path must be a file path, got %q", opts.Path)
	case strings.Contains(opts.Path, "?"):
		return nil, fmt.Errorf("sqlite: path must not contain '?', got %q", opts.Path)
	}
	if err := os.MkdirAll(filepath.Dir(opts.Path), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: create directory: %w", err)
	}
	db, err := sql.Open("sqlite", opts.Path+"?"+connParams)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", opts.Path, err)
	}
	if err := firstPing(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	inbox, err := openInbox(ctx, opts.Path)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	s := &Store{db: db, inbox: inbox, locks: map[string]bool{}, owner: rand.Int32N(1<<31-2) + 1, w: newWriter(), iw: newWriter(),
		q: newStmts(db), iq: newStmts(inbox),
		stop: make(chan struct{}), stopped: make(chan struct{})}
	go s.checkpointer()
	return s, nil
}

// firstPing opens the first connection. When several processes open a new
// file at once (the bot and `incident-bot migrate`), switching it to WAL
// can fail with SQLITE_BUSY without SQLite waiting on its busy handler, so
// a busy start is retried for a few seconds.
func firstPing(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := ping(ctx, db)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// isBusy reports SQLITE_BUSY (and its extended codes).
func isBusy(err error) bool {
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		return se.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return false
}

// Ping checks that the database file and the inbox file can be read.
func (s *Store) Ping(ctx context.Context) error {
	if err := ping(ctx, s.db); err != nil {
		return err
	}
	return ping(ctx, s.inbox)
}

func ping(ctx context.Context, db *sql.DB) error {
	// db.Ping alone would not touch the file once a connection is open.
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close closes the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.stopped
	})
	s.q.close()
	s.iq.close()
	ierr := s.inbox.Close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	if ierr != nil {
		return fmt.Errorf("close inbox: %w", ierr)
	}
	return nil
}
