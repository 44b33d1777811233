package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/bot/slacktest"
	"github.com/incident-bot/incident-bot/incidents"
)

// A 60-second storm of HTTP 429 on every Web API method: what the team
// does meanwhile (declarations, updates, a reminder and an escalation,
// warnings) is acknowledged and recorded at once, and delivered once
// Slack lets the bot through again — all of it, nothing twice.
func TestRateLimitStormDeliversEverything(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		t.Parallel()
		h := newHarness(t, kind, map[string]string{"ALERT_WEBHOOK_SECRET": testAlertSecret, "ESCALATION_USERGROUP": "S0ONCALL1"})
		inc, ch := h.declare(rita, "start sev1 Before the storm", "Before the storm")
		h.settled()
		replica := newReplica(t, h)
		until := time.Now().Add(60 * time.Second)
		h.slack.Inject(slacktest.Fault{Method: "*", Kind: slacktest.RateLimited, RetryAfter: 5 * time.Second, Until: until})

		titles := []string{"Storm one", "Storm two", "Storm three"}
		for _, title := range titles {
			if ack := h.slash(rita, h.general, "start sev2 "+title); len(ack.Payload) == 0 {
				t.Fatalf("declaration %q not acknowledged with its confirmation", title)
			}
		}
		for i := range 3 {
			h.slash(rita, ch.ID, fmt.Sprintf("update storm note %d", i))
		}
		st := h.openStore(t)
		h.eventually("the declarations recorded", func() bool {
			incs, err := st.List(context.Background(), incidents.ListFilter{})
			return err == nil && len(incs) == 4
		})
		if _, err := replica.sched.Sweep(context.Background(), inc.DeclaredAt.Add(31*time.Minute)); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if code := h.postAlert("/alerts/webhook", fmt.Sprintf(`{"title":"storm warning %d","severity":"warning","fingerprint":"sw-%d"}`, i, i)); code != 200 {
				t.Fatalf("warning: HTTP %d", code)
			}
		}
		// Delivery is asynchronous: wait for the first call to meet the
		// storm rather than assume one already has.
		h.eventually("a call to meet the storm", func() bool { return h.slack.RateLimitedCount("*") > 0 })
		time.Sleep(time.Until(until)) // the storm's own length, not a guess at the bot's
		h.eventuallyWithin(90*time.Second, "everything delivered", h.nothingOwed())

		incs, _ := st.List(context.Background(), incidents.ListFilter{})
		if len(incs) != 4 {
			t.Fatalf("%d incidents, want 4", len(incs))
		}
		for _, i := range incs {
			if i.ChannelID == "" || i.HeaderTS == "" {
				t.Errorf("incident %s not set up: %+v", i.Ref(), i)
			}
		}
		// The sweep at 31 minutes escalates every incident: all were
		// declared within a minute.
		once := map[string][]string{
			h.announce: {"Warning alert: storm warning 0", "Warning alert: storm warning 1", "*Before the storm* (SEV1) escalated to level 1"},
			ch.ID:      {"storm note 0", "storm note 1", "storm note 2", "no status update for 31m", "<!subteam^S0ONCALL1>"},
		}
		for _, title := range titles {
			once[h.announce] = append(once[h.announce], "declared: *"+title+"*", "*"+title+"* (SEV2) escalated to level 1")
		}
		for channel, texts := range once {
			for _, s := range texts {
				if n := h.count(channel, s); n != 1 {
					t.Errorf("%q posted %d times in %s, want once", s, n, channel)
				}
			}

		}
		if n := len(h.slack.Channels()); n != 2+4 {
			t.Errorf("%d channels, want general, incidents and one per incident", n)
		}
	})
}

// With apps.connections.open failing for a minute, the socket is back
// within 10 seconds of Slack recovering (not after a backoff of minutes).
func TestReconnectsSoonAfterConnectionsOpenRecovers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite", nil)
	until := time.Now().Add(60 * time.Second)
	h.slack.Inject(slacktest.Fault{Method: "apps.connections.open", Kind: slacktest.ServerError, Until: until})
	before := h.slack.Connections()
	h.slack.DropConnection()
	h.eventuallyWithin(90*time.Second, "reconnected", func() bool { return h.slack.Connections() > before })
	if late := time.Since(until); late > 10*time.Second {
		t.Fatalf("reconnected %v after apps.connections.open recovered, want within 10s", late.Round(time.Millisecond))
	}
	h.declare(rita, "start After the outage", "After the outage")
}

// Socket disconnects (refresh_requested, warning, network loss) reconnect
// by themselves and the bot keeps working.
func TestReconnects(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	for i, drop := range []func(){
		func() { _ = h.slack.Disconnect("refresh_requested") },
		func() { _ = h.slack.Disconnect("warning") },
		h.slack.DropConnection,
	} {
		before := h.slack.Connections()
		drop()
		h.eventually("reconnect", func() bool { return h.slack.Connections() > before })
		title := "After reconnect " + string(rune('A'+i))
		h.declare(rita, "start "+title, title)
	}
}
