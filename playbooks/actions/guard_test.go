package actions

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/alerts"
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
	effs [][]incidents.Effect // given with each event
	keys map[string]bool
}

func (m *memRecorder) Record(_ context.Context, id uuid.UUID, by incidents.By, kind incidents.EventKind, text string, data map[string]string, effs ...incidents.Effect) (incidents.Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if by.Key != "" && m.keys[by.Key] {
		return incidents.Incident{}, incidents.ErrDuplicate
	}
	m.keys[by.Key] = true
	m.evs = append(m.evs, incidents.Event{IncidentID: id, Actor: by.User, Kind: kind, Text: text, Data: data})
	m.effs = append(m.effs, effs)
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

// checkRunner is a read-only action that read a metric, or failed.
type checkRunner struct{ err error }

func (checkRunner) Preview(context.Context, Request) (Preview, error) { return Preview{}, nil }

func (c checkRunner) Run(context.Context, Request) (Result, error) {
	return Result{Summary: "running 4 of 4", Metrics: []Metric{{Label: "CPU of web", Region: "eu-west-2", Namespace: "AWS/ECS", Metric: "CPUUtilization",
		Dimensions: [][2]string{{"ClusterName", "prod"}, {"ServiceName", "web"}}, Stat: "Average", Period: 60, Unit: "Percent"}}}, c.err
}

// A check's metrics become graphs under its result: on the incident's
// graph lane (never holding up the result), in the card's thread, named
// after the result's post, which the recorder binds. A failed check
// draws nothing.
func TestGuardDrawsCheckMetrics(t *testing.T) {
	for _, failed := range []bool{false, true} {
		reg := NewRegistry()
		var runErr error
		if failed {
			runErr = &Error{Code: "AccessDenied", Message: "no"}
		}
		if err := reg.Register("ecs.service_status", checkRunner{err: runErr}); err != nil {
			t.Fatal(err)
		}
		tg, _ := ParseTargets("targets.yaml", []byte(targetsYAML))
		exec, _ := NewExecutor(reg, tg, nil)
		rec := &memRecorder{keys: map[string]bool{}}
		g, _ := NewGuard(exec, rec, groupOf{"U0BOB"})
		inc := incidents.Incident{ID: uuid.New(), ChannelID: "C1"}
		ask := Ask{Incident: inc, User: "U0EVE", Action: "ecs.service_status", Params: map[string]any{"service": "web"}, Thread: "1.1", Click: "c"}
		if err := g.Request(context.Background(), ask); err != nil {
			t.Fatal(err)
		}
		effs := rec.effs[len(rec.effs)-1] // the finished event's
		if effs[0].Kind != incidents.EffectPost {
			t.Fatalf("first effect %+v: want the result's post", effs[0])
		}
		graphs := effs[1:]
		if failed {
			if len(graphs) != 0 {
				t.Errorf("a failed check drew %+v", graphs)
			}
			continue
		}
		if len(graphs) != 1 {
			t.Fatalf("effects %+v: want the post and one graph", effs)
		}
		e := graphs[0]
		gr := alerts.DecodeGraph(e.Data["graph"])
		if e.Kind != incidents.EffectGraph || e.Lane != incidents.GraphLane(inc.ID) || e.Data["why"] != "check" ||
			e.Data["thread_key"] != incidents.ThreadOfPost || e.Data["thread"] != "1.1" || gr == nil {
			t.Fatalf("graph effect %+v", e)
		}
		if gr.Kind != "cloudwatch" || gr.Region != "eu-west-2" || gr.Namespace != "AWS/ECS" || gr.Metric != "CPUUtilization" || gr.Stat != "Average" ||
			gr.Period != 60 || len(gr.Dimensions) != 2 || gr.Dimensions[1] != [2]string{"ServiceName", "web"} ||
			gr.Label != "CPU of web" || gr.Check != "ecs.service_status" || gr.Unit != "Percent" {
			t.Errorf("graph %+v", gr)
		}
	}
}
