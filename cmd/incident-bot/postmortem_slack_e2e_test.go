package main

import (
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

// /incident postmortem reads what the bot did not hear (here: all that
// was said while it was stopped) through the fake Slack's paginated
// history and replies, and uploads the draft as a file with a bookmark;
// running it again replaces the draft and keeps one bookmark.
func TestPostmortemThroughSlack(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	h.slack.AddUser("U0CAROL001", "carol")
	_, ch := h.declare(rita, "start sev1 Users see 502 errors", "Users see 502 errors")
	h.stop()
	// A channel longer than one history page (200), with a thread, an
	// edit, a pin, a key reaction, a file and an action item, said while
	// the bot was stopped: no event of it reached the bot.
	for i := range 230 {
		h.slack.AddMessage(ch.ID, bob, "checking pod "+string(rune('a'+i%26)), "")
	}
	parent := h.slack.AddMessage(ch.ID, "U0CAROL001", "was there a deploy tonight?", "")
	h.slack.AddReply(ch.ID, parent, bob, "yes, web v42")
	// A reply also sent to the channel comes back from both history and
	// replies; it must appear once.
	h.slack.AddReply(ch.ID, parent, "U0CAROL001", "rolling back v42 now", slacktest.Broadcast())
	edited := h.slack.AddMessage(ch.ID, bob, "v42 changed the pool size", "")
	h.slack.EditMessage(ch.ID, edited, "v42 changed the DB pool size and the health check")
	pinned := h.slack.AddMessage(ch.ID, bob, "Decision: roll back to v41", "")
	h.slack.Pin(ch.ID, pinned)
	key := h.slack.AddMessage(ch.ID, "U0CAROL001", "errors gone", "")
	h.slack.React(ch.ID, key, bob, "key")
	h.slack.AddFile(ch.ID, bob, "errors.png")
	h.slack.AddMessage(ch.ID, bob, "action: add a canary stage <@U0CAROL001>", "", slacktest.At(time.Now().Add(time.Minute)))
	h.start()
	h.slash(rita, ch.ID, "resolve rolled back")
	h.messageContaining(ch.ID, "*resolved*")

	h.slash(rita, ch.ID, "postmortem")
	var draft string
	h.eventually("draft uploaded", func() bool {
		fs := h.slack.Files()
		for _, f := range fs {
			if strings.HasPrefix(f.Name, "postmortem-incident-") {
				draft = string(f.Content)
				return true
			}
		}
		return false
	})
	for _, want := range []string{
		"# Users see 502 errors", "**Authors:**", "carol", "rita",
		"carol: was there a deploy tonight?\n  - ", "bob: yes, web v42",
		"v42 changed the DB pool size and the health check _(edited)_",
		"**bob: Decision: roll back to v41**", "**carol: errors gone**", "[file: errors.png]",
		"| add a canary stage @carol | carol |", "checking pod",
	} {
		if !strings.Contains(draft, want) {
			t.Errorf("draft lacks %q", want)
		}
	}
	for _, line := range strings.Split(draft, "\n") {
		if strings.Contains(line, "bob: yes, web v42") && !strings.HasPrefix(line, "  - ") {
			t.Errorf("reply not indented: %q", line)
		}
	}
	if n := strings.Count(draft, "rolling back v42 now"); n != 1 {
		t.Errorf("the broadcast reply appears %d times, want 1", n)
	}
	if n := strings.Count(draft, "checking pod"); n != 230 {
		t.Errorf("draft has %d of the 230 messages (pagination?)", n)
	}
	if h.slack.CallCount("conversations.history") < 2 {
		t.Error("history was not paginated")
	}
	h.eventually("bookmark", func() bool {
		bms := h.slack.Bookmarks(ch.ID)
		return len(bms) == 1 && bms[0].Title == "Postmortem draft"
	})
	first := h.slack.Bookmarks(ch.ID)[0]

	h.slash(rita, ch.ID, "postmortem")
	h.eventually("draft replaced", func() bool {
		n := 0
		for _, f := range h.slack.Files() {
			if strings.HasPrefix(f.Name, "postmortem-incident-") {
				n++
			}
		}
		return n == 1 && h.slack.CallCount("files.delete") == 1
	})
	h.eventually("bookmark moved to the new draft", func() bool {
		bms := h.slack.Bookmarks(ch.ID)
		return len(bms) == 1 && bms[0].ID == first.ID && bms[0].Link != first.Link
	})
}

// With POSTMORTEM_ON_RESOLVE the draft comes with the resolution; the
// resolution message's "Add action item" records one for the draft, and
// its "Postmortem draft" button refreshes the draft.
func TestPostmortemOnResolveAndActionItems(t *testing.T) {
	h := newHarness(t, "sqlite", map[string]string{"POSTMORTEM_ON_RESOLVE": "true"})
	_, ch := h.declare(rita, "start sev2 Queue backlog", "Queue backlog")
	h.slash(rita, ch.ID, "resolve workers restarted")
	h.eventually("draft on resolve", func() bool { return len(h.slack.Files()) == 1 })
	res := h.messageContaining(ch.ID, "*resolved* the incident")
	incs := h.openStore(t)
	inc, _ := incs.ByChannel(t.Context(), ch.ID)

	h.send("interactive", h.slack.BlockAction(bob, ch.ID, res.TS, "incident_action_item", inc.ID.String()))
	view := h.viewOpened("incident_action_item")
	h.send("interactive", h.slack.ViewSubmission(bob, view.ID, view.CallbackID, view.PrivateMetadata, map[string]map[string]any{
		"text":  {"value": map[string]any{"type": "plain_text_input", "value": "alert on queue depth"}},
		"owner": {"value": map[string]any{"type": "users_select", "selected_user": rita}},
	}))
	h.responseContaining("Action item recorded")

	h.send("interactive", h.slack.BlockAction(bob, ch.ID, res.TS, "incident_postmortem", inc.ID.String()))
	h.eventually("refreshed draft with the item", func() bool {
		fs := h.slack.Files()
		return len(fs) == 1 && strings.Contains(string(fs[0].Content), "| alert on queue depth | rita |")
	})
}
