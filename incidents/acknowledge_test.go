package incidents_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

const botUser = "U0BOT"

// pagingPolicy pages PagerDuty when nobody takes command in 5 minutes,
// and a second PagerDuty service and an SNS topic at the first
// escalation (30 minutes).
func pagingPolicy() incidents.Policy {
	return incidents.Policy{Default: incidents.Rules{
		AckTimeout: 5 * time.Minute, AckPages: []incidents.PageTarget{target("pagerduty")},
		Escalation: []incidents.Level{{After: 30 * time.Minute, Pages: []incidents.PageTarget{target("pagerduty:PD_LEADS"), target("sns:arn:aws:sns:eu-west-2:123456789012:leads")}}},
	}}
}

func target(spec string) incidents.PageTarget {
	return incidents.PageTarget{Key: spec, Name: "the " + spec, Spec: spec}
}

func newPagingWorld(t *testing.T) *timerWorld {
	t.Helper()
	w := &timerWorld{st: sqliteStore(t, filepath.Join(t.TempDir(), "t.db")), clock: &fakeClock{t: t0}}
	var err error
	if w.svc, err = incidents.NewService(incidents.ServiceOptions{Store: w.st, Clock: w.clock, Policy: pagingPolicy(), BotUser: botUser}); err != nil {
		t.Fatal(err)
	}
	if w.sched, err = incidents.NewScheduler(w.svc, nil); err != nil {
		t.Fatal(err)
	}
	return w
}

// pagesOf lists "level action" of the page effects to target, in order.
func pagesOf(t *testing.T, w *timerWorld, inc incidents.Incident, target string) []string {
	t.Helper()
	effs, err := w.st.Effects(context.Background(), "page:"+inc.ID.String()+":"+target)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range effs {
		if e.Data["dedup_key"] != incidents.DedupKey(inc.ID, e.Data["level"]) {
			t.Errorf("page %s has dedup key %q", e.Key, e.Data["dedup_key"])
		}
		out = append(out, e.Data["level"]+" "+e.Data["action"])
	}
	return out
}

func kinds(t *testing.T, w *timerWorld, inc incidents.Incident, kind incidents.EventKind) []incidents.Event {
	t.Helper()
	tl, err := w.svc.Timeline(context.Background(), inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []incidents.Event
	for _, ev := range tl {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// An alert opens an incident at 03:00 and nobody takes it: PagerDuty is
// paged at 03:05, once; someone takes command at 03:12, which
// acknowledges the page; the escalation at 03:30 pages its level; the
// resolution resolves every page sent.
func TestUnacknowledgedIncidentPages(t *testing.T) {
	w := newPagingWorld(t)
	ctx := context.Background()
	inc, _, err := w.svc.Declare(ctx, incidents.Declaration{Title: "Checkout 5xx", Severity: incidents.Sev1, Reporter: botUser})
	if err != nil {
		t.Fatal(err)
	}
	if !inc.AcknowledgedAt.IsZero() || !inc.AckDueAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("opened by an alert: acknowledged %v, ack due %v", inc.AcknowledgedAt, inc.AckDueAt)
	}
	if w.sweepAt(t, 5*time.Minute-time.Second); len(pagesOf(t, w, inc, "pagerduty")) != 0 {
		t.Fatal("paged before the acknowledgement timeout")
	}
	w.sweepAt(t, 5*time.Minute)
	w.sweepAt(t, 6*time.Minute)
	if got := pagesOf(t, w, inc, "pagerduty"); !slices.Equal(got, []string{"ack trigger"}) {
		t.Fatalf("pages after 5m: %v", got)
	}
	if n := len(kinds(t, w, inc, incidents.EventUnacknowledged)); n != 1 {
		t.Errorf("%d unacknowledged events, want 1", n)
	}

	w.clock.t = t0.Add(12 * time.Minute)
	if _, err := w.svc.SetCommander(ctx, inc.ID, incidents.By{User: "U0RITA"}, "U0RITA"); err != nil {
		t.Fatal(err)
	}
	acks := kinds(t, w, inc, incidents.EventAcknowledged)
	if len(acks) != 1 || acks[0].Actor != "U0RITA" || acks[0].Data["after"] != (12*time.Minute).String() {
		t.Fatalf("acknowledgements %+v", acks)
	}
	if got := pagesOf(t, w, inc, "pagerduty"); !slices.Equal(got, []string{"ack trigger", "ack acknowledge"}) {
		t.Errorf("pages after taking command: %v", got)
	}

	w.sweepAt(t, 30*time.Minute)
	if got := pagesOf(t, w, inc, "pagerduty:PD_LEADS"); !slices.Equal(got, []string{"escalation-1 trigger"}) {
		t.Errorf("escalation pages: %v", got)
	}
	w.clock.t = t0.Add(40 * time.Minute)
	if _, err := w.svc.SetStatus(ctx, inc.ID, incidents.By{User: "U0RITA"}, incidents.StatusResolved, "fixed"); err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string][]string{
		"pagerduty":          {"ack trigger", "ack acknowledge", "ack resolve"},
		"pagerduty:PD_LEADS": {"escalation-1 trigger", "escalation-1 resolve"},
		"sns:arn:aws:sns:eu-west-2:123456789012:leads": {"escalation-1 trigger", "escalation-1 resolve"},
	} {
		if got := pagesOf(t, w, inc, target); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", target, got, want)
		}
	}
}

// A person who declares is in command: nothing is awaited or paged. An
// incident someone takes before the timeout pages nobody.
func TestAcknowledgedIncidentsDoNotPage(t *testing.T) {
	w := newPagingWorld(t)
	ctx := context.Background()
	declared, _, err := w.svc.Declare(ctx, incidents.Declaration{Title: "Search slow", Reporter: "U0BOB"})
	if err != nil {
		t.Fatal(err)
	}
	if declared.AcknowledgedBy != "U0BOB" || !declared.AckDueAt.IsZero() {
		t.Errorf("declared by a person: acknowledged by %q, ack due %v", declared.AcknowledgedBy, declared.AckDueAt)
	}
	opened, _, err := w.svc.Declare(ctx, incidents.Declaration{Title: "Disk full", Reporter: botUser, Key: "alert:disk"})
	if err != nil {
		t.Fatal(err)
	}
	w.clock.t = t0.Add(2 * time.Minute)
	if _, err := w.svc.SetCommander(ctx, opened.ID, incidents.By{User: "U0BOB"}, "U0BOB"); err != nil {
		t.Fatal(err)
	}
	w.sweepAt(t, 10*time.Minute)
	for _, inc := range []incidents.Incident{declared, opened} {
		if got := pagesOf(t, w, inc, "pagerduty"); len(got) != 0 {
			t.Errorf("%s paged: %v", inc.Title, got)
		}
	}
}

// PagerDuty's acknowledgement (its webhook) is recorded once however
// often it is delivered; the page is acknowledged there already, so only
// the other targets would be told, and the acknowledgement timer stops.
func TestProviderAcknowledgement(t *testing.T) {
	w := newPagingWorld(t)
	ctx := context.Background()
	inc, _, err := w.svc.Declare(ctx, incidents.Declaration{Title: "Checkout 5xx", Reporter: botUser})
	if err != nil {
		t.Fatal(err)
	}
	w.sweepAt(t, 5*time.Minute)
	id, ok := incidents.IncidentOfDedupKey(incidents.DedupKey(inc.ID, incidents.LevelAck))
	if !ok || id != inc.ID {
		t.Fatalf("dedup key reads back as %v %v", id, ok)
	}
	w.clock.t = t0.Add(7 * time.Minute)
	for range 2 {
		_, err := w.svc.AcknowledgePage(ctx, id, "pd-event-1", incidents.DedupKey(inc.ID, incidents.LevelAck), "PagerDuty", "Rita Oncall")
		if err != nil && !errors.Is(err, incidents.ErrDuplicate) {
			t.Fatal(err)
		}
	}
	acks := kinds(t, w, inc, incidents.EventAcknowledged)
	if len(acks) != 1 || acks[0].Data["by"] != "PagerDuty: Rita Oncall" {
		t.Fatalf("acknowledgements %+v", acks)
	}
	if got := pagesOf(t, w, inc, "pagerduty"); !slices.Equal(got, []string{"ack trigger"}) {
		t.Errorf("pages: %v (PagerDuty is not told what it told)", got)
	}
	got, _ := w.svc.Get(ctx, inc.ID)
	if !got.AckDueAt.IsZero() || got.AcknowledgedAt.IsZero() {
		t.Errorf("after the acknowledgement: due %v, acknowledged %v", got.AckDueAt, got.AcknowledgedAt)
	}
}

// sevPolicy pages PagerDuty's CRIT service only for sev1 incidents.
func sevPolicy() incidents.Policy {
	p := pagingPolicy()
	p.Default.AckPages = nil
	sev1 := p.Default
	sev1.AckPages = []incidents.PageTarget{target("pagerduty:CRIT")}
	p.BySeverity = map[incidents.Severity]incidents.Rules{incidents.Sev1: sev1}
	return p
}

func newWorldWith(t *testing.T, p incidents.Policy) *timerWorld {
	t.Helper()
	w := newPagingWorld(t)
	var err error
	if w.svc, err = incidents.NewService(incidents.ServiceOptions{Store: w.st, Clock: w.clock, Policy: p, BotUser: botUser}); err != nil {
		t.Fatal(err)
	}
	if w.sched, err = incidents.NewScheduler(w.svc, nil); err != nil {
		t.Fatal(err)
	}
	return w
}

// What was paged is what is resolved, whatever the severity became; an
// incident raised to a severity that pages starts waiting for an
// acknowledgement then.
func TestPagesFollowTheIncidentNotTheSettings(t *testing.T) {
	w := newWorldWith(t, sevPolicy())
	ctx := context.Background()
	low, _, err := w.svc.Declare(ctx, incidents.Declaration{Title: "Queue backlog", Severity: incidents.Sev3, Reporter: botUser, Key: "a"})
	if err != nil || !low.AckDueAt.IsZero() {
		t.Fatalf("sev3 awaits an acknowledgement at %v (%v)", low.AckDueAt, err)
	}
	w.clock.t = t0.Add(time.Minute)
	raised, err := w.svc.SetSeverity(ctx, low.ID, incidents.By{User: "U0BOB"}, incidents.Sev1)
	if err != nil || !raised.AckDueAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("raised to sev1: ack due %v (%v)", raised.AckDueAt, err)
	}
	w.sweepAt(t, 5*time.Minute)
	w.clock.t = t0.Add(10 * time.Minute)
	if _, err := w.svc.SetSeverity(ctx, low.ID, incidents.By{User: "U0BOB"}, incidents.Sev3); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SetStatus(ctx, low.ID, incidents.By{User: "U0BOB"}, incidents.StatusResolved, ""); err != nil {
		t.Fatal(err)
	}
	if got := pagesOf(t, w, low, "pagerduty:CRIT"); !slices.Equal(got, []string{"ack trigger", "ack resolve"}) {
		t.Errorf("pages to CRIT: %v, want the page sent resolved", got)
	}
}

// PagerDuty's acknowledgement of the escalation's page leaves it alone
// there but acknowledges the on-call's page, still open on its service.
func TestProviderAcknowledgesOnePage(t *testing.T) {
	p := pagingPolicy()
	p.Default.Escalation = []incidents.Level{{After: 30 * time.Minute, Pages: []incidents.PageTarget{target("pagerduty:PD_LEADS")}}}
	w := newWorldWith(t, p)
	ctx := context.Background()
	inc, _, err := w.svc.Declare(ctx, incidents.Declaration{Title: "Checkout 5xx", Reporter: botUser})
	if err != nil {
		t.Fatal(err)
	}
	w.sweepAt(t, 5*time.Minute)
	w.sweepAt(t, 30*time.Minute)
	if _, err := w.svc.AcknowledgePage(ctx, inc.ID, "pd-2", incidents.DedupKey(inc.ID, "escalation-1"), "PagerDuty", "Lee Lead"); err != nil {
		t.Fatal(err)
	}
	if got := pagesOf(t, w, inc, "pagerduty"); !slices.Equal(got, []string{"ack trigger", "ack acknowledge"}) {
		t.Errorf("the on-call's page: %v", got)
	}
	if got := pagesOf(t, w, inc, "pagerduty:PD_LEADS"); !slices.Equal(got, []string{"escalation-1 trigger"}) {
		t.Errorf("the leads' page: %v", got)
	}
}
