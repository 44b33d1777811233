package pgaction

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

func TestLongTransactions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, _, _ := f.contention(t)
	aPID := a.PgConn().PID()

	r := runner[*longTransactions](t, f.reg, "pg.long_transactions")
	if r.minAge != time.Minute {
		t.Fatalf("default threshold %s, want 1m", r.minAge)
	}
	res, err := r.Run(t.Context(), f.req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary != "No transactions open longer than 1m0s." || res.Text() != res.Summary {
		t.Errorf("with the 1m threshold: %q, %q", res.Summary, res.Text())
	}

	r.minAge = 0
	res, err = r.Run(t.Context(), f.req)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s\n%s", res.Summary, res.Text())
	// A's transaction began first, so it is listed first; B's (waiting) next.
	contains(t, "summary", res.Summary, "2 transactions open longer than 0s")
	contains(t, "details", res.Text(), fmt.Sprintf("pid %d (holder, user ", aPID), "idle in transaction", "`UPDATE t SET v = 1 WHERE id = 1`", "waiting on Lock/transactionid")
	if len(res.Sections) != 1 || len(res.Sections[0].Rows) != 2 || !strings.HasPrefix(res.Sections[0].Rows[0], fmt.Sprintf("pid %d (holder, user ", aPID)) {
		t.Errorf("sections %+v, want a row per transaction, A's first", res.Sections)
	}
}

func TestConnections(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.connect(t, "pool-member")
	var maxConns, total int
	if err := c.QueryRow(t.Context(), "SELECT current_setting('max_connections')::int").Scan(&maxConns); err != nil {
		t.Fatal(err)
	}
	r := runner[*connections](t, f.reg, "pg.connections")
	res, err := r.Run(t.Context(), f.req)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s\n%s", res.Summary, res.Text())
	if _, err := fmt.Sscanf(res.Summary, "%d of %d connections", &total, new(int)); err != nil || total < 2 {
		t.Fatalf("summary %q: %d, %v", res.Summary, total, err)
	}
	contains(t, "summary", res.Summary, fmt.Sprintf(" of %d connections in use (", maxConns))
	contains(t, "details", res.Text(), " more are reserved for superusers.\nBy state:\n", "\nactive: ", "\nidle: ",
		"\nBy application / user / database:\n", "pool-member / user ", "incident-bot / user ")
	if len(res.Sections) != 3 || res.Sections[1].Title != "By state:" || len(res.Sections[1].Rows) == 0 {
		t.Errorf("sections %+v", res.Sections)
	}
	if strings.Contains(res.Summary, "above") {
		t.Errorf("flagged at low use: %q", res.Summary)
	}
	r.warnPercent = 0
	res, err = r.Run(t.Context(), f.req)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "summary", res.Summary, "above 0%")
}

func TestMissingGrants(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	suffix := make([]byte, 6)
	rand.Read(suffix)
	role := "pgaction_app_" + hex.EncodeToString(suffix)
	ident := pgx.Identifier{role}.Sanitize()
	c := f.connect(t, "setup")
	f.exec(t, c, "CREATE ROLE "+ident+" NOLOGIN")
	t.Cleanup(func() {
		// Roles are cluster-wide: drop it, and its grants in the test database first.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, f.url)
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP OWNED BY "+ident+"; DROP ROLE "+ident); err != nil {
			t.Errorf("cleanup: drop role %s: %v", role, err)
		}
	})
	for _, sql := range []string{
		"CREATE TABLE public.orders (id int)",
		"CREATE TABLE public.users (id int)",
		"CREATE SCHEMA billing",
		"CREATE TABLE billing.invoices (id int)",
		"GRANT SELECT, INSERT ON public.orders TO " + ident,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON public.users TO " + ident,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON billing.invoices TO " + ident,
	} {
		f.exec(t, c, sql)
	}
	req := f.req
	db := *req.Database
	db.AppRole = role
	req.Database = &db
	r := runner[*missingGrants](t, f.reg, "pg.missing_grants")

	res, err := r.Run(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s\n%s", res.Summary, res.Text())
	contains(t, "summary", res.Summary, "lacks privileges on 1 table of 3 and USAGE on 1 schema")
	lackingOrders(t, res, role)

	f.exec(t, c, "REVOKE SELECT ON public.users FROM "+ident)
	res, err = r.Run(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "details", res.Text(), "\n`public.users`: no SELECT")

	f.exec(t, c, "GRANT ALL ON public.orders, public.users TO "+ident)
	f.exec(t, c, "GRANT USAGE ON SCHEMA billing TO "+ident)
	res, err = r.Run(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "summary", res.Summary, "Nothing missing", "all 3 tables")
	contains(t, "details", res.Text(), res.Summary)

	db.AppRole = role + "_absent"
	_, err = r.Run(t.Context(), req)
	actionError(t, err, "42704")
	db.AppRole = ""
	_, err = r.Run(t.Context(), req)
	actionError(t, err, "config")
}

// lackingOrders checks the findings list schema billing without USAGE,
// then public.orders as the only table lacking privileges.
func lackingOrders(t *testing.T, res actions.Result, role string) {
	t.Helper()
	contains(t, "details", res.Text(), "Schemas role "+role+" cannot use (no USAGE): billing", "`public.orders`: no UPDATE, DELETE")
	if len(res.Sections) != 2 || res.Sections[1].Title != "Tables where role "+role+" lacks privileges:" ||
		!slices.Equal(res.Sections[1].Rows, []string{"`public.orders`: no UPDATE, DELETE"}) {
		t.Errorf("sections %+v", res.Sections)
	}
	if strings.Contains(res.Text(), "users") || strings.Contains(res.Text(), "invoices") {
		t.Errorf("fully granted tables listed:\n%s", res.Text())
	}
}
