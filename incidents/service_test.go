package incidents_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/sqlite"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func newService(t *testing.T) (*incidents.Service, *fakeClock) {
	t.Helper()
	st, err := sqlite.New(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &fakeClock{t: time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)}
	svc, err := incidents.NewService(incidents.ServiceOptions{Store: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return svc, clk
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]incidents.Severity{"sev1": 1, "SEV2": 2, "s3": 3, "4": 4, "p1": 1, " sev4 ": 4} {
		if got, ok := incidents.ParseSeverity(in); !ok || got != want {
			t.Errorf("ParseSeverity(%q) = %v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "sev0", "sev5", "sev12", "high", "s", "sevsev1"} {
		if got, ok := incidents.ParseSeverity(in); ok {
			t.Errorf("ParseSeverity(%q) = %v, want rejection", in, got)
		}
	}
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	svc, clk := newService(t)
	inc, created, err := svc.Declare(ctx, incidents.Declaration{Title: " DB down ", Reporter: "U1", Key: "k1"})
	if err != nil || !created {
		t.Fatalf("declare: %v %v", created, err)
	}
	if inc.Severity != incidents.DefaultSeverity || inc.Status != incidents.StatusInvestigating || inc.Commander != "U1" || inc.Title != "DB down" || inc.Number != 1 {
		t.Fatalf("declared = %+v", inc)
	}
	again, created, err := svc.Declare(ctx, incidents.Declaration{Title: "DB down", Reporter: "U1", Key: "k1"})
	if err != nil || created || again.ID != inc.ID {
		t.Fatalf("repeat declare: %+v %v %v", again, created, err)
	}

	clk.t = clk.t.Add(10 * time.Minute)
	if inc, err = svc.PostUpdate(ctx, inc.ID, incidents.By{User: "U1"}, "looking at pg_stat_activity"); err != nil || !inc.LastStatusUpdateAt.Equal(clk.t) {
		t.Fatalf("update: %v, last update %v", err, inc.LastStatusUpdateAt)
	}
	if _, err = svc.SetStatus(ctx, inc.ID, incidents.By{User: "U1"}, incidents.StatusMitigated, "killed the blocker"); err != nil {
		t.Fatal(err)
	}
	if _, err = svc.SetStatus(ctx, inc.ID, incidents.By{User: "U1"}, incidents.StatusInvestigating, "it is back"); err != nil {
		t.Fatalf("mitigated → investigating must be allowed: %v", err)
	}
	clk.t = clk.t.Add(20 * time.Minute)
	if inc, err = svc.SetStatus(ctx, inc.ID, incidents.By{User: "U2", Approver: true}, incidents.StatusResolved, "index added"); err != nil {
		t.Fatal(err)
	}
	if inc.Duration(clk.t.Add(time.Hour)) != 30*time.Minute || inc.Summary != "index added" {
		t.Fatalf("resolved = %+v", inc)
	}

	before, _ := svc.Timeline(ctx, inc.ID)
	refused := []func() error{
		func() error {
			_, err := svc.SetStatus(ctx, inc.ID, incidents.By{User: "U2"}, incidents.StatusResolved, "")
			return err
		},
		func() error {
			_, err := svc.SetStatus(ctx, inc.ID, incidents.By{User: "U2"}, incidents.StatusInvestigating, "")
			return err
		},
		func() error { _, err := svc.PostUpdate(ctx, inc.ID, incidents.By{User: "U2"}, "more"); return err },
		func() error {
			_, err := svc.SetSeverity(ctx, inc.ID, incidents.By{User: "U2"}, incidents.Sev1)
			return err
		},
		func() error { _, err := svc.SetCommander(ctx, inc.ID, incidents.By{User: "U2"}, "U3"); return err },
	}
	for i, f := range refused {
		if err := f(); incidents.ErrorCode(err) != incidents.ECONFLICT {
			t.Errorf("change %d on a resolved incident: %v, want a conflict", i, err)
		}
	}
	after, _ := svc.Timeline(ctx, inc.ID)
	if len(after) != len(before) {
		t.Fatalf("refused changes wrote %d events", len(after)-len(before))
	}
	kinds := []incidents.EventKind{incidents.EventDeclared, incidents.EventStatusUpdate, incidents.EventMitigated, incidents.EventReopened, incidents.EventResolved}
	for i, k := range kinds {
		if after[i].Kind != k {
			t.Fatalf("event %d = %s, want %s", i, after[i].Kind, k)
		}
	}
	if after[4].Actor != "U2" || after[4].Data["from"] != "investigating" {
		t.Errorf("resolution event = %+v", after[4])
	}
}

func TestInvalidInput(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	for name, d := range map[string]incidents.Declaration{
		"no title":     {Reporter: "U1"},
		"bad severity": {Title: "x", Severity: 7, Reporter: "U1"},
		"no reporter":  {Title: "x"},
	} {
		if _, _, err := svc.Declare(ctx, d); incidents.ErrorCode(err) != incidents.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	inc, _, _ := svc.Declare(ctx, incidents.Declaration{Title: "x", Reporter: "U1", Severity: incidents.Sev2})
	if _, err := svc.SetSeverity(ctx, inc.ID, incidents.By{User: "U1"}, incidents.Sev2); incidents.ErrorCode(err) != incidents.ECONFLICT {
		t.Errorf("same severity: %v", err)
	}
	if _, err := svc.SetStatus(ctx, inc.ID, incidents.By{User: "U1"}, incidents.StatusInvestigating, ""); incidents.ErrorCode(err) != incidents.ECONFLICT {
		t.Errorf("same status: %v", err)
	}
	if _, err := svc.PostUpdate(ctx, inc.ID, incidents.By{User: "U1"}, "  "); incidents.ErrorCode(err) != incidents.EINVALID {
		t.Errorf("empty update: %v", err)
	}
	_, err := svc.PostUpdate(ctx, [16]byte{1}, incidents.By{User: "U1"}, "x")
	if !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("unknown incident: %v", err)
	}
}

// A request Slack delivers twice (same key) changes the incident once.
func TestKeyedChangeHappensOnce(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	inc, _, _ := svc.Declare(ctx, incidents.Declaration{Title: "x", Reporter: "U1"})
	by := incidents.By{User: "U1", Key: "view:V1"}
	if _, err := svc.PostUpdate(ctx, inc.ID, by, "first"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PostUpdate(ctx, inc.ID, by, "first"); !errors.Is(err, incidents.ErrDuplicate) {
		t.Fatalf("repeat: %v, want ErrDuplicate", err)
	}
	evs, _ := svc.Timeline(ctx, inc.ID)
	if len(evs) != 2 {
		t.Fatalf("%d events, want declared + one update", len(evs))
	}
}
