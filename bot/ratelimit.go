package bot

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Slack's rate limit tiers, in calls per minute ("Rate limits" in Slack's
// API documentation: Tier 1 is 1+, Tier 2 20+, Tier 3 50+, Tier 4 100+ a
// minute, with bursts tolerated). Methods not listed are shaped as Tier 3.
// apps.connections.open is left to Slack's answers: shaping it would slow
// the socket's reconnection, which must be quick.
var methodTier = map[string]int{
	"chat.postEphemeral": 100, "chat.update": 50, "chat.delete": 50, "chat.getPermalink": 100,
	"conversations.create": 20, "conversations.setTopic": 20, "conversations.invite": 50,
	"conversations.info": 50, "conversations.list": 20, "conversations.history": 50, "conversations.replies": 50,
	"conversations.join": 50, "views.open": 100, "usergroups.users.list": 20, "users.info": 100,
	"files.getUploadURLExternal": 100, "files.completeUploadExternal": 100, "files.info": 100, "files.delete": 50,
	"bookmarks.add": 20, "bookmarks.edit": 20, "auth.test": 100,
	"conversations.canvases.create": 20, "canvases.edit": 50,
	// chat.postMessage is limited per channel (below) and, more loosely,
	// per workspace.
	"chat.postMessage": 300,
}

// chat.postMessage: about one message a second per channel, with short
// bursts allowed.
const (
	channelRate  = rate.Limit(1)
	channelBurst = 2
)

// The buckets here allow one call fewer in a burst than Slack's: calls
// spaced exactly by the rate can reach Slack closer together (one was
// slower on the way), and the spare call Slack's bucket then still holds
// takes up the difference instead of a 429.

// WaitError is returned instead of calling Slack when a call would have
// to wait longer than its caller allows (see WithMaxWait): the method is
// rate limited until Until. Callers with a durable retry (the outbox)
// come back then; nothing was sent.
type WaitError struct {
	Method string
	Until  time.Time
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("%s is rate limited for %s", e.Method, time.Until(e.Until).Round(time.Second))
}

type maxWaitKey struct{}

// WithMaxWait bounds how long calls made with ctx wait for Slack's rate
// limits (shaping and Retry-After). Without it they wait as long as ctx
// allows.
func WithMaxWait(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, maxWaitKey{}, d)
}

func maxWait(ctx context.Context) time.Duration {
	if d, ok := ctx.Value(maxWaitKey{}).(time.Duration); ok {
		return d
	}
	if dl, ok := ctx.Deadline(); ok {
		return time.Until(dl)
	}
	return time.Minute
}

// limiter is one per process, shared by every caller: a Retry-After Slack
// sends to one worker holds back every worker calling that method.
type limiter struct {
	mu       sync.Mutex
	methods  map[string]*rate.Limiter
	channels map[string]*rate.Limiter
	blocked  map[string]time.Time // method → until (Retry-After)
	m        *Metrics
	noPacing bool // only Retry-After holds calls back
}

func newLimiter(m *Metrics) *limiter {
	return &limiter{methods: map[string]*rate.Limiter{}, channels: map[string]*rate.Limiter{}, blocked: map[string]time.Time{}, m: m}
}

// reserve takes a slot for method (and channel) and returns how long to
// wait for it, or a *WaitError when that is longer than allowed.
func (l *limiter) reserve(method, channel string, allowed time.Duration) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	until := l.blocked[method]
	var rs []*rate.Reservation
	wait := until.Sub(now)
	for _, lim := range l.buckets(method, channel) {
		r := lim.ReserveN(now.Add(max(wait, 0)), 1)
		rs = append(rs, r)
		wait = max(wait, r.DelayFrom(now))
	}
	if wait > allowed {
		for _, r := range rs {
			r.CancelAt(now)
		}
		return 0, &WaitError{Method: method, Until: now.Add(wait)}
	}
	return max(wait, 0), nil
}

func (l *limiter) buckets(method, channel string) []*rate.Limiter {
	perMin, ok := methodTier[method]
	if l.noPacing || method == "apps.connections.open" || method == "response_url" {
		return nil
	}
	if !ok {
		perMin = 50
	}
	b := l.methods[method]
	if b == nil {
		b = rate.NewLimiter(rate.Limit(float64(perMin)/60), max(perMin-1, 1))
		l.methods[method] = b
	}
	if channel == "" {
		return []*rate.Limiter{b}
	}
	c := l.channels[channel]
	if c == nil {
		if len(l.channels) > 4096 {
			l.channels = map[string]*rate.Limiter{} // idle channels' buckets are full anyway
		}
		c = rate.NewLimiter(channelRate, channelBurst)
		l.channels[channel] = c
	}
	return []*rate.Limiter{b, c}
}

// block records Slack's Retry-After for every caller of the method:
// Slack does not say whether a chat.postMessage 429 was the channel's
// limit or the workspace's, so the whole method waits.
func (l *limiter) block(method string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := method
	if until := time.Now().Add(d); until.After(l.blocked[key]) {
		l.blocked[key] = until
	}
	if len(l.blocked) > 4096 {
		for k, u := range l.blocked {
			if time.Now().After(u) {
				delete(l.blocked, k)
			}
		}
	}
}

// rateTransport waits for the limiter before each Slack call, and on a
// 429 records the Retry-After for every caller and, when the caller may
// wait that long, sends the call again itself.
type rateTransport struct {
	next http.RoundTripper
	lim  *limiter
}

func (t *rateTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	method := methodOf(r)
	channel := ""
	if method == "chat.postMessage" {
		channel = formValue(r, "channel")
	}
	for attempt := 0; ; attempt++ {
		wait, err := t.lim.reserve(method, channel, maxWait(r.Context()))
		if err != nil {
			return nil, err
		}
		if err := sleep(r.Context(), wait); err != nil {
			return nil, err
		}
		resp, err := t.next.RoundTrip(r)
		if err != nil || resp.StatusCode != http.StatusTooManyRequests {
			return resp, err
		}
		ra := retryAfter(resp)
		t.lim.block(method, ra)
		if t.lim.m != nil {
			t.lim.m.RateLimited.WithLabelValues(method).Inc()
		}
		if attempt >= 3 || r.GetBody == nil || ra > maxWait(r.Context()) {
			return resp, nil // the caller sees the 429 and its Retry-After
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if r, err = rewind(r); err != nil {
			return nil, err
		}
	}
}

// retryAfter reads Slack's Retry-After (whole seconds); a 429 without
// one waits a second.
func retryAfter(resp *http.Response) time.Duration {
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return time.Second
}

func rewind(r *http.Request) (*http.Request, error) {
	body, err := r.GetBody()
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.Body = body
	return r2, nil
}

// formValue reads a field of a form-encoded request body without
// consuming it.
func formValue(r *http.Request, key string) string {
	if r.GetBody == nil {
		return ""
	}
	body, err := r.GetBody()
	if err != nil {
		return ""
	}
	defer body.Close()
	raw, err := io.ReadAll(io.LimitReader(body, 1<<20))
	if err != nil {
		return ""
	}
	v, _ := url.ParseQuery(string(raw))
	return v.Get(key)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
