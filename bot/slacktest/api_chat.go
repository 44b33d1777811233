package slacktest

import (
	"encoding/json"
	"net/url"
	"strings"
)

func chatMethods() map[string]method {
	return map[string]method{
		"chat.postMessage":   {handle: chatPostMessage},
		"chat.postEphemeral": {handle: chatPostEphemeral},
		"chat.update":        {handle: chatUpdate},
		"chat.delete":        {handle: chatDelete},
		"chat.getPermalink":  {handle: chatGetPermalink},
	}
}

// postTarget resolves chat.* channel arguments, which Slack accepts as an ID, a name, or a user
// ID (meaning the bot's DM with that user), and applies the posting rule: public channels and DMs
// are open to the bot (chat:write.public), private ones need membership.
func (s *Server) postTarget(arg string) (*channel, *apiError) {
	if arg == "" {
		return nil, fail("channel_not_found")
	}
	c := s.store.findChannel(arg)
	if c == nil && (strings.HasPrefix(arg, "U") || strings.HasPrefix(arg, "W")) {
		if _, ok := s.store.lookupUser(arg); ok {
			c = s.store.dm(s.opts.BotUserID, arg, s.now())
		}
	}
	if c == nil || (c.private && !c.isMember(s.opts.BotUserID)) {
		return nil, fail("channel_not_found")
	}
	return c, nil
}

// content is a message body as the chat.* methods take it.
type content struct {
	text   string
	blocks json.RawMessage
}

// messageContent reads text/markdown_text/blocks/attachments and applies Slack's rules: some
// content is required (no_text), markdown_text excludes text and blocks, blocks must be valid.
func messageContent(args url.Values) (content, *apiError) {
	text, md, rawBlocks := args.Get("text"), args.Get("markdown_text"), args.Get("blocks")
	if md != "" && (text != "" || rawBlocks != "") {
		return content{}, fail("markdown_text_conflict")
	}
	var out content
	if rawBlocks != "" {
		blocks, err := checkMessageBlocks(rawBlocks)
		if err != nil {
			return content{}, err
		}
		out.blocks = blocks
	}
	out.text = text + md
	if out.text == "" && !hasBlocks(out.blocks) && args.Get("attachments") == "" {
		return content{}, fail("no_text")
	}
	return out, nil
}

func hasBlocks(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "[]" }

func chatPostMessage(s *Server, req *request) (map[string]any, *apiError) {
	c, err := s.postTarget(req.args.Get("channel"))
	if err != nil {
		return nil, err
	}
	body, err := messageContent(req.args)
	if err != nil {
		return nil, err
	}
	md, err := readMetadata(req.args)
	if err != nil {
		return nil, err
	}
	m := &message{Message: Message{
		TS: s.store.nextTS(s.now()), Channel: c.id, User: s.opts.BotUserID,
		Text: body.text, Blocks: body.blocks, ThreadTS: req.args.Get("thread_ts"), Metadata: md,
	}}
	if m.ThreadTS != "" && boolArg(req.args, "reply_broadcast") {
		m.Subtype = "thread_broadcast"
	}
	c.messages = append(c.messages, m)
	return map[string]any{"channel": c.id, "ts": m.TS, "message": s.wireMessage(m)}, nil
}

func chatPostEphemeral(s *Server, req *request) (map[string]any, *apiError) {
	c, err := s.postTarget(req.args.Get("channel"))
	if err != nil {
		return nil, err
	}
	to := req.args.Get("user")
	if _, ok := s.store.lookupUser(to); !ok {
		return nil, fail("user_not_found")
	}
	if !c.isMember(to) {
		return nil, fail("user_not_in_channel")
	}
	body, err := messageContent(req.args)
	if err != nil {
		return nil, err
	}
	m := &message{Message: Message{
		TS: s.store.nextTS(s.now()), Channel: c.id, User: s.opts.BotUserID, Text: body.text,
		Blocks: body.blocks, ThreadTS: req.args.Get("thread_ts"), Ephemeral: true, For: to,
	}}
	c.messages = append(c.messages, m)
	return map[string]any{"message_ts": m.TS}, nil
}

// ownMessage finds the message chat.update and chat.delete act on; the bot may only change its own.
func (s *Server) ownMessage(req *request, notOwn string) (*channel, *message, *apiError) {
	c, err := s.postTarget(req.args.Get("channel"))
	if err != nil {
		return nil, nil, err
	}
	m := c.findMessage(req.args.Get("ts"))
	if m == nil {
		return nil, nil, fail("message_not_found")
	}
	if m.User != s.opts.BotUserID {
		return nil, nil, fail(notOwn)
	}
	return c, m, nil
}

func chatUpdate(s *Server, req *request) (map[string]any, *apiError) {
	c, m, err := s.ownMessage(req, "cant_update_message")
	if err != nil {
		return nil, err
	}
	body, err := messageContent(req.args)
	if err != nil {
		return nil, err
	}
	md, err := readMetadata(req.args)
	if err != nil {
		return nil, err
	}
	m.Text, m.Blocks = body.text, body.blocks
	if md != nil { // metadata stays unless the update brings new metadata
		m.Metadata = md
	}
	s.store.markEdited(m, s.opts.BotUserID, s.now())
	return map[string]any{"channel": c.id, "ts": m.TS, "text": m.Text, "message": s.wireMessage(m)}, nil
}

func chatDelete(s *Server, req *request) (map[string]any, *apiError) {
	c, m, err := s.ownMessage(req, "cant_delete_message")
	if err != nil {
		return nil, err
	}
	c.deleteMessage(m.TS)
	return map[string]any{"channel": c.id, "ts": m.TS}, nil
}

// chatGetPermalink answers with a URL shaped like Slack's archive links
// ("/archives/<channel>/p<ts without the dot>", thread replies with ?thread_ts=&cid=).
func chatGetPermalink(s *Server, req *request) (map[string]any, *apiError) {
	c, err := s.postTarget(req.args.Get("channel"))
	if err != nil {
		return nil, err
	}
	m := c.findMessage(req.args.Get("message_ts"))
	if m == nil {
		return nil, fail("message_not_found")
	}
	link := s.base + "/archives/" + c.id + "/p" + strings.ReplaceAll(m.TS, ".", "")
	if m.ThreadTS != "" && m.ThreadTS != m.TS {
		link += "?" + url.Values{"thread_ts": {m.ThreadTS}, "cid": {c.id}}.Encode()
	}
	return map[string]any{"channel": c.id, "permalink": link}, nil
}
