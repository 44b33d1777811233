package slacktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

func TestAuthAndUnknownMethod(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	resp, err := newAPI(s).AuthTest()
	if err != nil || resp.UserID != botUser || resp.TeamID != "T0FAKETEAM1" || resp.BotID == "" || resp.User != "incident-bot" {
		t.Errorf("auth.test = %+v, %v", resp, err)
	}
	_, err = slack.New("xoxb-wrong", slack.OptionAPIURL(s.APIURL())).AuthTest()
	wantSlackError(t, err, "invalid_auth")
	_, err = slack.New("xapp-test", slack.OptionAPIURL(s.APIURL())).AuthTest()
	wantSlackError(t, err, "not_allowed_token_type")

	for _, tc := range []struct {
		method string
		form   url.Values
		header http.Header
		want   string
	}{
		{"auth.test", url.Values{}, nil, `"error":"not_authed"`},
		{"auth.test", url.Values{}, http.Header{"Authorization": {"Bearer xoxb-test"}}, `"ok":true`},
		{"chat.nope", url.Values{"token": {"xoxb-test"}}, nil, `"error":"unknown_method"`},
	} {
		resp, body := postForm(t, s, tc.method, tc.form, tc.header)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, tc.want) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %s %q, want %s", tc.method, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.want)
		}
	}
}

func TestJSONBodiesNeedBearerTokenAndGetCharsetWarning(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	ch := s.AddChannel("ops")
	post := func(contentType, auth, body string) string {
		req, _ := http.NewRequest(http.MethodPost, s.APIURL()+"chat.postMessage", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		_, out := do(t, req)
		return out
	}
	msg := `{"channel":"` + ch + `","text":"hi","blocks":[{"type":"divider"}]}`
	if out := post("application/json", "", `{"token":"xoxb-test","channel":"`+ch+`","text":"hi"}`); !strings.Contains(out, `"not_authed"`) {
		t.Errorf("token in JSON body: %s", out)
	}
	if out := post("application/json", "xoxb-test", msg); !strings.Contains(out, `"ok":true`) || !strings.Contains(out, `"warning":"missing_charset"`) {
		t.Errorf("JSON without charset: %s", out)
	}
	if out := post("application/json; charset=utf-8", "xoxb-test", msg); strings.Contains(out, "warning") {
		t.Errorf("JSON with charset: %s", out)
	}
	for body, code := range map[string]string{`{"channel":`: "invalid_json", `["x"]`: "json_not_object"} {
		if out := post("application/json; charset=utf-8", "xoxb-test", body); !strings.Contains(out, `"`+code+`"`) {
			t.Errorf("%s: %s, want %s", body, out, code)
		}
	}
	if out := post("application/xml", "xoxb-test", "<x/>"); !strings.Contains(out, `"invalid_post_type"`) {
		t.Errorf("xml: %s", out)
	}
	// Nested JSON arguments are recorded as JSON text, like their form-encoded counterparts.
	calls := s.Calls()
	var found bool
	for _, c := range calls {
		if c.Status == 200 && c.Error == "" && c.Args.Get("blocks") == `[{"type":"divider"}]` {
			found = true
		}
	}
	if !found {
		t.Errorf("no call recorded blocks as JSON text: %+v", calls)
	}
}

func TestFailNextAndCallLog(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	s.FailNext("conversations.create", "restricted_action")
	_, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-1"})
	wantSlackError(t, err, "restricted_action")
	if _, ok := s.Channel("inc-1"); ok {
		t.Error("failed call changed state")
	}
	if _, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-1"}); err != nil {
		t.Fatalf("call after the injected failure: %v", err)
	}
	calls := s.Calls()
	if s.CallCount("conversations.create") != 2 || len(calls) != 2 || calls[0].Error != "restricted_action" ||
		calls[1].Args.Get("name") != "inc-1" || calls[1].ContentType != "application/x-www-form-urlencoded" {
		t.Errorf("calls = %+v", calls)
	}
	s.ResetCalls()
	if len(s.Calls()) != 0 {
		t.Error("ResetCalls kept calls")
	}
}

func TestRateLimitNextIsRetriedBySlackGo(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	ch := s.AddChannel("ops")
	s.RateLimitNext("chat.postMessage", time.Second)

	_, _, err := newAPI(s).PostMessage(ch, slack.MsgOptionText("first try is limited", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("without retries: %v, want RateLimitedError of 1s", err)
	}

	s.RateLimitNext("chat.postMessage", 0)
	start := time.Now()
	api := newAPI(s, slack.OptionRetryConfig(slack.RetryConfig{MaxRetries: 2}))
	if _, _, err := api.PostMessage(ch, slack.MsgOptionText("retried", false)); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < time.Second || took > 3*time.Second {
		t.Errorf("retry took %v, want about the 1s Retry-After", took)
	}
	calls := s.Calls()
	if len(calls) != 3 || calls[1].Status != http.StatusTooManyRequests || calls[1].Error != "ratelimited" || calls[2].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestLatencyDelaysAnswers(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	s.SetLatency(100 * time.Millisecond)
	start := time.Now()
	if _, err := newAPI(s).AuthTest(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("call took %v", took)
	}
}

// TestConcurrentUse runs the Web API and Socket Mode at once; its point is `go test -race`.
func TestConcurrentUse(t *testing.T) {
	s := newServer(t, slacktest.Options{PingInterval: 10 * time.Millisecond})
	ch := s.AddChannel("ops", humanUser, botUser)
	startSocketBot(t, s, nil)
	if err := s.WaitConnected(timeout(t)); err != nil {
		t.Fatal(err)
	}
	api := newAPI(s)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, _, err := api.PostMessage(ch, slack.MsgOptionText("msg", false)); err != nil {
				t.Error(err)
			}
			id, err := s.SendEnvelope("slash_commands", s.SlashCommand(humanUser, ch, "status"))
			if err != nil {
				t.Error(err)
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := s.WaitAck(ctx, id); err != nil {
				t.Errorf("ack %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if n := len(posts(s.Messages(ch))); n != 8 {
		t.Errorf("messages = %d", n)
	}
}

func TestUsergroupsUsersList(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	s.AddUsergroup("S0ONCALL1", "U0FAKEUSER1", "U0FAKEUSER2")
	got, err := api.GetUserGroupMembers("S0ONCALL1")
	if err != nil || len(got) != 2 || got[0] != "U0FAKEUSER1" {
		t.Fatalf("members = %v, %v", got, err)
	}
	resp, err := http.PostForm(s.APIURL()+"usergroups.users.list", url.Values{"token": {"xoxb-test"}, "usergroup": {"S0ONCALL1"}})
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	assertShape(t, "slack_usergroups_users_list", body)
	if _, err := api.GetUserGroupMembers("S0NOPE0001"); slackError(err) != "no_such_subteam" {
		t.Fatalf("unknown group: %v", err)
	}
}
