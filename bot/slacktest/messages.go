package slacktest

import "slices"

// kindOf is a message's subtype and bot_id as Slack reports them: the app's own posts are bot
// messages of its bot user (as in Slack's chat.postMessage reference and the block_actions
// fixture); channel_join and thread_broadcast keep their subtype.
func (s *Server) kindOf(m *message) (subtype, botID string) {
	subtype, botID = m.Subtype, m.BotID
	if m.User == s.opts.BotUserID {
		botID = s.botID
		if subtype == "" {
			subtype = "bot_message"
		}
	}
	return subtype, botID
}

// wireMessage renders a message as Slack returns it in chat.* answers, interaction payloads,
// conversations.history and conversations.replies: thread parents carry thread_ts, reply_count,
// reply_users and latest_reply; replies carry thread_ts and parent_user_id; edits, pins,
// reactions and files show as edited, pinned_to, reactions and files.
//
// It is long because it is the wire format itself, field by field, in
// the order Slack's documentation lists them; split, it would no longer
// read against that page.
func (s *Server) wireMessage(m *message) map[string]any {
	out := map[string]any{"type": "message", "text": m.Text, "ts": m.TS}
	subtype, botID := s.kindOf(m)
	if m.User != "" {
		out["user"] = m.User
		if subtype != "channel_join" {
			out["team"] = s.opts.TeamID
		}
	}
	if subtype != "" {
		out["subtype"] = subtype
	}
	if botID != "" {
		out["bot_id"] = botID
	}
	if m.User == s.opts.BotUserID {
		out["app_id"] = s.opts.AppID
	}
	if m.inviter != "" {
		out["inviter"] = m.inviter
	}
	if hasBlocks(m.Blocks) {
		out["blocks"] = m.Blocks
	}
	c := s.store.channels[m.Channel]
	if m.isReply() {
		out["thread_ts"] = m.ThreadTS
		var parent *message
		if c != nil {
			parent = c.findMessage(m.ThreadTS)
		}
		if parent != nil {
			if author := s.authorOf(parent); author != "" {
				out["parent_user_id"] = author
			}
			if subtype == "thread_broadcast" {
				out["root"] = s.wireMessage(parent)
			}
		}
	} else if c != nil {
		if replies := c.replies(m.TS); len(replies) > 0 {
			var users []string
			for _, r := range replies {
				// Slack falls back to the bot ID for a bot without a user.
				if u := s.authorOf(r); u != "" && !slices.Contains(users, u) {
					users = append(users, u)
				}
			}
			out["thread_ts"] = m.TS
			out["reply_count"] = len(replies)
			out["reply_users_count"] = len(users)
			out["reply_users"] = users
			out["latest_reply"] = replies[len(replies)-1].TS
			out["is_locked"] = false
			out["subscribed"] = false
		}
	}
	if m.Edited {
		by := m.editedBy
		if by == "" {
			by = s.authorOf(m)
		}
		out["edited"] = map[string]any{"user": by, "ts": m.editedTS}
	}
	if m.pinned {
		out["pinned_to"] = []string{m.Channel}
	}
	if len(m.reactions) > 0 {
		rs := make([]map[string]any, 0, len(m.reactions))
		for _, r := range m.reactions {
			rs = append(rs, map[string]any{"name": r.name, "users": append([]string{}, r.users...), "count": len(r.users)})
		}
		out["reactions"] = rs
	}
	if len(m.Files) > 0 {
		fs := make([]map[string]any, 0, len(m.Files))
		for _, id := range m.Files {
			if f := s.store.files[id]; f != nil {
				fs = append(fs, s.wireFile(f))
			}
		}
		out["files"] = fs
		out["upload"] = true
		out["display_as_bot"] = false
	}
	return out
}
