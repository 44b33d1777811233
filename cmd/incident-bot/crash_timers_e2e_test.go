package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/bot/slacktest"
	"github.com/incident-bot/incident-bot/incidents"
)

// rateLimitedAt is when the fake Slack last answered method with 429.
func (h *harness) rateLimitedAt(method string) time.Time {
	h.t.Helper()
	var at time.Time
	for _, c := range h.slack.Calls() {
		if c.Method == method && c.Status == 429 {
			at = c.At
		}
	}
	if at.IsZero() {
		h.t.Fatalf("no 429 for %s", method)
	}
	return at
}

// count is how many messages of channel contain s.
func (h *harness) count(channel, s string) int {
	n := 0
	for _, m := range h.slack.Messages(channel) {
		if strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

// An update whose post Slack answers with 429 (Retry-After 3) while the
// bot is killed: the wait was recorded, so after the restart the update
// is posted once, no earlier than Slack said.
func TestKillWhileWaitingOutRetryAfter(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, nil)
		l := h.runLive()
		inc, ch := h.declare(rita, "start sev2 Cache cold", "Cache cold")
		h.settled()
		h.slack.Inject(slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.RateLimited, RetryAfter: 3 * time.Second, Count: 1})
		h.slash(rita, ch.ID, "update warming the cache by hand")
		ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := h.slack.WaitCalls(ctx, "chat.postMessage", 1); err != nil {
			t.Fatal(err)
		}
		h.eventually("the 429 answered", func() bool { return h.slack.RateLimitedCount("chat.postMessage") == 1 })
		limitedAt := h.rateLimitedAt("chat.postMessage")
		// Killed once the wait is recorded: the bot acts on what it wrote.
		st := h.openStore(t)
		h.eventually("the wait recorded", func() bool {
			effs, err := st.Effects(context.Background(), incidents.LaneOf(inc.ID))
			if err != nil {
				return false
			}
			for _, e := range effs {
				if e.State == incidents.EffectPending && e.NotBefore.After(limitedAt.Add(2*time.Second)) {
					return true
				}
			}
			return false
		})
		l.kill()
		l.start()
		h.messageContaining(ch.ID, "warming the cache by hand")
		h.settled()
		if n := h.count(ch.ID, "warming the cache by hand"); n != 1 {
			t.Fatalf("update posted %d times", n)
		}
		for _, c := range h.slack.Calls() {
			if c.Method == "chat.postMessage" && c.Status == 200 && strings.Contains(c.Args.Get("text"), "warming") && c.At.Before(limitedAt.Add(2900*time.Millisecond)) {
				t.Fatalf("posted %v after the 429, before its Retry-After of 3s", c.At.Sub(limitedAt))
			}
		}
	})
}

// An escalation that meets three seconds of HTTP 503 is posted once, in
// the channel and in the incidents channel, when Slack is back; a
// reminder fired while the bot is dead is posted once after its restart.
func TestEscalationThrough503AndReminderAcrossRestart(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, map[string]string{"ESCALATION_USERGROUP": "S0ONCALL1"})
		l := h.runLive()
		inc, ch := h.declare(rita, "start sev1 Checkout failing", "Checkout failing")
		h.settled()
		replica := newReplica(t, h)
		h.slack.Inject(slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.ServerError, Until: time.Now().Add(3 * time.Second)})
		if _, err := replica.sched.Sweep(context.Background(), inc.DeclaredAt.Add(31*time.Minute)); err != nil {
			t.Fatal(err)
		}
		h.messageContaining(ch.ID, "<!subteam^S0ONCALL1>")
		h.messageContaining(h.announce, "escalated to level 1")
		l.kill()
		if _, err := replica.sched.Sweep(context.Background(), inc.DeclaredAt.Add(47*time.Minute)); err != nil {
			t.Fatal(err)
		}
		l.start()
		h.messageContaining(ch.ID, "no status update for 47m")
		h.settled()
		for channel, texts := range map[string][]string{
			ch.ID:      {"<!subteam^S0ONCALL1>", "no status update for 31m", "no status update for 47m"},
			h.announce: {"escalated to level 1"},
		} {
			for _, s := range texts {
				if n := h.count(channel, s); n != 1 {
					t.Errorf("%q posted %d times in %s, want once", s, n, channel)
				}
			}
		}
	})
}

// Warnings answered 200 and then lost to a crash before their cards were
// posted: every card is posted after the restart, each once.
func TestKillAfterWarningsCardsEveryOne(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, map[string]string{"ALERT_WEBHOOK_SECRET": testAlertSecret})
		l := h.runLive()
		cancel := h.slack.Inject(slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.Hang})
		const n = 5
		for i := range n {
			body := fmt.Sprintf(`{"title":"disk %d filling","severity":"warning","fingerprint":"disk-%d"}`, i, i)
			if code := h.postAlert("/alerts/webhook", body); code != 200 {
				t.Fatalf("warning %d: HTTP %d", i, code)
			}
		}
		l.kill()
		cancel()
		l.start()
		h.settled()
		for i := range n {
			if c := h.count(h.announce, fmt.Sprintf("Warning alert: disk %d filling", i)); c != 1 {
				t.Errorf("card %d posted %d times, want once", i, c)
			}
		}
	})
}
