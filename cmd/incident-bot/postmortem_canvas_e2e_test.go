package main

import (
	"strings"
	"testing"
)

// /incident postmortem offers the draft as the channel's canvas too: the
// first run creates it with the draft's Markdown, a re-run replaces its
// content (canvases.edit) rather than creating another.
func TestPostmortemCanvas(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	_, ch := h.declare(rita, "start sev2 Checkout is slow", "Checkout is slow")

	h.slash(rita, ch.ID, "postmortem")
	h.messageContaining(ch.ID, "It is in the channel canvas too")
	fs, charts := h.postmortemUploads()
	cvs := h.slack.Canvases()
	if len(fs) != 1 || len(cvs) != 1 || len(charts) != 1 {
		t.Fatalf("files %d, canvases %d, charts %d; want the draft once as each, and its chart", len(fs), len(cvs), len(charts))
	}
	if cvs[0].Channel != ch.ID || cvs[0].Markdown != onCanvas(fs[0].Content) || !strings.Contains(cvs[0].Markdown, "# Checkout is slow") {
		t.Errorf("canvas = %+v, draft file:\n%s", cvs[0], fs[0].Content)
	}

	h.slash(rita, ch.ID, "resolve cache warmed")
	h.messageContaining(ch.ID, "*resolved*")
	h.slash(rita, ch.ID, "postmortem")
	h.eventually("canvas edited", func() bool { return h.slack.CallCount("canvases.edit") == 1 })
	h.eventually("draft and chart replaced", func() bool { return h.slack.CallCount("files.delete") == 2 })
	if n := h.slack.CallCount("conversations.canvases.create"); n != 1 {
		t.Errorf("conversations.canvases.create called %d times, want 1", n)
	}
	cvs = h.slack.Canvases()
	fs, _ = h.postmortemUploads()
	if len(cvs) != 1 || len(cvs[0].Edits) != 1 || cvs[0].Edits[0].Operation != "replace" ||
		len(fs) != 1 || cvs[0].Markdown != onCanvas(fs[0].Content) || !strings.Contains(cvs[0].Markdown, "cache warmed") {
		t.Errorf("after the re-run: canvases %+v, %d files", cvs, len(fs))
	}
}

// onCanvas is a draft file as the canvas has it: the same, but for the
// chart, named rather than linked by a name that leads nowhere there.
func onCanvas(draft []byte) string {
	return strings.Replace(string(draft), "![Timeline chart](postmortem-incident-1-timeline.png)",
		"_The timeline chart is postmortem-incident-1-timeline.png, shared with the draft's file._", 1)
}

// A workspace that refuses canvases still gets the draft as a file, and
// the reply says why there is no canvas.
func TestPostmortemCanvasRefused(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	_, ch := h.declare(rita, "start sev3 Slow search", "Slow search")
	h.slack.FailNext("conversations.canvases.create", "canvas_disabled_user_team")

	h.slash(rita, ch.ID, "postmortem")
	msg := h.messageContaining(ch.ID, "Postmortem draft for")
	if !strings.Contains(msg.Text, "as a file (canvases are not available: `canvas_disabled_user_team`") {
		t.Errorf("reply = %q", msg.Text)
	}
	if fs, _ := h.postmortemUploads(); len(fs) != 1 || !strings.Contains(string(fs[0].Content), "# Slow search") {
		t.Errorf("files = %+v", fs)
	}
	if len(h.slack.Canvases()) != 0 {
		t.Errorf("canvases = %+v", h.slack.Canvases())
	}
	h.eventually("bookmark", func() bool { return len(h.slack.Bookmarks(ch.ID)) == 1 })
}
