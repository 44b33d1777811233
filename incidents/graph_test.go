package incidents_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/sqlite"
)

// A graph given with an event names the post given with it as
// ThreadOfPost: bound, it names that post's key, which the caller could
// not know. The other effects' keys are as before, and the caller's data
// is left as it was given.
func TestGraphNamesThePostBoundWithIt(t *testing.T) {
	ctx := context.Background()
	st, svc := graphService(t)
	inc, _, err := svc.Declare(ctx, incidents.Declaration{Title: "DB down", Reporter: "U1", Key: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	graph := map[string]string{"graph": `{"kind":"cloudwatch"}`, "why": "check", "thread_key": incidents.ThreadOfPost, "thread": "1.1"}
	ev, err := svc.Audit(ctx, inc.ID, "U1", incidents.EventActionFinished, "ran", map[string]string{},
		incidents.Effect{Kind: incidents.EffectPost, Data: map[string]string{"to": incidents.ToThread, "thread": "1.1"}},
		incidents.Effect{Lane: incidents.GraphLane(inc.ID), Kind: incidents.EffectGraph, Data: graph},
		incidents.Effect{Lane: incidents.GraphLane(inc.ID), Kind: incidents.EffectGraph, Data: map[string]string{"thread_key": "other"}})
	if err != nil {
		t.Fatal(err)
	}
	post := ev.ID.String() + ":0:post"
	if _, state, err := svc.EffectResult(ctx, incidents.LaneOf(inc.ID), post); err != nil || state != incidents.EffectPending {
		t.Fatalf("the post %s: %q %v", post, state, err)
	}
	recs, err := st.Effects(ctx, incidents.GraphLane(inc.ID))
	if err != nil || len(recs) != 2 {
		t.Fatalf("graphs %+v %v", recs, err)
	}
	for i, want := range []string{post, "other"} {
		r := recs[i]
		if r.Key != ev.ID.String()+":"+string(rune('1'+i))+":graph" || r.Data["thread_key"] != want || r.IncidentID != inc.ID {
			t.Errorf("graph %d: key %s, thread_key %q, incident %s; want thread_key %q", i, r.Key, r.Data["thread_key"], r.IncidentID, want)
		}
	}
	if graph["thread_key"] != incidents.ThreadOfPost || !strings.HasPrefix(recs[0].Data["graph"], `{"kind"`) {
		t.Errorf("the caller's data was changed, or the graph lost: %v, %+v", graph, recs[0].Data)
	}
}

// A notice of an alert storm brings the graphs of its first few alerts,
// not one per alert: fifty renders and uploads in one thread would be
// noise and rate limits.
func TestNoticeGraphsBounded(t *testing.T) {
	ctx := context.Background()
	st, svc := graphService(t)
	inc, _, err := svc.Declare(ctx, incidents.Declaration{Title: "Storm", Reporter: "U1", Key: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	var evs []incidents.Event
	for i := range 50 {
		evs = append(evs, incidents.Event{Kind: incidents.EventAlert, Actor: incidents.ActorBot, Text: "joined",
			Data: map[string]string{"graph": `{"kind":"cloudwatch","alarm":"a` + strings.Repeat("x", i) + `"}`, "status": "firing"}})
	}
	if err := svc.Tell(ctx, inc.ID, "notice:storm", evs, incidents.Effect{Key: "notice:storm", Kind: incidents.EffectNotice, Data: map[string]string{}}); err != nil {
		t.Fatal(err)
	}
	graphs, err := st.Effects(ctx, incidents.GraphLane(inc.ID))
	if err != nil || len(graphs) != 3 {
		t.Errorf("%d graphs for a notice of 50 alerts (%v), want 3", len(graphs), err)
	}
}

// graphService is a service over a fresh embedded store.
func graphService(t *testing.T) (incidents.Store, *incidents.Service) {
	t.Helper()
	st, err := sqlite.New(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := incidents.NewService(incidents.ServiceOptions{Store: st, Clock: &fakeClock{t: time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	return st, svc
}
