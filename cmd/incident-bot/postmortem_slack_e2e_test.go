package main

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

// /incident postmortem reads what the bot did not hear (here: all that
// was said while it was stopped) through the fake Slack's paginated
// history and replies, and uploads the draft as a file with a bookmark,
// its timeline chart in the same message, linked from the draft; running
// it again replaces the draft and the chart and keeps one bookmark.
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

	before := h.uploadCalls()
	h.slash(rita, ch.ID, "postmortem")
	var draft string
	h.eventually("draft uploaded", func() bool {
		fs, _ := h.postmortemUploads()
		if len(fs) > 0 {
			draft = string(fs[0].Content)
		}
		return draft != ""
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
	firstChart := h.checkChart(ch.ID, before)

	before = h.uploadCalls()
	h.slash(rita, ch.ID, "postmortem")
	h.eventually("draft and chart replaced", func() bool {
		fs, charts := h.postmortemUploads()
		return len(fs) == 1 && len(charts) == 1 && h.slack.CallCount("files.delete") == 2
	})
	if chart := h.checkChart(ch.ID, before); chart.ID == firstChart.ID {
		t.Errorf("the re-run kept the chart %s", chart.ID)
	}
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
	h.eventually("draft on resolve", func() bool {
		fs, charts := h.postmortemUploads()
		return len(fs) == 1 && len(charts) == 1
	})
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

	// A chart that cannot be shared leaves the draft without one, saying
	// why; the previous chart goes with the previous draft.
	h.slack.FailNext("files.getUploadURLExternal", "file_upload_size_restricted")
	h.send("interactive", h.slack.BlockAction(bob, ch.ID, res.TS, "incident_postmortem", inc.ID.String()))
	h.eventually("refreshed draft with the item", func() bool {
		fs, charts := h.postmortemUploads()
		return len(fs) == 1 && len(charts) == 0 && strings.Contains(string(fs[0].Content), "| alert on queue depth | rita |")
	})
	if fs, _ := h.postmortemUploads(); !strings.Contains(string(fs[0].Content),
		"## Timeline\n\n_(timeline chart unavailable: it could not be uploaded: file_upload_size_restricted)_\n\n") {
		t.Errorf("the draft does not say why it has no chart:\n%s", fs[0].Content)
	}

	// Slack refusing to share the two together: the draft goes alone,
	// saying so, rather than not at all.
	h.slack.FailNext("files.completeUploadExternal", "invalid_arguments")
	before := h.slack.CallCount("files.completeUploadExternal")
	h.send("interactive", h.slack.BlockAction(bob, ch.ID, res.TS, "incident_postmortem", inc.ID.String()))
	h.eventually("the draft alone", func() bool {
		fs, charts := h.postmortemUploads()
		return h.slack.CallCount("files.completeUploadExternal") == before+2 && len(fs) == 1 && len(charts) == 0 &&
			strings.Contains(string(fs[0].Content), "timeline chart unavailable: it could not be shared with the draft")
	})
}

// postmortemUploads are the postmortem drafts and timeline charts among
// the files in the fake Slack (deleted ones are gone).
func (h *harness) postmortemUploads() (drafts, charts []slacktest.UploadedFile) {
	for _, f := range h.slack.Files() {
		switch {
		case !strings.HasPrefix(f.Name, "postmortem-incident-"):
		case strings.HasSuffix(f.Name, "-timeline.png"):
			charts = append(charts, f)
		case strings.HasSuffix(f.Name, ".md"):
			drafts = append(drafts, f)
		}
	}
	return drafts, charts
}

// uploadCalls counts the calls an upload makes, and files.info's.
func (h *harness) uploadCalls() [3]int {
	return [3]int{h.slack.CallCount("files.getUploadURLExternal"), h.slack.CallCount("files.completeUploadExternal"), h.slack.CallCount("files.info")}
}

// checkChart asserts a run's chart, once the run is done: one chart, a
// PNG, uploaded once and shared in the draft's own message (the run made
// two uploads, one completion and one files.info, the draft's permalink
// for the bookmark), which links it by its file name.
func (h *harness) checkChart(channel string, before [3]int) slacktest.UploadedFile {
	h.t.Helper()
	drafts, charts := h.postmortemUploads()
	if len(drafts) != 1 || len(charts) != 1 {
		h.t.Fatalf("%d drafts and %d charts, want one of each", len(drafts), len(charts))
	}
	draft, chart := drafts[0], charts[0]
	if after := h.uploadCalls(); after != [3]int{before[0] + 2, before[1] + 1, before[2] + 1} {
		h.t.Errorf("upload, completion and files.info calls went from %v to %v: want +2, +1, +1", before, after)
	}
	img, err := png.Decode(bytes.NewReader(chart.Content))
	if err != nil || img.Bounds().Dx() != 1200 || img.Bounds().Dy() != 360 {
		h.t.Errorf("the chart is not a 1200x360 PNG: %v", err)
	}
	if chart.Channel != channel || chart.Name != "postmortem-incident-1-timeline.png" {
		h.t.Errorf("chart %s %q shared in %s, want in %s", chart.ID, chart.Name, chart.Channel, channel)
	}
	var shared []string
	for _, m := range h.slack.Messages(channel) {
		if strings.HasPrefix(m.Text, ":memo: Postmortem draft") {
			shared = m.Files // the latest
		}
	}
	if strings.Join(shared, " ") != draft.ID+" "+chart.ID {
		h.t.Errorf("the draft's message shares %v, want the draft %s and its chart %s", shared, draft.ID, chart.ID)
	}
	if md := string(draft.Content); !strings.Contains(md, "## Timeline\n\n![Timeline chart](postmortem-incident-1-timeline.png)\n\nAll times in ") {
		h.t.Errorf("the draft does not link the chart:\n%s", md[strings.Index(md, "## Timeline"):][:300])
	}
	return chart
}
