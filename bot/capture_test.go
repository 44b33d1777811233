package bot

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/slack-go/slack/slackevents"

	"github.com/incident-bot/incident-bot/incidents"
)

// innerEvent reads the Events API payload of a socket mode sample as the
// job does.
func innerEvent(t *testing.T, sample string) slackevents.EventsAPIInnerEvent {
	t.Helper()
	raw, err := os.ReadFile("slacktest/testdata/" + sample + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var env struct{ Payload json.RawMessage }
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	ev, err := slackevents.ParseEvent(env.Payload, slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatal(err)
	}
	return ev.InnerEvent
}

// The samples of Slack's events read as the changes they report, with
// the message's text plain and its times from Slack's ts.
func TestChannelChangeFromSamples(t *testing.T) {
	posted := time.Unix(1767694020, 1_100_000).UTC()
	tests := []struct {
		sample string
		kind   incidents.ChannelChangeKind
		ts     string
		at     time.Time
		check  func(c incidents.ChannelChange) bool
	}{
		{"socketmode_events_api_message", incidents.MessagePosted, "1767694020.001100", posted, func(c incidents.ChannelChange) bool {
			return c.Message.User == "U0FAKEUSER1" && c.Message.At.Equal(posted) && c.Message.Text == "Declaring SEV2: api 5xx ratio above 5% since 10:02 UTC. PD incident #42."
		}},
		{"socketmode_events_api_thread_reply", incidents.MessagePosted, "1767694110.001200", time.Unix(1767694110, 1_200_000).UTC(), func(c incidents.ChannelChange) bool {
			return c.Message.ThreadTS == "1767694020.001100"
		}},
		{"socketmode_events_api_message_changed", incidents.MessageEdited, "1767694020.001100", time.Unix(1767694150, 0).UTC(), func(c incidents.ChannelChange) bool {
			return c.Message.Edited && c.Message.Text == "Declaring SEV2: api 5xx ratio above 5% since 10:02 UTC (3 pods). PD incident #42, IC: @U0FAKEUSER1."
		}},
		{"socketmode_events_api_message_deleted", incidents.MessageDeleted, "1767694125.001250", time.Unix(1767694320, 1_600_000).UTC(), nil},
		{"socketmode_events_api_reaction_added", incidents.ReactionAdded, "1767694020.001100", time.Unix(1767694200, 1_400_000).UTC(), func(c incidents.ChannelChange) bool {
			return c.Reaction == "eyes" && c.User == "U0FAKEUSER2"
		}},
		{"socketmode_events_api_pin_added", incidents.MessagePinned, "1767694020.001100", time.Unix(1767694260, 1_500_000).UTC(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.sample, func(t *testing.T) {
			c, ok := channelChange(innerEvent(t, tc.sample))
			if !ok || c.Kind != tc.kind || c.Message.Channel != "C0FAKEINC01" || c.Message.TS != tc.ts || !c.At.Equal(tc.at) ||
				(tc.check != nil && !tc.check(c)) {
				t.Errorf("change = %+v (%v)", c, ok)
			}
		})
	}
	if _, ok := channelChange(innerEvent(t, "socketmode_events_api_app_mention")); ok {
		t.Error("an app mention read as a channel change")
	}
}

// A message turned into a tombstone (its thread lives on) is deleted;
// DMs and hidden notices are not channel changes.
func TestChannelChangeOddities(t *testing.T) {
	tomb := &slackevents.MessageEvent{Channel: "C1", SubType: "message_changed", EventTimeStamp: "1767694400.000100"}
	tomb.Message = nil
	if _, ok := messageChange(tomb); ok {
		t.Error("a change without its message was read")
	}
	for _, raw := range []string{
		`{"type":"message","subtype":"message_changed","channel":"C1","event_ts":"1767694400.000100","message":{"type":"message","subtype":"tombstone","text":"This message was deleted.","ts":"1767694020.001100"}}`,
		`{"type":"message","channel":"D1","channel_type":"im","user":"U1","text":"hi","ts":"1767694020.001100"}`,
		`{"type":"message","subtype":"message_replied","hidden":true,"channel":"C1","message":{"ts":"1767694020.001100"}}`,
	} {
		var e slackevents.MessageEvent
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			t.Fatal(err)
		}
		c, ok := messageChange(&e)
		if want := e.ChannelType == "" && e.SubType == "message_changed"; ok != want || (ok && c.Kind != incidents.MessageDeleted) {
			t.Errorf("%s: %+v, %v", raw, c, ok)
		}
	}
}

// Whatever an event says, reading it never panics (nothing an outside
// party sends can crash the bot).
func FuzzChannelChange(f *testing.F) {
	f.Add([]byte(`{"type":"event_callback","event":{"type":"message","channel":"C1","ts":"1.2","text":"&lt;b&gt;"}}`))
	f.Add([]byte(`{"type":"event_callback","event":{"type":"message","subtype":"message_changed","channel":"C1","message":{"ts":"x.y","edited":{"ts":"-1.-1"}}}}`))
	f.Add([]byte(`{"type":"event_callback","event":{"type":"reaction_added","user":"U1","reaction":"key","item":{"type":"message","channel":"C1","ts":"99999999999999999999.1"}}}`))
	f.Add([]byte(`{"type":"event_callback","event":{"type":"pin_added","channel_id":"C1","item":{"type":"message","message":null}}}`))
	f.Add([]byte(`{"type":"event_callback","event":{"type":"message","subtype":"message_deleted","channel":"C1","previous_message":null}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := slackevents.ParseEvent(raw, slackevents.OptionNoVerifyToken())
		if err != nil {
			return
		}
		_, _ = channelChange(ev.InnerEvent)
	})
}
