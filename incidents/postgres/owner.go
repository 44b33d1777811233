package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// ownerNS is the first key of the advisory locks that say a process is
// alive (pg_advisory_lock(ownerNS, owner)): work_items.owner is the second.
const ownerNS int32 = 0x696e63 // "inc"

// liveOwners lists the owners whose process holds its lock, i.e. is alive.
var liveOwners = fmt.Sprintf(`SELECT objid::bigint FROM pg_locks
	WHERE locktype = 'advisory' AND granted AND classid = %d AND objsubid = 2`, ownerNS)

// presence holds this process's owner lock on a connection of its own,
// so it ends with the process (or the connection), and puts it back if
// the connection drops while the process lives on.
type presence struct {
	cfg   *pgx.ConnConfig
	owner int32

	mu   sync.Mutex
	conn *pgx.Conn
	stop chan struct{}
	done chan struct{}
}

// newPresence picks an owner number no live process uses and locks it.
func newPresence(ctx context.Context, cfg *pgx.ConnConfig) (*presence, error) {
	p := &presence{cfg: cfg, stop: make(chan struct{}), done: make(chan struct{})}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect for the owner lock: %w", err)
	}
	for range 100 {
		candidate := rand.Int32N(1<<31-2) + 1
		var got bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", ownerNS, candidate).Scan(&got); err != nil {
			_ = conn.Close(ctx)
			return nil, fmt.Errorf("take the owner lock: %w", err)
		}
		if got {
			p.owner, p.conn = candidate, conn
			go p.keep()
			return p, nil
		}
	}
	_ = conn.Close(ctx)
	return nil, fmt.Errorf("take the owner lock: no free owner number")
}

// keep checks the lock's connection every few seconds and, when it has
// dropped, takes the same lock again on a new one. Until it does, other
// processes treat this one's work as orphaned and may take it over; the
// effects' keys make that safe.
func (p *presence) keep() {
	defer close(p.done)
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		p.mu.Lock()
		if p.conn.Ping(ctx) != nil {
			_ = p.conn.Close(ctx)
			if conn, err := pgx.ConnectConfig(ctx, p.cfg); err == nil {
				var got bool
				if conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", ownerNS, p.owner).Scan(&got) == nil && got {
					p.conn = conn
				} else {
					_ = conn.Close(ctx)
				}
			}
		}
		p.mu.Unlock()
		cancel()
	}
}

// close releases the lock: this process's work may be taken over.
func (p *presence) close() {
	close(p.stop)
	<-p.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.conn.Close(ctx)
}
