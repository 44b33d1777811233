package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// The offline draft from the store: declare and resolve through Slack,
// stop the bot, then `incident-bot postmortem --incident 1`. What people
// said in the channel, as the bot recorded it, is in the draft; the
// bot's own posts (Slack sends it their events too) are not people's.
func TestPostmortemFromStore(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	_, ch := h.declare(rita, "start sev2 Search returns nothing", "Search returns nothing")
	for _, m := range h.slack.Messages(ch.ID) {
		if m.User == botUserID {
			h.send("events_api", h.slack.PostedEvent(ch.ID, m.TS))
			h.recorded(ch.ID, m.TS)
		}
	}
	said, p := h.slack.MessageEvent(ch.ID, bob, "the index alias points at an empty index", "")
	h.send("events_api", p)
	h.recorded(ch.ID, said)
	h.slash(rita, ch.ID, "update reindexing")
	h.messageContaining(ch.ID, "reindexing")
	h.slash(rita, ch.ID, "resolve index rebuilt")
	h.messageContaining(ch.ID, "*resolved*")
	h.stop()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"postmortem", "--incident", "#1"}, func(k string) string { return h.env[k] }, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"# Search returns nothing", "**Status:** Draft", "Status update (<@" + rita + ">): reindexing", "## Resolution\n\nindex rebuilt", "## Root Cause(s)",
		"the index alias points at an empty index"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("draft lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), botUserID) {
		t.Errorf("the bot's own posts are in the draft as someone's:\n%s", out.String())
	}
	if code := run(context.Background(), []string{"postmortem", "--incident", "#99"}, func(k string) string { return h.env[k] }, io.Discard, &errb); code == 0 || !strings.Contains(errb.String(), "no incident #99") {
		t.Fatalf("unknown incident: %d %s", code, errb.String())
	}
}

// The draft from a Slack workspace export, for incidents before the bot.
func TestPostmortemFromSlackExport(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"postmortem", "--slack-export", "../../incidents/postmortem/slackexport/testdata/export", "--channel", "ops"},
		func(string) string { return "" }, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "# ops") || !strings.Contains(out.String(), "## Timeline") || strings.Contains(out.String(), "@<@") {
		t.Fatalf("draft:\n%s", out.String())
	}
	// POSTMORTEM_GAP marks shorter silences; a bad value is refused by name.
	var fine bytes.Buffer
	gap := func(v string) func(string) string {
		return func(k string) string {
			if k == "POSTMORTEM_GAP" {
				return v
			}
			return ""
		}
	}
	if code := run(context.Background(), []string{"postmortem", "--slack-export", "../../incidents/postmortem/slackexport/testdata/export", "--channel", "ops"},
		gap("1m"), &fine, &errb); code != 0 || strings.Count(fine.String(), "??:??") <= strings.Count(out.String(), "??:??") {
		t.Errorf("POSTMORTEM_GAP=1m: exit %d, %d gap lines vs %d by default", code, strings.Count(fine.String(), "??:??"), strings.Count(out.String(), "??:??"))
	}
	errb.Reset()
	if code := run(context.Background(), []string{"postmortem", "--slack-export", "../../incidents/postmortem/slackexport/testdata/export", "--channel", "ops"},
		gap("soon"), io.Discard, &errb); code != 2 || !strings.Contains(errb.String(), "POSTMORTEM_GAP") {
		t.Errorf("POSTMORTEM_GAP=soon: exit %d, %s", code, errb.String())
	}
	code = run(context.Background(), []string{"postmortem", "--slack-export", "../../incidents/postmortem/slackexport/testdata/export", "--channel", "nope"},
		func(string) string { return "" }, io.Discard, &errb)
	if code == 0 || !strings.Contains(errb.String(), "ops") {
		t.Fatalf("unknown channel: %d %s", code, errb.String())
	}
}
