package bot

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"
)

// An alert bot that posts only an attachment still reaches the draft, in
// its own name; the text is kept plain.
func TestRecordedAttachmentOnlyBotMessage(t *testing.T) {
	raw := `{"type":"message","subtype":"bot_message","ts":"1767693900.000200","bot_id":"B0ALERTS01","username":"Grafana",
		"text":"","attachments":[{"fallback":"[FIRING:1] HighErrorRate web","title":"HighErrorRate","text":"5xx > 5%"},
		{"title":"Runbook","text":"see wiki"}]}`
	var m slack.Message
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	pm := recordedMessage("C0INC", m.Msg)
	if pm.Text != "[FIRING:1] HighErrorRate web\nRunbook see wiki" {
		t.Errorf("text = %q", pm.Text)
	}
	if pm.Name != "Grafana" || pm.BotID != "B0ALERTS01" || pm.At.Unix() != 1767693900 || pm.At.Nanosecond() != 200000 || pm.Channel != "C0INC" {
		t.Errorf("message = %+v", pm)
	}

	raw = `{"type":"message","ts":"1767693901.000001","bot_id":"B0DEPLOY01","bot_profile":{"name":"deploy-bot"},
		"text":"web v42 deployed &amp; p99 &lt; 2s, see <https://ci/42|the build>, ping <@U0RITA0001>"}`
	m = slack.Message{}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	if pm := recordedMessage("C0INC", m.Msg); pm.Name != "deploy-bot" || pm.Text != "web v42 deployed & p99 < 2s, see the build (https://ci/42), ping @U0RITA0001" {
		t.Errorf("message = %+v", pm)
	}
}
