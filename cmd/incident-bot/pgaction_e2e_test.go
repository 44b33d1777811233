package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/internal/testpg"
)

// Real lock contention in a real PostgreSQL: one session holds a row lock
// idle in its transaction, another waits on it. From the incident's card,
// "End blocking query" previews the blocker, the commander confirms, the
// bot ends it, and the waiting UPDATE completes.
func TestEndBlockingQueryFromCard(t *testing.T) {
	url := testpg.URL(t)
	ctx := context.Background()
	connect := func() *pgx.Conn {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	setup := connect()
	if _, err := setup.Exec(ctx, "CREATE TABLE orders (id int PRIMARY KEY, status text); INSERT INTO orders VALUES (1, 'new')"); err != nil {
		t.Fatal(err)
	}
	holder := connect()
	if _, err := holder.Exec(ctx, "BEGIN; UPDATE orders SET status = 'held' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	waiter := connect()
	done := make(chan error, 1)
	go func() {
		_, err := waiter.Exec(ctx, "UPDATE orders SET status = 'paid' WHERE id = 1")
		done <- err
	}()

	targets := filepath.Join(t.TempDir(), "targets.yaml")
	if err := os.WriteFile(targets, []byte("region: eu-west-2\ndatabases:\n  main: {url_env: MAIN_DATABASE_URL}\nguardrails:\n  approvers: [S0DBA0001]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, "sqlite", map[string]string{"TARGETS_FILE": targets, "MAIN_DATABASE_URL": url})
	h.slack.AddUsergroup("S0DBA0001", rita)
	_, ch := h.declare(rita, "start sev1 Queries stuck: database lock contention", "Queries stuck: database lock contention")
	card := h.card(ch.ID)
	if !strings.Contains(string(card.Blocks), "Database lock contention") {
		t.Fatalf("card is not the lock-contention runbook: %s", card.Blocks)
	}

	id, value := buttonValue(t, card, "pg.blocking_tree")
	h.send("interactive", h.slack.BlockAction(rita, ch.ID, card.TS, id, value))
	tree := h.messageContaining(ch.ID, ":white_check_mark: *Find blocking queries on main*")
	var holderPID uint32 = holder.PgConn().PID()
	if !strings.Contains(tree.Text, fmt.Sprint(holderPID)) {
		t.Fatalf("blocking tree does not name the holder (pid %d): %s", holderPID, tree.Text)
	}

	id, value = buttonValue(t, card, "pg.terminate_blocker")
	h.send("interactive", h.slack.BlockAction(rita, ch.ID, card.TS, id, value))
	confirm := h.messageContaining(ch.ID, "wants to run *End blocking query on main*")
	if !strings.Contains(confirm.Text, fmt.Sprintf("pid %d", holderPID)) {
		t.Fatalf("preview does not name the holder: %s", confirm.Text)
	}
	select {
	case err := <-done:
		t.Fatalf("the waiting update finished before anyone confirmed: %v", err)
	default:
	}
	h.send("interactive", h.slack.BlockAction(rita, ch.ID, confirm.TS, "action_confirm", confirmRunID(t, confirm)))
	h.messageContaining(ch.ID, "pg_terminate_backend=true")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the waiting update failed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting update is still blocked after the blocker was ended")
	}
	var status string
	if err := setup.QueryRow(ctx, "SELECT status FROM orders WHERE id = 1").Scan(&status); err != nil || status != "paid" {
		t.Fatalf("status = %q, %v", status, err)
	}
}
