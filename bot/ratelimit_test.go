package bot

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

// A Retry-After Slack sends one caller holds back every caller of that
// method: the second worker does not knock while the first waits it out.
func TestRetryAfterIsSharedByCallers(t *testing.T) {
	fs := slacktest.New(slacktest.Options{})
	t.Cleanup(fs.Close)
	a, b := fs.AddChannel("a"), fs.AddChannel("b")
	fs.Inject(slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.RateLimited, RetryAfter: time.Second, Count: 1})
	m := NewMetrics(prometheus.NewRegistry())
	client, _ := NewClient(ClientOptions{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: fs.APIURL(), Metrics: m})
	var wg sync.WaitGroup
	post := func(ch string) {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, _, err := client.PostMessageContext(ctx, ch, slack.MsgOptionText("hi", false)); err != nil {
			t.Errorf("post to %s: %v", ch, err)
		}
	}
	wg.Add(1)
	go post(a)
	// Once the first caller has read the 429 (the client counts it), a
	// second caller of the method waits too.
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(m.RateLimited.WithLabelValues("chat.postMessage")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no 429 reached the client")
		}
		time.Sleep(time.Millisecond)
	}
	limited := fs.Calls()[0].At
	wg.Add(1)
	go post(b)
	wg.Wait()
	calls := fs.Calls()
	if len(calls) != 3 {
		t.Fatalf("%d calls, want the 429, then both posts", len(calls))
	}
	for _, c := range calls[1:] {
		if c.At.Before(limited.Add(900 * time.Millisecond)) {
			t.Errorf("a post went out %v after the 429, before its Retry-After of 1s", c.At.Sub(limited))
		}
	}
}

// With a caller's patience shorter than the Retry-After, the call is not
// made at all: the caller is told when to come back (the outbox records it).
func TestCallerThatCannotWaitIsToldWhen(t *testing.T) {
	fs := slacktest.New(slacktest.Options{})
	t.Cleanup(fs.Close)
	ch := fs.AddChannel("a")
	fs.Inject(slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.RateLimited, RetryAfter: 5 * time.Second, Count: 1})
	client, _ := NewClient(ClientOptions{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: fs.APIURL(), Metrics: NewMetrics(prometheus.NewRegistry())})
	ctx := WithMaxWait(context.Background(), time.Second)
	if _, _, err := client.PostMessageContext(ctx, ch, slack.MsgOptionText("first", false)); err == nil {
		t.Fatal("a 429 with Retry-After 5 was not reported to a caller who waits 1s")
	}
	_, _, err := client.PostMessageContext(ctx, ch, slack.MsgOptionText("second", false))
	de, ok := deliveryErr(err, true).(interface{ Error() string })
	if !ok || err == nil || fs.CallCount("chat.postMessage") != 1 {
		t.Fatalf("second call: %v (%v); %d calls made, want the first only", err, de, fs.CallCount("chat.postMessage"))
	}
}
