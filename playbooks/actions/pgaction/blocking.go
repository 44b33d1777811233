package pgaction

import (
	"context"
	"fmt"
	"strings"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// blockingTree is pg.blocking_tree: the lock waits and who blocks them,
// root blockers first.
type blockingTree struct{ c *connector }

func (*blockingTree) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

func (r *blockingTree) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	conn, err := r.c.open(ctx, req, false)
	if err != nil {
		return actions.Result{}, err
	}
	defer closeConn(ctx, conn)
	g, err := loadGraph(ctx, conn)
	if err != nil {
		return actions.Result{}, err
	}
	return actions.Result{Summary: g.summary(), Sections: g.details()}, nil
}

// summary is one line: how many wait and on whom.
func (g *lockGraph) summary() string {
	if len(g.waits) == 0 {
		return "No queries are waiting on locks."
	}
	waiting := plural(len(g.waits), "query is", "queries are") + " waiting on locks"
	roots := g.roots()
	if len(roots) == 0 {
		return waiting + "; no blocker found (the locks were probably just released)."
	}
	n, _ := g.blocked(roots[0])
	top := "a prepared transaction"
	if s := g.sessions[roots[0]]; s != nil && roots[0] != 0 {
		top = fmt.Sprintf("pid %d (%s, %s)", s.PID, who(s.App, s.User), stateOf(s))
	}
	more := ""
	if len(roots) > 1 {
		more = fmt.Sprintf(" (%d root blockers)", len(roots))
	}
	return fmt.Sprintf("%s; root blocker %s blocks %s%s.", waiting, top, plural(n, "query", "queries"), more)
}

// details is the tree, root blockers first, each with whom it blocks:
// a row per root blocker, its query and the sessions waiting on it
// indented under it.
func (g *lockGraph) details() []actions.Section {
	if len(g.waits) == 0 {
		return []actions.Section{{Title: "No session in this database is waiting for a lock."}}
	}
	var tree []string
	shown := map[int32]bool{}
	hidden := false
	for _, p := range g.roots() {
		n, _ := g.blocked(p)
		s := g.sessions[p]
		switch {
		case p == 0 || s == nil:
			tree = append(tree, fmt.Sprintf("Root blocker: a prepared transaction (pid 0; see pg_prepared_xacts) blocks %s", plural(n, "query", "queries")))
		default:
			hidden = hidden || s.BackendStart == "" || s.Query == insufficientPriv
			tree = append(tree,
				fmt.Sprintf("Root blocker pid %d (%s): %s; blocks %s", s.PID, who(s.App, s.User), blockerState(s), plural(n, "query", "queries")),
				"    "+code(s.Query))
		}
		shown[p] = true
		tree = g.appendVictims(tree, p, 1, shown)
	}
	var out []actions.Section
	if len(tree) > 0 {
		out = append(out, actions.Section{Rows: tree})
	}
	if lost := g.unblocked(); len(lost) > 0 {
		sec := actions.Section{Title: "Waiting with no blocker left (the lock was probably just released):"}
		for _, w := range lost {
			sec.Rows = append(sec.Rows, waiterLine(w))
		}
		out = append(out, sec)
	}
	if hidden {
		out = append(out, actions.Section{Title: "Some sessions belong to other roles and their details are hidden: grant pg_monitor to the role in url_env to see them."})
	}
	return out
}

// appendVictims appends a row per session waiting on pid, indented by depth.
func (g *lockGraph) appendVictims(rows []string, pid int32, depth int, shown map[int32]bool) []string {
	indent := strings.Repeat("    ", depth)
	for _, v := range g.victims(pid) {
		if shown[v.PID] {
			rows = append(rows, fmt.Sprintf("%s↳ pid %d (shown above)", indent, v.PID))
			continue
		}
		shown[v.PID] = true
		rows = append(rows, indent+"↳ "+waiterLine(v))
		rows = g.appendVictims(rows, v.PID, depth+1, shown)
	}
	return rows
}

// waiterLine describes a blocked session: pid, client, wait, query.
func waiterLine(s *session) string {
	by := ""
	if len(s.BlockedBy) > 1 {
		pids := make([]string, len(s.BlockedBy))
		for i, p := range s.BlockedBy {
			pids[i] = fmt.Sprint(p)
		}
		by = ", blocked by pids " + strings.Join(pids, ", ")
	}
	return fmt.Sprintf("blocked pid %d (%s) waiting %s for a %s lock%s: %s",
		s.PID, who(s.App, s.User), dur(s.QueryAge), s.WaitEvent, by, code(s.Query))
}

// blockerState describes what a blocker is doing and since when.
func blockerState(s *session) string {
	var parts []string
	switch s.State {
	case "active":
		parts = append(parts, fmt.Sprintf("active, query started %s (%s ago)", clock(s.QueryStart), dur(s.QueryAge)))
	case "":
		parts = append(parts, "state hidden")
	default:
		parts = append(parts, fmt.Sprintf("%s since %s (%s)", s.State, clock(s.StateChange), dur(s.StateAge)),
			"last query started "+clock(s.QueryStart))
	}
	if s.XactAge > 0 {
		parts = append(parts, "transaction open "+dur(s.XactAge))
	}
	return strings.Join(parts, ", ")
}

// stateOf is a session's state in a few words.
func stateOf(s *session) string {
	if s.State == "" {
		return "state hidden"
	}
	return s.State
}
