package slacktest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

const (
	botUser   = "U0BOT00001"
	humanUser = "U0FAKEUSER1"
)

func newServer(t *testing.T, opts slacktest.Options) *slacktest.Server {
	t.Helper()
	s := slacktest.New(opts)
	t.Cleanup(s.Close)
	return s
}

func newAPI(s *slacktest.Server, opts ...slack.Option) *slack.Client {
	opts = append([]slack.Option{slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken("xapp-test")}, opts...)
	return slack.New("xoxb-test", opts...)
}

// slackError returns the Slack error code carried by err, or "" if err is not a Slack error.
func slackError(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

func wantSlackError(t *testing.T, err error, code string) {
	t.Helper()
	if got := slackError(err); got != code {
		t.Fatalf("error = %v (slack error %q), want slack error %q", err, got, code)
	}
}

func timeout(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// postForm calls a Web API method over raw HTTP, for what slack-go cannot send.
func postForm(t *testing.T, s *slacktest.Server, method string, form url.Values, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.APIURL()+method, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range header {
		req.Header[k] = vs
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// socketBot runs slack-go's Socket Mode client against the fake, acknowledging every request
// with ackPayload (nil for a bare ack) and handing the requests to the test.
type socketBot struct {
	requests chan socketmode.Event
	mu       sync.Mutex
	payload  any
}

func startSocketBot(t *testing.T, s *slacktest.Server, ackPayload any) *socketBot {
	t.Helper()
	sm := socketmode.New(newAPI(s))
	b := &socketBot{requests: make(chan socketmode.Event, 16), payload: ackPayload}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sm.RunContext(ctx) }()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-sm.Events:
				if evt.Request == nil || evt.Request.EnvelopeID == "" {
					continue
				}
				b.mu.Lock()
				p := b.payload
				b.mu.Unlock()
				if p != nil && evt.Type == socketmode.EventTypeSlashCommand {
					_ = sm.Ack(*evt.Request, p)
				} else {
					_ = sm.Ack(*evt.Request)
				}
				b.requests <- evt
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("socket mode client did not stop")
		}
	})
	return b
}

func (b *socketBot) next(t *testing.T) socketmode.Event {
	t.Helper()
	select {
	case evt := <-b.requests:
		return evt
	case <-time.After(5 * time.Second):
		t.Fatal("no Socket Mode request reached the client")
		return socketmode.Event{}
	}
}

// posts leaves out the channel_join messages Slack adds when people join a channel.
func posts(msgs []slacktest.Message) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range msgs {
		if m.Subtype != "channel_join" {
			out = append(out, m)
		}
	}
	return out
}
