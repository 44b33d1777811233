package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/bot/slacktest"
	"github.com/incident-bot/incident-bot/incidents"
)

// When Slack refuses to create the channel, the incident is still recorded
// with what failed, the user is told why (and how to retry), and the team
// is still told; once the workspace allows it, /incident repair finishes
// the set-up.
func TestChannelCreationRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, nil)
		h.slack.FailNext("conversations.create", "restricted_action")
		h.slash(rita, h.general, "start sev1 Payments down")
		h.dmContaining(rita, "Could not create the incident channel: restricted_action")
		h.dmContaining(rita, "/incident repair 1")
		h.messageContaining(h.announce, "no channel yet")
		h.settled()
		incs, err := h.openStore(t).List(context.Background(), incidents.ListFilter{})
		if err != nil || len(incs) != 1 {
			t.Fatalf("incidents = %v, %v", incs, err)
		}
		evs := assertKinds(t, h.openStore(t), incs[0], incidents.EventDeclared, incidents.EventStepFailed)
		if evs[1].Data["error"] != "restricted_action" {
			t.Errorf("failure not recorded with its reason: %+v", evs[1])
		}
		if n := len(h.slack.DirectMessages(rita)); n != 1 {
			t.Errorf("rita was told %d times; one failure, one message", n)
		}

		h.slash(rita, h.general, "list")
		h.responseContaining("Set-up not complete: #1 (`/incident repair 1`)")
		h.slash(rita, h.general, "repair 1")
		h.responseContaining("Repairing #1")
		ch := h.channelNamed("inc-" + incs[0].DeclaredAt.Format("20060102") + "-payments-down")
		h.messageContaining(ch.ID, "Payments down")
		h.settled()
		ch, _ = h.slack.Channel(ch.ID)
		inc, _ := h.openStore(t).Get(context.Background(), incs[0].ID)
		if inc.ChannelID != ch.ID || inc.HeaderTS == "" || !slices.Contains(ch.Members, rita) {
			t.Fatalf("after repair: incident %+v, channel members %v", inc, ch.Members)
		}
	})
}

// The header buttons do what the commands do.
func TestHeaderButtons(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, nil)
		inc, ch := h.declare(rita, "start sev2 Queue backlog", "Queue backlog")
		header := h.posts(ch.ID)[0]

		h.send("interactive", h.slack.BlockAction(bob, ch.ID, header.TS, "incident_update", inc.ID.String()))
		view := h.viewOpened("incident_update")
		h.send("interactive", h.slack.ViewSubmission(bob, view.ID, view.CallbackID, view.PrivateMetadata, map[string]map[string]any{
			"text": {"value": map[string]any{"type": "plain_text_input", "value": "workers restarted"}},
		}))
		h.messageContaining(ch.ID, "workers restarted")

		// Anyone may post an update; only the people the incident belongs
		// to (and approvers) may change its status.
		h.send("interactive", h.slack.BlockAction(bob, ch.ID, header.TS, "incident_mitigate", inc.ID.String()))
		h.responseContaining("Only the commander of #1, the person who declared it or an approver may change the status of it")
		h.send("interactive", h.slack.BlockAction(rita, ch.ID, header.TS, "incident_mitigate", inc.ID.String()))
		h.messageContaining(ch.ID, "*mitigated*")

		h.send("interactive", h.slack.BlockAction(rita, ch.ID, header.TS, "incident_resolve", inc.ID.String()))
		view = h.viewOpened("incident_resolve")
		h.send("interactive", h.slack.ViewSubmission(rita, view.ID, view.CallbackID, view.PrivateMetadata, map[string]map[string]any{
			"text": {"value": map[string]any{"type": "plain_text_input", "value": "backlog drained"}},
		}))
		h.messageContaining(ch.ID, "*resolved* the incident")

		// A click on a closed incident's stale button changes nothing.
		h.send("interactive", h.slack.BlockAction(bob, ch.ID, header.TS, "incident_mitigate", inc.ID.String()))
		h.responseContaining("is resolved; it can no longer be changed")
		assertKinds(t, h.openStore(t), inc, incidents.EventDeclared, incidents.EventChannelCreated, incidents.EventRunbookPosted,
			incidents.EventStatusUpdate, incidents.EventMitigated, incidents.EventResolved)
	})
}

// A click or a form submission Slack delivers again (in a new envelope)
// changes the incident once; the same envelope delivered twice runs once.
func TestRedeliveredInteractionsRunOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, nil)
		inc, ch := h.declare(rita, "start sev2 Quarterly numbers look odd", "Quarterly numbers look odd")
		header := h.posts(ch.ID)[0]

		click := h.slack.BlockAction(rita, ch.ID, header.TS, "incident_mitigate", inc.ID.String())
		h.send("interactive", click)
		h.send("interactive", click)
		h.send("interactive", h.slack.BlockAction(bob, ch.ID, header.TS, "incident_update", inc.ID.String()))
		view := h.viewOpened("incident_update")
		sub := h.slack.ViewSubmission(bob, view.ID, view.CallbackID, view.PrivateMetadata, map[string]map[string]any{
			"text": {"value": map[string]any{"type": "plain_text_input", "value": "old logs deleted"}},
		})
		h.send("interactive", sub)
		h.send("interactive", sub)
		// The same status envelope twice: only the envelope-ID layer can catch it.
		p := h.slack.SlashCommand(bob, ch.ID, "status")
		id, err := h.slack.SendEnvelope("slash_commands", p)
		if err != nil {
			t.Fatal(err)
		}
		h.send("slash_commands", p, slacktest.WithEnvelopeID(id))
		h.slash(rita, ch.ID, "investigating disk filling again") // a marker after the repeats
		h.messageContaining(ch.ID, "back to *investigating*")

		assertKinds(t, h.openStore(t), inc, incidents.EventDeclared, incidents.EventChannelCreated,
			incidents.EventMitigated, incidents.EventStatusUpdate, incidents.EventReopened)
		statusReplies := func() int {
			n := 0
			for _, r := range h.slack.ResponseURLPosts() {
				if strings.Contains(r.Text, "Recent timeline") {
					n++
				}
			}
			return n
		}
		// Jobs run on several workers, so the reply may come after the
		// marker; wait for it, then check nothing more came.
		h.eventually("the status reply", func() bool { return statusReplies() >= 1 })
		if n := statusReplies(); n != 1 {
			t.Fatalf("status answered %d times for one envelope delivered twice", n)
		}
	})
}

// A Slack step that fails after a change is recorded and reported, not
// only logged.
func TestFailedStepAfterChangeIsRecorded(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	inc, ch := h.declare(rita, "start sev2 Topic trouble", "Topic trouble")
	h.slack.FailNext("conversations.setTopic", "not_in_channel")
	h.slash(rita, ch.ID, "severity sev1")
	h.dmContaining(rita, "Could not update the channel topic and header: not_in_channel")
	evs := assertKinds(t, h.openStore(t), inc, incidents.EventDeclared, incidents.EventChannelCreated,
		incidents.EventSeverityChanged, incidents.EventStepFailed)
	if evs[3].Data["step"] != "update the channel topic and header" || evs[3].Data["error"] != "not_in_channel" {
		t.Fatalf("failure event = %+v", evs[3])
	}
}

// Many people declaring at once: every incident gets its own number and
// channel.
func TestConcurrentDeclarations(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, nil)
		const n = 20
		for i := range n {
			p := h.slack.SlashCommand(rita, h.general, "start Burst "+string(rune('a'+i)))
			if _, err := h.slack.SendEnvelope("slash_commands", p); err != nil {
				t.Fatal(err)
			}
		}
		// Slack takes about one message a second in a channel: the
		// announcements go out paced.
		h.eventuallyWithin(60*time.Second, "all announced", func() bool { return len(h.slack.Messages(h.announce)) == n })
		incs, _ := h.openStore(t).List(context.Background(), incidents.ListFilter{})
		nums, chans := map[int64]bool{}, map[string]bool{}
		for _, inc := range incs {
			nums[inc.Number], chans[inc.ChannelID] = true, true
		}
		if len(incs) != n || len(nums) != n || len(chans) != n {
			t.Fatalf("%d incidents, %d numbers, %d channels; want %d each", len(incs), len(nums), len(chans), n)
		}
	})
}

// SIGTERM stops taking work, finishes what is in flight, and exits 0.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	h.slack.SetLatency(150 * time.Millisecond) // each Slack call is slow
	h.slash(rita, h.general, "start sev1 Shutdown drill")
	h.eventually("work started", func() bool { return h.slack.CallCount("conversations.create") > 0 })
	if code := h.stop(); code != 0 {
		t.Fatalf("exit code %d; logs:\n%s", code, h.logs.String())
	}
	h.messageContaining(h.announce, "Shutdown drill") // finished before exit
	incs, _ := h.openStore(t).List(context.Background(), incidents.ListFilter{})
	if len(incs) != 1 || incs[0].ChannelID == "" || incs[0].HeaderTS == "" {
		t.Fatalf("in-flight declaration not finished: %+v", incs)
	}
}

// An incident left without its set-up — recorded by an older version, or
// whose set-up was lost — is completed by itself at start-up: channel,
// reporter invited, header, announcement.
func TestStartUpRepairsIncompleteIncidents(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, nil)
		h.stop()
		now := time.Now().UTC()
		inc := incidents.Incident{ID: uuid.New(), Title: "Left half done", Severity: incidents.Sev2, Status: incidents.StatusInvestigating,
			Commander: rita, Reporter: rita, DeclaredAt: now, UpdatedAt: now, LastStatusUpdateAt: now}
		ev := incidents.Event{ID: uuid.New(), IncidentID: inc.ID, At: now, Actor: rita, Kind: incidents.EventDeclared, Text: "Declared SEV2: Left half done"}
		if _, err := h.openStore(t).Create(context.Background(), inc, incidents.Change{Events: []incidents.Event{ev}}, ""); err != nil {
			t.Fatal(err)
		}
		h.start()
		h.messageContaining(h.announce, "Left half done")
		h.settled()
		got, _ := h.openStore(t).Get(context.Background(), inc.ID)
		ch, ok := h.slack.Channel(got.ChannelID)
		if !ok || got.HeaderTS == "" || !slices.Contains(ch.Members, rita) {
			t.Fatalf("after start-up: %+v, channel %+v", got, ch)
		}
	})
}
