package slacktest

import (
	"encoding/json"
	"maps"
)

// SlashPayload is a slash command's Socket Mode payload, field for field as in
// socketmode_slash_command.json. Slack sends is_enterprise_install as a string there.
type SlashPayload struct {
	Token               string `json:"token"`
	TeamID              string `json:"team_id"`
	TeamDomain          string `json:"team_domain"`
	ChannelID           string `json:"channel_id"`
	ChannelName         string `json:"channel_name"`
	UserID              string `json:"user_id"`
	UserName            string `json:"user_name"`
	Command             string `json:"command"`
	Text                string `json:"text"`
	APIAppID            string `json:"api_app_id"`
	IsEnterpriseInstall string `json:"is_enterprise_install"`
	ResponseURL         string `json:"response_url"`
	TriggerID           string `json:"trigger_id"`
}

// describeChannel names the channel an interaction happens in; channel may be an ID or a name.
func (s *Server) describeChannel(channel string) (id, name string) {
	if c := s.store.findChannel(channel); c != nil {
		if c.im {
			return c.id, "directmessage"
		}
		return c.id, c.name
	}
	return channel, ""
}

func (s *Server) userName(id string) string {
	if u, ok := s.store.lookupUser(id); ok {
		return u.name
	}
	return ""
}

// SlashCommand builds the payload of "/incident <text>" typed by user in channel (ID or name),
// with a fresh trigger_id (good for 3s) and a working response_url. Set Command to change the
// command.
func (s *Server) SlashCommand(user, channel, text string) SlashPayload {
	s.mu.Lock()
	defer s.mu.Unlock()
	chID, chName := s.describeChannel(channel)
	return SlashPayload{
		Token: verificationToken, TeamID: s.opts.TeamID, TeamDomain: teamDomain,
		ChannelID: chID, ChannelName: chName, UserID: user, UserName: s.userName(user),
		Command: "/incident", Text: text, APIAppID: s.opts.AppID, IsEnterpriseInstall: "false",
		ResponseURL: s.issueHook(chID, user, ""), TriggerID: s.store.issueTrigger(user, s.now()),
	}
}

func (s *Server) payloadUser(id string) map[string]any {
	name := s.userName(id)
	return map[string]any{"id": id, "username": name, "name": name, "team_id": s.opts.TeamID}
}

// BlockAction builds the block_actions payload of user clicking the element actionID (with value)
// on the message at messageTS, shaped like socketmode_block_actions.json. When the fake holds the
// message, the payload carries it and describes the clicked element from its blocks (button,
// select, date picker, ...); the response_url acts on that message.
func (s *Server) BlockAction(user, channel, messageTS, actionID, value string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	chID, chName := s.describeChannel(channel)
	now := s.now()
	msg := map[string]any{"type": "message", "ts": messageTS, "text": ""}
	container := map[string]any{"type": "message", "message_ts": messageTS, "channel_id": chID, "is_ephemeral": false}
	var blockID string
	var element map[string]any
	if c := s.store.channels[chID]; c != nil {
		if m := c.findMessage(messageTS); m != nil {
			msg = s.wireMessage(m)
			if m.ThreadTS != "" {
				container["thread_ts"] = m.ThreadTS
			}
			blockID, element = findElement(m.Blocks, actionID)
		}
	}
	return map[string]any{
		"type": "block_actions", "user": s.payloadUser(user), "api_app_id": s.opts.AppID,
		"token": verificationToken, "container": container, "trigger_id": s.store.issueTrigger(user, now),
		"team": map[string]any{"id": s.opts.TeamID, "domain": teamDomain}, "enterprise": nil,
		"is_enterprise_install": false, "channel": map[string]any{"id": chID, "name": chName},
		"message": msg, "state": map[string]any{"values": map[string]any{}},
		"response_url": s.issueHook(chID, user, messageTS),
		"actions":      []any{actionPayload(element, blockID, actionID, value, s.store.nextTS(now))},
	}
}

// findElement finds the interactive element with actionID in a message's blocks.
func findElement(raw json.RawMessage, actionID string) (blockID string, element map[string]any) {
	var blocks []map[string]any
	_ = json.Unmarshal(raw, &blocks)
	for _, b := range blocks {
		candidates, _ := b["elements"].([]any)
		candidates = append(candidates, b["accessory"], b["element"])
		for _, c := range candidates {
			if el, ok := c.(map[string]any); ok && el["action_id"] == actionID {
				id, _ := b["block_id"].(string)
				return id, el
			}
		}
	}
	return "", nil
}

// actionPayload describes one action the way Slack reports the element's type.
func actionPayload(el map[string]any, blockID, actionID, value, actionTS string) map[string]any {
	typ, _ := el["type"].(string)
	if typ == "" {
		typ = "button"
	}
	a := map[string]any{"action_id": actionID, "block_id": blockID, "type": typ, "action_ts": actionTS}
	switch typ {
	case "button":
		text := el["text"]
		if text == nil {
			text = map[string]any{"type": "plain_text", "text": actionID, "emoji": true}
		}
		a["text"], a["value"] = text, value
		if style, ok := el["style"]; ok {
			a["style"] = style
		}
	case "static_select", "external_select", "overflow", "radio_buttons":
		a["selected_option"] = map[string]any{"text": optionText(el, value), "value": value}
	case "users_select":
		a["selected_user"] = value
	case "conversations_select":
		a["selected_conversation"] = value
	case "channels_select":
		a["selected_channel"] = value
	case "datepicker":
		a["selected_date"] = value
	default:
		a["value"] = value
	}
	return a
}

func optionText(el map[string]any, value string) any {
	opts, _ := el["options"].([]any)
	for _, o := range opts {
		if om, ok := o.(map[string]any); ok && om["value"] == value {
			return om["text"]
		}
	}
	return map[string]any{"type": "plain_text", "text": value, "emoji": true}
}

// ViewSubmission builds the view_submission payload of user submitting a modal with input values
// (values[block_id][action_id] = {"type": ..., "value" | "selected_option" | ...}). When the fake
// holds the view (opened through views.open) the payload carries it, with callbackID and
// privateMetadata overriding its own when not empty.
func (s *Server) ViewSubmission(user, viewID, callbackID, privateMetadata string, values map[string]map[string]any) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v map[string]any
	if stored, ok := s.store.views[viewID]; ok {
		v = maps.Clone(stored.obj)
	} else {
		v = map[string]any{
			"id": viewID, "team_id": s.opts.TeamID, "type": "modal", "blocks": []any{},
			"title":       map[string]any{"type": "plain_text", "text": "Modal", "emoji": true},
			"external_id": "", "hash": "", "root_view_id": viewID, "previous_view_id": nil,
			"app_id": s.opts.AppID, "bot_id": s.botID, "app_installed_team_id": s.opts.TeamID,
			"callback_id": "", "private_metadata": "", "clear_on_close": false, "notify_on_close": false,
		}
	}
	if callbackID != "" {
		v["callback_id"] = callbackID
	}
	if privateMetadata != "" {
		v["private_metadata"] = privateMetadata
	}
	if values == nil {
		values = map[string]map[string]any{}
	}
	v["state"] = map[string]any{"values": values}
	return map[string]any{
		"type": "view_submission", "team": map[string]any{"id": s.opts.TeamID, "domain": teamDomain},
		"user": s.payloadUser(user), "api_app_id": s.opts.AppID, "token": verificationToken,
		"trigger_id": s.store.issueTrigger(user, s.now()), "view": v, "response_urls": []any{},
		"is_enterprise_install": false, "enterprise": nil,
	}
}

// IntegrationMessage stores a message an integration (botID, posting as
// username) posts in channel — text plus attachments, as AWS Chatbot and
// Uptime Robot do — and returns the events_api payload of its
// message.channels event, shaped like socketmode_events_api_app_mention.json.
func (s *Server) IntegrationMessage(channel, botID, username, text string, attachments ...map[string]any) map[string]any {
	ts := s.AddBotMessage(channel, botID, text)
	s.mu.Lock()
	defer s.mu.Unlock()
	event := map[string]any{
		"type": "message", "subtype": "bot_message", "bot_id": botID, "username": username, "text": text,
		"ts": ts, "channel": channel, "channel_type": "channel", "event_ts": ts,
	}
	if len(attachments) > 0 {
		event["attachments"] = attachments
	}
	return s.eventPayloadLocked(event)
}
