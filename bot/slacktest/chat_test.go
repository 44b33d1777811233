package slacktest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

func TestPostMessageStoresAndAnswersLikeSlack(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ch := s.AddChannel("ops", humanUser) // public: postable without joining

	gotCh, ts1, err := api.PostMessage(ch, slack.MsgOptionText("first", false))
	if err != nil || gotCh != ch || !strings.Contains(ts1, ".") {
		t.Fatalf("post = %q %q %v", gotCh, ts1, err)
	}
	_, ts2, err := api.PostMessage(ch, slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts1), slack.MsgOptionBlocks(section("*reply* for <@U0FAKEUSER1> & co")))
	if err != nil || ts2 <= ts1 {
		t.Fatalf("second post = %q %v (first %q)", ts2, err, ts1)
	}
	msgs := posts(s.Messages(ch))
	if len(msgs) != 2 || msgs[0].Text != "first" || msgs[0].User != botUser || msgs[1].ThreadTS != ts1 {
		t.Fatalf("messages = %+v", msgs)
	}
	var blocks []map[string]any
	if err := json.Unmarshal(msgs[1].Blocks, &blocks); err != nil || len(blocks) != 1 || blocks[0]["type"] != "section" || blocks[0]["block_id"] == "" {
		t.Errorf("blocks = %s (%v)", msgs[1].Blocks, err)
	}
	if !strings.Contains(string(msgs[1].Blocks), "<@U0FAKEUSER1> & co") {
		t.Errorf("blocks not stored as written: %s", msgs[1].Blocks)
	}

	// A user ID means the bot's DM with that user.
	dm, _, err := api.PostMessage(humanUser, slack.MsgOptionText("hi", false))
	if c, ok := s.Channel(dm); err != nil || !ok || !c.IsIM || !strings.HasPrefix(dm, "D") {
		t.Errorf("DM post = %q %+v %v", dm, c, err)
	}
}

func TestPostMessageErrors(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ch := s.AddChannel("ops")
	hidden := s.AddPrivateChannel("secret", humanUser)

	_, _, err := api.PostMessage(ch)
	wantSlackError(t, err, "no_text")
	_, _, err = api.PostMessage(hidden, slack.MsgOptionText("x", false))
	wantSlackError(t, err, "channel_not_found")
	_, _, err = api.PostMessage("C0MISSING01", slack.MsgOptionText("x", false))
	wantSlackError(t, err, "channel_not_found")

	tooMany := make([]slack.Block, 51)
	for i := range tooMany {
		tooMany[i] = slack.NewDividerBlock()
	}
	for _, tc := range []struct {
		blocks []slack.Block
		msg    string
	}{
		{tooMany, "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"},
		{[]slack.Block{section(strings.Repeat("x", 3001))}, "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"},
		{[]slack.Block{slack.NewDividerBlock(), section("")}, "[ERROR] must be more than 0 characters [json-pointer:/blocks/1/text/text]"},
		{[]slack.Block{checkboxes(11, "x", "")}, "[ERROR] no more than 10 items allowed [json-pointer:/blocks/0/accessory/options]"},
		{[]slack.Block{checkboxes(1, strings.Repeat("x", 76), "")}, "[ERROR] must be less than 76 characters [json-pointer:/blocks/0/accessory/options/0/text/text]"},
		{[]slack.Block{checkboxes(2, "x", "v9")}, "[ERROR] initial option must exactly match one of the options [json-pointer:/blocks/0/accessory/initial_options/0]"},
		{[]slack.Block{slack.NewActionBlock("a", slack.NewButtonBlockElement("b", "v", slack.NewTextBlockObject("plain_text", "Go", false, false)).
			WithConfirm(slack.NewConfirmationBlockObject(slack.NewTextBlockObject("plain_text", "Sure?", false, false),
				slack.NewTextBlockObject("plain_text", strings.Repeat("y", 301), false, false),
				slack.NewTextBlockObject("plain_text", "Yes", false, false), slack.NewTextBlockObject("plain_text", "No", false, false))))},
			"[ERROR] must be less than 301 characters [json-pointer:/blocks/0/elements/0/confirm/text/text]"},
	} {
		_, _, err := api.PostMessage(ch, slack.MsgOptionText("fallback", false), slack.MsgOptionBlocks(tc.blocks...))
		var se slack.SlackErrorResponse
		if !errors.As(err, &se) || se.Err != "invalid_blocks" || len(se.ResponseMetadata.Messages) != 1 || se.ResponseMetadata.Messages[0] != tc.msg {
			t.Errorf("err = %v, metadata %+v, want invalid_blocks %q", err, se.ResponseMetadata, tc.msg)
		}
	}

	for raw, code := range map[string]string{
		`not json`:              "invalid_blocks_format",
		`{"type":"divider"}`:    "invalid_blocks_format",
		`[{"text":"no type"}]`:  "invalid_blocks",
		`[{"type":"carousel"}]`: "invalid_blocks",
	} {
		_, body := postForm(t, s, "chat.postMessage", url.Values{"token": {"xoxb-test"}, "channel": {ch}, "text": {"x"}, "blocks": {raw}}, nil)
		if !strings.Contains(body, `"error":"`+code+`"`) {
			t.Errorf("blocks %s: %s, want %s", raw, body, code)
		}
	}
	if n := len(s.Messages(ch)); n != 0 {
		t.Errorf("failed posts stored %d messages", n)
	}
}

func TestUpdateDeleteEphemeralPermalink(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ch := s.AddChannel("ops", humanUser, botUser)
	_, ts, err := api.PostMessage(ch, slack.MsgOptionText("SEV2 opened", false))
	if err != nil {
		t.Fatal(err)
	}

	_, _, text, err := api.UpdateMessage(ch, ts, slack.MsgOptionText("SEV2 resolved", false))
	if err != nil || text != "SEV2 resolved" {
		t.Fatalf("update = %q %v", text, err)
	}
	if m := posts(s.Messages(ch))[0]; m.Text != "SEV2 resolved" || !m.Edited {
		t.Errorf("after update = %+v", m)
	}
	userTS := s.AddMessage(ch, humanUser, "mine", "")
	_, _, _, err = api.UpdateMessage(ch, userTS, slack.MsgOptionText("x", false))
	wantSlackError(t, err, "cant_update_message")
	_, _, _, err = api.UpdateMessage(ch, "1.000001", slack.MsgOptionText("x", false))
	wantSlackError(t, err, "message_not_found")
	_, _, _, err = api.UpdateMessage(ch, ts)
	wantSlackError(t, err, "no_text")

	link, err := api.GetPermalink(&slack.PermalinkParameters{Channel: ch, Ts: ts})
	if err != nil || !strings.HasSuffix(link, "/archives/"+ch+"/p"+strings.ReplaceAll(ts, ".", "")) {
		t.Errorf("permalink = %q %v", link, err)
	}
	_, err = api.GetPermalink(&slack.PermalinkParameters{Channel: ch, Ts: "1.000001"})
	wantSlackError(t, err, "message_not_found")

	ets, err := api.PostEphemeral(ch, humanUser, slack.MsgOptionText("only you", false))
	if err != nil || ets == "" {
		t.Fatalf("ephemeral = %q %v", ets, err)
	}
	_, err = api.PostEphemeral(ch, "U0OUTSIDER1", slack.MsgOptionText("x", false))
	wantSlackError(t, err, "user_not_in_channel")

	if _, _, err := api.DeleteMessage(ch, ts); err != nil {
		t.Fatal(err)
	}
	msgs := posts(s.Messages(ch))
	if len(msgs) != 2 || msgs[1].Text != "only you" || !msgs[1].Ephemeral || msgs[1].For != humanUser {
		t.Errorf("messages = %+v", msgs)
	}
}

// checkboxes is a section whose accessory is a checkbox group of n options
// with the given text; initial, when set, is the value of an initial option.
func checkboxes(n int, text, initial string) slack.Block {
	var opts []*slack.OptionBlockObject
	for i := range n {
		opts = append(opts, slack.NewOptionBlockObject(fmt.Sprintf("v%d", i), slack.NewTextBlockObject("mrkdwn", text, false, false), nil))
	}
	cb := slack.NewCheckboxGroupsBlockElement("done", opts...)
	if initial != "" {
		cb.InitialOptions = []*slack.OptionBlockObject{slack.NewOptionBlockObject(initial, slack.NewTextBlockObject("mrkdwn", text, false, false), nil)}
	}
	return slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "step", false, false), nil, slack.NewAccessory(cb))
}
