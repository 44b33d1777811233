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
	fs, cvs := h.slack.Files(), h.slack.Canvases()
	if len(fs) != 1 || len(cvs) != 1 {
		t.Fatalf("files %d, canvases %d; want the draft once as each", len(fs), len(cvs))
	}
	if cvs[0].Channel != ch.ID || cvs[0].Markdown != string(fs[0].Content) || !strings.Contains(cvs[0].Markdown, "# Checkout is slow") {
		t.Errorf("canvas = %+v, draft file:\n%s", cvs[0], fs[0].Content)
	}

	h.slash(rita, ch.ID, "resolve cache warmed")
	h.messageContaining(ch.ID, "*resolved*")
	h.slash(rita, ch.ID, "postmortem")
	h.eventually("canvas edited", func() bool { return h.slack.CallCount("canvases.edit") == 1 })
	h.eventually("draft replaced", func() bool { return h.slack.CallCount("files.delete") == 1 })
	if n := h.slack.CallCount("conversations.canvases.create"); n != 1 {
		t.Errorf("conversations.canvases.create called %d times, want 1", n)
	}
	cvs, fs = h.slack.Canvases(), h.slack.Files()
	if len(cvs) != 1 || len(cvs[0].Edits) != 1 || cvs[0].Edits[0].Operation != "replace" ||
		len(fs) != 1 || cvs[0].Markdown != string(fs[0].Content) || !strings.Contains(cvs[0].Markdown, "cache warmed") {
		t.Errorf("after the re-run: canvases %+v, %d files", cvs, len(fs))
	}
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
	if fs := h.slack.Files(); len(fs) != 1 || !strings.Contains(string(fs[0].Content), "# Slow search") {
		t.Errorf("files = %+v", fs)
	}
	if len(h.slack.Canvases()) != 0 {
		t.Errorf("canvases = %+v", h.slack.Canvases())
	}
	h.eventually("bookmark", func() bool { return len(h.slack.Bookmarks(ch.ID)) == 1 })
}
