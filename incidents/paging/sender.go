package paging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// Page actions, as PagerDuty names them.
const (
	ActionTrigger     = "trigger"
	ActionAcknowledge = "acknowledge"
	ActionResolve     = "resolve"
)

// Page is what a page says; all text plain (never Slack markup).
type Page struct {
	Action   string // ActionTrigger, ActionAcknowledge or ActionResolve
	DedupKey string // one per incident and level: the provider deduplicates on it
	Summary  string // "#12 Checkout is down (sev1): nobody has taken command for 5m"
	Severity string // PagerDuty's: critical, error, warning, info (critical when empty)
	Source   string // "incident-bot" when empty
	Link     string // the incident's Slack channel URL
	LinkText string
	Details  map[string]string // PagerDuty's custom_details: incident, level, status, commander…
}

// Result is the provider's answer, for the timeline.
type Result struct {
	Provider string // "PagerDuty", "SNS", "webhook"
	Answer   string // "202 success: Event processed", "MessageId 1234…", "200"
	DedupKey string // the dedup key as the provider has it: PagerDuty's as returned
}

// Options configure NewSender. The zero value is ready for production.
type Options struct {
	// HTTP carries PagerDuty, webhook and SNS requests (default: a client
	// with a 10s timeout that does not follow redirects).
	HTTP *http.Client
	// PagerDutyURL is the Events API v2 endpoint (default
	// DefaultPagerDutyURL); the caller reads PAGERDUTY_EVENTS_URL.
	PagerDutyURL string
	// Getenv reads routing keys at send time (default os.Getenv).
	Getenv func(string) string
	// WebhookToken, when set, is sent to webhooks as
	// "Authorization: Bearer <token>".
	WebhookToken string
	// SNS needs no option: it publishes with the SDK's default
	// configuration (credentials chain, AWS_ENDPOINT_URL for tests) in
	// the region of the topic's ARN.
}

// DefaultPagerDutyURL is PagerDuty's Events API v2 endpoint.
const DefaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

// Sender sends pages. It is safe for concurrent use.
type Sender struct {
	http   *http.Client
	pdURL  string
	getenv func(string) string
	token  string

	mu     sync.Mutex
	awsCfg *aws.Config            // loaded at the first SNS page
	sns    map[string]*sns.Client // by region
}

// NewSender returns a Sender using o.
func NewSender(o Options) *Sender {
	s := &Sender{http: o.HTTP, pdURL: o.PagerDutyURL, getenv: o.Getenv, token: o.WebhookToken, sns: map[string]*sns.Client{}}
	if s.http == nil {
		s.http = &http.Client{
			Timeout: 10 * time.Second,
			// A redirected POST arrives as a GET without its body: better
			// to report the redirect than to page nobody.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if s.pdURL == "" {
		s.pdURL = DefaultPagerDutyURL
	}
	if s.getenv == nil {
		s.getenv = os.Getenv
	}
	return s
}

// Send performs p at t. PagerDuty gets the Events API v2 event; SNS and
// webhooks get acknowledge and resolve too, as messages saying so with
// the same dedup key. Provider failures are *incidents.DeliveryError.
func (s *Sender) Send(ctx context.Context, t Target, p Page) (Result, error) {
	p, err := p.normalized()
	if err != nil {
		return Result{}, err
	}
	switch t.Kind {
	case KindPagerDuty:
		return s.sendPagerDuty(ctx, t, p)
	case KindSNS:
		return s.sendSNS(ctx, t, p)
	case KindWebhook:
		return s.sendWebhook(ctx, t, p)
	}
	return Result{}, permanent(fmt.Sprintf("%q is not a paging target kind", t.Kind))
}

// maxDedupKey is PagerDuty's limit, applied to every provider so a key
// works wherever the page goes.
const maxDedupKey = 255

// normalized fills p's defaults and refuses a page no provider would
// take: a bug upstream, so permanent.
func (p Page) normalized() (Page, error) {
	p.Action = strings.ToLower(p.Action)
	if p.Action != ActionTrigger && p.Action != ActionAcknowledge && p.Action != ActionResolve {
		return p, permanent(fmt.Sprintf("the page's action %q is not trigger, acknowledge or resolve", p.Action))
	}
	if p.DedupKey == "" {
		return p, permanent("the page has no dedup key")
	}
	if utf8.RuneCountInString(p.DedupKey) > maxDedupKey {
		return p, permanent(fmt.Sprintf("the page's dedup key is longer than %d characters", maxDedupKey))
	}
	p.Summary = txt.OneLine(p.Summary)
	if p.Summary == "" {
		return p, permanent("the page has no summary")
	}
	switch p.Severity {
	case "":
		p.Severity = "critical" // it is a page: someone is meant to wake up
	case "critical", "error", "warning", "info":
	default:
		return p, permanent(fmt.Sprintf("the page's severity %q is not critical, error, warning or info", p.Severity))
	}
	if p.Source == "" {
		p.Source = "incident-bot"
	}
	return p, nil
}

func permanent(reason string) *incidents.DeliveryError {
	return &incidents.DeliveryError{Reason: reason, Permanent: true}
}

// answer is an HTTP response, read: status, headers and (bounded) body.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// maxAnswer bounds what is read of an answer: enough for any error text.
const maxAnswer = 64 << 10

// post sends body to u. sent reports, when err is set, whether the
// request had been written in full: the other side may then have acted
// on it before the answer was lost.
func (s *Sender) post(ctx context.Context, u string, body []byte, header http.Header) (a answer, sent bool, err error) {
	ctx, wrote := trackWrite(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return answer{}, false, err
	}
	if header == nil {
		header = http.Header{}
	}
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "incident-bot")
	resp, err := s.http.Do(req)
	if err != nil {
		return answer{}, wrote.Load(), err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		// The status arrived, so the request did: a body cut short does
		// not change what the status says.
		b = nil
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}, true, nil
}

// trackWrite returns ctx with a trace that sets the flag once a request
// made with it has been written in full.
func trackWrite(ctx context.Context) (context.Context, *atomic.Bool) {
	wrote := new(atomic.Bool)
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				wrote.Store(true)
			}
		},
	}), wrote
}

// noAnswer reports a request that got no answer from who: retried, and
// uncertain once the request had been sent.
func noAnswer(who string, err error, sent bool) *incidents.DeliveryError {
	// *url.Error repeats the URL, and a webhook's path may be its secret.
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	reason := fmt.Sprintf("could not reach %s (%v)", who, err)
	if sent {
		reason = fmt.Sprintf("no answer from %s after sending the page, which it may have received (%v)", who, err)
	}
	return &incidents.DeliveryError{Reason: reason, Uncertain: sent}
}

// classify sets whether a failed status is worth retrying, and when: 408,
// 429 and 5xx are; any other answer will be the same next time.
func classify(de *incidents.DeliveryError, a answer) *incidents.DeliveryError {
	if a.status == http.StatusRequestTimeout || a.status == http.StatusTooManyRequests || a.status >= 500 {
		de.RetryAfter = retryAfter(a.header, time.Now())
	} else {
		de.Permanent = true
	}
	return de
}

// maxRetryAfter caps a Retry-After: a page held longer than this is no
// longer the page people needed, and a broken header must not park it.
const maxRetryAfter = time.Hour

// retryAfter reads a Retry-After header, in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		d = time.Duration(n) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = at.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// quoted is a provider's answer as a reason may show it: one line, short,
// with secret replaced by "[redacted]" (some servers echo requests back).
func quoted(b []byte, secret string) string {
	// Redacted before clipping, so a secret cut in two is still caught.
	return txt.Clip(redact(txt.OneLine(strings.ToValidUTF8(string(b), "?")), secret), 200)
}

func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[redacted]")
}
