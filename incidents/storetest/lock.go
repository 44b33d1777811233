package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/incident-bot/incident-bot/incidents"
)

// testTryLock: a held lock refuses a second holder at once, other names
// are independent, and release frees it.
func testTryLock(t *testing.T, st incidents.Store) {
	ctx := context.Background()
	release, err := st.TryLock(ctx, "ecs:prod/web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.TryLock(ctx, "ecs:prod/web"); !errors.Is(err, incidents.ErrLocked) {
		t.Fatalf("second holder: %v, want ErrLocked", err)
	}
	other, err := st.TryLock(ctx, "rds:prod-db")
	if err != nil {
		t.Fatalf("another name: %v", err)
	}
	other()
	release()
	again, err := st.TryLock(ctx, "ecs:prod/web")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}
