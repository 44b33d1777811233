package slacktest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

var botAuth = url.Values{"token": {"xoxb-test"}}

// statusOf calls method over raw HTTP with the bot token and returns the answer's status.
func statusOf(t *testing.T, s *slacktest.Server, method string) int {
	t.Helper()
	resp, _ := postForm(t, s, method, botAuth, nil)
	return resp.StatusCode
}

// transportError fails unless err is a network error: no Slack error, no HTTP status, and not
// the client's own deadline.
func transportError(t *testing.T, err error) {
	t.Helper()
	var se slack.SlackErrorResponse
	var sc slack.StatusCodeError
	var ue *url.Error
	if err == nil || errors.As(err, &se) || errors.As(err, &sc) || !errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %#v, want a transport error", err)
	}
}

func TestInjectServerErrorAnswersHTMLAndChangesNothing(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	ch := s.AddChannel("ops")
	s.Inject(slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.ServerError, Count: 1})

	resp, body := postForm(t, s, "chat.postMessage", url.Values{"token": {"xoxb-test"}, "channel": {ch}, "text": {"x"}}, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, "<html") || strings.Contains(body, `"ok"`) {
		t.Errorf("503: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if n := len(s.Messages(ch)); n != 0 {
		t.Errorf("a 503 posted %d messages", n)
	}

	s.Inject(slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.ServerError, Status: 502, Count: 1})
	_, _, err := newAPI(s).PostMessage(ch, slack.MsgOptionText("x", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusBadGateway {
		t.Fatalf("slack-go error = %v, want StatusCodeError 502", err)
	}
	if _, _, err := newAPI(s).PostMessage(ch, slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("after the count ran out: %v", err)
	}
	calls := s.Calls()
	if len(calls) != 3 || calls[0].Fault != slacktest.ServerError || calls[0].Status != 503 ||
		calls[1].Status != 502 || calls[1].Processed || calls[2].Fault != 0 || calls[2].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestInjectResetIsATransportErrorThatSlackGoCanRetry(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	s.Inject(slacktest.Fault{Method: "auth.test", Kind: slacktest.Reset, Count: 1})
	_, err := newAPI(s).AuthTest()
	transportError(t, err)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("error = %v, want connection reset by peer", err)
	}

	s.Inject(slacktest.Fault{Method: "auth.test", Kind: slacktest.Reset, Count: 1})
	cfg := slack.RetryConfig{MaxRetries: 2, BackoffInitial: 10 * time.Millisecond, BackoffMax: 10 * time.Millisecond}
	cfg.Handlers = slack.AllBuiltinRetryHandlers(cfg)
	if _, err := newAPI(s, slack.OptionRetryConfig(cfg)).AuthTest(); err != nil {
		t.Fatalf("retried after a reset: %v", err)
	}
	calls := s.Calls()
	if len(calls) != 3 || calls[0].Fault != slacktest.Reset || calls[0].Status != 0 || calls[1].Fault != slacktest.Reset || calls[2].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestInjectProcessedFaultsTakeEffect(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ch := s.AddChannel("ops")

	s.Inject(slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.ServerError, Status: 500, Count: 1, Processed: true})
	_, _, err := api.PostMessage(ch, slack.MsgOptionText("posted, answer lost", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 500 {
		t.Fatalf("error = %v, want StatusCodeError 500", err)
	}
	s.Inject(slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.Reset, Count: 1, Processed: true})
	_, _, err = api.PostMessage(ch, slack.MsgOptionText("posted, connection reset", false))
	transportError(t, err)
	s.Inject(slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.RateLimited, Count: 1, Processed: true})
	_, _, err = api.PostMessage(ch, slack.MsgOptionText("posted, then 429", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("error = %v, want RateLimitedError", err)
	}

	s.Inject(slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.Hang, Count: 1, Processed: true})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, _, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("posted, no answer", false)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want the client's deadline", err)
	}
	s.Inject(slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.ServerError, Count: 1, Processed: true})
	_, _, err = api.PostMessage("C0MISSING01", slack.MsgOptionText("failed on its own", false))
	if !errors.As(err, &sc) || sc.Code != 503 {
		t.Fatalf("error = %v, want StatusCodeError 503", err)
	}

	got := joinTexts(posts(s.Messages(ch)))
	want := "posted, answer lost|posted, connection reset|posted, then 429|posted, no answer"
	if got != want {
		t.Errorf("messages = %q, want %q", got, want)
	}
	for i, c := range s.Calls() {
		if !c.Processed || c.Fault == 0 {
			t.Errorf("call %d = %+v, want a processed fault", i, c)
		}
	}
}

func joinTexts(msgs []slacktest.Message) string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return strings.Join(out, "|")
}

func TestInjectStormIsWaitedOutBySlackGo(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	ch := s.AddChannel("ops")
	s.Inject(slacktest.Fault{Method: "*", Kind: slacktest.RateLimited, RetryAfter: time.Second, Until: time.Now().Add(800 * time.Millisecond)})

	// "*" covers every method, apps.connections.open included.
	resp, body := postForm(t, s, "apps.connections.open", url.Values{"token": {"xapp-test"}}, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("apps.connections.open in a storm: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	assertSameJSON(t, "slack_ratelimited_429_body", body)
	start := time.Now()
	api := newAPI(s, slack.OptionRetryConfig(slack.RetryConfig{MaxRetries: 5}))
	if _, _, err := api.PostMessage(ch, slack.MsgOptionText("after the storm", false)); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 900*time.Millisecond {
		t.Errorf("post went through after %v, inside the storm", took)
	}
	if n := s.RateLimitedCount("chat.postMessage"); n < 1 {
		t.Errorf("chat.postMessage got %d 429s", n)
	}
	if n := s.RateLimitedCount("*"); n != s.RateLimitedCount("chat.postMessage")+1 {
		t.Errorf("429s in all = %d", n)
	}
	if n := len(posts(s.Messages(ch))); n != 1 {
		t.Errorf("messages = %d, want 1", n)
	}
}

// TestInjectCountUnderConcurrentCalls: a Count is spent exactly, however the calls race.
func TestInjectCountUnderConcurrentCalls(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	s.Inject(slacktest.Fault{Method: "auth.test", Kind: slacktest.ServerError, Count: 5})
	var wg sync.WaitGroup
	statuses := make(chan int, 12)
	for range 12 {
		wg.Go(func() {
			resp, err := http.PostForm(s.APIURL()+"auth.test", botAuth)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for st := range statuses {
		count[st]++
	}
	if count[503] != 5 || count[200] != 7 {
		t.Errorf("statuses = %v, want 5×503 and 7×200", count)
	}
}

func TestInjectPrecedenceCountAndCancel(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	cancelStorm := s.Inject(slacktest.Fault{Method: "*", Kind: slacktest.RateLimited})
	s.Inject(slacktest.Fault{Method: "auth.test", Kind: slacktest.ServerError, Count: 2})
	s.FailNext("auth.test", "fatal_error")

	resp, body := postForm(t, s, "auth.test", botAuth, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"fatal_error"`) {
		t.Errorf("FailNext comes first: %d %s", resp.StatusCode, body)
	}
	for i, want := range []int{503, 503, 429} { // the newest fault until its count runs out
		if got := statusOf(t, s, "auth.test"); got != want {
			t.Errorf("auth.test call %d: %d, want %d", i, got, want)
		}
	}
	if got := statusOf(t, s, "users.info"); got != 429 {
		t.Errorf("users.info in the storm: %d", got)
	}
	cancelStorm()
	cancelStorm() // twice is once
	if got := statusOf(t, s, "auth.test"); got != 200 {
		t.Errorf("after cancel: %d", got)
	}
	if n := s.RateLimitedCount("auth.test"); n != 1 {
		t.Errorf("auth.test 429s = %d", n)
	}
}

func TestInjectHangEndsWithClientUntilCancelAndClose(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)

	s.Inject(slacktest.Fault{Method: "auth.test", Kind: slacktest.Hang, Count: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err := api.AuthTestContext(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("client giving up: %v", err)
	}

	until := time.Now().Add(300 * time.Millisecond)
	s.Inject(slacktest.Fault{Method: "auth.test", Kind: slacktest.Hang, Until: until})
	_, err = api.AuthTestContext(timeout(t))
	transportError(t, err)
	if time.Now().Before(until) {
		t.Error("hung call ended before Until")
	}
	if _, err := api.AuthTestContext(timeout(t)); err != nil {
		t.Fatalf("after Until: %v", err)
	}

	stop := s.Inject(slacktest.Fault{Method: "*", Kind: slacktest.Hang})
	done := hungCall(t, s, api, 4)
	stop()
	transportError(t, waitErr(t, done))

	s.Inject(slacktest.Fault{Method: "*", Kind: slacktest.Hang})
	done = hungCall(t, s, api, 5)
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("Close blocked on a hung call")
	}
	transportError(t, waitErr(t, done))
	if c := s.Calls(); len(c) != 5 || c[4].Fault != slacktest.Hang || c[4].Status != 0 {
		t.Errorf("calls = %+v", c)
	}
}

// hungCall starts an auth.test and waits until it is the n-th call the fake holds.
func hungCall(t *testing.T, s *slacktest.Server, api *slack.Client, n int) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	ctx := timeout(t) // a call the fake never ends fails the test instead of leaking
	go func() {
		_, err := api.AuthTestContext(ctx)
		done <- err
	}()
	if err := s.WaitCalls(ctx, "auth.test", n); err != nil {
		t.Fatal(err)
	}
	return done
}

func waitErr(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(3 * time.Second):
		t.Fatal("hung call did not end")
		return nil
	}
}

func TestInjectRefusesFaultsItCannotAnswer(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	for _, f := range []slacktest.Fault{
		{Kind: slacktest.Reset},
		{Method: "auth.test"},
		{Method: "auth.test", Kind: slacktest.ServerError, Status: 404},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Inject(%+v) did not panic", f)
				}
			}()
			s.Inject(f)
		}()
	}
}

// Skip lets the first calls through: the third post fails, not the first.
func TestFaultSkip(t *testing.T) {
	s := slacktest.New(slacktest.Options{})
	t.Cleanup(s.Close)
	ch := s.AddChannel("ops")
	s.Inject(slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.ServerError, Skip: 2, Count: 1})
	api := slack.New("xoxb-test", slack.OptionAPIURL(s.APIURL()))
	var errs []error
	for i := range 4 {
		_, _, err := api.PostMessage(ch, slack.MsgOptionText(fmt.Sprint("m", i), false))
		errs = append(errs, err)
	}
	if errs[0] != nil || errs[1] != nil || errs[2] == nil || errs[3] != nil {
		t.Fatalf("errors = %v, want only the third call to fail", errs)
	}
	if n := len(s.Messages(ch)); n != 3 {
		t.Fatalf("%d messages posted, want 3 (the faulted call has no effect)", n)
	}
}
