package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/paging/pagertest"
	"github.com/incident-bot/incident-bot/internal/testclock"
)

const (
	onCallKey  = "R0ONCALL0123456789abcdef01234567"
	leadsKey   = "R0LEADS00123456789abcdef01234567"
	pdHookKey  = "pd-webhook-secret-0123"
	pageAlert  = `{"title":"web-1 scheduled for retirement","text":"EC2 instance i-0abc is scheduled for retirement","severity":"critical","fingerprint":"ec2-retire-web-1"}`
	pageWindow = 10 * time.Second
)

// pdEvents lists "action dedup_key routing_key" of what the fake
// PagerDuty accepted.
func pdEvents(pd *pagertest.Server) []string {
	var out []string
	for _, e := range pd.Events() {
		out = append(out, e.Action+" "+e.DedupKey+" "+e.RoutingKey)
	}
	return out
}

// An alert at 04:02 opens an incident nobody takes: PagerDuty is paged at
// 04:07 with the channel's link; the on-call acknowledges in PagerDuty
// (its signed webhook; unsigned and wrongly signed ones are refused and
// change nothing); the escalation at 04:32 pages the leads' service; the
// resolution resolves both pages. The bot restarts between every step;
// nothing is lost or sent twice, and a second replica sweeping the same
// moments pages nothing more.
func TestPagingAtNight(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		pd := pagertest.New(t)
		h := newHarness(t, kind, map[string]string{"ALERT_WEBHOOK_SECRET": testAlertSecret,
			"ACK_PAGE": "pagerduty", "ESCALATION_PAGE": "pagerduty:PAGERDUTY_ROUTING_KEY_LEADS",
			"PAGERDUTY_ROUTING_KEY": onCallKey, "PAGERDUTY_ROUTING_KEY_LEADS": leadsKey,
			"PAGERDUTY_EVENTS_URL": pd.URL(), "PAGERDUTY_WEBHOOK_SECRET": pdHookKey})
		h.stop()
		clock := testclock.New(time.Date(2026, 12, 5, 4, 2, 0, 0, time.UTC))
		h.clock = clock
		h.start()
		restart := func() { h.settled(); h.stop(); h.start() }
		store := h.openStore(t)

		if code := h.postAlert("/alerts/webhook", pageAlert); code != 200 {
			t.Fatalf("alert: HTTP %d", code)
		}
		inc := h.onlyIncident(store)
		intro := h.messageContaining(inc.ChannelID, "Opened automatically")
		if !strings.Contains(string(intro.Blocks), "incident_take_command") {
			t.Errorf("the opening message has no Take command button: %s", intro.Blocks)
		}
		restart()
		clock.Advance(5*time.Minute - time.Second)
		h.settled()
		if got := pdEvents(pd); len(got) != 0 {
			t.Fatalf("paged before 5 minutes: %v", got)
		}
		clock.Advance(time.Second)
		ackKey := incidents.DedupKey(inc.ID, incidents.LevelAck)
		first := pd.WaitEvents(t, 1, pageWindow)[0]
		if first.Action != "trigger" || first.DedupKey != ackKey || first.RoutingKey != onCallKey || first.Severity != "error" ||
			!strings.Contains(first.Summary, "web-1 scheduled for retirement") || len(first.Links) != 1 ||
			first.Links[0].Href != "https://slack.com/app_redirect?channel="+inc.ChannelID {
			t.Errorf("the page: %+v", first)
		}
		h.messageContaining(inc.ChannelID, "nobody has taken command 5m after it was opened")
		h.messageContaining(inc.ChannelID, "Page trigger (ack) sent to PagerDuty")
		replica := newReplica(t, h)
		if res, err := replica.sched.Sweep(context.Background(), clock.Now()); err != nil || res.Fired != 0 {
			t.Errorf("a second replica fired %d timers (%v)", res.Fired, err)
		}
		restart()

		hook := "http://" + h.httpAddr + "/pagerduty/webhook"
		for secret, want := range map[string]int{"": 401, "not-the-secret": 401} {
			if code, err := pagertest.SendWebhook(hook, secret, "incident.acknowledged", ackKey, "Mallory"); err != nil || code != want {
				t.Errorf("webhook signed with %q: HTTP %d (%v), want %d", secret, code, err, want)
			}
		}
		garbled := []byte(`{"event":`)
		if code := postSigned(t, hook, garbled); code != 400 {
			t.Errorf("a signed but garbled webhook: HTTP %d, want 400", code)
		}
		for range 2 { // PagerDuty redelivers
			if code, err := pagertest.SendWebhook(hook, pdHookKey, "incident.acknowledged", ackKey, "Rita Oncall"); err != nil || code/100 != 2 {
				t.Fatalf("signed webhook: HTTP %d (%v)", code, err)
			}
		}
		h.messageContaining(inc.ChannelID, "Rita Oncall acknowledged the page in PagerDuty")
		restart()

		clock.Advance(25 * time.Minute)
		escKey := incidents.DedupKey(inc.ID, "escalation-1")
		if got := pd.WaitEvents(t, 2, pageWindow)[1]; got.Action != "trigger" || got.DedupKey != escKey || got.RoutingKey != leadsKey {
			t.Errorf("the escalation's page: %+v", got)
		}
		restart()

		h.slash(bob, inc.ChannelID, "resolve instance replaced")
		pd.WaitEvents(t, 4, pageWindow)
		restart()
		want := []string{"trigger " + ackKey + " " + onCallKey, "trigger " + escKey + " " + leadsKey,
			"resolve " + ackKey + " " + onCallKey, "resolve " + escKey + " " + leadsKey}
		got := pdEvents(pd)
		if len(got) == len(want) {
			slices.Sort(got[2:]) // the two resolutions go out at once, on their own lanes
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("PagerDuty got\n%v\nwant\n%v", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		tl, err := store.Timeline(context.Background(), inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		count := map[incidents.EventKind]int{}
		for _, ev := range tl {
			count[ev.Kind]++
			if ev.Kind == incidents.EventAcknowledged && ev.Data["by"] != "PagerDuty: Rita Oncall" {
				t.Errorf("acknowledged by %q", ev.Data["by"])
			}
		}
		if count[incidents.EventAcknowledged] != 1 || count[incidents.EventUnacknowledged] != 1 || count[incidents.EventPaged] != 4 {
			t.Errorf("timeline counts %v: want 1 acknowledgement, 1 unacknowledged, 4 pages", count)
		}
		if strings.Contains(h.logs.String(), onCallKey) || strings.Contains(h.logs.String(), pdHookKey) {
			t.Error("a routing key or the webhook secret reached the logs")
		}
	})
}

// /incident page: the on-call once (again is refused with the reason),
// a person (invited and called in the channel), a user group; someone
// uninvolved may not page for an incident that has a commander.
func TestPageOnDemand(t *testing.T) {
	pd := pagertest.New(t)
	h := newHarness(t, "sqlite", map[string]string{"ACK_PAGE": "pagerduty",
		"PAGERDUTY_ROUTING_KEY": onCallKey, "PAGERDUTY_EVENTS_URL": pd.URL()})
	dave := "U0DAVE0001"
	h.slack.AddUser(dave, "dave")
	inc, ch := h.declare(rita, "start sev1 Payments failing", "Payments failing")
	h.slash(dave, ch.ID, "page")
	h.responseContaining("Only the commander of #1 or an approver may page")
	pd.Fail(1, 500) // PagerDuty has a bad moment: retried, and the channel is told at once
	h.slash(rita, ch.ID, "page")
	h.messageContaining(ch.ID, "through PagerDuty did not go through")
	if got := pd.WaitEvents(t, 1, pageWindow)[0]; got.Action != "trigger" || got.DedupKey != incidents.DedupKey(inc.ID, incidents.LevelAck) || got.Severity != "critical" {
		t.Errorf("the page: %+v", got)
	}
	h.messageContaining(ch.ID, "paged PagerDuty: you are needed on SEV1")
	h.slash(rita, ch.ID, "page")
	h.responseContaining("The on-call was paged already")
	h.slash(rita, ch.ID, "page <@"+dave+"|dave>")
	h.messageContaining(ch.ID, "paged <@"+dave+">")
	h.eventually("dave invited", func() bool {
		c, _ := h.slack.Channel(ch.ID)
		return slices.Contains(c.Members, dave)
	})
	h.slash(rita, ch.ID, "page <!subteam^S0DBONCALL|@db-oncall>")
	h.messageContaining(ch.ID, "paged <!subteam^S0DBONCALL>")
	if ack := h.slash(rita, ch.ID, "page tomorrow"); !strings.Contains(string(ack.Payload), "is not a person or a user group") {
		t.Errorf("a page of nobody: %s", ack.Payload)
	}
	h.settled()
	if n := len(pd.Events()); n != 1 {
		t.Errorf("PagerDuty got %d events, want the one page", n)
	}
}

// postSigned posts body to url signed as PagerDuty would.
func postSigned(t *testing.T, url string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("X-PagerDuty-Signature", pagertest.Sign(body, pdHookKey))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
