package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// writer serialises this process's write transactions in Go. SQLite takes
// one writer at a time; without this, the others would wait in SQLite's
// busy handler, which sleeps 1 to 100 ms between tries — tens of
// milliseconds added to an acknowledgement that waits on the store. Here
// they queue on a lock that hands over at once, and urgent writers (the
// inbox, whose write an acknowledgement waits for) go before the others.
// Other processes on the file (a migration) still meet busy_timeout.
type writer struct {
	mu     sync.Mutex
	cond   *sync.Cond
	busy   bool
	urgent int // urgent writers waiting
}

func newWriter() *writer {
	w := &writer{}
	w.cond = sync.NewCond(&w.mu)
	return w
}

// hold takes the write turn and returns its release.
func (w *writer) hold(urgent bool) func() {
	w.mu.Lock()
	if urgent {
		w.urgent++
	}
	for w.busy || (!urgent && w.urgent > 0) {
		w.cond.Wait()
	}
	if urgent {
		w.urgent--
	}
	w.busy = true
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		w.busy = false
		w.cond.Broadcast()
		w.mu.Unlock()
	}
}

// begin starts a write transaction on the database file in this
// process's turn; done rolls it back (a no-op after Commit) and ends the
// turn.
func (s *Store) begin(ctx context.Context, urgent bool) (tx *wtx, done func(), err error) {
	return beginOn(ctx, s.db, s.w, s.q, urgent)
}

// beginOn is begin on one file with its writer.
func beginOn(ctx context.Context, db *sql.DB, w *writer, q *stmts, urgent bool) (tx *wtx, done func(), err error) {
	release := w.hold(urgent)
	sqltx, err := db.BeginTx(ctx, nil)
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("begin: %w", err)
	}
	tx = &wtx{Tx: sqltx, c: q}
	return tx, func() {
		_ = tx.Rollback()
		release()
	}, nil
}
