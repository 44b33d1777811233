package slacktest

import (
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
	Status      int       // HTTP status of the answer
	Error       string    // the "error" of an ok:false answer
	At          time.Time // when the fake received it (after any injected latency)
}

// fault is an injected failure waiting for the next call to its method.
type fault struct {
	slackError string
	rateLimit  bool
	retryAfter time.Duration
}

type callLog struct {
	calls   []Call
	faults  map[string][]fault // method → queue, first is used first
	latency time.Duration
}

func newCallLog() callLog { return callLog{faults: map[string][]fault{}} }

func (l *callLog) takeFault(method string) (fault, bool) {
	q := l.faults[method]
	if len(q) == 0 {
		return fault{}, false
	}
	l.faults[method] = q[1:]
	return q[0], true
}

// FailNext makes the next call to method answer {"ok":false,"error":slackError} with HTTP 200,
// without touching state. Calls queue: FailNext twice fails the next two calls.
func (s *Server) FailNext(method, slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls.faults[method] = append(s.calls.faults[method], fault{slackError: slackError})
}

// RateLimitNext makes the next call to method answer as Slack does when rate limited: HTTP 429,
// "Retry-After: <seconds>" and {"ok":false,"error":"ratelimited"}. Slack sends whole seconds, at
// least 1, so retryAfter is rounded up to that (slack-go waits at least a second anyway).
func (s *Server) RateLimitNext(method string, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls.faults[method] = append(s.calls.faults[method], fault{rateLimit: true, retryAfter: retryAfter})
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
