package pgaction

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/internal/testpg"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// env is the fake environment given to Register.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// newRegistry registers the runners with e as the environment.
func newRegistry(t *testing.T, e env) *actions.Registry {
	t.Helper()
	reg := actions.NewRegistry()
	if err := Register(reg, e.get); err != nil {
		t.Fatalf("Register: %v", err)
	}
	return reg
}

// runner returns the registered runner for id as its concrete type.
func runner[T actions.Runner](t *testing.T, reg *actions.Registry, id string) T {
	t.Helper()
	r, ok := reg.Runner(id)
	if !ok {
		t.Fatalf("%s is not registered", id)
	}
	typed, ok := r.(T)
	if !ok {
		t.Fatalf("%s is a %T", id, r)
	}
	return typed
}

// fixture is a test database with the runners pointed at it.
type fixture struct {
	url string
	reg *actions.Registry
	req actions.Request
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	url := testpg.URL(t)
	reg := newRegistry(t, env{"MAIN_DB_URL": url, "MAIN_DB_ADMIN_URL": url})
	db := &actions.Database{Name: "main", URLEnv: "MAIN_DB_URL", AdminURLEnv: "MAIN_DB_ADMIN_URL"}
	return &fixture{url: url, reg: reg, req: actions.Request{Params: map[string]any{"database": "main"}, Database: db}}
}

// connect opens a connection named app, closed when the test ends.
func (f *fixture) connect(t *testing.T, app string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(f.url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = app
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func (f *fixture) exec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// contention makes real lock contention: session A updates row 1 in an
// open transaction and goes idle; session B's update of the same row waits
// for it. It returns A's connection and B's pid and result.
func (f *fixture) contention(t *testing.T) (a *pgx.Conn, bPID uint32, bDone <-chan error) {
	t.Helper()
	a = f.connect(t, "holder")
	b := f.connect(t, "waiter")
	f.exec(t, a, "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)")
	f.exec(t, a, "INSERT INTO t VALUES (1, 0)")
	f.exec(t, a, "BEGIN")
	f.exec(t, a, "UPDATE t SET v = 1 WHERE id = 1")

	done := background(t, b, "UPDATE t SET v = 2 WHERE id = 1")
	// Wait until B is really waiting on A.
	obs := f.connect(t, "observer")
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting bool
		err := obs.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE pid = $1 AND $2 = ANY(pg_blocking_pids(pid)))`, int32(b.PgConn().PID()), int32(a.PgConn().PID())).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("B's update did not wait: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("B never waited on A's lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return a, b.PgConn().PID(), done
}

// background runs sql on conn in a goroutine and returns its result. The
// test's cleanups wait for it before closing conn; t.Context() is
// cancelled first, which interrupts a statement still waiting.
func background(t *testing.T, conn *pgx.Conn, sql string) <-chan error {
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		_, err := conn.Exec(t.Context(), sql)
		done <- err
	}()
	t.Cleanup(func() { <-finished })
	return done
}

// actionError asserts err is an *actions.Error with code.
func actionError(t *testing.T, err error, code string) *actions.Error {
	t.Helper()
	ae, ok := errors.AsType[*actions.Error](err)
	if !ok {
		t.Fatalf("error %v (%T) is not an *actions.Error", err, err)
	}
	if ae.Code != code {
		t.Fatalf("error code %q, want %q (%v)", ae.Code, code, ae)
	}
	return ae
}

func contains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

func TestRegisterAll(t *testing.T) {
	reg := newRegistry(t, env{})
	got := strings.Join(reg.IDs(), " ")
	want := "pg.blocking_tree pg.connections pg.long_transactions pg.missing_grants pg.terminate_blocker"
	if got != want {
		t.Fatalf("registered %s, want %s", got, want)
	}
	if err := Register(actions.NewRegistry(), nil); err == nil {
		t.Fatal("Register with a nil getenv succeeded")
	}
}

func TestMissingURLEnv(t *testing.T) {
	const secret = "s3cr3t-pw"
	reg := newRegistry(t, env{
		"BAD_DB_URL":   "postgres://app:" + secret + "@127.0.0.1:badport/db",
		"DOWN_DB_URL":  "postgres://app:" + secret + "@127.0.0.1:1/db?sslmode=disable",
		"ADMIN_DB_URL": "",
	})
	cases := []struct {
		name string
		id   string
		db   actions.Database
		code string
		want string
	}{
		{"unset", "pg.connections", actions.Database{Name: "main", URLEnv: "MAIN_DB_URL"}, "config", "MAIN_DB_URL"},
		{"unset admin", "pg.terminate_blocker", actions.Database{Name: "main", URLEnv: "DOWN_DB_URL", AdminURLEnv: "ADMIN_DB_URL"}, "config", "ADMIN_DB_URL"},
		{"no url_env", "pg.blocking_tree", actions.Database{Name: "main"}, "config", "url_env"},
		{"malformed", "pg.long_transactions", actions.Database{Name: "main", URLEnv: "BAD_DB_URL"}, "config", "BAD_DB_URL"},
		{"unreachable", "pg.blocking_tree", actions.Database{Name: "main", URLEnv: "DOWN_DB_URL"}, "connect", "DOWN_DB_URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := reg.Runner(c.id)
			req := actions.Request{Database: &c.db}
			var err error
			if c.id == "pg.terminate_blocker" {
				_, err = r.Preview(t.Context(), req)
			} else {
				_, err = r.Run(t.Context(), req)
			}
			ae := actionError(t, err, c.code)
			t.Log(ae)
			contains(t, "error", ae.Error(), c.want)
			if strings.Contains(ae.Error(), secret) || strings.Contains(ae.Error(), "postgres://") {
				t.Errorf("error leaks the connection string: %v", ae)
			}
		})
	}
}
