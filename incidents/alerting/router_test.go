package alerting

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/alerts"
	"github.com/incident-bot/incident-bot/incidents/sqlite"
)

// titles matches a runbook by a word of the alert's text.
type titles map[string]string

func (m titles) Runbook(al alerts.Alert) (string, bool) {
	for word, id := range m {
		if strings.Contains(al.MatchText(), word) {
			return id, true
		}
	}
	return "", false
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// world is one store, and routers on it as processes would have them: a
// new router is a restart, two at once are replicas.
type world struct {
	t     *testing.T
	store incidents.Store
	clock *clock
}

func newWorld(t *testing.T) *world {
	st, err := sqlite.New(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "bot.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &world{t: t, store: st, clock: &clock{now: time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)}}
}

func (w *world) router() *Router {
	svc, err := incidents.NewService(incidents.ServiceOptions{Store: w.store, Clock: w.clock, BotUser: "U0BOT"})
	if err != nil {
		w.t.Fatal(err)
	}
	r, err := New(Options{Service: svc, Log: w.store, Match: titles{"5xx": "high-error-rate", "latency": "service-slow"}, BotUser: "U0BOT", Cards: true})
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

func (w *world) incidents() []incidents.Incident {
	list, err := w.store.List(context.Background(), incidents.ListFilter{})
	if err != nil {
		w.t.Fatal(err)
	}
	return list
}

// effects counts the effects of a kind in a lane.
func (w *world) effects(lane string, kind incidents.EffectKind) int {
	effs, err := w.store.Effects(context.Background(), lane)
	if err != nil {
		w.t.Fatal(err)
	}
	n := 0
	for _, e := range effs {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func alert(fp string, sev alerts.Severity, title string, labels ...string) alerts.Alert {
	l := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		l[labels[i]] = labels[i+1]
	}
	return alerts.Alert{Source: "webhook", Fingerprint: fp, Status: alerts.Firing, Severity: sev, Title: title, Labels: l,
		At: time.Date(2026, 3, 2, 2, 59, 0, 0, time.UTC)}
}

func grouped(group string, as ...alerts.Alert) []alerts.Alert {
	for i := range as {
		as[i].Group = group
	}
	return as
}

func (w *world) receive(r *Router, as ...alerts.Alert) {
	w.t.Helper()
	if err := r.Receive(context.Background(), as); err != nil {
		w.t.Fatal(err)
	}
}

func TestCorrelation(t *testing.T) {
	crit := alerts.Critical
	for _, tc := range []struct {
		name    string
		batches [][]alerts.Alert
		restart bool          // a new router for each batch
		pause   time.Duration // between batches
		want    int           // incidents
	}{
		{"one group without a runbook is one incident", [][]alerts.Alert{grouped("{}:{alertname=NodeNotReady}",
			alert("n1", crit, "node n1 not ready"), alert("n2", crit, "node n2 not ready"), alert("n3", crit, "node n3 not ready"))}, false, 0, 1},
		{"a group's later alerts join it, after a restart too", [][]alerts.Alert{
			grouped("g", alert("n1", crit, "node n1 not ready")), grouped("g", alert("n2", crit, "node n2 not ready"))}, true, time.Hour, 1},
		{"two services of one runbook are two incidents", [][]alerts.Alert{{
			alert("a", crit, "api 5xx", "service", "api"), alert("p", crit, "payments 5xx", "service", "payments")}}, false, 0, 2},
		{"one service and runbook within the window is one", [][]alerts.Alert{
			{alert("a1", crit, "api 5xx on lb", "service", "api")}, {alert("a2", crit, "api 5xx on target", "service", "api")}}, true, 10 * time.Minute, 1},
		{"one service and runbook past the window is two", [][]alerts.Alert{
			{alert("a1", crit, "api 5xx on lb", "service", "api")}, {alert("a2", crit, "api 5xx on target", "service", "api")}}, false, 31 * time.Minute, 2},
		{"one service, two runbooks, is two", [][]alerts.Alert{{
			alert("a1", crit, "api 5xx", "service", "api"), alert("a2", crit, "api latency", "service", "api")}}, false, 0, 2},
		{"no group, service nor runbook: one per condition", [][]alerts.Alert{{
			alert("x", crit, "something odd"), alert("y", crit, "something else")}}, false, 0, 2},
		{"a repeat of a condition joins its incident, after a restart too", [][]alerts.Alert{
			{alert("x", crit, "something odd")}, {alert("x", crit, "something odd")}}, true, 2 * time.Hour, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.router()
			for i, b := range tc.batches {
				if i > 0 {
					w.clock.add(tc.pause)
					if tc.restart {
						r = w.router()
					}
				}
				w.receive(r, b...)
			}
			if got := len(w.incidents()); got != tc.want {
				t.Errorf("%d incidents, want %d", got, tc.want)
			}
		})
	}
}

// Two replicas receive the same alerts at once (Alertmanager sends to
// both; a webhook without a time): one incident, whichever wins.
func TestReplicasDeclareOnce(t *testing.T) {
	w := newWorld(t)
	var wg sync.WaitGroup
	for range 2 {
		r := w.router()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 8 {
				w.receive(r, alert(fmt.Sprintf("c%d", i), alerts.Critical, fmt.Sprintf("critical %d", i)))
			}
			w.receive(r, grouped("g", alert("g1", alerts.Critical, "node g1"), alert("g2", alerts.Critical, "node g2"))...)
		}()
	}
	wg.Wait()
	if got := len(w.incidents()); got != 9 {
		t.Errorf("%d incidents from 8 alerts and a group sent to two replicas, want 9", got)
	}
}

// An incident is told once that a condition joined it, not again after a
// restart; a recovery says what still fires, and only the last one asks
// to resolve.
func TestNoticesSayWhatChanged(t *testing.T) {
	w := newWorld(t)
	a, b := alert("a", alerts.Critical, "node a not ready"), alert("b", alerts.Critical, "node b not ready")
	w.receive(w.router(), grouped("g", a)...)
	w.receive(w.router(), grouped("g", b)...)    // joins: one notice
	w.receive(w.router(), grouped("g", a, b)...) // repeats after a restart: none
	a.Status, b.Status = alerts.Resolved, alerts.Resolved
	w.receive(w.router(), grouped("g", a)...) // one recovered, b still fires
	w.receive(w.router(), grouped("g", b)...) // all recovered
	list := w.incidents()
	if len(list) != 1 {
		t.Fatalf("%d incidents", len(list))
	}
	effs, _ := w.store.Effects(context.Background(), incidents.LaneOf(list[0].ID))
	var got []string
	for _, e := range effs {
		if e.Kind != incidents.EffectNotice {
			continue
		}
		n := ReadNotice(e.Data)
		got = append(got, fmt.Sprintf("%s %s still=%d %v", n.Items[0].What, n.Items[0].Title, n.StillFiringCount, n.StillFiring))
	}
	want := []string{"joined node b not ready still=0 []", "resolved node a not ready still=1 [node b not ready]", "resolved node b not ready still=0 []"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("notices = %q\nwant %q", got, want)
	}
}

// Once stopped, the router refuses alerts (the sender retries elsewhere
// or later) instead of writing to a store about to close.
func TestStopRefuses(t *testing.T) {
	w := newWorld(t)
	r := w.router()
	r.Stop(context.Background())
	if err := r.Receive(context.Background(), []alerts.Alert{alert("x", alerts.Critical, "x")}); !errors.Is(err, ErrStopped) {
		t.Errorf("Receive after Stop = %v, want ErrStopped", err)
	}
}

// An incident declared for a condition whose alerts were never stored (a
// crash between the two, or another replica that declared first) takes
// the condition's retried delivery quietly: no "joined" notice about the
// alert that opened it, and no second incident.
func TestRetryAfterDeclareIsQuiet(t *testing.T) {
	w := newWorld(t)
	svc, err := incidents.NewService(incidents.ServiceOptions{Store: w.store, Clock: w.clock, BotUser: "U0BOT"})
	if err != nil {
		t.Fatal(err)
	}
	x := alert("x", alerts.Critical, "node x not ready")
	inc, _, err := svc.Declare(context.Background(), incidents.Declaration{Title: x.Title, Reporter: "U0BOT",
		Key: "alert:group:g:1", AlertKeys: []string{"group:g", "fp:x"}})
	if err != nil {
		t.Fatal(err)
	}
	w.receive(w.router(), grouped("g", x)...)
	if n := len(w.incidents()); n != 1 {
		t.Errorf("%d incidents, want 1", n)
	}
	if n := w.effects(incidents.LaneOf(inc.ID), incidents.EffectNotice); n != 0 {
		t.Errorf("%d notices about the alert that opened the incident", n)
	}
	if got, err := w.store.AlertIncident(context.Background(), "x"); err != nil || got.ID != inc.ID {
		t.Errorf("the retried alert is not attached: %v", err)
	}
}

// A group whose first alert joined an incident by service and runbook
// belongs to it: the group's later alerts join it past the merge window.
func TestGroupJoinedByServiceStays(t *testing.T) {
	w := newWorld(t)
	w.receive(w.router(), grouped("g1", alert("a", alerts.Critical, "api 5xx on lb", "service", "api"))...)
	w.clock.add(10 * time.Minute)
	w.receive(w.router(), grouped("g2", alert("b", alerts.Critical, "api 5xx on target", "service", "api"))...)
	w.clock.add(time.Hour)
	w.receive(w.router(), grouped("g2", alert("c", alerts.Critical, "api 5xx on canary", "service", "api"))...)
	if n := len(w.incidents()); n != 1 {
		t.Errorf("%d incidents, want the group that joined by service to stay with it", n)
	}
}

// Two replicas each hear of a different recovery at once: each decided
// that the other condition still fires, but drawn when posted, each
// notice reads the store as it is then — nothing fires, so both ask to
// resolve.
func TestFiringNowCountsTheOtherReplicasRecovery(t *testing.T) {
	w := newWorld(t)
	a, b := alert("a", alerts.Critical, "node a not ready"), alert("b", alerts.Critical, "node b not ready")
	w.receive(w.router(), grouped("g", a, b)...)
	a.Status, b.Status = alerts.Resolved, alerts.Resolved
	w.receive(w.router(), grouped("g", a)...) // replica one
	w.receive(w.router(), grouped("g", b)...) // replica two, a moment later
	inc := w.incidents()[0]
	effs, _ := w.store.Effects(context.Background(), incidents.LaneOf(inc.ID))
	r := w.router()
	for _, e := range effs {
		if e.Kind != incidents.EffectNotice {
			continue
		}
		n := ReadNotice(e.Data)
		still, err := r.FiringNow(context.Background(), inc.ID, n)
		if err != nil || len(still) != 0 {
			t.Errorf("notice %q drawn now: still firing %v (%v), want nothing", n.Items[0].Title, still, err)
		}
	}
}
