// Package testpg gives tests a fresh PostgreSQL database of their own, so
// they can run in parallel against a real server and leave nothing behind.
package testpg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by URL.
const (
	// EnvURL names a server to create test databases on, as a URL whose
	// user may create databases, e.g.
	// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
	EnvURL = "TEST_DATABASE_URL"
	// EnvRequire=1 turns a missing server into a failure instead of a
	// skip, so CI cannot pass by silently skipping the database tests.
	EnvRequire = "INCIDENT_BOT_REQUIRE_SERVICES"
)

// notIdent matches what may not appear in the database name.
var notIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// URL creates an empty database named after the test, drops it when the
// test ends, and returns its URL. Without TEST_DATABASE_URL the test is
// skipped, or fails when INCIDENT_BOT_REQUIRE_SERVICES=1.
func URL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvURL)
	if admin == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s is not set but %s=1: this test needs PostgreSQL; run scripts/test, which starts one", EnvURL, EnvRequire)
		}
		t.Skipf("needs PostgreSQL: run scripts/test, or set %s to a server URL", EnvURL)
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", EnvURL)
	}

	name := databaseName(t)
	exec(t, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	t.Cleanup(func() {
		// FORCE: a test that failed midway may still hold connections.
		exec(t, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	u.Path = "/" + name
	return u.String()
}

// databaseName is the test's name, made safe and short, plus random bytes
// so parallel tests and repeated runs never collide.
func databaseName(t testing.TB) string {
	suffix := make([]byte, 6)
	rand.Read(suffix)
	slug := strings.Trim(notIdent.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	if len(slug) > 40 { // names are cut at 63 bytes
		slug = slug[len(slug)-40:]
	}
	return "test_" + slug + "_" + hex.EncodeToString(suffix)
}

// exec runs one statement on the admin database over a short-lived
// connection, so no pool outlives the test. Not t.Context(): it is already
// cancelled when cleanups run.
func exec(t testing.TB, admin, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
