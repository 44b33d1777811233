package slacktest_test

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

// listAll pages through conversations.list with slack-go.
func listAll(t *testing.T, api *slack.Client, params slack.GetConversationsParameters) []slack.Channel {
	t.Helper()
	var all []slack.Channel
	for pages := 0; ; pages++ {
		chs, next, err := api.GetConversations(&params)
		if err != nil || pages > 100 {
			t.Fatalf("page %d: %v", pages, err)
		}
		if params.Limit > 0 && len(chs) > params.Limit {
			t.Fatalf("page of %d, limit %d", len(chs), params.Limit)
		}
		all = append(all, chs...)
		if params.Cursor = next; next == "" {
			return all
		}
	}
}

func names(chs []slack.Channel) []string {
	var out []string
	for _, c := range chs {
		out = append(out, c.Name)
	}
	return out
}

func TestConversationsList(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	s.AddChannel("ops", humanUser)
	s.AddPrivateChannel("secret", humanUser) // the bot is not in it: invisible
	s.AddPrivateChannel("inc-private", botUser, humanUser)
	created, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.SetTopicOfConversation(created.ID, "SEV2"); err != nil {
		t.Fatal(err)
	}
	s.AddChannel("zz-last")
	if _, _, err := api.PostMessage(humanUser, slack.MsgOptionText("a DM", false)); err != nil {
		t.Fatal(err)
	}

	if got := names(listAll(t, api, slack.GetConversationsParameters{})); !slices.Equal(got, []string{"ops", "inc-1", "zz-last"}) {
		t.Errorf("default (public) = %q", got)
	}
	both := listAll(t, api, slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"}, Limit: 2, ExcludeArchived: true})
	if got := names(both); !slices.Equal(got, []string{"ops", "inc-private", "inc-1", "zz-last"}) {
		t.Fatalf("public and private, 2 a page = %q", got)
	}
	ops, priv, inc := both[0], both[1], both[2]
	if ops.IsMember || ops.IsPrivate || !ops.IsChannel || ops.NumMembers != 1 || ops.Creator != humanUser || ops.Created == 0 {
		t.Errorf("ops = %+v", ops)
	}
	if !priv.IsMember || !priv.IsPrivate || priv.NumMembers != 2 || priv.IsArchived {
		t.Errorf("inc-private = %+v", priv)
	}
	if inc.ID != created.ID || !inc.IsMember || inc.Topic.Value != "SEV2" || inc.Creator != botUser {
		t.Errorf("inc-1 = %+v", inc)
	}
	if dms := listAll(t, api, slack.GetConversationsParameters{Types: []string{"im"}}); len(dms) != 1 || !dms[0].IsIM || dms[0].User != humanUser {
		t.Errorf("im = %+v", dms)
	}

	// The wire: every field of Slack's channel object, and "" for next_cursor on the last page.
	_, body := postForm(t, s, "conversations.list", url.Values{"token": {"xoxb-test"}, "limit": {"1"}}, nil)
	page := jsonObject(t, body)
	ch := page["channels"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "name", "is_channel", "is_private", "is_archived", "is_member", "created", "creator", "topic", "purpose", "num_members"} {
		if _, ok := ch[k]; !ok {
			t.Errorf("channel object lacks %s: %v", k, ch)
		}
	}
	next := page["response_metadata"].(map[string]any)["next_cursor"].(string)
	if raw, _ := base64.StdEncoding.DecodeString(next); !strings.HasPrefix(string(raw), "team:C") {
		t.Errorf("next_cursor = %q (%q)", next, raw)
	}
	_, body = postForm(t, s, "conversations.list", url.Values{"token": {"xoxb-test"}, "limit": {"1000"}}, nil)
	if !strings.Contains(body, `"next_cursor":""`) {
		t.Errorf("last page: %s", body)
	}
}

func TestConversationsListErrors(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	s.AddChannel("ops")
	for _, tc := range []struct {
		args url.Values
		code string
	}{
		{url.Values{"limit": {"1001"}}, "invalid_limit"},
		{url.Values{"limit": {"-1"}}, "invalid_limit"},
		{url.Values{"limit": {"ten"}}, "invalid_limit"},
		{url.Values{"cursor": {"not base64!"}}, "invalid_cursor"},
		{url.Values{"cursor": {base64.StdEncoding.EncodeToString([]byte("team:C0NOPE00001"))}}, "invalid_cursor"},
		{url.Values{"cursor": {base64.StdEncoding.EncodeToString([]byte("next_ts:123"))}}, "invalid_cursor"},
		{url.Values{"types": {"public_channel,shared_channel"}}, "invalid_types"},
	} {
		tc.args.Set("token", "xoxb-test")
		_, body := postForm(t, s, "conversations.list", tc.args, nil)
		if !strings.Contains(body, `"error":"`+tc.code+`"`) {
			t.Errorf("%v: %s, want %s", tc.args, body, tc.code)
		}
	}
}
