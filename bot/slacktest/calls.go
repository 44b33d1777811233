package slacktest

import (
	"context"
	"net/url"
	"slices"
	"time"
)

// Call is one Web API request as the fake received and answered it.
type Call struct {
	Method string
	// Args holds form fields, or the top-level fields of a JSON body; nested JSON values (blocks,
	// view) are kept as their JSON text, so Args.Get("blocks") reads the same for both encodings.
	Args        url.Values
	Body        []byte
	ContentType string
	Status      int       // HTTP status of the answer; 0 when there was none (Reset, Hang)
	Error       string    // the "error" of an ok:false answer
	At          time.Time // when the fake received it (after any injected latency)
	// Fault is the injected fault that answered the call (Inject, or RateLimited for
	// RateLimitNext); 0 when none did. FailNext answers are ordinary Slack errors: see Error.
	Fault     FaultKind
	Processed bool // the method ran before the fault answered (Fault.Processed); it took effect unless it failed
	Throttled bool // the enforced rate limits refused the call (Options.RateLimits)
}

// nextFault is a FailNext or RateLimitNext failure waiting for the next call to its method.
type nextFault struct {
	slackError string
	rateLimit  bool
	retryAfter time.Duration
}

type callLog struct {
	calls   []Call
	faults  map[string][]nextFault // method → queue, first is used first
	latency time.Duration
}

func newCallLog() callLog { return callLog{faults: map[string][]nextFault{}} }

func (l *callLog) takeFault(method string) (nextFault, bool) {
	q := l.faults[method]
	if len(q) == 0 {
		return nextFault{}, false
	}
	l.faults[method] = q[1:]
	return q[0], true
}

// FailNext makes the next call to method answer {"ok":false,"error":slackError} with HTTP 200,
// without touching state. Calls queue: FailNext twice fails the next two calls.
func (s *Server) FailNext(method, slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls.faults[method] = append(s.calls.faults[method], nextFault{slackError: slackError})
}

// RateLimitNext makes the next call to method answer as Slack does when rate limited: HTTP 429,
// "Retry-After: <seconds>" and {"ok":false,"error":"ratelimited"}. Slack sends whole seconds, at
// least 1, so retryAfter is rounded up to that (slack-go waits at least a second anyway).
func (s *Server) RateLimitNext(method string, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls.faults[method] = append(s.calls.faults[method], nextFault{rateLimit: true, retryAfter: retryAfter})
}

// SetLatency delays every later Web API answer by d (0 turns it off).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls.latency = d
}

// Calls returns every Web API call so far, in arrival order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.calls.calls)
	for i := range out {
		out[i].Args = cloneValues(out[i].Args)
		out[i].Body = slices.Clone(out[i].Body)
	}
	return out
}

// CallCount counts the calls made to method so far (answered successfully or not).
func (s *Server) CallCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls.calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

// WaitCalls blocks until method ("*" for any) has been called at least n times since the start or
// the last ResetCalls, faulted and rate-limited calls included, or until ctx ends or the server
// closes. A hung call counts from its arrival, so a test can act while a client waits.
func (s *Server) WaitCalls(ctx context.Context, method string, n int) error {
	return s.waitFor(ctx, func() bool {
		got := 0
		for _, c := range s.calls.calls {
			if method == "*" || c.Method == method {
				got++
			}
		}
		return got >= n
	})
}

// ResetCalls forgets the calls recorded so far; injected faults stay armed.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls.calls = nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
