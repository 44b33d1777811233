package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/bot"
	"github.com/incident-bot/incident-bot/bot/slacktest"
	"github.com/incident-bot/incident-bot/incidents"
)

// card finds the runbook card among the channel's messages.
func (h *harness) card(channel string) slacktest.Message {
	h.t.Helper()
	return h.messageContaining(channel, `"runbook_source"`)
}

// checkboxClick builds the block_actions payload Slack sends when someone
// ticks (or unticks) checklist item i of the card.
func (h *harness) checkboxClick(user, channel string, card slacktest.Message, playbook string, i int, ticked bool) map[string]any {
	h.t.Helper()
	var blocks []map[string]any
	if err := json.Unmarshal(card.Blocks, &blocks); err != nil {
		h.t.Fatal(err)
	}
	want := bot.CheckActionID(playbook, i)
	for _, b := range blocks {
		acc, _ := b["accessory"].(map[string]any)
		if acc == nil || acc["action_id"] != want {
			continue
		}
		p := h.slack.BlockAction(user, channel, card.TS, want, "")
		act := p["actions"].([]any)[0].(map[string]any)
		delete(act, "value")
		act["type"], act["block_id"] = "checkboxes", b["block_id"]
		act["selected_options"] = []any{}
		if ticked {
			act["selected_options"] = acc["options"]
		}
		return p
	}
	h.t.Fatalf("card has no checkbox %s: %s", want, card.Blocks)
	return nil
}

// A new incident whose title matches a playbook gets its card; ticking a
// check is recorded with who did it and redrawn for everyone; the card can
// be switched to another runbook.
func TestRunbookCardOnDeclare(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, nil)
		inc, ch := h.declare(rita, "start sev2 Redis unreachable, NHS login slow", "Redis unreachable, NHS login slow")
		card := h.card(ch.ID)
		for _, want := range []string{"Redis cache unreachable", "Check Redis cluster health", "Matched:", "troubleshooting-runbook.txt", "runbook_switch"} {
			if !strings.Contains(string(card.Blocks), want) {
				t.Errorf("card lacks %q", want)
			}
		}

		current := func() slacktest.Message {
			for _, m := range h.slack.Messages(ch.ID) {
				if m.TS == card.TS {
					return m
				}
			}
			t.Fatal("card gone")
			return slacktest.Message{}
		}
		h.send("interactive", h.checkboxClick(bob, ch.ID, card, "redis-unreachable", 0, true))
		h.eventually("card redrawn with the tick", func() bool {
			return strings.Contains(string(current().Blocks), "initial_options")
		})
		h.send("interactive", h.checkboxClick(bob, ch.ID, current(), "redis-unreachable", 0, false))
		h.eventually("card redrawn without the tick", func() bool {
			return !strings.Contains(string(current().Blocks), "initial_options")
		})

		sw := h.slack.BlockAction(rita, ch.ID, card.TS, "runbook_switch", "")
		act := sw["actions"].([]any)[0].(map[string]any)
		act["type"], act["selected_option"] = "static_select", map[string]any{"value": "network-misconfiguration", "text": map[string]any{"type": "plain_text", "text": "x"}}
		h.send("interactive", sw)
		h.eventually("card switched", func() bool {
			b := string(current().Blocks)
			return strings.Contains(b, "Switched by") && strings.Contains(b, "Security group or network misconfiguration") &&
				!strings.Contains(b, "Check Redis cluster health")
		})
		// A box ticked on a stale copy of the old runbook records nothing.
		h.send("interactive", h.checkboxClick(bob, ch.ID, card, "redis-unreachable", 1, true))
		h.responseContaining("now shows another runbook; nothing was recorded")

		evs := assertKinds(t, h.openStore(t), inc, incidents.EventDeclared, incidents.EventChannelCreated, incidents.EventRunbookPosted,
			incidents.EventCheckDone, incidents.EventCheckUndone, incidents.EventRunbookSwitched)
		if evs[3].Actor != bob || evs[3].Data["playbook"] != "redis-unreachable" || !strings.Contains(evs[3].Text, "Check Redis cluster health") {
			t.Errorf("tick event = %+v", evs[3])
		}
		if evs[5].Data["playbook"] != "network-misconfiguration" || evs[5].Data["from"] != "redis-unreachable" {
			t.Errorf("switch event = %+v", evs[5])
		}
	})
}

// A title that comes close to a few playbooks but fits none clearly gets
// no card: it gets the closest to choose from, and the choice turns that
// message into the chosen card, recorded with who chose.
func TestRunbookSuggestionsWhenUnsure(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	inc, ch := h.declare(rita, "start pictures aren't loading on the app", "pictures aren't loading on the app")
	sugg := h.messageContaining(ch.ID, "No runbook clearly fits")
	if b := string(sugg.Blocks); !strings.Contains(b, "s3-bucket-permissions") || !strings.Contains(b, "runbook_switch") || strings.Contains(b, "runbook_source") {
		t.Fatalf("suggestions = %s", b)
	}
	sw := h.slack.BlockAction(bob, ch.ID, sugg.TS, "runbook_switch", "")
	act := sw["actions"].([]any)[0].(map[string]any)
	act["type"], act["selected_option"] = "static_select", map[string]any{"value": "s3-bucket-permissions", "text": map[string]any{"type": "plain_text", "text": "x"}}
	h.send("interactive", sw)
	h.eventually("the suggestions became the chosen card", func() bool {
		for _, m := range h.slack.Messages(ch.ID) {
			if m.TS == sugg.TS {
				b := string(m.Blocks)
				return strings.Contains(b, "Chosen by") && strings.Contains(b, "Incorrect S3 bucket permissions") && strings.Contains(b, "runbook_source")
			}
		}
		return false
	})
	evs := assertKinds(t, h.openStore(t), inc, incidents.EventDeclared, incidents.EventChannelCreated, incidents.EventRunbookSuggested,
		incidents.EventRunbookSwitched)
	if evs[3].Actor != bob || evs[3].Data["playbook"] != "s3-bucket-permissions" || evs[3].Text != "Runbook chosen: Incorrect S3 bucket permissions (media missing)" {
		t.Errorf("choice = %+v", evs[3])
	}
}

// No card for a title that matches nothing; /incident runbook finds one
// on demand, by symptom or by ID; outside an incident channel the card is
// shown only to the asker.
func TestRunbookOnDemand(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	inc, ch := h.declare(rita, "start Quarterly numbers look odd", "Quarterly numbers look odd")
	if n := len(h.posts(ch.ID)); n != 1 {
		t.Fatalf("%d messages in a channel whose title matches no runbook; want only the header", n)
	}
	h.slash(rita, ch.ID, "runbook users get 403 forbidden from the WAF")
	h.messageContaining(ch.ID, "WAF")
	h.slash(rita, ch.ID, "runbook dns-resolution")
	h.messageContaining(ch.ID, "Asked for by <@"+rita+">")
	h.slash(rita, ch.ID, "runbook what time is lunch")
	h.responseContaining("No confident runbook match")
	h.slash(bob, h.general, "runbook site can't be found")
	h.eventually("ephemeral card", func() bool {
		for _, p := range h.slack.ResponseURLPosts() {
			if strings.Contains(p.Text, "Runbook: DNS") {
				return true
			}
		}
		return false
	})
	kinds := []incidents.EventKind{incidents.EventDeclared, incidents.EventChannelCreated, incidents.EventRunbookPosted, incidents.EventRunbookPosted}
	assertKinds(t, h.openStore(t), inc, kinds...)
}

// Action buttons say plainly why they cannot run without targets.
func TestActionButtonWithoutTargets(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	_, ch := h.declare(rita, "start Redis unreachable", "Redis unreachable")
	card := h.card(ch.ID)
	h.send("interactive", h.slack.BlockAction(rita, ch.ID, card.TS, "runbook_action:0", "redis-unreachable|elasticache.health"))
	h.responseContaining("`elasticache.health` cannot run: no targets file is configured")
}

// The daily digest lists overdue playbooks once per day, even with two
// replicas running it against one store.
func TestReviewDigestOncePerDay(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, map[string]string{"PLAYBOOK_REVIEW_CHANNEL": "CREVIEW001"})
		review := h.slack.AddChannel("playbook-review")
		h.stop()
		h.env["PLAYBOOK_REVIEW_CHANNEL"] = review
		a := newDigestApp(t, h)
		b := newDigestApp(t, h)
		day := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		for _, d := range []*bot.ReviewDigest{a, b, a} {
			if err := d.Run(context.Background(), day); err != nil {
				t.Fatal(err)
			}
		}
		msgs := h.slack.Messages(review)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "past their review date") || !strings.Contains(msgs[0].Text, "redis-unreachable") {
			t.Fatalf("digest messages = %+v", msgs)
		}
		if err := a.Run(context.Background(), day.AddDate(0, 0, 1)); err != nil {
			t.Fatal(err)
		}
		if len(h.slack.Messages(review)) != 2 {
			t.Fatal("no digest the next day")
		}
	})
}

func TestPlaybooksCLI(t *testing.T) {
	run1 := func(env map[string]string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"playbooks"}, args...), func(k string) string { return env[k] }, &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, _ := run1(nil, "check")
	if code != 0 || !strings.Contains(out, "playbooks OK") {
		t.Fatalf("check built-ins: %d %q", code, out)
	}
	dir := t.TempDir()
	bad := "id: Bad Id\ntitle: x\nowner: me\nreview_by: 2027-01-01\nsources: [{doc: d}]\nmatch: {terms: [x]}\nchecks: [{text: y, action: ecs.explode}]\n"
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := run1(nil, "check", dir)
	if code != 1 || !strings.Contains(errs, filepath.Join(dir, "bad.yaml")+":1: id \"Bad Id\"") || !strings.Contains(errs, "bad.yaml:7: unknown action \"ecs.explode\"") {
		t.Fatalf("check bad dir: %d %q", code, errs)
	}
	code, out, _ = run1(nil, "list")
	if code != 0 || !strings.Contains(out, "redis-unreachable") || !strings.Contains(out, "REVIEW BY") ||
		!strings.Contains(out, "2026-07-16 (overdue)  set by troubleshooting-runbook.txt") || !strings.Contains(out, "6 months after the last review on 2026-11-21") {
		t.Fatalf("list: %d %q", code, out)
	}
	code, out, _ = run1(nil, "match", "--label", "metric=CurrConnections", "cache connection errors in backend logs")
	if code != 0 || !strings.HasPrefix(out, "1. redis-unreachable") || !strings.Contains(out, `label "metric=CurrConnections"`) {
		t.Fatalf("match: %d %q", code, out)
	}
	code, out, _ = run1(nil, "match", "what time is lunch")
	if code != 0 || !strings.HasPrefix(out, "no confident match") {
		t.Fatalf("match nothing: %d %q", code, out)
	}
	if code, _, _ := run1(nil, "frobnicate"); code != 2 {
		t.Fatalf("unknown subcommand exit %d", code)
	}
}

// newDigestApp returns the review digest job of a second replica.
func newDigestApp(t *testing.T, h *harness) *bot.ReviewDigest { return newReplica(t, h).digest }

// newReplica wires a second, never-started `serve` (a replica) from the
// harness settings, for driving its scheduled jobs at chosen times.
func newReplica(t *testing.T, h *harness) *Main {
	t.Helper()
	env := map[string]string{}
	for k, v := range h.env {
		env[k] = v
	}
	env["HTTP_ADDR"] = freeAddr(t)
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMain(context.Background(), cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// The digest's schedule really runs inside `serve` (here every second).
func TestReviewDigestRunsOnSchedule(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	review := h.slack.AddChannel("playbook-review")
	h.stop()
	h.env["PLAYBOOK_REVIEW_CHANNEL"], h.env["PLAYBOOK_REVIEW_SCHEDULE"] = review, "@every 1s"
	h.start()
	h.messageContaining(review, "past their review date")
}
