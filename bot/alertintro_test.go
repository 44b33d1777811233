package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
)

// An alert's opening message fits Slack's 3,000-character section however
// long its text and links (Slack refuses the whole message otherwise, and
// the Take command button with it); once someone took command, no button.
func TestAlertIntroFitsASection(t *testing.T) {
	var links []string
	for i := range 10 {
		links = append(links, "https://grafana.example.com/d/"+strings.Repeat("x", 1900)+string(rune('a'+i)))
	}
	ev := incidents.Event{Kind: incidents.EventAlert, Data: map[string]string{"title": strings.Repeat("<disk & cpu> ", 40),
		"text": strings.Repeat("a&b<c> ", 400), "links": strings.Join(links, "\n"), "source": "webhook", "at": time.Now().Format(time.RFC3339)}}
	inc := incidents.Incident{Status: incidents.StatusInvestigating}
	_, blocks := Renderer{Location: time.UTC}.alertIntroBlocks(inc, ev, true)
	if len(blocks) != 2 {
		t.Fatalf("%d blocks", len(blocks))
	}
	if n := len([]rune(blocks[0].(*slack.SectionBlock).Text.Text)); n > 3000 {
		t.Errorf("section of %d characters", n)
	}
	if a := blocks[1].(*slack.ActionBlock); a.Elements.ElementSet[0].(*slack.ButtonBlockElement).ActionID != ActionTakeCommand {
		t.Errorf("no Take command button: %+v", a)
	}
	inc.AcknowledgedAt = time.Now()
	if _, blocks := (Renderer{Location: time.UTC}).alertIntroBlocks(inc, ev, false); blocks != nil {
		t.Error("a button to take an incident someone took, or to draw what cannot be drawn")
	}
	if _, blocks := (Renderer{Location: time.UTC}).alertIntroBlocks(inc, ev, true); len(blocks) != 2 {
		t.Error("no Refresh graph button once the incident is taken")
	}
}
