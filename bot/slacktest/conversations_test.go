package slacktest_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

func TestConversationsCreateNameRules(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	s.AddChannel("ops")
	for _, tc := range []struct{ name, code string }{
		{"", "invalid_name_required"},
		{strings.Repeat("a", 81), "invalid_name_maxlength"},
		{"Incident-1", "invalid_name_specials"},
		{"inc 1", "invalid_name_specials"},
		{"#inc-1", "invalid_name_specials"},
		{"inc.1", "invalid_name_specials"},
		{"---", "invalid_name_punctuation"},
		{"ops", "name_taken"},
		{strings.Repeat("a", 80), ""},
		{"inc-2026-01-06_web", ""},
	} {
		_, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: tc.name})
		if got := slackError(err); got != tc.code || (tc.code == "" && err != nil) {
			t.Errorf("create %q: error %v, want %q", tc.name, err, tc.code)
		}
	}
}

func TestConversationsCreateMakesBotCreatorAndMember(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	ch, err := newAPI(s).CreateConversation(slack.CreateConversationParams{ChannelName: "inc-42", IsPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ch.ID, "C0") || len(ch.ID) != 11 || ch.Name != "inc-42" || !ch.IsPrivate || !ch.IsMember || ch.Creator != botUser || ch.Created == 0 {
		t.Errorf("channel = %+v", ch)
	}
	got, ok := s.Channel("inc-42")
	if !ok || got.ID != ch.ID || !slices.Equal(got.Members, []string{botUser}) || !got.IsPrivate {
		t.Errorf("stored channel = %+v", got)
	}
}

func TestConversationsTopicAndPurpose(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	mine := s.AddChannel("inc-1", botUser)
	notMine := s.AddChannel("ops", humanUser)
	hidden := s.AddPrivateChannel("secret", humanUser)

	ch, err := api.SetTopicOfConversation(mine, "SEV2: web 5xx")
	if err != nil || ch.Topic.Value != "SEV2: web 5xx" || ch.Topic.Creator != botUser {
		t.Fatalf("setTopic = %+v, %v", ch, err)
	}
	if _, err := api.SetPurposeOfConversation(mine, "Incident channel"); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Channel(mine); c.Topic != "SEV2: web 5xx" || c.Purpose != "Incident channel" {
		t.Errorf("stored = %+v", c)
	}
	_, err = api.SetTopicOfConversation(mine, strings.Repeat("x", 251))
	wantSlackError(t, err, "too_long")
	_, err = api.SetTopicOfConversation(notMine, "x")
	wantSlackError(t, err, "not_in_channel")
	_, err = api.SetTopicOfConversation(hidden, "x")
	wantSlackError(t, err, "channel_not_found")
	_, err = api.SetPurposeOfConversation("C0MISSING01", "x")
	wantSlackError(t, err, "channel_not_found")
}

func TestConversationsInvite(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	s.AddUser("U0FAKEUSER2", "dana")
	mine := s.AddChannel("inc-1", botUser)
	notMine := s.AddChannel("ops", humanUser)

	if _, err := api.InviteUsersToConversation(mine, humanUser, "U0FAKEUSER2"); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Channel(mine); !slices.Equal(c.Members, []string{botUser, humanUser, "U0FAKEUSER2"}) {
		t.Errorf("members = %v", c.Members)
	}
	for _, tc := range []struct {
		channel string
		users   []string
		code    string
	}{
		{mine, []string{humanUser}, "already_in_channel"},
		{mine, []string{botUser}, "cant_invite_self"},
		{mine, []string{"UUNKNOWN01"}, "user_not_found"},
		{mine, []string{"U0NEWUSER9", "UUNKNOWN01"}, "user_not_found"},
		{notMine, []string{"U0NEWUSER9"}, "not_in_channel"},
		{"C0MISSING01", []string{humanUser}, "channel_not_found"},
	} {
		_, err := api.InviteUsersToConversation(tc.channel, tc.users...)
		if got := slackError(err); got != tc.code {
			t.Errorf("invite %v to %s: %v, want %q", tc.users, tc.channel, err, tc.code)
		}
	}
	// All or nothing: the valid user in a failing call was not invited.
	if c, _ := s.Channel(mine); slices.Contains(c.Members, "U0NEWUSER9") {
		t.Errorf("partial invite: %v", c.Members)
	}
}

func TestConversationsJoinInfoMembers(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ops := s.AddChannel("ops", "U01", "U02", "U03", "U04")
	hidden := s.AddPrivateChannel("secret", humanUser)

	ch, warning, _, err := api.JoinConversation(ops)
	if err != nil || !ch.IsMember || warning != "" {
		t.Fatalf("join = %+v %q %v", ch, warning, err)
	}
	_, warning, warnings, err := api.JoinConversation(ops)
	if err != nil || warning != "already_in_channel" || !slices.Equal(warnings, []string{"already_in_channel"}) {
		t.Errorf("second join: %q %v %v", warning, warnings, err)
	}
	_, _, _, err = api.JoinConversation(hidden)
	wantSlackError(t, err, "channel_not_found")

	info, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: ops, IncludeNumMembers: true})
	if err != nil || info.NumMembers != 5 || info.Name != "ops" || info.IsPrivate {
		t.Errorf("info = %+v, %v", info, err)
	}
	_, err = api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: hidden})
	wantSlackError(t, err, "channel_not_found")

	var all []string
	cursor := ""
	for pages := 0; ; pages++ {
		members, next, err := api.GetUsersInConversation(&slack.GetUsersInConversationParameters{ChannelID: ops, Limit: 2, Cursor: cursor})
		if err != nil || pages > 3 {
			t.Fatalf("members page %d: %v", pages, err)
		}
		all = append(all, members...)
		if cursor = next; cursor == "" {
			break
		}
	}
	if !slices.Equal(all, []string{"U01", "U02", "U03", "U04", botUser}) {
		t.Errorf("members = %v", all)
	}
	_, _, err = api.GetUsersInConversation(&slack.GetUsersInConversationParameters{ChannelID: ops, Cursor: "bm9wZQ=="})
	wantSlackError(t, err, "invalid_cursor")
}

func TestUsersInfo(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	s.AddUser(humanUser, "rita")
	u, err := api.GetUserInfo(humanUser)
	if err != nil || u.ID != humanUser || u.Name != "rita" || u.RealName != "rita" || u.Profile.RealName != "rita" ||
		u.Profile.DisplayName != "rita" || u.TZ == "" || u.IsBot {
		t.Errorf("user = %+v, %v", u, err)
	}
	u, err = api.GetUserInfo(botUser)
	if err != nil || !u.IsBot {
		t.Errorf("bot = %+v, %v", u, err)
	}
	_, err = api.GetUserInfo("UUNKNOWN01")
	wantSlackError(t, err, "user_not_found")
}
