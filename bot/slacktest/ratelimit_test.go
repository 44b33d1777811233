package slacktest_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

func TestRateLimitsAreOffByDefault(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ch := s.AddChannel("ops")
	for i := range 10 {
		if _, _, err := api.PostMessage(ch, slack.MsgOptionText("burst", false)); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	for range 3 {
		if _, err := api.AuthTest(); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.RateLimitedCount("*"); n != 0 {
		t.Errorf("429s = %d", n)
	}
}

func TestRateLimitsPostMessagePerChannel(t *testing.T) {
	s := newServer(t, slacktest.Options{RateLimits: true})
	api := newAPI(s)
	ops := s.AddChannel("ops")
	other := s.AddChannel("other")
	for i := range 3 { // the burst
		if _, _, err := api.PostMessage(ops, slack.MsgOptionText(fmt.Sprint(i), false)); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	for _, target := range []string{ops, "ops"} { // a name shares its channel's bucket
		resp, body := postForm(t, s, "chat.postMessage", url.Values{"token": {"xoxb-test"}, "channel": {target}, "text": {"too fast"}}, nil)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("4th post to %s: %d Retry-After %q", target, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		assertSameJSON(t, "slack_ratelimited_429_body", body)
	}
	if n := len(posts(s.Messages(ops))); n != 3 {
		t.Errorf("rate-limited posts stored: %d messages, want 3", n)
	}
	if _, _, err := api.PostMessage(other, slack.MsgOptionText("other channel", false)); err != nil {
		t.Errorf("another channel has its own bucket: %v", err)
	}

	retrying := newAPI(s, slack.OptionRetryConfig(slack.RetryConfig{MaxRetries: 3}))
	if _, _, err := retrying.PostMessage(ops, slack.MsgOptionText("waited", false)); err != nil {
		t.Fatalf("slack-go waiting out Retry-After: %v", err)
	}
	if n := len(posts(s.Messages(ops))); n != 4 {
		t.Errorf("messages = %d, want 4", n)
	}
	throttled := 0
	for _, c := range s.Calls() {
		if c.Throttled {
			throttled++
			if c.Status != 429 || c.Error != "ratelimited" || c.Fault != 0 {
				t.Errorf("throttled call = %+v", c)
			}
		}
	}
	if n := s.RateLimitedCount("chat.postMessage"); n < 2 || n != throttled {
		t.Errorf("RateLimitedCount = %d, throttled calls %d", n, throttled)
	}
}

func TestRateLimitsTierBucketsChangeNothing(t *testing.T) {
	s := newServer(t, slacktest.Options{RateLimits: true})
	api := newAPI(s)
	for i := range 20 { // conversations.create is Tier 2: 20 a minute
		if _, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: fmt.Sprintf("inc-%d", i)}); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	_, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-20"})
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Fatalf("21st create: %v, want a 429 with Retry-After 3 (a minute / 20)", err)
	}
	if _, ok := s.Channel("inc-20"); ok {
		t.Error("a rate-limited create made the channel")
	}
	if _, err := api.AuthTest(); err != nil {
		t.Errorf("other methods have their own bucket: %v", err)
	}

	// apps.connections.open is Tier 1: one a minute.
	open := func() *http.Response {
		resp, _ := postForm(t, s, "apps.connections.open", url.Values{}, http.Header{"Authorization": {"Bearer xapp-test"}})
		return resp
	}
	if resp := open(); resp.StatusCode != 200 {
		t.Fatalf("first apps.connections.open: %d", resp.StatusCode)
	}
	if resp := open(); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "60" {
		t.Errorf("second apps.connections.open: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := s.RateLimitedCount("conversations.create"); n != 1 {
		t.Errorf("conversations.create 429s = %d", n)
	}
}
