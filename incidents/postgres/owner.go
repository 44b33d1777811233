package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// ownerNS is the first key of the advisory locks that say a process is
// alive (pg_advisory_lock(ownerNS, owner)): work_items.owner is the second.
const ownerNS int32 = 0x696e63 // "inc"

// liveOwners lists the owners whose process holds its lock, i.e. is alive.
// pg_locks shows the locks of every database of the server: only this
// database's count. Reading pg_locks takes every lock-manager partition
// lock of the server for a moment, so claims read it only for an owner
// not known to be alive (presence.alive, refreshed every few seconds):
// in the steady state, never.
var liveOwners = fmt.Sprintf(`SELECT objid::bigint FROM pg_locks
	WHERE locktype = 'advisory' AND granted AND classid = %d AND objsubid = 2
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, ownerNS)

// errPresenceLost refuses a claim while this process's owner lock is
// gone: other processes see its work as orphaned and would take over
// whatever it claimed now.
var errPresenceLost = errors.New("the owner lock's connection to PostgreSQL was lost; claiming no work until it is back")

// keepalives make the server notice within about half a minute that the
// owner lock's connection is dead (the process is partitioned away or
// its host stopped), so its lock goes and its work is taken over.
var keepalives = map[string]string{"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}

// presence holds this process's owner lock on a connection of its own,
// so it ends with the process (or the connection), and puts it back if
// the connection drops while the process lives on.
type presence struct {
	cfg   *pgx.ConnConfig
	owner int32       // for the life of the store
	held  atomic.Bool // the lock is held now
	live  atomic.Pointer[[]int32]

	mu   sync.Mutex
	conn *pgx.Conn
	stop chan struct{}
	done chan struct{}
}

// newPresence picks an owner number no live process uses and locks it.
func newPresence(ctx context.Context, cfg *pgx.ConnConfig) (*presence, error) {
	for k, v := range keepalives {
		cfg.RuntimeParams[k] = v
	}
	p := &presence{cfg: cfg, stop: make(chan struct{}), done: make(chan struct{})}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect for the owner lock: %w", err)
	}
	owner, err := lockOwner(ctx, conn)
	if err != nil {
		_ = conn.Close(ctx)
		return nil, fmt.Errorf("take the owner lock: %w", err)
	}
	p.owner, p.conn = owner, conn
	p.held.Store(true)
	p.live.Store(&[]int32{owner})
	go p.keep()
	return p, nil
}

// lockOwner takes the owner lock of a number no live process uses and
// returns the number.
func lockOwner(ctx context.Context, conn *pgx.Conn) (int32, error) {
	for range 100 {
		candidate := rand.Int32N(1<<31-2) + 1
		var got bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", ownerNS, candidate).Scan(&got); err != nil {
			return 0, err
		}
		if got {
			return candidate, nil
		}
	}
	return 0, errors.New("no free owner number")
}

// claimant is the owner number claims are made under, or an error while
// the lock is lost.
func (p *presence) claimant() (int32, error) {
	if !p.held.Load() {
		return 0, errPresenceLost
	}
	return p.owner, nil
}

// id is the owner number settlements are made under.
func (p *presence) id() int32 { return p.owner }

// alive lists the owners seen alive at the last look, this one among
// them. An owner that died since is taken for alive until the next look:
// its work is taken over a few seconds later, never too early.
func (p *presence) alive() []int32 { return *p.live.Load() }

// look reads which owners are alive, on the lock's own connection.
func (p *presence) look(ctx context.Context) {
	var owners []int64
	if p.conn.QueryRow(ctx, "SELECT coalesce(array_agg(objid), '{}') FROM ("+liveOwners+") o").Scan(&owners) != nil {
		return
	}
	live := []int32{p.owner}
	for _, o := range owners {
		if int32(o) != p.owner {
			live = append(live, int32(o))
		}
	}
	p.live.Store(&live)
}

// keep checks the lock's connection every few seconds and, when it has
// dropped, takes the same lock again on a new one. The number never
// changes: the work this process holds is marked with it. While the old
// session lingers on the server (until its keepalives find it dead) the
// lock is still taken, and keep tries again at the next tick. Meanwhile
// this process claims nothing: once the old session is gone, the others
// see its work as orphaned and may take it over (the effects' keys make
// that safe).
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
		if p.held.Load() {
			p.look(ctx)
		}
		if p.conn.Ping(ctx) != nil {
			p.held.Store(false)
			_ = p.conn.Close(ctx)
			if conn, err := pgx.ConnectConfig(ctx, p.cfg); err == nil {
				var got bool
				if conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", ownerNS, p.owner).Scan(&got) == nil && got {
					p.conn = conn
					p.held.Store(true)
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
