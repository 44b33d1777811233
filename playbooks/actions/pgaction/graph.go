package pgaction

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// backendStartSQL renders backend_start the same way whatever the
// session's TimeZone: with pid, it identifies a backend, so a reused PID is
// told apart from the one a person confirmed.
const backendStartSQL = `to_char(backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

// session is one backend in the lock graph, from pg_stat_activity.
type session struct {
	PID          int32
	User, App    string
	State        string
	Query        string
	WaitType     string
	WaitEvent    string
	BackendStart string // backendStartSQL; "" when hidden from this role
	QueryStart   time.Time
	StateChange  time.Time
	QueryAge     float64 // seconds since query_start
	StateAge     float64 // seconds since state_change
	XactAge      float64 // seconds since xact_start; 0 outside a transaction
	Waiting      bool    // waiting for a lock (wait_event_type = 'Lock')
	BlockedBy    []int32 // pg_blocking_pids; 0 stands for a prepared transaction
}

// lockGraph is who waits for whom in one database.
type lockGraph struct {
	sessions map[int32]*session // the waiting sessions and their blockers
	waits    []*session         // waiting sessions, longest waiting first
}

// graphSQL is the seed's lock-wait query (pg_stat_activity where
// wait_event_type = 'Lock') with pg_blocking_pids for whom each waits on,
// joined to the blockers' own activity in one statement, so all rows come
// from one snapshot of pg_stat_activity.
const graphSQL = `
WITH waits AS (
	SELECT pid, pg_blocking_pids(pid) AS blocked_by
	FROM pg_stat_activity
	WHERE wait_event_type = 'Lock' AND datname = current_database()
)
SELECT a.pid, coalesce(a.usename, ''), coalesce(a.application_name, ''), coalesce(a.state, ''),
	coalesce(a.query, ''), coalesce(a.wait_event_type, ''), coalesce(a.wait_event, ''),
	coalesce(` + backendStartSQL + `, ''), a.query_start, a.state_change,
	coalesce(extract(epoch FROM now() - a.query_start), 0)::float8,
	coalesce(extract(epoch FROM now() - a.state_change), 0)::float8,
	coalesce(extract(epoch FROM now() - a.xact_start), 0)::float8,
	w.pid IS NOT NULL, coalesce(w.blocked_by, '{}')
FROM pg_stat_activity a LEFT JOIN waits w ON w.pid = a.pid
WHERE w.pid IS NOT NULL OR a.pid IN (SELECT unnest(blocked_by) FROM waits)`

// loadGraph reads the lock waits and their blockers.
func loadGraph(ctx context.Context, conn *pgx.Conn) (*lockGraph, error) {
	rows, err := conn.Query(ctx, graphSQL)
	if err != nil {
		return nil, queryError("read lock waits", err)
	}
	var list []*session
	for rows.Next() {
		s := &session{}
		var qs, sc *time.Time
		if err := rows.Scan(&s.PID, &s.User, &s.App, &s.State, &s.Query, &s.WaitType, &s.WaitEvent,
			&s.BackendStart, &qs, &sc, &s.QueryAge, &s.StateAge, &s.XactAge, &s.Waiting, &s.BlockedBy); err != nil {
			rows.Close()
			return nil, queryError("read lock waits", err)
		}
		if qs != nil {
			s.QueryStart = *qs
		}
		if sc != nil {
			s.StateChange = *sc
		}
		list = append(list, s)
	}
	if err := rows.Err(); err != nil {
		return nil, queryError("read lock waits", err)
	}
	return newGraph(list), nil
}

// newGraph indexes sessions; duplicate blocker PIDs (parallel workers are
// reported as their leader) are removed.
func newGraph(list []*session) *lockGraph {
	g := &lockGraph{sessions: make(map[int32]*session, len(list))}
	for _, s := range list {
		slices.Sort(s.BlockedBy)
		s.BlockedBy = slices.Compact(s.BlockedBy)
		g.sessions[s.PID] = s
		if s.Waiting {
			g.waits = append(g.waits, s)
		}
	}
	slices.SortFunc(g.waits, func(a, b *session) int {
		return cmp.Or(cmp.Compare(b.QueryAge, a.QueryAge), cmp.Compare(a.PID, b.PID))
	})
	return g
}

// victims returns the sessions waiting directly on pid, longest first.
func (g *lockGraph) victims(pid int32) []*session {
	var out []*session
	for _, w := range g.waits {
		if slices.Contains(w.BlockedBy, pid) {
			out = append(out, w)
		}
	}
	return out
}

// blocked returns how many sessions wait on pid, directly or through
// others, and the longest of their waits in seconds.
func (g *lockGraph) blocked(pid int32) (n int, longest float64) {
	seen := map[int32]bool{pid: true}
	queue := []int32{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, v := range g.victims(p) {
			if seen[v.PID] {
				continue
			}
			seen[v.PID] = true
			n++
			longest = max(longest, v.QueryAge)
			queue = append(queue, v.PID)
		}
	}
	return n, longest
}

// roots returns the blockers that are not themselves waiting for a lock,
// the one blocking the most first (ties: the longest wait it causes). In
// a deadlock every blocker also waits; then all blockers are returned.
func (g *lockGraph) roots() []int32 {
	var blockers, roots []int32
	for _, w := range g.waits {
		for _, p := range w.BlockedBy {
			if slices.Contains(blockers, p) {
				continue
			}
			blockers = append(blockers, p)
			if s := g.sessions[p]; s == nil || !s.Waiting || len(s.BlockedBy) == 0 {
				roots = append(roots, p)
			}
		}
	}
	if len(roots) == 0 {
		roots = blockers
	}
	type ranked struct {
		pid     int32
		n       int
		longest float64
	}
	rs := make([]ranked, len(roots))
	for i, p := range roots {
		n, longest := g.blocked(p)
		rs[i] = ranked{p, n, longest}
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(b.longest, a.longest), cmp.Compare(a.pid, b.pid))
	})
	out := make([]int32, len(rs))
	for i, r := range rs {
		out[i] = r.pid
	}
	return out
}

// target is the blocker to end: the first root that is a live session
// (not a prepared transaction, which has no backend to signal).
func (g *lockGraph) target() *session {
	for _, p := range g.roots() {
		if s := g.sessions[p]; s != nil && p != 0 {
			return s
		}
	}
	return nil
}

// unblocked returns waiting sessions with no blocker left: the lock was
// released between the wait and the look.
func (g *lockGraph) unblocked() []*session {
	var out []*session
	for _, w := range g.waits {
		if len(w.BlockedBy) == 0 {
			out = append(out, w)
		}
	}
	return out
}
