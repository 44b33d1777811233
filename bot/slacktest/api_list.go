package slacktest

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// listMethods enumerate what the bot can see of the workspace.
func listMethods() map[string]method {
	return map[string]method{
		"conversations.list": {handle: conversationsList},
	}
}

const listLimit, listMaxLimit = 100, 1000

// conversationTypes reads conversations.list's types argument (default public_channel) as a set.
func conversationTypes(arg string) (map[string]bool, *apiError) {
	if strings.TrimSpace(arg) == "" {
		arg = "public_channel"
	}
	types := map[string]bool{}
	for t := range strings.SplitSeq(arg, ",") {
		switch t = strings.TrimSpace(t); t {
		case "public_channel", "private_channel", "mpim", "im":
			types[t] = true
		case "":
		default:
			return nil, fail("invalid_types")
		}
	}
	return types, nil
}

// listedLocked reports whether conversations.list shows c for these types: private channels only
// to members, as everywhere else in the fake.
func (s *Server) listedLocked(c *channel, types map[string]bool) bool {
	switch {
	case c.im:
		return types["im"]
	case c.private:
		return types["private_channel"] && c.isMember(s.opts.BotUserID)
	default:
		return types["public_channel"]
	}
}

// Cursors are shaped like the sample in Slack's conversations.list reference: base64 of "team:"
// and the ID of the first conversation of the next page.
func encodeListCursor(id string) string {
	return base64.StdEncoding.EncodeToString([]byte("team:" + id))
}

// listStart finds where a cursor's page begins in the creation order; -1 for a cursor the fake
// did not hand out.
func (s *Server) listStart(cursor string) int {
	raw, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil {
		return -1
	}
	id, ok := strings.CutPrefix(string(raw), "team:")
	if !ok {
		return -1
	}
	for i, known := range s.store.chanIDs {
		if known == id {
			return i
		}
	}
	return -1
}

// readListLimit reads limit: absent or 0 means 100; anything else must be 1–1000.
func readListLimit(v string) (int, *apiError) {
	if v == "" {
		return listLimit, nil
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil || n < 0 || n > listMaxLimit:
		return 0, fail("invalid_limit")
	case n == 0:
		return listLimit, nil
	}
	return n, nil
}

// conversationsList answers the conversations the bot can see, in creation order, limit a page.
// The fake has no archived channels, so exclude_archived changes nothing.
func conversationsList(s *Server, req *request) (map[string]any, *apiError) {
	types, err := conversationTypes(req.args.Get("types"))
	if err != nil {
		return nil, err
	}
	limit, err := readListLimit(req.args.Get("limit"))
	if err != nil {
		return nil, err
	}
	start := 0
	if cur := req.args.Get("cursor"); cur != "" {
		if start = s.listStart(cur); start < 0 {
			return nil, fail("invalid_cursor")
		}
	}
	channels := []any{}
	next := ""
	for _, id := range s.store.chanIDs[start:] {
		c := s.store.channels[id]
		if !s.listedLocked(c, types) {
			continue
		}
		if len(channels) == limit {
			next = encodeListCursor(id)
			break
		}
		channels = append(channels, s.wireChannel(c, true))
	}
	return map[string]any{
		"channels":          channels,
		"response_metadata": map[string]any{"next_cursor": next},
	}, nil
}
