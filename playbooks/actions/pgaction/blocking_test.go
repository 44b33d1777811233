package pgaction

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

func TestBlockerFoundAndEnded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, bPID, bDone := f.contention(t)
	aPID := a.PgConn().PID()

	tree, err := runner[*blockingTree](t, f.reg, "pg.blocking_tree").Run(t.Context(), f.req)
	if err != nil {
		t.Fatalf("blocking_tree: %v", err)
	}
	t.Logf("blocking_tree: %s\n%s", tree.Summary, tree.Text())
	contains(t, "summary", tree.Summary, "1 query is waiting", fmt.Sprintf("root blocker pid %d (holder", aPID), "idle in transaction")
	contains(t, "details", tree.Text(),
		fmt.Sprintf("Root blocker pid %d (holder, user ", aPID),
		"idle in transaction since", "\n    `UPDATE t SET v = 1 WHERE id = 1`\n",
		fmt.Sprintf("\n    ↳ blocked pid %d (waiter, user ", bPID), "`UPDATE t SET v = 2 WHERE id = 1`", "transactionid")
	if strings.Index(tree.Text(), fmt.Sprint(aPID)) > strings.Index(tree.Text(), fmt.Sprint(bPID)) {
		t.Errorf("the root blocker is not listed first:\n%s", tree.Text())
	}

	term := runner[*terminateBlocker](t, f.reg, "pg.terminate_blocker")
	term.wait = time.Second // cancelling an idle transaction never works; don't wait 3s for it
	p, err := term.Preview(t.Context(), f.req)
	if err != nil {
		t.Fatalf("Preview: %v", err)
	}
	t.Logf("preview: %+v", p)
	if p.Data["pid"] != fmt.Sprint(aPID) || p.Data["backend_start"] == "" || len(p.Data["query_hash"]) != 64 {
		t.Fatalf("preview data %v, want pid %d with backend_start and query_hash", p.Data, aPID)
	}
	contains(t, "current", p.Current, fmt.Sprintf("pid %d (holder, user ", aPID), "idle in transaction since", "blocks 1 query")
	contains(t, "change", p.Change, fmt.Sprintf("end pid %d", aPID))
	if p.Resource != "pg:main" {
		t.Errorf("resource %q", p.Resource)
	}

	// A reused PID: same pid, another backend. Nothing must be ended.
	reused := p
	reused.Data = map[string]string{"pid": p.Data["pid"], "backend_start": "2001-01-01T00:00:00.000000Z", "query_hash": p.Data["query_hash"]}
	req := f.req
	req.Confirmed = &reused
	_, err = term.Run(t.Context(), req)
	contains(t, "refusal", actionError(t, err, "changed").Message, "different session", "nothing was ended")
	// Another query now: also refused.
	other := p
	other.Data = map[string]string{"pid": p.Data["pid"], "backend_start": p.Data["backend_start"], "query_hash": queryHash("SELECT 1")}
	req.Confirmed = &other
	_, err = term.Run(t.Context(), req)
	actionError(t, err, "changed")
	// (Checked from outside: a query on A would change its query text.)
	obs := f.connect(t, "check")
	var state string
	if err := obs.QueryRow(t.Context(), "SELECT state FROM pg_stat_activity WHERE pid = $1", int32(aPID)).Scan(&state); err != nil || state != "idle in transaction" {
		t.Fatalf("after a refused Run, A is %q, %v; want it untouched", state, err)
	}
	select {
	case err := <-bDone:
		t.Fatalf("B finished before the blocker was ended: %v", err)
	default:
	}

	req.Confirmed = &p
	res, err := term.Run(t.Context(), req)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("result: %+v", res)
	if res.RequestID != "pg_terminate_backend=true" || !res.Changed {
		t.Fatalf("result %+v, want pg_terminate_backend=true and changed", res)
	}
	contains(t, "summary", res.Summary, fmt.Sprintf("Ended pid %d", aPID))
	contains(t, "details", res.Text(), fmt.Sprintf("so pg_terminate_backend(%d) was used.", aPID))
	select {
	case err := <-bDone:
		if err != nil {
			t.Fatalf("B's update: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("B's update still waits after the blocker was ended")
	}
	var v int
	if err := obs.QueryRow(t.Context(), "SELECT v FROM t WHERE id = 1").Scan(&v); err != nil || v != 2 {
		t.Fatalf("v = %d, %v; want B's 2 with A rolled back", v, err)
	}

	// Now nothing blocks: the preview says so, and re-running the old
	// confirmation refuses.
	_, err = term.Preview(t.Context(), f.req)
	actionError(t, err, "no_blocker")
	_, err = term.Run(t.Context(), req)
	actionError(t, err, "changed")
	tree, err = runner[*blockingTree](t, f.reg, "pg.blocking_tree").Run(t.Context(), f.req)
	if err != nil || tree.Summary != "No queries are waiting on locks." || tree.Text() != "No session in this database is waiting for a lock." {
		t.Fatalf("blocking_tree after: %q, %q, %v", tree.Summary, tree.Text(), err)
	}
}

// A blocker that is running a query is released by cancelling it.
func TestCancelReleasesActiveBlocker(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.connect(t, "sleeper")
	b := f.connect(t, "waiter")
	f.exec(t, a, "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)")
	f.exec(t, a, "INSERT INTO t VALUES (1, 0)")
	// One statement: lock the row, then sleep holding it.
	aDone := background(t, a, "WITH u AS (UPDATE t SET v = 1 WHERE id = 1 RETURNING 1) SELECT pg_sleep(60) FROM u")
	// B waits once A holds the row.
	obs := f.connect(t, "observer")
	for deadline := time.Now().Add(10 * time.Second); ; {
		var active bool
		_ = obs.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'PgSleep')",
			int32(a.PgConn().PID())).Scan(&active)
		if active {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("A never started sleeping")
		}
		time.Sleep(20 * time.Millisecond)
	}
	bDone := background(t, b, "UPDATE t SET v = 2 WHERE id = 1")
	term := runner[*terminateBlocker](t, f.reg, "pg.terminate_blocker")
	var p actions.Preview
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; {
		if p, err = term.Preview(t.Context(), f.req); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Preview: %v", err)
	}
	contains(t, "current", p.Current, "active since")
	req := f.req
	req.Confirmed = &p
	res, err := term.Run(t.Context(), req)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.RequestID != "pg_cancel_backend=true" || !res.Changed {
		t.Fatalf("result %+v, want pg_cancel_backend=true", res)
	}
	contains(t, "details", res.Text(), "released its locks within", "the session stays connected.")
	if err := <-aDone; err == nil {
		t.Error("A's query was not cancelled")
	}
	if err := <-bDone; err != nil {
		t.Errorf("B's update: %v", err)
	}
}

func TestRunNeedsConfirmation(t *testing.T) {
	reg := newRegistry(t, env{})
	r, _ := reg.Runner("pg.terminate_blocker")
	db := &actions.Database{Name: "main", URLEnv: "X"}
	_, err := r.Run(t.Context(), actions.Request{Database: db})
	actionError(t, err, "unconfirmed")
	_, err = r.Run(t.Context(), actions.Request{Database: db, Confirmed: &actions.Preview{Data: map[string]string{"pid": "12"}}})
	actionError(t, err, "unconfirmed")
}
