package slacktest

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func conversationMethods() map[string]method {
	return map[string]method{
		"conversations.create":     {handle: conversationsCreate},
		"conversations.info":       {handle: conversationsInfo},
		"conversations.setTopic":   {handle: conversationsSetTopic},
		"conversations.setPurpose": {handle: conversationsSetPurpose},
		"conversations.invite":     {handle: conversationsInvite},
		"conversations.join":       {handle: conversationsJoin},
		"conversations.members":    {handle: conversationsMembers},
	}
}

const (
	maxChannelName = 80
	maxTopic       = 250 // topic and purpose alike: "too_long"
)

// checkChannelNameLocked applies conversations.create's naming rules and returns the Slack error,
// or "" for a usable name.
func (s *Server) checkChannelNameLocked(name string) string {
	switch {
	case name == "":
		return "invalid_name_required"
	case utf8.RuneCountInString(name) > maxChannelName:
		return "invalid_name_maxlength"
	}
	onlyPunctuation := true
	for _, r := range name {
		switch {
		case r == '-' || r == '_':
		case unicode.IsDigit(r) || (unicode.IsLetter(r) && !unicode.IsUpper(r)):
			onlyPunctuation = false
		default: // upper case, spaces, dots, '#', ...
			return "invalid_name_specials"
		}
	}
	if onlyPunctuation {
		return "invalid_name_punctuation"
	}
	if s.store.channelByName(name) != nil {
		return "name_taken"
	}
	return ""
}

func conversationsCreate(s *Server, req *request) (map[string]any, *apiError) {
	name := req.args.Get("name")
	if code := s.checkChannelNameLocked(name); code != "" {
		return nil, fail(code)
	}
	c := s.store.addChannel(name, boolArg(req.args, "is_private"), s.opts.BotUserID, s.now(), []string{s.opts.BotUserID})
	return map[string]any{"channel": s.wireChannel(c, false)}, nil
}

// visibleChannel resolves a conversations.* channel argument, which must be an ID. The bot sees
// public channels and DMs, and private channels only as a member.
func (s *Server) visibleChannel(id string) (*channel, *apiError) {
	c, ok := s.store.channels[id]
	if !ok || (c.private && !c.isMember(s.opts.BotUserID)) {
		return nil, fail("channel_not_found")
	}
	return c, nil
}

func conversationsInfo(s *Server, req *request) (map[string]any, *apiError) {
	c, err := s.visibleChannel(req.args.Get("channel"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"channel": s.wireChannel(c, boolArg(req.args, "include_num_members"))}, nil
}

func conversationsSetTopic(s *Server, req *request) (map[string]any, *apiError) {
	return s.setChannelText(req, "topic", func(c *channel) *textSetting { return &c.topic })
}

func conversationsSetPurpose(s *Server, req *request) (map[string]any, *apiError) {
	return s.setChannelText(req, "purpose", func(c *channel) *textSetting { return &c.purpose })
}

func (s *Server) setChannelText(req *request, arg string, field func(*channel) *textSetting) (map[string]any, *apiError) {
	c, err := s.visibleChannel(req.args.Get("channel"))
	if err != nil {
		return nil, err
	}
	if c.im {
		return nil, fail("method_not_supported_for_channel_type")
	}
	if !c.isMember(s.opts.BotUserID) {
		return nil, fail("not_in_channel")
	}
	value := req.args.Get(arg)
	if utf8.RuneCountInString(value) > maxTopic {
		return nil, fail("too_long")
	}
	*field(c) = textSetting{value: value, creator: s.opts.BotUserID, lastSet: s.now()}
	return map[string]any{"channel": s.wireChannel(c, false)}, nil
}

func conversationsInvite(s *Server, req *request) (map[string]any, *apiError) {
	c, err := s.visibleChannel(req.args.Get("channel"))
	if err != nil {
		return nil, err
	}
	if c.im {
		return nil, fail("method_not_supported_for_channel_type")
	}
	if !c.isMember(s.opts.BotUserID) {
		return nil, fail("not_in_channel")
	}
	var ids []string
	for id := range strings.SplitSeq(req.args.Get("users"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, fail("no_user")
	}
	for _, id := range ids {
		_, known := s.store.lookupUser(id)
		switch {
		case id == s.opts.BotUserID:
			return nil, fail("cant_invite_self")
		case !known:
			return nil, fail("user_not_found")
		case c.isMember(id):
			return nil, fail("already_in_channel")
		}
	}
	for _, id := range ids {
		c.addMember(id)
		s.store.addJoin(c, id, s.opts.BotUserID, s.now())
	}
	return map[string]any{"channel": s.wireChannel(c, false)}, nil
}

func conversationsJoin(s *Server, req *request) (map[string]any, *apiError) {
	c, err := s.visibleChannel(req.args.Get("channel"))
	if err != nil {
		return nil, err
	}
	if c.im {
		return nil, fail("method_not_supported_for_channel_type")
	}
	out := map[string]any{}
	if c.isMember(s.opts.BotUserID) {
		// Joining twice succeeds with a warning, as in Slack's reference.
		out["warning"] = "already_in_channel"
		out["response_metadata"] = map[string]any{"warnings": []string{"already_in_channel"}}
	} else {
		c.addMember(s.opts.BotUserID)
		s.store.addJoin(c, s.opts.BotUserID, "", s.now())
	}
	out["channel"] = s.wireChannel(c, false)
	return out, nil
}

// conversationsMembers pages like Slack: limit (default 100, at most 1000) and an opaque cursor,
// here base64 of "user:<first ID of the next page>" as Slack's cursors are.
func conversationsMembers(s *Server, req *request) (map[string]any, *apiError) {
	c, err := s.visibleChannel(req.args.Get("channel"))
	if err != nil {
		return nil, err
	}
	limit := 100
	if l := req.args.Get("limit"); l != "" {
		n, convErr := strconv.Atoi(l)
		if convErr != nil || n < 1 {
			return nil, fail("invalid_limit")
		}
		limit = min(n, 1000)
	}
	start := 0
	if cur := req.args.Get("cursor"); cur != "" {
		start = -1
		if raw, decErr := base64.StdEncoding.DecodeString(cur); decErr == nil {
			next := strings.TrimPrefix(string(raw), "user:")
			for i, m := range c.members {
				if m == next {
					start = i
				}
			}
		}
		if start < 0 {
			return nil, fail("invalid_cursor")
		}
	}
	end := min(start+limit, len(c.members))
	next := ""
	if end < len(c.members) {
		next = base64.StdEncoding.EncodeToString([]byte("user:" + c.members[end]))
	}
	return map[string]any{
		"members":           append([]string{}, c.members[start:end]...),
		"response_metadata": map[string]any{"next_cursor": next},
	}, nil
}

// wireChannel renders a conversation object with the fields Slack's conversations.* answers carry.
func (s *Server) wireChannel(c *channel, withNumMembers bool) map[string]any {
	if c.im {
		return map[string]any{
			"id": c.id, "created": c.created.Unix(), "is_im": true, "is_org_shared": false,
			"user": c.imUser, "is_user_deleted": false, "priority": 0,
		}
	}
	setting := func(t textSetting) map[string]any {
		last := int64(0)
		if !t.lastSet.IsZero() {
			last = t.lastSet.Unix()
		}
		return map[string]any{"value": t.value, "creator": t.creator, "last_set": last}
	}
	out := map[string]any{
		"id": c.id, "name": c.name, "name_normalized": c.name,
		"is_channel": true, "is_group": false, "is_im": false, "is_mpim": false,
		"is_private": c.private, "is_archived": false, "is_general": false,
		"is_shared": false, "is_ext_shared": false, "is_org_shared": false,
		"is_pending_ext_shared": false, "pending_shared": []string{}, "unlinked": 0,
		"created": c.created.Unix(), "creator": c.creator,
		"is_member": c.isMember(s.opts.BotUserID), "last_read": "0000000000.000000",
		"topic": setting(c.topic), "purpose": setting(c.purpose),
		"previous_names": []string{}, "priority": 0,
	}
	if withNumMembers {
		out["num_members"] = len(c.members)
	}
	return out
}
