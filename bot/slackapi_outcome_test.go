package bot

import (
	"io"
	"net/http"
	"strings"
	"testing"
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
