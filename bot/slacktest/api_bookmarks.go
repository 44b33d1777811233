package slacktest

import (
	"fmt"
	"strings"
	"time"
)

// bookmarkMethods keep a channel's bookmarks (link bookmarks; Slack's other types are for
// Slack's own clients).
func bookmarkMethods() map[string]method {
	return map[string]method{
		"bookmarks.add":    {handle: bookmarksAdd},
		"bookmarks.edit":   {handle: bookmarksEdit},
		"bookmarks.list":   {handle: bookmarksList},
		"bookmarks.remove": {handle: bookmarksRemove},
	}
}

type bookmark struct {
	id, title, link, emoji, typ string
	rank                        string    // opaque, ordered like the bookmarks
	created, updated            time.Time // updated is zero until the first edit
	updatedBy                   string
}

// bookmarkChannel resolves channel_id, which the bookmarks methods need.
func (s *Server) bookmarkChannel(req *request) (*channel, *apiError) {
	return s.visibleChannel(req.args.Get("channel_id"))
}

// checkLink applies Slack's rule: "link should begin with either http:// or https://".
func checkLink(link string) *apiError {
	if !strings.HasPrefix(link, "http://") && !strings.HasPrefix(link, "https://") {
		return fail("invalid_link")
	}
	return nil
}

func bookmarksAdd(s *Server, req *request) (map[string]any, *apiError) {
	c, err := s.bookmarkChannel(req)
	if err != nil {
		return nil, err
	}
	title, typ, link := req.args.Get("title"), req.args.Get("type"), req.args.Get("link")
	switch {
	case title == "":
		return nil, invalidArguments("[ERROR] missing required field: title")
	case typ == "":
		return nil, invalidArguments("[ERROR] missing required field: type")
	case typ != "link":
		return nil, fail("invalid_bookmark_type")
	}
	if err := checkLink(link); err != nil {
		return nil, err
	}
	id := s.store.newID("Bk")
	b := &bookmark{
		id: id, title: title, link: link, emoji: req.args.Get("emoji"), typ: typ,
		rank: fmt.Sprintf("%06d", s.store.seq), created: s.now(), updatedBy: s.opts.BotUserID,
	}
	c.bookmarks = append(c.bookmarks, b)
	return map[string]any{"bookmark": s.wireBookmark(c, b)}, nil
}

func (c *channel) bookmark(id string) (int, *bookmark) {
	for i, b := range c.bookmarks {
		if b.id == id {
			return i, b
		}
	}
	return -1, nil
}

// bookmarksEdit changes the fields it is given: title and emoji may be set to "" (slack-go
// sends them only when they change), link must stay a link.
func bookmarksEdit(s *Server, req *request) (map[string]any, *apiError) {
	c, err := s.bookmarkChannel(req)
	if err != nil {
		return nil, err
	}
	_, b := c.bookmark(req.args.Get("bookmark_id"))
	if b == nil {
		return nil, fail("not_found")
	}
	link := req.args.Get("link")
	if link != "" {
		if err := checkLink(link); err != nil {
			return nil, err
		}
		b.link = link
	}
	if _, ok := req.args["title"]; ok {
		b.title = req.args.Get("title")
	}
	if _, ok := req.args["emoji"]; ok {
		b.emoji = req.args.Get("emoji")
	}
	b.updated, b.updatedBy = s.now(), s.opts.BotUserID
	return map[string]any{"bookmark": s.wireBookmark(c, b)}, nil
}

func bookmarksList(s *Server, req *request) (map[string]any, *apiError) {
	c, err := s.bookmarkChannel(req)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(c.bookmarks))
	for _, b := range c.bookmarks {
		out = append(out, s.wireBookmark(c, b))
	}
	return map[string]any{"bookmarks": out}, nil
}

func bookmarksRemove(s *Server, req *request) (map[string]any, *apiError) {
	c, err := s.bookmarkChannel(req)
	if err != nil {
		return nil, err
	}
	i, _ := c.bookmark(req.args.Get("bookmark_id"))
	if i < 0 {
		return nil, fail("not_found")
	}
	c.bookmarks = append(c.bookmarks[:i:i], c.bookmarks[i+1:]...)
	return map[string]any{}, nil
}

// wireBookmark renders a bookmark as bookmarks.add/edit/list answer it.
func (s *Server) wireBookmark(c *channel, b *bookmark) map[string]any {
	updated := int64(0)
	if !b.updated.IsZero() {
		updated = b.updated.Unix()
	}
	return map[string]any{
		"id": b.id, "channel_id": c.id, "title": b.title, "link": b.link, "emoji": b.emoji,
		"icon_url": nil, "type": b.typ, "entity_id": nil, "date_created": b.created.Unix(),
		"date_updated": updated, "rank": b.rank, "last_updated_by_user_id": b.updatedBy,
		"last_updated_by_team_id": s.opts.TeamID, "shortcut_id": nil, "app_id": nil,
	}
}
