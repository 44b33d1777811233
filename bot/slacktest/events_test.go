package slacktest_test

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

// shaped holds a payload to the shape of the sample's.
func shaped(t *testing.T, fixture string, payload map[string]any) map[string]any {
	t.Helper()
	var got any
	raw, _ := json.Marshal(payload)
	_ = json.Unmarshal(raw, &got)
	for _, d := range sameShape(fixture, loadFixture(t, fixture)["payload"], got) {
		t.Error(d)
	}
	return payload
}

// parseEvent reads a payload as the bot does, after a round trip through JSON.
func parseEvent(t *testing.T, payload map[string]any) slackevents.EventsAPIInnerEvent {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := slackevents.ParseEvent(raw, slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatalf("ParseEvent: %v\n%s", err, raw)
	}
	return ev.InnerEvent
}

// The event builders change the channel as Slack would, and their payloads read as the events
// Slack sends: a message, a reply, an edit, a deletion, reactions and pins.
func TestMessageEvents(t *testing.T) {
	s := newServer(t, slacktest.Options{BotUserID: botUser})
	ch := s.AddChannel("inc-events", humanUser, botUser)

	ts, p := s.MessageEvent(ch, humanUser, "db is down", "")
	msg, ok := parseEvent(t, shaped(t, "socketmode_events_api_message", p)).Data.(*slackevents.MessageEvent)
	if !ok || msg.TimeStamp != ts || msg.Channel != ch || msg.Text != "db is down" || msg.User != humanUser {
		t.Fatalf("message event = %+v", msg)
	}
	reply, p := s.MessageEvent(ch, humanUser, "pool exhausted", ts)
	if r := parseEvent(t, shaped(t, "socketmode_events_api_thread_reply", p)).Data.(*slackevents.MessageEvent); r.ThreadTimeStamp != ts || r.TimeStamp != reply {
		t.Errorf("reply event = %+v", r)
	}

	edit := parseEvent(t, shaped(t, "socketmode_events_api_message_changed", s.EditEvent(ch, ts, "db is down (pool)"))).Data.(*slackevents.MessageEvent)
	if edit.SubType != "message_changed" || edit.Message.Text != "db is down (pool)" || edit.Message.Edited == nil ||
		edit.Message.Timestamp != ts || edit.PreviousMessage.Text != "db is down" {
		t.Errorf("edit event = %+v / %+v", edit, edit.Message)
	}

	r := parseEvent(t, shaped(t, "socketmode_events_api_reaction_added", s.ReactionEvent(ch, ts, humanUser, ":key:", true))).Data.(*slackevents.ReactionAddedEvent)
	if r.Reaction != "key" || r.Item.Timestamp != ts || r.Item.Channel != ch || r.User != humanUser {
		t.Errorf("reaction_added = %+v", r)
	}
	if rr, ok := parseEvent(t, s.ReactionEvent(ch, ts, humanUser, "key", false)).Data.(*slackevents.ReactionRemovedEvent); !ok || rr.Reaction != "key" {
		t.Errorf("reaction_removed = %+v", rr)
	}
	pin := parseEvent(t, shaped(t, "socketmode_events_api_pin_added", s.PinEvent(ch, ts, true))).Data.(*slackevents.PinAddedEvent)
	if pin.Channel != ch || pin.Item.Message == nil || pin.Item.Message.Timestamp != ts {
		t.Errorf("pin_added = %+v", pin)
	}
	if _, ok := parseEvent(t, s.PinEvent(ch, ts, false)).Data.(*slackevents.PinRemovedEvent); !ok {
		t.Error("pin_removed does not read as one")
	}

	del := parseEvent(t, shaped(t, "socketmode_events_api_message_deleted", s.DeleteEvent(ch, reply))).Data.(*slackevents.MessageEvent)
	if del.SubType != "message_deleted" || del.DeletedTimeStamp != reply || del.PreviousMessage.Text != "pool exhausted" {
		t.Errorf("delete event = %+v", del)
	}

	// History agrees with the events: the edit, no reaction, no pin, the reply gone.
	api := newAPI(s)
	hist, err := api.GetConversationHistoryContext(timeout(t), &slack.GetConversationHistoryParameters{ChannelID: ch})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range hist.Messages {
		if m.Timestamp == ts && (m.Text != "db is down (pool)" || len(m.Reactions) != 0 || len(m.PinnedTo) != 0 || m.ReplyCount != 0) {
			t.Errorf("history has %+v", m)
		}
	}
}
