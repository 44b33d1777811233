package slacktest

import (
	"net/url"
	"strings"
)

func authMethods() map[string]method {
	return map[string]method{
		"auth.test":             {handle: authTest},
		"apps.connections.open": {handle: appsConnectionsOpen, appToken: true},
	}
}

func authTest(s *Server, _ *request) (map[string]any, *apiError) {
	return map[string]any{
		"url":                   s.base + "/",
		"team":                  teamName,
		"user":                  botName,
		"team_id":               s.opts.TeamID,
		"user_id":               s.opts.BotUserID,
		"bot_id":                s.botID,
		"is_enterprise_install": false,
	}, nil
}

// appsConnectionsOpen hands out a one-time ticket for the Socket Mode WebSocket, in a URL shaped
// like Slack's "wss://wss-primary.slack.com/link/?ticket=...&app_id=...".
func appsConnectionsOpen(s *Server, _ *request) (map[string]any, *apiError) {
	ticket := randomHex(16)
	s.sock.tickets[ticket] = struct{}{}
	q := url.Values{"ticket": {ticket}, "app_id": {s.opts.AppID}}
	return map[string]any{"url": "ws://" + strings.TrimPrefix(s.base, "http://") + "/link/?" + q.Encode()}, nil
}
