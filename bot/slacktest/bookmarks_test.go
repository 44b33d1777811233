package slacktest_test

import (
	"testing"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

func TestBookmarks(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ch := s.AddChannel("inc-1", botUser)
	other := s.AddChannel("inc-2", botUser)
	hidden := s.AddPrivateChannel("secret", humanUser)

	dash, err := api.AddBookmark(ch, slack.AddBookmarkParameters{Title: "Dashboard", Type: "link", Link: "https://grafana.example.com/d/web", Emoji: ":bar_chart:"})
	if err != nil || dash.ID == "" || dash.ChannelID != ch || dash.Title != "Dashboard" || dash.Type != "link" || dash.Emoji != ":bar_chart:" ||
		dash.Created == 0 || dash.Updated != 0 || dash.LastUpdatedByUserID != botUser {
		t.Fatalf("add = %+v, %v", dash, err)
	}
	doc, err := api.AddBookmark(ch, slack.AddBookmarkParameters{Title: "Postmortem", Type: "link", Link: "http://docs.example.com/pm"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.AddBookmark(other, slack.AddBookmarkParameters{Title: "Elsewhere", Type: "link", Link: "https://example.com"}); err != nil {
		t.Fatal(err)
	}

	title := "Postmortem (draft)"
	edited, err := api.EditBookmark(ch, doc.ID, slack.EditBookmarkParameters{Title: &title, Link: "https://docs.example.com/pm/1"})
	if err != nil || edited.Title != title || edited.Link != "https://docs.example.com/pm/1" || edited.Updated == 0 {
		t.Errorf("edit = %+v, %v", edited, err)
	}
	noEmoji := ""
	if edited, err = api.EditBookmark(ch, dash.ID, slack.EditBookmarkParameters{Emoji: &noEmoji}); err != nil || edited.Emoji != "" || edited.Title != "Dashboard" {
		t.Errorf("clear emoji = %+v, %v", edited, err)
	}

	list, err := api.ListBookmarks(ch)
	if err != nil || len(list) != 2 || list[0].ID != dash.ID || list[1].Title != title || list[0].Rank >= list[1].Rank {
		t.Errorf("list = %+v, %v", list, err)
	}
	got := s.Bookmarks("inc-1")
	want := []slacktest.Bookmark{
		{ID: dash.ID, Title: "Dashboard", Type: "link", Link: "https://grafana.example.com/d/web"},
		{ID: doc.ID, Title: title, Type: "link", Link: "https://docs.example.com/pm/1"},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Bookmarks = %+v", got)
	}

	for _, tc := range []struct {
		name string
		err  error
		code string
	}{
		{"no scheme", second(api.AddBookmark(ch, slack.AddBookmarkParameters{Title: "x", Type: "link", Link: "grafana.example.com"})), "invalid_link"},
		{"no link", second(api.AddBookmark(ch, slack.AddBookmarkParameters{Title: "x", Type: "link"})), "invalid_link"},
		{"message type", second(api.AddBookmark(ch, slack.AddBookmarkParameters{Title: "x", Type: "message"})), "invalid_bookmark_type"},
		{"no title", second(api.AddBookmark(ch, slack.AddBookmarkParameters{Type: "link", Link: "https://x.example"})), "invalid_arguments"},
		{"hidden channel", second(api.AddBookmark(hidden, slack.AddBookmarkParameters{Title: "x", Type: "link", Link: "https://x.example"})), "channel_not_found"},
		{"edit elsewhere", second(api.EditBookmark(other, dash.ID, slack.EditBookmarkParameters{Link: "https://x.example"})), "not_found"},
		{"edit bad link", second(api.EditBookmark(ch, dash.ID, slack.EditBookmarkParameters{Link: "ftp://x.example"})), "invalid_link"},
		{"list missing", second(api.ListBookmarks("C0MISSING01")), "channel_not_found"},
		{"remove twice #1", api.RemoveBookmark(ch, doc.ID), ""},
		{"remove twice #2", api.RemoveBookmark(ch, doc.ID), "not_found"},
	} {
		if got := slackError(tc.err); got != tc.code || (tc.code == "" && tc.err != nil) {
			t.Errorf("%s: %v, want %q", tc.name, tc.err, tc.code)
		}
	}
	if got := s.Bookmarks(ch); len(got) != 1 || got[0].ID != dash.ID {
		t.Errorf("after remove = %+v", got)
	}
}

func second[T any](_ T, err error) error { return err }
