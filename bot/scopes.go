package bot

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
	"GetFileInfoContext":               {"files.info", "files:read"},
	"DeleteFileContext":                {"files.delete", "files:write"},
	"AddBookmarkContext":               {"bookmarks.add", "bookmarks:write"},
	"EditBookmarkContext":              {"bookmarks.edit", "bookmarks:write"},
}

// extraScopes are needed for reasons other than a method of API:
// commands for /incident, chat:write.public to announce in
// INCIDENTS_CHANNEL without first being invited there.
var extraScopes = []string{"commands", "chat:write.public"}

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
	return out
}
