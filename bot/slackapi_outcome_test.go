package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// Slack answers ok:false with HTTP 200: the outcome is Slack's own, and
// the body still reaches the client unchanged.
func TestSlackOutcome(t *testing.T) {
	for _, tc := range []struct {
		status int
		ctype  string
		body   string
		want   string
	}{
		{200, "application/json; charset=utf-8", `{"ok":true,"ts":"1.2"}`, "ok"},
		{200, "application/json; charset=utf-8", `{"ok":false,"error":"channel_not_found"}`, "channel_not_found"},
		{200, "application/json", `{"ok":false,"error":"<b>weird</b>"}`, "other_error"},
		{200, "application/json", `not json`, "http_200"},
		{429, "application/json", `{"ok":false,"error":"ratelimited"}`, "http_429"},
		{503, "text/html", `<html>`, "http_503"},
	} {
		resp := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {tc.ctype}}, Body: io.NopCloser(strings.NewReader(tc.body))}
		if got := slackOutcome(resp); got != tc.want {
			t.Errorf("%d %s: outcome %q, want %q", tc.status, tc.body, got, tc.want)
		}
		if b, _ := io.ReadAll(resp.Body); string(b) != tc.body {
			t.Errorf("the body reached the client as %q", b)
		}
	}
}

// A failure that is neither Slack's answer nor the network is the bot's
// own, and does not read as Slack being unreachable.
func TestSlackErrorCodeClassifies(t *testing.T) {
	netErr := &url.Error{Op: "Post", URL: "https://slack.com/api/chat.postMessage", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{netErr, "request_failed"},
		{context.DeadlineExceeded, "timeout"},
		{slack.SlackErrorResponse{Err: "is_archived"}, "is_archived"},
		{fmt.Errorf("record card: %w", errors.New("database is locked")), "internal_error"},
	} {
		if got := SlackErrorCode(tc.err); got != tc.want {
			t.Errorf("SlackErrorCode(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
