package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/incident-bot/incident-bot/incidents"
)

// historyCalls counts the calls the bot made to read Slack's history.
func (h *harness) historyCalls() int {
	return h.slack.CallCount("conversations.history") + h.slack.CallCount("conversations.replies")
}

// draftAfter runs /incident postmortem in channel and returns the draft
// uploaded and the message that came with it.
func (h *harness) draftAfter(user, channel string) (string, string) {
	h.t.Helper()
	had := map[string]bool{}
	for _, f := range h.slack.Files() {
		had[f.ID] = true
	}
	h.slash(user, channel, "postmortem")
	var draft string
	h.eventually("draft uploaded", func() bool {
		for _, f := range h.slack.Files() {
			if !had[f.ID] && strings.HasPrefix(f.Name, "postmortem-incident-") && strings.HasSuffix(f.Name, ".md") { // not its chart
				draft = string(f.Content)
				return true
			}
		}
		return false
	})
	note := ""
	for _, m := range h.slack.Messages(channel) {
		if strings.HasPrefix(m.Text, ":memo: Postmortem draft") {
			note = m.Text // the latest
		}
	}
	return draft, note
}

// recorded waits until the bot's store has ts of channel.
func (h *harness) recorded(channel, ts string) {
	h.t.Helper()
	st := h.openStore(h.t)
	h.eventually("message "+ts+" recorded", func() bool {
		msgs, _ := st.Messages(context.Background(), channel)
		for _, m := range msgs {
			if m.TS == ts {
				return true
			}
		}
		return false
	})
}

// The channel is kept as it happens: messages, a thread reply, an edit, a
// deletion, a pin and a key reaction arrive as events, and the draft is
// made from the store without a single history or replies call.
func TestPostmortemFromCapturedEvents(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, nil)
		_, ch := h.declare(rita, "start sev2 Checkout slow", "Checkout slow")
		first, p := h.slack.MessageEvent(ch.ID, bob, "p99 is 4s on checkout & climbing", "")
		h.send("events_api", p)
		pool, p := h.slack.MessageEvent(ch.ID, bob, "pool size looks wrong", "")
		h.send("events_api", p)
		edit := h.slack.EditEvent(ch.ID, pool, "DB pool size is 5, was 50 before the deploy")
		h.send("events_api", edit)
		h.send("events_api", edit) // redelivered: changes nothing twice
		oops, p := h.slack.MessageEvent(ch.ID, rita, "wrong channel, sorry", "")
		h.send("events_api", p)
		h.send("events_api", h.slack.DeleteEvent(ch.ID, oops))
		_, p = h.slack.MessageEvent(ch.ID, rita, "rolling the pool change back", pool)
		h.send("events_api", p)
		h.send("events_api", h.slack.PinEvent(ch.ID, pool, true))
		h.send("events_api", h.slack.ReactionEvent(ch.ID, first, rita, "key", true))
		h.send("events_api", h.slack.ReactionEvent(ch.ID, first, bob, "eyes", true))
		h.send("events_api", h.slack.ReactionEvent(ch.ID, first, bob, "eyes", false))
		h.settled()

		draft, note := h.draftAfter(rita, ch.ID)
		if n := h.historyCalls(); n != 0 {
			t.Errorf("%d history or replies calls, want none", n)
		}
		if !strings.Contains(note, "read 0 history pages") {
			t.Errorf("the draft's message = %q", note)
		}
		for _, want := range []string{
			"**bob: p99 is 4s on checkout & climbing**",                       // key reaction
			"**bob: DB pool size is 5, was 50 before the deploy _(edited)_**", // pinned, latest wording
			"  - ", "rita: rolling the pool change back", // the reply, under its thread
		} {
			if !strings.Contains(draft, want) {
				t.Errorf("draft lacks %q:\n%s", want, draft)
			}
		}
		for _, gone := range []string{"wrong channel", "pool size looks wrong"} {
			if strings.Contains(draft, gone) {
				t.Errorf("draft has %q:\n%s", gone, draft)
			}
		}
		msgs, err := h.openStore(t).Messages(context.Background(), ch.ID)
		if err != nil || len(msgs) != 4 || !msgs[2].Deleted || msgs[0].Text != "p99 is 4s on checkout & climbing" {
			t.Errorf("recorded %+v (%v)", msgs, err)
		}
	})
}

var historyPagesRE = regexp.MustCompile(`read (\d+) history pages`)

// The bot is killed mid-incident; people go on talking (Slack keeps it,
// no event reaches the bot); after the restart the draft has what was
// said meanwhile, read from history for that stretch only, and says how
// many calls that took. What it read is recorded: a second draft reads
// less.
func TestPostmortemBackfillsAfterCrash(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, nil)
		l := h.runLive()
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("the live bot's logs:\n%s", tail(l.logs.String(), 6000))
			}
		})
		_, ch := h.declare(rita, "start sev2 Queue stuck", "Queue stuck")
		heard, p := h.slack.MessageEvent(ch.ID, bob, "queue depth 40k and rising", "")
		h.send("events_api", p)
		h.recorded(ch.ID, heard)
		h.settled()
		l.kill()

		down := h.slack.AddMessage(ch.ID, rita, "consumer pods OOMKilled", "")
		h.slack.AddReply(ch.ID, down, bob, "raising their memory to 2Gi")
		l.start()
		after, p := h.slack.MessageEvent(ch.ID, bob, "queue draining", "")
		h.send("events_api", p)
		h.recorded(ch.ID, after)
		h.settled()

		before := h.historyCalls()
		draft, note := h.draftAfter(rita, ch.ID)
		calls := h.historyCalls() - before
		if calls == 0 {
			t.Fatal("nothing read from history after the restart")
		}
		if m := historyPagesRE.FindStringSubmatch(note); m == nil || m[1] != strconv.Itoa(calls) {
			t.Errorf("the draft's message %q does not say the %d calls", note, calls)
		}
		for _, want := range []string{"bob: queue depth 40k and rising", "rita: consumer pods OOMKilled", "  - ", "bob: raising their memory to 2Gi", "bob: queue draining"} {
			if !strings.Contains(draft, want) {
				t.Errorf("draft lacks %q:\n%s", want, draft)
			}
		}
		if n := strings.Count(draft, "queue draining"); n != 1 {
			t.Errorf("a message heard and read from history is in the draft %d times", n)
		}
		h.recorded(ch.ID, down) // what was read is in the store now

		// The stretch is read again (the bot cannot know nothing more was
		// said), but only after what it has read.
		before = h.historyCalls()
		h.draftAfter(rita, ch.ID)
		if again := h.historyCalls() - before; again == 0 || again > calls {
			t.Errorf("second draft: %d calls, first %d", again, calls)
		}
		st := h.openStore(t)
		if msgs, _ := st.Messages(context.Background(), ch.ID); !hasText(msgs, "raising their memory to 2Gi") {
			t.Errorf("the reply read from history was not recorded: %+v", msgs)
		}
	})
}

func hasText(msgs []incidents.ChannelMessage, text string) bool {
	for _, m := range msgs {
		if m.Text == text {
			return true
		}
	}
	return false
}

// When the history of what the bot missed cannot be read (here Slack
// refuses it), the draft is made from what was recorded and says so.
func TestPostmortemWhenHistoryFails(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	_, ch := h.declare(rita, "start sev3 Search slow", "Search slow")
	heard, p := h.slack.MessageEvent(ch.ID, bob, "reindex started", "")
	h.send("events_api", p)
	h.recorded(ch.ID, heard)
	h.stop()
	h.slack.AddMessage(ch.ID, rita, "said while the bot was stopped", "")
	h.start()
	h.slack.FailNext("conversations.history", "not_in_channel")
	draft, note := h.draftAfter(rita, ch.ID)
	if !strings.Contains(draft, "bob: reindex started") || strings.Contains(draft, "while the bot was stopped") {
		t.Errorf("draft:\n%s", draft)
	}
	if !strings.Contains(note, "what I did not hear while I was away is missing") || !strings.Contains(note, "not_in_channel") {
		t.Errorf("the draft's message = %q", note)
	}
}
