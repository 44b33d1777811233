package pgaction

import (
	"slices"
	"strings"
	"testing"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

func TestRootsOrder(t *testing.T) {
	w := func(pid int32, age float64, by ...int32) *session {
		return &session{PID: pid, QueryAge: age, Waiting: true, State: "active", BlockedBy: by, BackendStart: "x"}
	}
	idle := func(pid int32) *session {
		return &session{PID: pid, State: "idle in transaction", BackendStart: "x"}
	}
	cases := []struct {
		name   string
		list   []*session
		roots  []int32
		target int32
	}{
		{"none", nil, []int32{}, -1},
		{"one", []*session{idle(1), w(2, 5, 1)}, []int32{1}, 1},
		// 10 blocks 11, which blocks 12 and 13: 10 is the root, blocking 3.
		{"chain", []*session{idle(10), w(11, 1, 10), w(12, 1, 11), w(13, 1, 11)}, []int32{10}, 10},
		// 20 blocks two, 30 blocks one that has waited longer: most first.
		{"most first", []*session{idle(20), idle(30), w(21, 1, 20), w(22, 1, 20), w(31, 90, 30)}, []int32{20, 30}, 20},
		// Tie on count: the longest wait caused wins.
		{"tie by wait", []*session{idle(40), idle(50), w(41, 5, 40), w(51, 60, 50)}, []int32{50, 40}, 50},
		// A prepared transaction (pid 0) cannot be ended; the next root is.
		{"prepared", []*session{idle(60), w(61, 9, 0), w(62, 9, 0), w(63, 1, 60)}, []int32{0, 60}, 60},
		// A deadlock, before Postgres breaks it: everyone waits; 71 caused
		// the longer wait (70's).
		{"deadlock", []*session{w(70, 3, 71), w(71, 2, 70)}, []int32{71, 70}, 71},
		// Parallel workers make duplicates.
		{"duplicates", []*session{idle(80), w(81, 1, 80, 80)}, []int32{80}, 80},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := newGraph(c.list)
			if got := g.roots(); !slices.Equal(got, c.roots) && !(len(got) == 0 && len(c.roots) == 0) {
				t.Errorf("roots %v, want %v", got, c.roots)
			}
			got := int32(-1)
			if s := g.target(); s != nil {
				got = s.PID
			}
			if got != c.target {
				t.Errorf("target %d, want %d", got, c.target)
			}
			_ = g.details() // renders without looping
		})
	}
}

func TestDetailsTree(t *testing.T) {
	g := newGraph([]*session{
		{PID: 10, User: "app", App: "api", State: "idle in transaction", Query: "UPDATE a SET x = 1 WHERE y < 2 & z > 3", BackendStart: "x", StateAge: 200, XactAge: 250},
		{PID: 11, User: "app", State: "active", Waiting: true, WaitEvent: "transactionid", QueryAge: 100, BlockedBy: []int32{10}, Query: "UPDATE a SET x = 2", BackendStart: "x"},
		{PID: 12, User: "etl", State: "active", Waiting: true, WaitEvent: "relation", QueryAge: 50, BlockedBy: []int32{11}, Query: strings.Repeat("SELECT `x`  \n ", 40)},
		{PID: 13, User: "app", App: "<cron> & co", State: "active", Waiting: true, WaitEvent: "tuple", QueryAge: 1, BlockedBy: nil, Query: "DELETE FROM a"},
	})
	ss := g.details()
	d := actions.Result{Sections: ss}.Text()
	t.Log("\n" + d)
	// Outside text (the query, the application name) stays plain: the
	// renderers escape it.
	for _, want := range []string{
		"Root blocker pid 10 (api, user app): idle in transaction since ? (3m20s), last query started ?, transaction open 4m10s; blocks 2 queries\n    `UPDATE a SET x = 1 WHERE y < 2 & z > 3`\n",
		"    ↳ blocked pid 11 (user app) waiting 1m40s for a transactionid lock: `UPDATE a SET x = 2`\n",
		"        ↳ blocked pid 12 (user etl) waiting 50s for a relation lock: `SELECT 'x' SELECT",
		"…`\nWaiting with no blocker left (the lock was probably just released):\n",
		"blocked pid 13 (<cron> & co, user app) waiting 1s for a tuple lock: `DELETE FROM a`",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("details lack %q", want)
		}
	}
	if strings.Contains(d, "&amp;") || strings.Contains(d, "&lt;") || strings.Contains(d, "*") || strings.Contains(d, "• ") {
		t.Errorf("details are marked up for Slack:\n%s", d)
	}
	if len(ss) != 2 || ss[0].Title != "" || len(ss[0].Rows) != 4 || !strings.HasPrefix(ss[0].Rows[0], "Root blocker pid 10 ") ||
		!strings.HasPrefix(ss[1].Title, "Waiting with no blocker left") || len(ss[1].Rows) != 1 {
		t.Errorf("sections %+v, want the tree's rows, then the waits with no blocker", ss)
	}
	if s := g.summary(); s != "3 queries are waiting on locks; root blocker pid 10 (api, user app, idle in transaction) blocks 2 queries." {
		t.Errorf("summary %q", s)
	}
}

func TestDetailsHiddenAndNone(t *testing.T) {
	none := newGraph(nil).details()
	if len(none) != 1 || none[0].Title != "No session in this database is waiting for a lock." || len(none[0].Rows) != 0 {
		t.Errorf("no waits: %+v", none)
	}
	ss := newGraph([]*session{
		{PID: 20, Query: insufficientPriv},
		{PID: 21, User: "app", State: "active", Waiting: true, WaitEvent: "tuple", QueryAge: 2, BlockedBy: []int32{20}, Query: "", BackendStart: "x"},
	}).details()
	d := actions.Result{Sections: ss}.Text()
	t.Log("\n" + d)
	if len(ss) != 2 || !strings.HasPrefix(ss[0].Rows[0], "Root blocker pid 20 (unknown client): state hidden") ||
		ss[0].Rows[2] != "    ↳ blocked pid 21 (user app) waiting 2s for a tuple lock: (no query text)" ||
		!strings.HasPrefix(ss[1].Title, "Some sessions belong to other roles") {
		t.Errorf("sections %+v", ss)
	}
}
