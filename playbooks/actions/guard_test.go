package actions

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// Parameters recorded with a preview come back as the playbook gave them.
func TestDecodeParamsKeepsWholeNumbers(t *testing.T) {
	p, err := decodeParams(`{"service":"web","count":15,"paths":["/a","/b"],"ratio":0.5}`)
	if err != nil {
		t.Fatal(err)
	}
	if p["count"] != 15 || p["service"] != "web" || p["ratio"] != 0.5 || len(p["paths"].([]any)) != 2 {
		t.Fatalf("params = %#v", p)
	}
}

// memRecorder keeps a timeline in memory, refusing a key used before, as
// the store does.
type memRecorder struct {
	mu   sync.Mutex
	evs  []incidents.Event
	keys map[string]bool
}

func (m *memRecorder) Record(_ context.Context, id uuid.UUID, by incidents.By, kind incidents.EventKind, text string, data map[string]string, _ ...incidents.Effect) (incidents.Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if by.Key != "" && m.keys[by.Key] {
		return incidents.Incident{}, incidents.ErrDuplicate
	}
	m.keys[by.Key] = true
	m.evs = append(m.evs, incidents.Event{IncidentID: id, Actor: by.User, Kind: kind, Text: text, Data: data})
	return incidents.Incident{}, nil
}

func (m *memRecorder) Audit(ctx context.Context, id uuid.UUID, actor string, kind incidents.EventKind, text string, data map[string]string, effs ...incidents.Effect) (incidents.Event, error) {
	_, err := m.Record(ctx, id, incidents.By{User: actor}, kind, text, data, effs...)
	return incidents.Event{}, err
}

func (m *memRecorder) Timeline(context.Context, uuid.UUID) ([]incidents.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.evs), nil
}

type groupOf []string

func (g groupOf) Is(_ context.Context, user string) (bool, error) {
	return slices.Contains(g, user), nil
}
func (g groupOf) Who() string { return "the SREs" }

// The guard's rules with its ports faked: a mutating action is previewed,
// not run; only an approver confirms; two_person refuses the asker; a
// second confirmation runs nothing.
func TestGuardRunsOnceForAnApprover(t *testing.T) {
	run := &fakeRunner{preview: Preview{Resource: "ecs:prod/web", Current: "2", Change: "2 → 4"}}
	exec := newExec(t, targetsYAML+"  two_person: true\n", run)
	rec := &memRecorder{keys: map[string]bool{}}
	g, err := NewGuard(exec, rec, groupOf{"U0BOB", "U0RITA"})
	if err != nil {
		t.Fatal(err)
	}
	inc := incidents.Incident{ID: uuid.New(), Commander: "U0RITA", ChannelID: "C1"}
	ask := Ask{Incident: inc, User: "U0RITA", Action: "ecs.scale", Params: map[string]any{"service": "web", "count": 4}, Thread: "1.1", Click: "click:1"}
	if err := g.Request(context.Background(), ask); err != nil {
		t.Fatal(err)
	}
	if run.runs != 0 {
		t.Fatal("a mutating action ran without a confirmation")
	}
	evs, _ := rec.Timeline(context.Background(), inc.ID)
	runID := evs[0].Data["run_id"]
	answer := func(user string) error {
		return g.Answer(context.Background(), Answer{Incident: inc, User: user, RunID: runID, Message: "2.2"})
	}
	for user, want := range map[string]string{"U0EVE": incidents.EFORBIDDEN, "U0RITA": incidents.EFORBIDDEN} {
		if err := answer(user); incidents.ErrorCode(err) != want {
			t.Errorf("%s confirming: %v, want %s", user, err, want)
		}
	}
	if err := answer("U0BOB"); err != nil {
		t.Fatalf("an approver other than the asker confirming: %v", err)
	}
	if err := answer("U0BOB"); incidents.ErrorCode(err) != incidents.ECONFLICT || run.runs != 1 {
		t.Errorf("a second confirmation: %v, %d runs; want a conflict and one run", err, run.runs)
	}
}
