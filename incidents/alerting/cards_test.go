package alerting

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/alerts"
)

func warnings(group string, n int) []alerts.Alert {
	var out []alerts.Alert
	for i := range n {
		out = append(out, alert(fmt.Sprintf("w%d", i), alerts.Warning, fmt.Sprintf("cache %d hit rate low", i)))
	}
	return grouped(group, out...)
}

// Warnings of one problem share one card: posted once, redrawn in place
// by later alerts — also after a restart and from another replica — and
// left alone for a day once a person decided.
func TestOneCardPerProblem(t *testing.T) {
	w := newWorld(t)
	r := w.router()
	lane := cardLane("group:cache")
	w.receive(r, warnings("cache", 50)...)
	if posts, updates := w.effects(lane, incidents.EffectTriage), w.effects(lane, incidents.EffectTriageUpdate); posts != 1 || updates != 0 {
		t.Fatalf("50 warnings in one group: %d cards, %d redraws; want 1 card", posts, updates)
	}
	w.clock.add(time.Minute)
	w.receive(w.router(), warnings("cache", 3)...) // after a restart
	w.receive(w.router(), warnings("cache", 3)...) // another replica
	if posts, updates := w.effects(lane, incidents.EffectTriage), w.effects(lane, incidents.EffectTriageUpdate); posts != 1 || updates != 2 {
		t.Errorf("after two more batches: %d cards, %d redraws; want 1 card redrawn twice", posts, updates)
	}
	c, err := r.Card(context.Background(), map[string]string{"card": "group:cache", "epoch": "1", "since": w.clock.Now().Add(-time.Minute).Format(time.RFC3339Nano)})
	if err != nil || c.Count != 56 || c.Total != 50 || c.Firing != 50 || len(c.Latest) != CardLines || c.First["title"] != "cache 0 hit rate low" {
		t.Errorf("card = %+v, %v; want 56 alerts of 50 conditions, all firing, headed by the first", c, err)
	}

	// A person dismisses it: the problem is counted, not carded, for a day.
	if err := r.Decide(context.Background(), Click{Card: "group:cache", Decision: DecideDismiss, User: "U0BOB", Channel: "C1", TS: "1.1"}); err != nil {
		t.Fatal(err)
	}
	w.clock.add(time.Hour)
	w.receive(w.router(), warnings("cache", 1)...)
	if posts, updates := w.effects(lane, incidents.EffectTriage), w.effects(lane, incidents.EffectTriageUpdate); posts != 1 || updates != 2 {
		t.Errorf("after a dismissal: %d cards, %d redraws; want no change", posts, updates)
	}
	w.clock.add(TriageWindow)
	w.receive(w.router(), warnings("cache", 1)...)
	if posts := w.effects(lane, incidents.EffectTriage); posts != 2 {
		t.Errorf("a day after the dismissal: %d cards, want a second", posts)
	}
}

// A card whose alerts all resolve is redrawn settled.
func TestCardSettlesWhenResolved(t *testing.T) {
	w := newWorld(t)
	r := w.router()
	ws := warnings("disk", 2)
	w.receive(r, ws...)
	since := w.clock.Now()
	for i := range ws {
		ws[i].Status = alerts.Resolved
	}
	w.receive(r, ws[0])
	c, err := r.Card(context.Background(), map[string]string{"card": "group:disk", "epoch": "1", "since": since.Format(time.RFC3339Nano)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Settled() {
		t.Errorf("settled with one of two conditions firing: %+v", c)
	}
	w.receive(r, ws[1])
	if n := w.effects(cardLane("group:disk"), incidents.EffectTriageUpdate); n != 2 {
		t.Errorf("%d redraws for two recoveries, want 2", n)
	}
	c, _ = r.Card(context.Background(), map[string]string{"card": "group:disk", "epoch": "1", "since": since.Format(time.RFC3339Nano)})
	if !c.Settled() {
		t.Errorf("not settled with every condition resolved: %+v", c)
	}
}

// Declaring from a card opens one incident for the problem: the card's
// conditions belong to it, and their repeats are not news to it.
func TestDeclareFromCard(t *testing.T) {
	w := newWorld(t)
	r := w.router()
	w.receive(r, warnings("db", 3)...)
	click := Click{Card: "group:db", Decision: DecideDeclare, User: "U0BOB", Channel: "C1", TS: "2.2"}
	for range 2 { // a double click
		if err := r.Decide(context.Background(), click); err != nil {
			t.Fatal(err)
		}
	}
	list := w.incidents()
	if len(list) != 1 || list[0].Reporter != "U0BOB" {
		t.Fatalf("incidents = %+v, want one reported by the clicker", list)
	}
	w.receive(w.router(), warnings("db", 3)...)
	w.receive(r, grouped("db", alert("new", alerts.Critical, "db down"))...)
	if got := len(w.incidents()); got != 1 {
		t.Errorf("%d incidents after the problem fired again, want 1", got)
	}
	effs, _ := w.store.Effects(context.Background(), incidents.LaneOf(list[0].ID))
	notices := 0
	for _, e := range effs {
		if e.Kind == incidents.EffectNotice {
			notices++
			if n := ReadNotice(e.Data); len(n.Items) != 1 || n.Items[0].Title != "db down" {
				t.Errorf("notice = %+v; want only the new condition", n)
			}
		}
	}
	if notices != 1 {
		t.Errorf("%d notices, want 1 (the new condition)", notices)
	}
}

// A delivery of many unrelated warnings posts MaxNewCards cards and puts
// the rest on one shared card, which counts them.
func TestManyProblemsShareACard(t *testing.T) {
	w := newWorld(t)
	r := w.router()
	var ws []alerts.Alert
	for i := range 1500 {
		ws = append(ws, alert(fmt.Sprintf("u%d", i), alerts.Warning, fmt.Sprintf("unrelated warning %d", i)))
	}
	w.receive(r, ws...)
	bl, err := w.store.Backlog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	last, err := w.store.LatestAlert(context.Background(), "u1499")
	if err != nil {
		t.Fatal(err)
	}
	fold := last.Card
	if bl.Effects != MaxNewCards+1 || !strings.HasPrefix(fold, "fold:") || w.effects(cardLane(fold), incidents.EffectTriage) != 1 {
		t.Fatalf("%d cards owed for 1,500 unrelated warnings (the last on %q), want %d, one of them shared", bl.Effects, fold, MaxNewCards+1)
	}
	c, err := r.Card(context.Background(), map[string]string{"card": fold, "epoch": "1", "since": w.clock.Now().Format(time.RFC3339Nano)})
	if err != nil || c.Total != 1500-MaxNewCards {
		t.Errorf("the shared card counts %d conditions (%v), want %d", c.Total, err, 1500-MaxNewCards)
	}
}

// A delivery that brings a problem's recovery before another condition's
// firing still cards the firing one.
func TestResolvedFirstStillCards(t *testing.T) {
	w := newWorld(t)
	x, y := alert("x", alerts.Warning, "disk x"), alert("y", alerts.Warning, "disk y")
	x.Status = alerts.Resolved
	w.receive(w.router(), grouped("disk", x, y)...)
	if n := w.effects(cardLane("group:disk"), incidents.EffectTriage); n != 1 {
		t.Errorf("%d cards, want 1 for the firing condition", n)
	}
}

// The shared card of a storm takes decisions like any other.
func TestSharedCardTakesDecisions(t *testing.T) {
	w := newWorld(t)
	r := w.router()
	var ws []alerts.Alert
	for i := range MaxNewCards + 5 {
		ws = append(ws, alert(fmt.Sprintf("s%d", i), alerts.Warning, fmt.Sprintf("storm warning %d", i)))
	}
	w.receive(r, ws...)
	last, err := w.store.LatestAlert(context.Background(), fmt.Sprintf("s%d", MaxNewCards+4))
	if err != nil || !strings.HasPrefix(last.Card, "fold:") {
		t.Fatalf("last warning on card %q (%v), want the shared one", last.Card, err)
	}
	if err := r.Decide(context.Background(), Click{Card: last.Card, Decision: DecideDismiss, User: "U0BOB", Channel: "C1", TS: "9.9"}); err != nil {
		t.Errorf("dismissing the shared card: %v", err)
	}
}

// After a problem is declared from its card, a new condition of it
// belongs to the incident and is told to it.
func TestNewConditionJoinsTheDeclaredIncident(t *testing.T) {
	w := newWorld(t)
	r := w.router()
	w.receive(r, grouped("db", alert("d1", alerts.Warning, "db slow"))...)
	if err := r.Decide(context.Background(), Click{Card: "group:db", Decision: DecideDeclare, User: "U0BOB", Channel: "C1", TS: "3.3"}); err != nil {
		t.Fatal(err)
	}
	w.receive(w.router(), grouped("db", alert("d2", alerts.Warning, "db connections high"))...)
	list := w.incidents()
	if len(list) != 1 {
		t.Fatalf("%d incidents", len(list))
	}
	if got, err := w.store.AlertIncident(context.Background(), "d2"); err != nil || got.ID != list[0].ID {
		t.Errorf("the new condition is not the incident's: %v", err)
	}
	if n := w.effects(incidents.LaneOf(list[0].ID), incidents.EffectNotice); n != 1 {
		t.Errorf("%d notices of the new condition, want 1", n)
	}
}
