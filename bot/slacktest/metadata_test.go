package slacktest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

func TestMessageMetadataIsStoredAndReadBackOnRequest(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ch := s.AddChannel("inc-1", botUser)
	opened := slack.SlackMetadata{EventType: "incident_opened", EventPayload: map[string]any{"id": "INC-1", "sev": 2.0}}
	_, ts, err := api.PostMessage(ch, slack.MsgOptionText("SEV2 opened", false), slack.MsgOptionMetadata(opened))
	if err != nil {
		t.Fatal(err)
	}
	_, replyTS, err := api.PostMessage(ch, slack.MsgOptionText("update", false), slack.MsgOptionTS(ts),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "incident_update"})) // nil payload: sent as null
	if err != nil {
		t.Fatal(err)
	}

	m := posts(s.Messages(ch))[0]
	if m.Metadata == nil || m.Metadata.EventType != "incident_opened" || string(m.Metadata.EventPayload) != `{"id":"INC-1","sev":2}` {
		t.Fatalf("stored metadata = %+v", m.Metadata)
	}

	plain, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch})
	if err != nil || len(plain.Messages) == 0 || plain.Messages[0].Metadata.EventType != "" {
		t.Fatalf("history without include_all_metadata = %+v, %v", plain, err)
	}
	full, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch, IncludeAllMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	got := full.Messages[0].Metadata // newest first: the post
	if full.Messages[0].Timestamp != ts || got.EventType != "incident_opened" || got.EventPayload["id"] != "INC-1" || got.EventPayload["sev"] != 2.0 {
		t.Errorf("history metadata = %+v", full.Messages[0])
	}
	replies, _, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: ts, IncludeAllMetadata: true})
	if err != nil || len(replies) != 2 || replies[1].Timestamp != replyTS || replies[1].Metadata.EventType != "incident_update" ||
		replies[1].Metadata.EventPayload == nil || replies[0].Metadata.EventType != "incident_opened" {
		t.Fatalf("replies = %+v, %v", replies, err)
	}
	replies, _, _, _ = api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: ts})
	if replies[1].Metadata.EventType != "" {
		t.Errorf("replies without include_all_metadata: %+v", replies[1].Metadata)
	}

	// chat.update keeps the metadata unless it brings new metadata.
	if _, _, _, err := api.UpdateMessage(ch, ts, slack.MsgOptionText("SEV2 mitigated", false)); err != nil {
		t.Fatal(err)
	}
	if m := posts(s.Messages(ch))[0]; m.Metadata == nil || m.Metadata.EventType != "incident_opened" {
		t.Errorf("after an update without metadata: %+v", m.Metadata)
	}
	resolved := slack.SlackMetadata{EventType: "incident_resolved", EventPayload: map[string]any{"id": "INC-1"}}
	if _, _, _, err := api.UpdateMessage(ch, ts, slack.MsgOptionText("SEV2 resolved", false), slack.MsgOptionMetadata(resolved)); err != nil {
		t.Fatal(err)
	}
	if m := posts(s.Messages(ch))[0]; m.Metadata == nil || m.Metadata.EventType != "incident_resolved" || string(m.Metadata.EventPayload) != `{"id":"INC-1"}` {
		t.Errorf("after an update with metadata: %+v", m.Metadata)
	}
}

func TestMessageMetadataInAJSONBody(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	ch := s.AddChannel("ops")
	body := `{"channel":"` + ch + `","text":"hi","metadata":{"event_type":"deploy_started","event_payload":{"version":"v41"}}}`
	req, _ := http.NewRequest(http.MethodPost, s.APIURL()+"chat.postMessage", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer xoxb-test")
	if _, out := do(t, req); !strings.Contains(out, `"ok":true`) {
		t.Fatalf("post: %s", out)
	}
	md := s.Messages(ch)[0].Metadata
	var payload map[string]string
	if md == nil || md.EventType != "deploy_started" || json.Unmarshal(md.EventPayload, &payload) != nil || payload["version"] != "v41" {
		t.Errorf("metadata = %+v", md)
	}
}

func TestMessageMetadataErrors(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	ch := s.AddChannel("ops", botUser)
	for raw, code := range map[string]string{
		`not json`:                  "invalid_metadata_format",
		`["event_type"]`:            "invalid_metadata_format",
		`null`:                      "invalid_metadata_format",
		`{"event_payload":{}}`:      "invalid_metadata_schema",
		`{"event_type":""}`:         "invalid_metadata_schema",
		`{"event_type":"bad type"}`: "invalid_metadata_schema",
		`{"event_type":"x.y"}`:      "invalid_metadata_schema",
		`{"event_type":7}`:          "invalid_metadata_schema",
		`{"event_type":"ok_1","event_payload":[1]}`: "invalid_metadata_schema",
		`{"event_type":"ok_1","event_payload":"x"}`: "invalid_metadata_schema",
	} {
		_, body := postForm(t, s, "chat.postMessage", url.Values{"token": {"xoxb-test"}, "channel": {ch}, "text": {"x"}, "metadata": {raw}}, nil)
		if !strings.Contains(body, `"error":"`+code+`"`) {
			t.Errorf("metadata %s: %s, want %s", raw, body, code)
		}
	}
	if n := len(posts(s.Messages(ch))); n != 0 {
		t.Fatalf("refused posts stored %d messages", n)
	}
	_, ts, err := newAPI(s).PostMessage(ch, slack.MsgOptionText("x", false))
	if err != nil {
		t.Fatal(err)
	}
	_, body := postForm(t, s, "chat.update", url.Values{"token": {"xoxb-test"}, "channel": {ch}, "ts": {ts}, "text": {"changed"}, "metadata": {`{}`}}, nil)
	if !strings.Contains(body, `"invalid_metadata_schema"`) || posts(s.Messages(ch))[0].Text != "x" {
		t.Errorf("update with bad metadata: %s", body)
	}
}
