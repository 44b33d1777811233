package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/bot/slacktest"
	"github.com/incident-bot/incident-bot/incidents"
)

// Two replicas on one PostgreSQL share the outbox; one is killed with
// SIGKILL while Slack holds its calls (the messages posted, the answers
// lost). The other takes its work over at once and every incident is set
// up exactly once: no orphan channel, no second header, card or
// announcement.
func TestTwoReplicasOneKilledSetsUpOnce(t *testing.T) {
	h := newHarness(t, "postgres", nil)
	h.stop()
	bin := buildBinary(t)
	bCmd, _, bLogs := h.startBinary(bin)
	a := &live{h: h, bin: bin}
	a.start() // a connects last, so Slack sends the envelopes to it
	t.Cleanup(func() {
		if strings.Contains(bLogs.String(), "SECRET") {
			t.Errorf("a token reached replica b's logs")
		}
	})
	hang := h.slack.Inject(slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.Hang, Processed: true})
	const n = 5
	for i := range n {
		h.slash(rita, h.general, fmt.Sprintf("start sev2 Users see 502 errors on shard %d", i))
	}
	ctx, stop := context.WithTimeout(context.Background(), 20*time.Second)
	defer stop()
	if err := h.slack.WaitCalls(ctx, "chat.postMessage", 3); err != nil {
		t.Fatal(err)
	}
	a.kill()
	hang()
	h.eventuallyWithin(60*time.Second, "replica b finishes", h.nothingOwed())
	if bCmd.ProcessState != nil {
		t.Fatal("replica b exited")
	}
	incs, _ := h.openStore(t).List(context.Background(), incidents.ListFilter{})
	if len(incs) != n {
		t.Fatalf("%d incidents, want %d", len(incs), n)
	}
	incChannels := 0
	for _, c := range h.slack.Channels() {
		if strings.HasPrefix(c.Name, "inc-") {
			incChannels++
		}
	}
	for _, inc := range incs {
		headers, cards := 0, 0
		for _, m := range h.slack.Messages(inc.ChannelID) {
			headers += strings.Count(string(m.Blocks), "incident_header_actions")
			cards += strings.Count(string(m.Blocks), "runbook_source")
		}
		if inc.HeaderTS == "" || headers != 1 || cards != 1 || h.count(h.announce, "declared: *"+inc.Title+"*") != 1 {
			t.Errorf("%s: header ts %q, %d headers, %d cards, %d announcements; want one each",
				inc.Ref(), inc.HeaderTS, headers, cards, h.count(h.announce, "declared: *"+inc.Title+"*"))
		}
	}
	if incChannels != n {
		t.Errorf("%d incident channels for %d incidents", incChannels, n)
	}
}

// A message in an alert channel that arrives while the store cannot take
// it is not acknowledged (nothing is claimed before it is durable), so
// Slack delivers it again; the redelivery is stored, once, and acted on.
func TestAlertChannelMessageWaitsOutStoreOutage(t *testing.T) {
	h := newHarness(t, "postgres", nil)
	alertsCh := h.slack.AddChannel("alerts")
	h.stop()
	h.env["ALERT_CHANNELS"] = alertsCh
	h.start()
	release := h.lockWork()
	msg := h.slack.IntegrationMessage(alertsCh, "B0CHATBOT1", "AWS Chatbot", "",
		map[string]any{"title": "ALARM: api-5xx-high", "text": "State changed to ALARM: 5xx above 5%", "color": "danger"})
	id, err := h.slack.SendEnvelope("events_api", msg)
	if err != nil {
		t.Fatal(err)
	}
	h.eventually("the store refusal logged", func() bool { return strings.Contains(h.logs.String(), "could not record envelopes") })
	for _, ack := range h.slack.Acks() {
		if ack.EnvelopeID == id {
			t.Fatal("an envelope that could not be stored was acknowledged")
		}
	}
	release()
	h.send("events_api", msg, slacktest.WithEnvelopeID(id), slacktest.RetryAttempt(1, "timeout"))
	h.settled()
	store := h.openStore(t)
	incs, _ := store.List(context.Background(), incidents.ListFilter{})
	if len(incs) != 1 || incs[0].ChannelID == "" {
		t.Fatalf("incidents after the redelivery: %+v", incs)
	}
	evs, _ := store.Timeline(context.Background(), incs[0].ID)
	fp := ""
	for _, e := range evs {
		if e.Kind == incidents.EventAlert {
			fp = e.Data["fingerprint"]
		}
	}
	l, err := store.LatestAlert(context.Background(), fp)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := store.CardAlerts(context.Background(), l.Card, time.Time{}, 1); err != nil || v.Count != 1 {
		t.Errorf("alert %q stored %d times (%v), want once", fp, v.Count, err)
	}
}

// lockWork takes the inbox's table in PostgreSQL for itself, as an outage
// would: nothing can be stored there until the release.
func (h *harness) lockWork() func() {
	h.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, h.env["DATABASE_URL"])
	if err != nil {
		h.t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE work_items IN ACCESS EXCLUSIVE MODE"); err != nil {
		h.t.Fatal(err)
	}
	return func() {
		_ = tx.Rollback(ctx)
		_ = conn.Close(ctx)
	}
}
