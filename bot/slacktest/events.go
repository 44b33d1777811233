package slacktest

import (
	"fmt"
	"slices"
	"strings"
)

// Events API payloads of what happens to messages. Each builder changes the fake's channel as
// Slack would (so conversations.history agrees with the events) and returns the events_api
// payload Slack sends for it, shaped like the socketmode_events_api_*.json samples: send it with
// SendEnvelope("events_api", payload). The inner event's ts and event_ts are the time of the
// change; a message's own ts names it.

// MessageEvent stores a user's message (as AddMessage: threadTS makes it a reply; options At,
// Broadcast) and returns its ts and the payload of its message.channels event, like
// socketmode_events_api_message.json (a reply like socketmode_events_api_thread_reply.json).
func (s *Server) MessageEvent(channel, user, text, threadTS string, opts ...MessageOption) (string, map[string]any) {
	ts := s.AddMessage(channel, user, text, threadTS, opts...)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel("MessageEvent", channel)
	ev := s.eventMessageLocked(s.mustMessage("MessageEvent", c, ts))
	ev["channel"], ev["channel_type"], ev["event_ts"] = c.id, "channel", ts
	return ts, s.eventPayloadLocked(ev)
}

// PostedEvent returns the payload of the message event for a message already in the channel,
// such as one the bot posted: Slack sends an app the events of its own messages too.
func (s *Server) PostedEvent(channel, ts string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel("PostedEvent", channel)
	ev := s.eventMessageLocked(s.mustMessage("PostedEvent", c, ts))
	ev["channel"], ev["channel_type"], ev["event_ts"] = c.id, "channel", ts
	return s.eventPayloadLocked(ev)
}

// EditEvent changes a message's text as its author would (EditMessage) and returns the payload
// of the message_changed event, with the message as it is now and as it was, like
// socketmode_events_api_message_changed.json.
func (s *Server) EditEvent(channel, ts, newText string) map[string]any {
	s.mu.Lock()
	c := s.mustChannel("EditEvent", channel)
	prev := s.eventMessageLocked(s.mustMessage("EditEvent", c, ts))
	s.mu.Unlock()
	s.EditMessage(channel, ts, newText)
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.store.nextTS(s.now())
	return s.eventPayloadLocked(map[string]any{
		"type": "message", "subtype": "message_changed", "hidden": true, "message": s.eventMessageLocked(c.findMessage(ts)),
		"previous_message": prev, "channel": c.id, "ts": at, "event_ts": at, "channel_type": "channel",
	})
}

// DeleteEvent deletes a message and returns the payload of the message_deleted event, like
// socketmode_events_api_message_deleted.json.
func (s *Server) DeleteEvent(channel, ts string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel("DeleteEvent", channel)
	prev := s.eventMessageLocked(s.mustMessage("DeleteEvent", c, ts))
	c.deleteMessage(ts)
	at := s.store.nextTS(s.now())
	return s.eventPayloadLocked(map[string]any{
		"type": "message", "subtype": "message_deleted", "hidden": true, "previous_message": prev,
		"channel": c.id, "deleted_ts": ts, "ts": at, "event_ts": at, "channel_type": "channel",
	})
}

// ReactionEvent adds user's emoji reaction to a message (React), or with added false removes it,
// and returns the payload of the reaction_added (reaction_removed) event, like
// socketmode_events_api_reaction_added.json.
func (s *Server) ReactionEvent(channel, ts, user, emoji string, added bool) map[string]any {
	if added {
		s.React(channel, ts, user, emoji)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel("ReactionEvent", channel)
	m := s.mustMessage("ReactionEvent", c, ts)
	name, typ := strings.Trim(emoji, ":"), "reaction_added"
	if !added {
		typ = "reaction_removed"
		for _, r := range m.reactions {
			if r.name == name {
				r.users = slices.DeleteFunc(r.users, func(u string) bool { return u == user })
			}
		}
		m.reactions = slices.DeleteFunc(m.reactions, func(r *reaction) bool { return len(r.users) == 0 })
	}
	return s.eventPayloadLocked(map[string]any{
		"type": typ, "user": user, "reaction": name, "item_user": s.authorOf(m),
		"item":     map[string]any{"type": "message", "channel": c.id, "ts": ts, "channel_type": "channel"},
		"event_ts": s.store.nextTS(s.now()),
	})
}

// PinEvent pins a message (Pin), or with pinned false unpins it, and returns the payload of the
// pin_added (pin_removed) event, like socketmode_events_api_pin_added.json.
func (s *Server) PinEvent(channel, ts string, pinned bool) map[string]any {
	if pinned {
		s.Pin(channel, ts)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel("PinEvent", channel)
	m := s.mustMessage("PinEvent", c, ts)
	typ := "pin_added"
	if !pinned {
		typ, m.pinned = "pin_removed", false
	}
	msg := s.eventMessageLocked(m)
	msg["permalink"] = s.base + "/archives/" + c.id + "/p" + strings.ReplaceAll(ts, ".", "")
	return s.eventPayloadLocked(map[string]any{
		"type": typ, "user": s.authorOf(m), "channel_id": c.id, "item_user": s.authorOf(m), "pin_count": fmt.Sprint(c.pinCount()),
		"item":        map[string]any{"type": "message", "channel": c.id, "created_by": s.authorOf(m), "created": s.now().Unix(), "message": msg},
		"pinned_info": map[string]any{"channel": c.id, "pinned_by": s.authorOf(m), "pinned_ts": s.now().Unix()},
		"event_ts":    s.store.nextTS(s.now()),
	})
}

// eventMessageLocked is a message as events carry it: as history has it, and for a person's
// message what Slack's clients add, its client_msg_id (the same in every event about it) and
// its text as a rich_text block.
func (s *Server) eventMessageLocked(m *message) map[string]any {
	out := s.wireMessage(m)
	if m.User == "" || m.User == s.opts.BotUserID || m.Subtype == "channel_join" {
		return out
	}
	us, _ := parseTS(m.TS)
	out["client_msg_id"] = fmt.Sprintf("%08x-0000-4000-8000-%012x", us>>32, us&0xffffffffffff)
	if _, ok := out["blocks"]; !ok {
		out["blocks"] = []any{map[string]any{"type": "rich_text", "block_id": fmt.Sprintf("rt%04d", us%10000), "elements": []any{
			map[string]any{"type": "rich_text_section", "elements": []any{map[string]any{"type": "text", "text": m.Text}}}}}}
	}
	return out
}

// eventPayloadLocked wraps an inner event in the event_callback Slack sends, with a new
// event_id.
func (s *Server) eventPayloadLocked(event map[string]any) map[string]any {
	s.eventSeq++
	return map[string]any{
		"token": verificationToken, "team_id": s.opts.TeamID, "api_app_id": s.opts.AppID, "event": event,
		"type": "event_callback", "event_id": fmt.Sprintf("Ev%08d", s.eventSeq), "event_time": s.now().Unix(),
		"authorizations": []map[string]any{{"enterprise_id": nil, "team_id": s.opts.TeamID, "user_id": s.opts.BotUserID,
			"is_bot": true, "is_enterprise_install": false}},
		"is_ext_shared_channel": false, "event_context": fmt.Sprintf("4-%08d", s.eventSeq),
	}
}
