package bot

import (
	"maps"
	"slices"
)

// methodScopes maps each method of API to the Slack Web API method it calls
// and the bot scope that method needs ("" when none). The manifest's bot
// scopes must be exactly the union of these plus slashScopes; a test
// checks it, so adding a call to API means adding it here.
var methodScopes = map[string]struct{ Method, Scope string }{
	"CreateConversationContext":        {"conversations.create", "channels:manage"},
	"SetTopicOfConversationContext":    {"conversations.setTopic", "channels:manage"},
	"InviteUsersToConversationContext": {"conversations.invite", "channels:manage"},
	"PostMessageContext":               {"chat.postMessage", "chat:write"},
	"UpdateMessageContext":             {"chat.update", "chat:write"},
	"PostEphemeralContext":             {"chat.postEphemeral", "chat:write"},
	"OpenViewContext":                  {"views.open", ""},
	"GetUserGroupMembersContext":       {"usergroups.users.list", "usergroups:read"},
	"GetConversationHistoryContext":    {"conversations.history", "channels:history"},
	"GetConversationRepliesContext":    {"conversations.replies", "channels:history"},
	"GetConversationsContext":          {"conversations.list", "channels:read"},
	"JoinConversationContext":          {"conversations.join", "channels:join"},
	"GetUserInfoContext":               {"users.info", "users:read"},
	"UploadFileContext":                {"files.getUploadURLExternal", "files:write"},
	"GetUploadURLExternalContext":      {"files.getUploadURLExternal", "files:write"},
	"UploadToURL":                      {"files.getUploadURLExternal", "files:write"}, // the URL that call gave
	"CompleteUploadExternalContext":    {"files.completeUploadExternal", "files:write"},
	"GetFileInfoContext":               {"files.info", "files:read"},
	"DeleteFileContext":                {"files.delete", "files:write"},
	"AddBookmarkContext":               {"bookmarks.add", "bookmarks:write"},
	"EditBookmarkContext":              {"bookmarks.edit", "bookmarks:write"},
	"CreateChannelCanvasContext":       {"conversations.canvases.create", "canvases:write"},
	"EditCanvasContext":                {"canvases.edit", "canvases:write"},
}

// extraScopes are needed for reasons other than a method of API:
// commands for /incident, chat:write.public to announce in
// INCIDENTS_CHANNEL without first being invited there.
var extraScopes = []string{"commands", "chat:write.public"}

// eventScopes maps each Events API subscription the bot reads to the bot
// scope Slack delivers it under. Messages (and their edits and
// deletions) in public channels feed the alert channels and the record
// of incident channels; pins and reactions feed that record too (a pin or
// the key emoji marks a key event in the postmortem draft). The
// manifest's bot_events must be exactly these.
var eventScopes = map[string]string{
	"message.channels": "channels:history",
	"reaction_added":   "reactions:read",
	"reaction_removed": "reactions:read",
	"pin_added":        "pins:read",
	"pin_removed":      "pins:read",
}

// BotEvents are the Events API subscriptions the code reads, sorted.
func BotEvents() []string {
	return slices.Sorted(maps.Keys(eventScopes))
}

// RequiredScopes is the bot scope set the code needs.
func RequiredScopes() []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, ms := range methodScopes {
		add(ms.Scope)
	}
	for _, s := range extraScopes {
		add(s)
	}
	for _, e := range BotEvents() {
		add(eventScopes[e])
	}
	return out
}
