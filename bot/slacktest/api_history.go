package slacktest

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// historyMethods read what was said in a conversation. conversations.history is a Tier 3
// method in Slack; like every method it answers RateLimitNext with a 429.
func historyMethods() map[string]method {
	return map[string]method{
		"conversations.history": {handle: conversationsHistory},
		"conversations.replies": {handle: conversationsReplies},
		"pins.list":             {handle: pinsList},
		"reactions.get":         {handle: reactionsGet},
	}
}

const (
	historyLimit, historyMaxLimit = 100, 999   // conversations.history: "Maximum of 999"
	repliesLimit, repliesMaxLimit = 1000, 1000 // conversations.replies: default 1000
)

// readableChannel resolves the channel of conversations.history/replies. A bot token reads only
// conversations the bot is a member of; a public channel it is not in is not_in_channel.
func (s *Server) readableChannel(id string) (*channel, *apiError) {
	c, err := s.visibleChannel(id)
	if err != nil {
		return nil, err
	}
	if !c.isMember(s.opts.BotUserID) {
		return nil, fail("not_in_channel")
	}
	return c, nil
}

// window is the oldest/latest/inclusive time range of a history or replies call.
type window struct {
	oldest, latest int64 // microseconds; latest 0 means no upper bound
	inclusive      bool
}

func readWindow(args url.Values) (window, *apiError) {
	w := window{inclusive: boolArg(args, "inclusive")}
	var ok bool
	if v := args.Get("oldest"); v != "" {
		if w.oldest, ok = parseTS(v); !ok {
			return w, fail("invalid_ts_oldest")
		}
	}
	if v := args.Get("latest"); v != "" {
		if w.latest, ok = parseTS(v); !ok {
			return w, fail("invalid_ts_latest")
		}
	}
	return w, nil
}

func (w window) contains(m *message) bool {
	ts := tsKey(m)
	if w.oldest > 0 && (ts < w.oldest || ts == w.oldest && !w.inclusive) {
		return false
	}
	if w.latest > 0 && (ts > w.latest || ts == w.latest && !w.inclusive) {
		return false
	}
	return true
}

// readLimit reads a limit argument: absent or 0 means the default, more than the maximum means
// the maximum.
func readLimit(args url.Values, def, most int) (int, *apiError) {
	v := args.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil || n < 0:
		return 0, fail("invalid_limit")
	case n == 0:
		return def, nil
	}
	return min(n, most), nil
}

// Cursors are shaped like the one in slack_conversations_history_page.json: base64 of
// "next_ts:" and the timestamp of the first message of the next page, without its dot.
func encodeCursor(m *message) string {
	return base64.StdEncoding.EncodeToString([]byte("next_ts:" + strconv.FormatInt(tsKey(m), 10)))
}

func decodeCursor(cursor string) (int64, bool) {
	raw, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil {
		return 0, false
	}
	digits, ok := strings.CutPrefix(string(raw), "next_ts:")
	if !ok {
		return 0, false
	}
	us, err := strconv.ParseInt(digits, 10, 64)
	return us, err == nil && us >= 0
}

// page cuts one page of limit messages out of ms, starting at the cursor's message: the first
// one at or past it in the list's order (newestFirst says which way the list runs).
func page(ms []*message, cursor string, limit int, newestFirst bool) ([]*message, string, *apiError) {
	start := 0
	if cursor != "" {
		us, ok := decodeCursor(cursor)
		if !ok {
			return nil, "", fail("invalid_cursor")
		}
		start = len(ms)
		for i, m := range ms {
			if (newestFirst && tsKey(m) <= us) || (!newestFirst && tsKey(m) >= us) {
				start = i
				break
			}
		}
	}
	end := min(start+limit, len(ms))
	next := ""
	if end < len(ms) {
		next = encodeCursor(ms[end])
	}
	return ms[start:end], next, nil
}

// wireMessages renders a page of history or replies; message metadata is only sent when the
// call asks for it with include_all_metadata.
func (s *Server) wireMessages(ms []*message, req *request) []any {
	withMetadata := boolArg(req.args, "include_all_metadata")
	out := make([]any, 0, len(ms))
	for _, m := range ms {
		w := s.wireMessage(m)
		if withMetadata && m.Metadata != nil {
			w["metadata"] = wireMetadata(m.Metadata)
		}
		out = append(out, w)
	}
	return out
}

// conversationsHistory answers like slack_conversations_history_page.json: newest first, only
// messages in the channel itself (thread parents yes, replies only when broadcast), has_more and
// response_metadata.next_cursor for the next page.
func conversationsHistory(s *Server, req *request) (map[string]any, *apiError) {
	c, err := s.readableChannel(req.args.Get("channel"))
	if err != nil {
		return nil, err
	}
	limit, err := readLimit(req.args, historyLimit, historyMaxLimit)
	if err != nil {
		return nil, err
	}
	w, err := readWindow(req.args)
	if err != nil {
		return nil, err
	}
	var top []*message
	for _, m := range c.messages {
		if m.Ephemeral || (m.isReply() && m.Subtype != "thread_broadcast") || !w.contains(m) {
			continue
		}
		top = append(top, m)
	}
	byTS(top)
	slices.Reverse(top)
	got, next, err := page(top, req.args.Get("cursor"), limit, true)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"messages":          s.wireMessages(got, req),
		"has_more":          next != "",
		"pin_count":         c.pinCount(),
		"response_metadata": map[string]any{"next_cursor": next},
	}, nil
}

// conversationsReplies answers like slack_conversations_replies.json: the thread's parent, then
// its replies oldest first. ts may name the parent or any reply; a message without replies is a
// thread of one. The parent opens the first page only; later pages hold replies.
func conversationsReplies(s *Server, req *request) (map[string]any, *apiError) {
	c, err := s.readableChannel(req.args.Get("channel"))
	if err != nil {
		return nil, err
	}
	limit, err := readLimit(req.args, repliesLimit, repliesMaxLimit)
	if err != nil {
		return nil, err
	}
	w, err := readWindow(req.args)
	if err != nil {
		return nil, err
	}
	parent := c.findMessage(req.args.Get("ts"))
	if parent != nil && parent.isReply() {
		parent = c.findMessage(parent.ThreadTS)
	}
	if parent == nil {
		return nil, fail("thread_not_found")
	}
	var thread []*message
	cursor := req.args.Get("cursor")
	if cursor == "" {
		thread = append(thread, parent)
	}
	for _, r := range c.replies(parent.TS) {
		if w.contains(r) {
			thread = append(thread, r)
		}
	}
	got, next, err := page(thread, cursor, limit, false)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"messages":          s.wireMessages(got, req),
		"has_more":          next != "",
		"response_metadata": map[string]any{"next_cursor": next},
	}, nil
}

// pinsList lists the messages pinned in a channel, most recently pinned first.
func pinsList(s *Server, req *request) (map[string]any, *apiError) {
	c, err := s.visibleChannel(req.args.Get("channel"))
	if err != nil {
		return nil, err
	}
	var pinned []*message
	for _, m := range c.messages {
		if m.pinned && !m.Ephemeral {
			pinned = append(pinned, m)
		}
	}
	slices.SortStableFunc(pinned, func(a, b *message) int { return b.pinnedAt.Compare(a.pinnedAt) })
	items := make([]any, 0, len(pinned))
	for _, m := range pinned {
		items = append(items, map[string]any{
			"type": "message", "created": m.pinnedAt.Unix(), "created_by": m.pinnedBy,
			"channel": c.id, "message": s.wireMessage(m),
		})
	}
	return map[string]any{"items": items}, nil
}

// reactionsGet answers for a message (channel + timestamp); file reactions are not modelled.
func reactionsGet(s *Server, req *request) (map[string]any, *apiError) {
	ch, ts := req.args.Get("channel"), req.args.Get("timestamp")
	if ch == "" && ts == "" {
		return nil, fail("no_item_specified")
	}
	c, err := s.visibleChannel(ch)
	if err != nil {
		return nil, err
	}
	if _, ok := parseTS(ts); !ok {
		return nil, fail("bad_timestamp")
	}
	m := c.findMessage(ts)
	if m == nil {
		return nil, fail("message_not_found")
	}
	return map[string]any{"type": "message", "channel": c.id, "message": s.wireMessage(m)}, nil
}
