package slacktest_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

// history reads a whole channel through slack-go, limit messages a page, newest first.
func history(t *testing.T, api *slack.Client, params slack.GetConversationHistoryParameters) []slack.Message {
	t.Helper()
	var all []slack.Message
	for pages := 0; ; pages++ {
		resp, err := api.GetConversationHistory(&params)
		if err != nil || pages > 100 {
			t.Fatalf("history page %d: %v", pages, err)
		}
		all = append(all, resp.Messages...)
		if resp.HasMore != (resp.ResponseMetaData.NextCursor != "") {
			t.Fatalf("has_more %v with next_cursor %q", resp.HasMore, resp.ResponseMetaData.NextCursor)
		}
		if params.Cursor = resp.ResponseMetaData.NextCursor; params.Cursor == "" {
			return all
		}
	}
}

func texts(msgs []slack.Message) []string {
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

func TestHistoryOfARealisticChannel(t *testing.T) {
	day1 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	clk := &clock{now: day1.Add(-time.Hour)}
	s := newServer(t, slacktest.Options{Now: clk.Now})
	api := newAPI(s)
	s.AddUser("U0FAKEUSER2", "dana")
	ch := s.AddChannel("inc-1", botUser, humanUser) // two channel_join messages, at day1-1h
	clk.Advance(72 * time.Hour)                     // now is day 3

	// Built out of order: day 2 first, then day 1.
	day2 := s.AddMessage(ch, "U0FAKEUSER2", "day two: postmortem scheduled", "", slacktest.At(day1.Add(24*time.Hour)))
	parent := s.AddMessage(ch, humanUser, "web is throwing 5xx", "", slacktest.At(day1))
	s.AddReply(ch, parent, "U0FAKEUSER2", "rolling back", slacktest.At(day1.Add(time.Minute)))
	s.AddReply(ch, parent, humanUser, "thanks", slacktest.At(day1.Add(2*time.Minute)))
	bcast := s.AddReply(ch, parent, "U0FAKEUSER2", "Resolved: rolled back", slacktest.At(day1.Add(3*time.Minute)), slacktest.Broadcast())
	s.AddBotMessage(ch, "B0OTHERBOT1", "deploy v41 finished", slacktest.At(day1.Add(4*time.Minute)))
	file := s.AddFile(ch, humanUser, "error-graph.png", slacktest.At(day1.Add(5*time.Minute)))
	s.EditMessage(ch, parent, "web is throwing 5xx (since 08:55)")
	s.Pin(ch, parent)
	s.React(ch, parent, "U0FAKEUSER2", ":eyes:")
	s.React(ch, parent, humanUser, "eyes")
	s.React(ch, parent, humanUser, "eyes") // twice is once
	s.React(ch, parent, humanUser, "white_check_mark")
	_, botTS, err := api.PostMessage(ch, slack.MsgOptionText("SEV2 declared", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessage(ch, botTS, slack.MsgOptionText("SEV2 resolved", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage(ch, slack.MsgOptionText("bot reply", false), slack.MsgOptionTS(parent)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage(ch, slack.MsgOptionText("bot broadcast", false), slack.MsgOptionTS(parent), slack.MsgOptionBroadcast()); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeral(ch, humanUser, slack.MsgOptionText("only you", false)); err != nil {
		t.Fatal(err)
	}

	all := history(t, api, slack.GetConversationHistoryParameters{ChannelID: ch, Limit: 2})
	want := []string{
		"bot broadcast", "SEV2 resolved", "day two: postmortem scheduled", "", "deploy v41 finished",
		"Resolved: rolled back", "web is throwing 5xx (since 08:55)",
		"<@" + humanUser + "> has joined the channel", "<@" + botUser + "> has joined the channel",
	}
	if got := texts(all); !slices.Equal(got, want) {
		t.Fatalf("history =\n%q\nwant\n%q", got, want)
	}
	byTS := map[string]slack.Message{}
	for i, m := range all {
		byTS[m.Timestamp] = m
		if i > 0 && m.Timestamp >= all[i-1].Timestamp {
			t.Errorf("not newest first at %d: %s after %s", i, m.Timestamp, all[i-1].Timestamp)
		}
	}

	p := byTS[parent]
	if p.User != humanUser || p.ThreadTimestamp != parent || p.ReplyCount != 5 || p.LatestReply == "" ||
		!slices.Equal(p.ReplyUsers, []string{"U0FAKEUSER2", humanUser, botUser}) {
		t.Errorf("thread parent = %+v", p.Msg)
	}
	if p.Edited == nil || p.Edited.User != humanUser || p.Edited.Timestamp <= parent {
		t.Errorf("edited = %+v", p.Edited)
	}
	if !slices.Equal(p.PinnedTo, []string{ch}) {
		t.Errorf("pinned_to = %v", p.PinnedTo)
	}
	wantReactions := []slack.ItemReaction{
		{Name: "eyes", Count: 2, Users: []string{"U0FAKEUSER2", humanUser}},
		{Name: "white_check_mark", Count: 1, Users: []string{humanUser}},
	}
	if fmt.Sprint(p.Reactions) != fmt.Sprint(wantReactions) {
		t.Errorf("reactions = %+v", p.Reactions)
	}
	if b := byTS[bcast]; b.SubType != "thread_broadcast" || b.ThreadTimestamp != parent || b.Root == nil || b.Root.Timestamp != parent || b.ParentUserId != humanUser {
		t.Errorf("broadcast = %+v", b.Msg)
	}
	if b := byTS[botTS]; b.SubType != "bot_message" || b.BotID == "" || b.User != botUser || b.Edited == nil || b.Edited.User != botUser {
		t.Errorf("edited bot message = %+v", b.Msg)
	}
	if f := byTS[file]; len(f.Files) != 1 || f.Files[0].Name != "error-graph.png" || f.Files[0].Title != "error-graph.png" ||
		!strings.HasPrefix(f.Files[0].ID, "F") || f.Files[0].Permalink == "" || f.Files[0].User != humanUser || !f.Upload {
		t.Errorf("file message = %+v", f.Msg)
	}
	other := all[4]
	if other.SubType != "bot_message" || other.BotID != "B0OTHERBOT1" || other.User != "" {
		t.Errorf("other bot's message = %+v", other.Msg)
	}
	join := all[len(all)-1]
	if join.SubType != "channel_join" || join.User != botUser || join.Inviter != "" {
		t.Errorf("join = %+v", join.Msg)
	}

	resp, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch})
	if err != nil || resp.PinCount != 1 || resp.HasMore || len(resp.Messages) != len(want) {
		t.Errorf("one page: pin_count %d, has_more %v, %d messages, %v", resp.PinCount, resp.HasMore, len(resp.Messages), err)
	}

	// The time window: oldest and latest exclude their own ts unless inclusive.
	got := history(t, api, slack.GetConversationHistoryParameters{ChannelID: ch, Oldest: parent, Latest: day2})
	if !slices.Equal(texts(got), []string{"", "deploy v41 finished", "Resolved: rolled back"}) {
		t.Errorf("window = %q", texts(got))
	}
	got = history(t, api, slack.GetConversationHistoryParameters{ChannelID: ch, Oldest: parent, Latest: day2, Inclusive: true, Limit: 1})
	if len(got) != 5 || got[0].Timestamp != day2 || got[4].Timestamp != parent {
		t.Errorf("inclusive window = %q", texts(got))
	}
	got = history(t, api, slack.GetConversationHistoryParameters{ChannelID: ch, Latest: fmt.Sprint(day1.Unix())})
	if len(got) != 2 || got[0].SubType != "channel_join" {
		t.Errorf("before day 1 = %q", texts(got))
	}

	// Replies are in the thread, oldest first after the parent.
	msgs, hasMore, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: parent})
	if err != nil || hasMore || !slices.Equal(texts(msgs), []string{"web is throwing 5xx (since 08:55)", "rolling back", "thanks", "Resolved: rolled back", "bot reply", "bot broadcast"}) {
		t.Errorf("replies = %q %v %v", texts(msgs), hasMore, err)
	}

	// Messages keeps posting order, joins and the ephemeral message included.
	ms := s.Messages(ch)
	if len(ms) != 13 || ms[0].Subtype != "channel_join" || ms[2].TS != day2 || ms[8].Files == nil || !ms[12].Ephemeral {
		t.Errorf("Messages = %+v", ms)
	}
}

func TestHistoryPagingLimitsAndErrors(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ch := s.AddChannel("busy", botUser) // one join
	for i := range 1000 {
		s.AddMessage(ch, humanUser, fmt.Sprint(i), "")
	}
	resp, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch})
	if err != nil || len(resp.Messages) != 100 || !resp.HasMore || resp.Messages[0].Text != "999" {
		t.Fatalf("default page: %d messages, has_more %v, %v", len(resp.Messages), resp.HasMore, err)
	}
	resp, err = api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch, Limit: 5000})
	if err != nil || len(resp.Messages) != 999 || !resp.HasMore {
		t.Fatalf("limit 5000: %d messages, has_more %v, %v (Slack's maximum is 999)", len(resp.Messages), resp.HasMore, err)
	}
	resp, err = api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch, Limit: 999, Cursor: resp.ResponseMetaData.NextCursor})
	if err != nil || len(resp.Messages) != 2 || resp.HasMore || resp.ResponseMetaData.NextCursor != "" || resp.Messages[1].SubType != "channel_join" {
		t.Fatalf("last page: %+v %v", resp, err)
	}
	if all := history(t, api, slack.GetConversationHistoryParameters{ChannelID: ch, Limit: 333}); len(all) != 1001 {
		t.Errorf("paged through %d messages, want 1001", len(all))
	}

	notMine := s.AddChannel("ops", humanUser)
	hidden := s.AddPrivateChannel("secret", humanUser)
	for _, tc := range []struct {
		params slack.GetConversationHistoryParameters
		code   string
	}{
		{slack.GetConversationHistoryParameters{ChannelID: notMine}, "not_in_channel"},
		{slack.GetConversationHistoryParameters{ChannelID: hidden}, "channel_not_found"},
		{slack.GetConversationHistoryParameters{ChannelID: "C0MISSING01"}, "channel_not_found"},
		{slack.GetConversationHistoryParameters{ChannelID: ch, Cursor: "bm9wZQ=="}, "invalid_cursor"},
		{slack.GetConversationHistoryParameters{ChannelID: ch, Latest: "yesterday"}, "invalid_ts_latest"},
		{slack.GetConversationHistoryParameters{ChannelID: ch, Oldest: "-1"}, "invalid_ts_oldest"},
	} {
		_, err := api.GetConversationHistory(&tc.params)
		if got := slackError(err); got != tc.code {
			t.Errorf("history %+v: %v, want %s", tc.params, err, tc.code)
		}
	}
	// Joining makes the channel readable (and is itself in its history).
	if _, _, _, err := api.JoinConversation(notMine); err != nil {
		t.Fatal(err)
	}
	if got := history(t, api, slack.GetConversationHistoryParameters{ChannelID: notMine}); len(got) != 2 || got[0].User != botUser || got[0].SubType != "channel_join" {
		t.Errorf("after join = %+v", got)
	}
}

func TestHistoryIsRateLimitedLikeOtherMethods(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	ch := s.AddChannel("ops", botUser)
	s.RateLimitNext("conversations.history", 2*time.Second)
	_, err := newAPI(s).GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch})
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("err = %v, want RateLimitedError of 2s", err)
	}
	resp, err := newAPI(s).GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch})
	if err != nil || len(resp.Messages) != 1 {
		t.Errorf("next call: %+v %v", resp, err)
	}
}

func TestRepliesPagingAndErrors(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ch := s.AddChannel("ops", botUser, humanUser)
	parent := s.AddMessage(ch, humanUser, "parent", "")
	var replies []string
	for i := range 5 {
		replies = append(replies, s.AddReply(ch, parent, humanUser, fmt.Sprint("r", i)))
	}
	lone := s.AddMessage(ch, humanUser, "no thread", "")

	var pages [][]string
	cursor := ""
	for {
		msgs, hasMore, next, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: parent, Limit: 2, Cursor: cursor})
		if err != nil || len(pages) > 5 || hasMore != (next != "") {
			t.Fatalf("page %d: %v (has_more %v, cursor %q)", len(pages), err, hasMore, next)
		}
		pages = append(pages, texts(msgs))
		if cursor = next; cursor == "" {
			break
		}
	}
	if fmt.Sprint(pages) != "[[parent r0] [r1 r2] [r3 r4]]" {
		t.Errorf("pages = %q", pages)
	}

	// A reply's ts names its thread; a message without replies is a thread of one.
	msgs, _, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: replies[2], Oldest: replies[1], Latest: replies[3], Inclusive: true})
	if err != nil || !slices.Equal(texts(msgs), []string{"parent", "r1", "r2", "r3"}) {
		t.Errorf("window from a reply = %q %v", texts(msgs), err)
	}
	if msgs[1].ParentUserId != humanUser || msgs[1].ThreadTimestamp != parent || msgs[0].ReplyCount != 5 {
		t.Errorf("thread fields: %+v / %+v", msgs[0].Msg, msgs[1].Msg)
	}
	msgs, _, _, err = api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: lone})
	if err != nil || len(msgs) != 1 || msgs[0].ThreadTimestamp != "" || msgs[0].ReplyCount != 0 {
		t.Errorf("lone = %+v %v", msgs, err)
	}

	for _, tc := range []struct {
		channel, ts, cursor, code string
	}{
		{ch, "1.000001", "", "thread_not_found"},
		{ch, "", "", "thread_not_found"},
		{ch, parent, "!!", "invalid_cursor"},
		{s.AddChannel("elsewhere", humanUser), parent, "", "not_in_channel"},
		{"C0MISSING01", parent, "", "channel_not_found"},
	} {
		_, _, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: tc.channel, Timestamp: tc.ts, Cursor: tc.cursor})
		if got := slackError(err); got != tc.code {
			t.Errorf("replies %s %q: %v, want %s", tc.channel, tc.ts, err, tc.code)
		}
	}
}

func TestJoinMessages(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	s.AddUser("U0FAKEUSER2", "dana")
	ops := s.AddChannel("ops", humanUser)
	created, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-7"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.InviteUsersToConversation(created.ID, humanUser, "U0FAKEUSER2"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.JoinConversation(ops); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.JoinConversation(ops); err != nil { // already in: no second join
		t.Fatal(err)
	}

	type join struct{ user, inviter string }
	joins := func(channel string) []join {
		var out []join
		for _, m := range history(t, api, slack.GetConversationHistoryParameters{ChannelID: channel}) {
			if m.SubType != "channel_join" || m.Text != "<@"+m.User+"> has joined the channel" {
				t.Errorf("not a join: %+v", m.Msg)
			}
			out = append([]join{{m.User, m.Inviter}}, out...)
		}
		return out
	}
	if got := joins(ops); fmt.Sprint(got) != fmt.Sprint([]join{{humanUser, ""}, {botUser, ""}}) {
		t.Errorf("ops joins = %v", got)
	}
	if got := joins(created.ID); fmt.Sprint(got) != fmt.Sprint([]join{{botUser, ""}, {humanUser, botUser}, {"U0FAKEUSER2", botUser}}) {
		t.Errorf("inc-7 joins = %v", got)
	}
	if ms := s.Messages(created.ID); len(ms) != 3 || ms[0].Subtype != "channel_join" || ms[0].User != botUser {
		t.Errorf("Messages = %+v", ms)
	}
}

func TestPinsListAndReactionsGet(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ch := s.AddChannel("ops", botUser, humanUser)
	a := s.AddMessage(ch, humanUser, "a", "")
	b := s.AddMessage(ch, humanUser, "b", "")
	s.Pin(ch, a)
	s.Pin(ch, b)
	s.React(ch, b, humanUser, "fire")

	items, _, err := api.ListPins(ch)
	if err != nil || len(items) != 2 || items[0].Type != "message" || items[0].Message == nil ||
		!slices.Contains([]string{a, b}, items[0].Message.Timestamp) || items[0].Channel != ch {
		t.Errorf("pins = %+v %v", items, err)
	}
	got, err := api.GetReactions(slack.ItemRef{Channel: ch, Timestamp: b}, slack.NewGetReactionsParameters())
	if err != nil || got.Type != "message" || got.Channel != ch || len(got.Reactions) != 1 || got.Reactions[0].Name != "fire" || got.Reactions[0].Count != 1 {
		t.Errorf("reactions = %+v %v", got, err)
	}
	_, err = api.GetReactions(slack.ItemRef{Channel: ch, Timestamp: "1.000001"}, slack.NewGetReactionsParameters())
	wantSlackError(t, err, "message_not_found")
}

func TestHelpersPanicOnMistakes(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	ch := s.AddChannel("ops")
	for name, f := range map[string]func(){
		"AddReply to nothing": func() { s.AddReply(ch, "1.000001", humanUser, "x") },
		"Pin nothing":         func() { s.Pin(ch, "1.000001") },
		"React to nothing":    func() { s.React(ch, "1.000001", humanUser, "eyes") },
		"Edit nothing":        func() { s.EditMessage(ch, "1.000001", "x") },
		"no channel":          func() { s.AddBotMessage("nope", "B0X", "x") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
