package main

import (
	"context"
	"strings"
	"testing"

	"github.com/incident-bot/incident-bot/incidents"
)

// The same title arriving by slash command (which Slack escapes), by the
// form (which it does not) and by an alert is stored the same, as typed,
// and drawn the same: escaped once, by the renderer.
func TestSameTitleThreeWays(t *testing.T) {
	const title = "p99 > 2s & rising <db>"
	const drawn = "p99 &gt; 2s &amp; rising &lt;db&gt;"
	h := newHarness(t, "sqlite", map[string]string{"ALERT_WEBHOOK_SECRET": testAlertSecret})
	st := h.openStore(t)

	// Slack sends a slash command's text escaped.
	h.slash(rita, h.general, "start sev2 p99 &gt; 2s &amp; rising &lt;db&gt;")
	h.slash(rita, h.general, "start sev2")
	view := h.viewOpened("incident_declare")
	h.send("interactive", h.slack.ViewSubmission(rita, view.ID, view.CallbackID, view.PrivateMetadata, map[string]map[string]any{
		"title":    {"value": map[string]any{"type": "plain_text_input", "value": title}},
		"severity": {"value": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "sev2"}}},
	}))
	if code := h.postAlert("/alerts/webhook", `{"title":"p99 > 2s & rising <db>","severity":"critical","fingerprint":"p99-db"}`); code != 200 {
		t.Fatalf("alert: HTTP %d", code)
	}
	var list []incidents.Incident
	h.eventually("three incidents set up", func() bool {
		list, _ = st.List(context.Background(), incidents.ListFilter{})
		n := 0
		for _, inc := range list {
			if inc.HeaderTS != "" {
				n++
			}
		}
		return n == 3
	})
	h.settled()
	for _, inc := range list {
		if inc.Title != title {
			t.Errorf("%s stored its title as %q, want %q", inc.Ref(), inc.Title, title)
		}
		header := ""
		for _, m := range h.slack.Messages(inc.ChannelID) {
			if m.TS == inc.HeaderTS {
				header = string(m.Blocks)
			}
		}
		if !strings.Contains(header, drawn) || strings.Contains(header, "<db>") || strings.Contains(header, "&amp;gt;") {
			t.Errorf("%s header draws the title wrong: %s", inc.Ref(), header)
		}
	}
	if n := h.count(h.announce, "*"+drawn+"*"); n != 3 {
		t.Errorf("%d announcements draw the title as %q, want 3", n, drawn)
	}
}
