package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/bot/slacktest"
	"github.com/incident-bot/incident-bot/incidents"
)

const rita, bob = "U0RITA0001", "U0BOB00001"

// botUserID is the fake Slack's default user for the bot.
const botUserID = "U0BOT00001"

func TestServeWithoutTokensExplains(t *testing.T) {
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"serve"}, func(string) string { return "" }, io.Discard, &stderr)
	if code == 0 {
		t.Fatal("serve without tokens exited 0")
	}
	for _, want := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "deploy/slack/manifest.yaml"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("message does not name %s:\n%s", want, stderr.String())
		}
	}
}

func TestServeRejectsBadSettings(t *testing.T) {
	env := map[string]string{
		"SLACK_APP_TOKEN": "xoxb-wrong-kind", "SLACK_BOT_TOKEN": testBotToken,
		"DATABASE_URL": "mysql://x", "DISPLAY_TIMEZONE": "Mars/Olympus", "WORKERS": "0",
	}
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, io.Discard, &stderr)
	if code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
	for _, want := range []string{"SLACK_APP_TOKEN must be an app-level token", "DATABASE_URL must be a postgres:// URL", "DISPLAY_TIMEZONE", "WORKERS"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("missing %q in:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "SECRET") {
		t.Errorf("token echoed: %s", stderr.String())
	}
}

// The headline flow: /incident start sev1 … makes a channel, topic,
// invitation, header, runbook card and announcement, records it durably,
// and costs exactly six Web API calls.
func TestDeclareEndToEnd(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, nil)
		h.slack.ResetCalls()
		ack := h.slash(rita, h.general, "start sev1 Users see 502 errors")
		if !strings.Contains(string(ack.Payload), "Declaring a *SEV1* incident") {
			t.Fatalf("ack payload = %s", ack.Payload)
		}
		h.messageContaining(h.announce, "Users see 502 errors")
		st := h.openStore(t)
		incs, err := st.List(context.Background(), incidents.ListFilter{})
		if err != nil || len(incs) != 1 {
			t.Fatalf("incidents: %v %v", incs, err)
		}
		name := "inc-" + incs[0].DeclaredAt.Format("20060102") + "-users-see-502-errors"
		ch := h.channelNamed(name)
		h.messageContaining(h.announce, "<#"+ch.ID+">")

		ch, _ = h.slack.Channel(ch.ID)
		if !strings.Contains(ch.Topic, "SEV1") || !strings.Contains(ch.Topic, "Investigating") || !strings.Contains(ch.Topic, "<@"+rita+">") {
			t.Errorf("topic = %q", ch.Topic)
		}
		if !slices.Contains(ch.Members, rita) {
			t.Errorf("reporter not invited: members %v", ch.Members)
		}
		header := h.posts(ch.ID)[0]
		for _, want := range []string{"Users see 502 errors", "SEV1", "Investigating", "incident_update", "incident_resolve", "<@" + rita + ">"} {
			if !strings.Contains(string(header.Blocks), want) {
				t.Errorf("header lacks %q: %s", want, header.Blocks)
			}
		}
		calls := map[string]int{}
		for _, c := range h.slack.Calls() {
			calls[c.Method]++
		}
		want := map[string]int{"conversations.create": 1, "conversations.setTopic": 1, "conversations.invite": 1, "chat.postMessage": 3}
		if !mapsEqual(calls, want) {
			t.Errorf("Slack calls = %v, want %v", calls, want)
		}

		inc, err := st.ByChannel(context.Background(), ch.ID)
		if err != nil {
			t.Fatalf("incident not mapped to its channel: %v", err)
		}
		if inc.Severity != incidents.Sev1 || inc.Commander != rita || inc.Title != "Users see 502 errors" || inc.HeaderTS != header.TS || inc.ChannelName != name {
			t.Errorf("stored incident = %+v", inc)
		}
		evs := assertKinds(t, st, inc, incidents.EventDeclared, incidents.EventChannelCreated, incidents.EventRunbookPosted)
		if evs[2].Data["playbook"] != "service-down" {
			t.Errorf("runbook for 502 errors = %q, want service-down", evs[2].Data["playbook"])
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func assertKinds(t *testing.T, st incidents.Store, inc incidents.Incident, want ...incidents.EventKind) []incidents.Event {
	t.Helper()
	evs, err := st.Timeline(context.Background(), inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []incidents.EventKind
	for _, e := range evs {
		got = append(got, e.Kind)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("timeline kinds = %v, want %v", got, want)
	}
	return evs
}

// declare runs /incident start and waits until the announcement is out.
func (h *harness) declare(user, text, title string) (incidents.Incident, slacktest.Channel) {
	h.t.Helper()
	h.slash(user, h.general, text)
	h.messageContaining(h.announce, title)
	st := h.openStore(h.t)
	incs, err := st.List(context.Background(), incidents.ListFilter{})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, inc := range incs {
		if inc.Title == title {
			ch, _ := h.slack.Channel(inc.ChannelID)
			return inc, ch
		}
	}
	h.t.Fatalf("no incident titled %q", title)
	return incidents.Incident{}, slacktest.Channel{}
}

// A redelivered envelope, or the same command delivered in a new envelope,
// never opens a second incident.
func TestRedeliveryDoesNotDuplicate(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, nil)
		p := h.slack.SlashCommand(rita, h.general, "start sev2 Checkout fails")
		id, err := h.slack.SendEnvelope("slash_commands", p)
		if err != nil {
			t.Fatal(err)
		}
		h.messageContaining(h.announce, "Checkout fails")
		// Same envelope again, as a retry, and the same command in a new envelope.
		h.send("slash_commands", p, slacktest.WithEnvelopeID(id), slacktest.RetryAttempt(1, "timeout"))
		h.send("slash_commands", p)
		// A later, distinct command proves the queue has drained past the repeats.
		h.declare(rita, "start sev3 Marker incident", "Marker incident")
		incs, err := h.openStore(t).List(context.Background(), incidents.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(incs) != 2 {
			t.Fatalf("got %d incidents, want 2 (one per distinct command)", len(incs))
		}
		if n := h.slack.CallCount("conversations.create"); n != 2 {
			t.Fatalf("conversations.create called %d times, want 2", n)
		}
	})
}

func TestChannelNameTakenRetries(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	// Both days, in case the test runs across midnight.
	var base string
	for _, d := range []time.Time{time.Now().UTC(), time.Now().UTC().Add(time.Minute)} {
		base = "inc-" + d.Format("20060102") + "-db-down"
		if _, taken := h.slack.Channel(base); !taken {
			h.slack.AddChannel(base)
			h.slack.AddChannel(base + "-2")
		}
	}
	_, ch := h.declare(rita, "start DB down", "DB down")
	if ch.Name != base+"-3" {
		t.Fatalf("channel = %q, want %q", ch.Name, base+"-3")
	}
}

// The whole lifecycle through commands, with every change in the timeline
// and invalid transitions refused without changing anything.
func TestLifecycleCommands(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, nil)
		inc, ch := h.declare(rita, "start sev2 Slow API", "Slow API")

		h.slash(rita, ch.ID, "update rolled back to v41; error rate falling")
		h.messageContaining(ch.ID, "rolled back to v41")

		h.slash(rita, ch.ID, "severity sev1")
		h.messageContaining(ch.ID, "changed the severity from SEV2 to *SEV1*")

		h.slash(rita, ch.ID, "commander <@"+bob+"|bob>")
		h.messageContaining(ch.ID, "<@"+bob+"> is now the incident commander")
		h.eventually("topic shows new commander", func() bool {
			c, _ := h.slack.Channel(ch.ID)
			return strings.Contains(c.Topic, "<@"+bob+">") && strings.Contains(c.Topic, "SEV1")
		})

		h.slash(bob, ch.ID, "mitigate scaled the service to 15 tasks")
		h.messageContaining(ch.ID, "*mitigated*")

		h.slash(bob, ch.ID, "status")
		h.responseContaining("Status: Mitigated")

		h.slash(bob, h.general, "list")
		h.responseContaining("1 open incident")

		h.slash(bob, ch.ID, "resolve bad deploy rolled back")
		h.messageContaining(ch.ID, "*resolved* the incident")
		h.messageContaining(h.announce, "resolved after")

		h.slash(bob, ch.ID, "resolve again")
		h.responseContaining("is resolved; it can no longer be changed")
		h.slash(bob, ch.ID, "update one more thing")
		h.responseContaining("is resolved; it can no longer be changed")

		st := h.openStore(t)
		got, err := st.Get(context.Background(), inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != incidents.StatusResolved || got.Severity != incidents.Sev1 || got.Commander != bob || got.Summary != "bad deploy rolled back" {
			t.Errorf("final incident = %+v", got)
		}
		// "Slow API" matches a runbook, so its card is part of the record.
		evs := assertKinds(t, st, inc, incidents.EventDeclared, incidents.EventChannelCreated, incidents.EventRunbookPosted, incidents.EventStatusUpdate,
			incidents.EventSeverityChanged, incidents.EventCommanderChanged, incidents.EventMitigated, incidents.EventResolved)
		if evs[3].Actor != rita || evs[6].Actor != bob || evs[7].Data["to"] != "resolved" {
			t.Errorf("actors/details wrong: %+v", evs)
		}
		// The header lost its buttons when the incident closed.
		var header slacktest.Message
		for _, m := range h.slack.Messages(ch.ID) {
			if m.TS == got.HeaderTS {
				header = m
			}
		}
		if !header.Edited || strings.Contains(string(header.Blocks), "incident_resolve") || !strings.Contains(string(header.Blocks), "Resolved") {
			t.Errorf("header not updated on resolve: %s", header.Blocks)
		}
	})
}

func TestCommandErrorsAreEphemeralAndSpecific(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	ack := h.slash(rita, h.general, "frobnicate")
	if !strings.Contains(string(ack.Payload), "I don't know the command `frobnicate`") || !strings.Contains(string(ack.Payload), `"response_type":"ephemeral"`) {
		t.Errorf("unknown command ack = %s", ack.Payload)
	}
	ack = h.slash(rita, h.general, "severity extreme")
	if !strings.Contains(string(ack.Payload), "Usage: `/incident severity") {
		t.Errorf("bad argument ack = %s", ack.Payload)
	}
	ack = h.slash(rita, h.general, "help")
	if !strings.Contains(string(ack.Payload), "/incident start") {
		t.Errorf("help ack = %s", ack.Payload)
	}
	h.slash(rita, h.general, "update is anyone looking?")
	h.responseContaining("not an incident channel")
	if n := h.slack.CallCount("chat.postMessage"); n != 0 {
		t.Errorf("errors posted %d public messages", n)
	}
}

func TestRateLimitedCallIsRetried(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	h.slack.RateLimitNext("conversations.create", time.Second)
	_, ch := h.declare(rita, "start Search is empty", "Search is empty")
	if ch.ID == "" {
		t.Fatal("no channel after a rate-limited create")
	}
	var statuses []int
	var at []time.Time
	for _, c := range h.slack.Calls() {
		if c.Method == "conversations.create" {
			statuses = append(statuses, c.Status)
			at = append(at, c.At)
		}
	}
	if !slices.Equal(statuses, []int{429, 200}) {
		t.Fatalf("conversations.create statuses = %v, want [429 200]", statuses)
	}
	if gap := at[1].Sub(at[0]); gap < 900*time.Millisecond {
		t.Fatalf("retried %v after a 429 with Retry-After: 1", gap)
	}
}

// Declaring without a title opens the form; submitting it declares.
func TestDeclareThroughModal(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, nil)
		h.slash(rita, h.general, "start sev1")
		view := h.viewOpened("incident_declare")
		if !strings.Contains(string(view.JSON), `"initial_option":{"text":{"emoji":true,"text":"SEV1"`) {
			t.Errorf("form does not preselect SEV1: %s", view.JSON)
		}
		// An empty title is refused next to the field, and nothing is created.
		bad := h.slack.ViewSubmission(rita, view.ID, view.CallbackID, view.PrivateMetadata, map[string]map[string]any{
			"title": {"value": map[string]any{"type": "plain_text_input", "value": "  "}},
		})
		ack := h.send("interactive", bad)
		if !strings.Contains(string(ack.Payload), `"response_action":"errors"`) || !strings.Contains(string(ack.Payload), `"title"`) {
			t.Fatalf("invalid submission ack = %s", ack.Payload)
		}
		good := h.slack.ViewSubmission(rita, view.ID, view.CallbackID, view.PrivateMetadata, map[string]map[string]any{
			"title":       {"value": map[string]any{"type": "plain_text_input", "value": "Login <fails> & times out"}},
			"severity":    {"value": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "sev2"}}},
			"description": {"value": map[string]any{"type": "plain_text_input", "value": "since 03:00"}},
		})
		h.send("interactive", good)
		h.send("interactive", good) // a double submit
		h.messageContaining(h.announce, "Login &lt;fails&gt; &amp; times out")
		h.eventually("channel for the form's incident", func() bool {
			for _, d := range []time.Time{time.Now().UTC(), time.Now().UTC().Add(-time.Minute)} {
				if _, ok := h.slack.Channel("inc-" + d.Format("20060102") + "-login-fails-times-out"); ok {
					return true
				}
			}
			return false
		})
		h.declare(rita, "start marker", "marker")
		incs, _ := h.openStore(t).List(context.Background(), incidents.ListFilter{})
		if len(incs) != 2 {
			t.Fatalf("got %d incidents, want 2", len(incs))
		}
	})
}

func TestOpsEndpoints(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	h.declare(rita, "start Metrics check", "Metrics check")
	for path, want := range map[string]string{
		"/healthz": "ok",
		"/readyz":  "ready",
		"/metrics": `incidentbot_socket_envelopes_total{type="slash_commands"} 1`,
	} {
		resp, err := http.Get("http://" + h.httpAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %q, want %q", path, resp.StatusCode, tail(string(body), 300), want)
		}
	}
	h.settled()
	resp, err := http.Get("http://" + h.httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`incidentbot_work_owed{queue="outbox"} 0`, `incidentbot_work_owed{queue="inbox"} 0`, "incidentbot_outbox_oldest_seconds 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	h.stop()
	if _, err := http.Get("http://" + h.httpAddr + "/healthz"); err == nil {
		t.Error("ops server still answering after shutdown")
	}
}
