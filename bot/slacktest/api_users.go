package slacktest

func userMethods() map[string]method {
	return map[string]method{
		"users.info":            {handle: usersInfo},
		"usergroups.users.list": {handle: usergroupsUsersList},
	}
}

// usergroupsUsersList answers like slack_usergroups_users_list.json; an
// unknown group is no_such_subteam, as in Slack.
func usergroupsUsersList(s *Server, req *request) (map[string]any, *apiError) {
	id := req.args.Get("usergroup")
	if id == "" {
		return nil, fail("invalid_arguments")
	}
	members, ok := s.store.groups[id]
	if !ok {
		return nil, fail("no_such_subteam")
	}
	return map[string]any{"users": append([]string{}, members...)}, nil
}

func usersInfo(s *Server, req *request) (map[string]any, *apiError) {
	u, ok := s.store.lookupUser(req.args.Get("user"))
	if !ok {
		return nil, fail("user_not_found")
	}
	return map[string]any{"user": s.wireUser(u)}, nil
}

// wireUser renders a user object with the fields users.info answers with.
func (s *Server) wireUser(u *user) map[string]any {
	profile := map[string]any{
		"real_name": u.name, "real_name_normalized": u.name,
		"display_name": u.name, "display_name_normalized": u.name, "team": s.opts.TeamID,
	}
	if u.isBot {
		profile["bot_id"] = s.botID
		profile["display_name"], profile["display_name_normalized"] = "", ""
	}
	return map[string]any{
		"id": u.id, "team_id": s.opts.TeamID, "name": u.name, "deleted": false,
		"real_name": u.name, "tz": "Europe/Berlin", "tz_label": "Central European Time", "tz_offset": 3600,
		"profile": profile, "is_admin": false, "is_owner": false, "is_bot": u.isBot,
		"is_app_user": false, "updated": int64(1700000000),
	}
}
