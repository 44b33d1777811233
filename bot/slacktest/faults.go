package slacktest

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// FaultKind is how an injected fault answers a Web API call.
type FaultKind int

const (
	// RateLimited answers as Slack does when a method is rate limited: HTTP 429,
	// "Retry-After: <whole seconds>" and {"ok":false,"error":"ratelimited"}.
	RateLimited FaultKind = iota + 1
	// ServerError answers HTTP 5xx with an HTML body, as Slack's edge does; slack-go reports it as
	// a StatusCodeError without reading the body.
	ServerError
	// Reset closes the TCP connection without an answer (with SO_LINGER 0, so the client reads
	// "connection reset by peer"); the client sees a transport error, not an HTTP status.
	Reset
	// Hang sends nothing until the client gives up, the fault's Until passes, the fault is
	// cancelled or the server closes; then the connection is closed without an answer.
	Hang
)

func (k FaultKind) String() string {
	switch k {
	case RateLimited:
		return "RateLimited"
	case ServerError:
		return "ServerError"
	case Reset:
		return "Reset"
	case Hang:
		return "Hang"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault describes failures to answer Web API calls with, for as many calls or as long as it says.
type Fault struct {
	Method     string        // a Web API method, or "*" for every method (apps.connections.open included)
	Kind       FaultKind     // how the calls are answered
	Status     int           // for ServerError: the HTTP status, 500–599 (default 503)
	RetryAfter time.Duration // for RateLimited: sent in whole seconds, at least 1 (default 1s)
	Count      int           // answer this many calls this way, then stop (0 = no count limit)
	// Until answers every call this way until then, by the wall clock (zero = no time limit), since
	// clients really wait. With neither Count nor Until the fault lasts until it is cancelled.
	Until time.Time
	// Processed makes each call take effect first (the message IS posted) and only then be answered
	// with the fault: what a client sees when Slack did the work but the answer was lost. A call
	// that fails on its own merits has no effect, and is still answered with the fault.
	Processed bool
	// Skip lets this many calls to the method through first, answered as usual: a test can fail
	// the third chat.postMessage of a set-up, not the first.
	Skip int
}

// Inject arms a fault and returns a function that disarms it (calling it again does nothing);
// cancelling a Hang also ends the calls it holds. Inject panics on a fault that cannot be
// answered (no Method, an unknown Kind, a negative Count, a Status outside 500–599): that is a
// mistake in the test.
//
// Precedence, first that applies: FailNext and RateLimitNext (queued for the very next call),
// then the most recently injected live fault that matches the method, then the enforced rate
// limits (Options.RateLimits). So a short fault injected during a long storm answers first, and
// its Count is spent only by the calls it answers.
func (s *Server) Inject(f Fault) (cancel func()) {
	f = f.withDefaults()
	s.mu.Lock()
	defer s.mu.Unlock()
	af := &activeFault{Fault: f, left: f.Count, done: make(chan struct{})}
	s.inject.list = append(s.inject.list, af)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.inject.remove(af)
		af.stop()
	}
}

func (f Fault) withDefaults() Fault {
	if f.Method == "" {
		panic("slacktest: Inject: a Fault needs a Method (or \"*\")")
	}
	if f.Count < 0 || f.Skip < 0 {
		panic(fmt.Sprintf("slacktest: Inject: Count %d, Skip %d", f.Count, f.Skip))
	}
	switch f.Kind {
	case RateLimited, Reset, Hang:
	case ServerError:
		if f.Status == 0 {
			f.Status = http.StatusServiceUnavailable
		}
		if f.Status < 500 || f.Status > 599 {
			panic(fmt.Sprintf("slacktest: Inject: ServerError with status %d", f.Status))
		}
	default:
		panic(fmt.Sprintf("slacktest: Inject: unknown fault kind %v", f.Kind))
	}
	if f.Kind == RateLimited && f.RetryAfter <= 0 {
		f.RetryAfter = time.Second
	}
	return f
}

// activeFault is an injected fault while it is armed; guarded by Server.mu except done, which
// hung calls wait on without the lock.
type activeFault struct {
	Fault
	left     int           // calls still to answer when Count > 0
	skipped  int           // calls let through so far (Skip)
	done     chan struct{} // closed when the fault is cancelled: releases hung calls
	stopOnce sync.Once
}

func (af *activeFault) stop() { af.stopOnce.Do(func() { close(af.done) }) }

// live reports whether the fault still answers calls at wall time now.
func (af *activeFault) live(now time.Time) bool {
	return (af.Count == 0 || af.left > 0) && (af.Until.IsZero() || now.Before(af.Until))
}

// faultSet holds the injected faults in injection order; guarded by Server.mu.
type faultSet struct{ list []*activeFault }

// take picks the fault that answers a call to method, newest first, spends one of its Count and
// forgets faults that have run out. A spent Hang keeps its done channel: calls it holds still end
// when it is cancelled.
func (fs *faultSet) take(method string, now time.Time) *activeFault {
	fs.list = slices.DeleteFunc(fs.list, func(af *activeFault) bool { return !af.live(now) })
	for i := len(fs.list) - 1; i >= 0; i-- {
		af := fs.list[i]
		if af.Method != "*" && af.Method != method {
			continue
		}
		if af.skipped < af.Skip {
			af.skipped++
			continue
		}
		if af.Count > 0 {
			af.left--
		}
		return af
	}
	return nil
}

func (fs *faultSet) remove(af *activeFault) {
	fs.list = slices.DeleteFunc(fs.list, func(x *activeFault) bool { return x == af })
}

// faultAnswer is how a fault answers: the JSON answer for RateLimited, the status for the others.
func (s *Server) faultAnswer(af *activeFault, req *request) answer {
	switch af.Kind {
	case RateLimited:
		return s.failure(req, rateLimited(af.RetryAfter))
	case ServerError:
		return answer{status: af.Status}
	}
	return answer{} // Reset and Hang send no status at all
}

// deliverFault writes what a fault answers, or holds and drops the connection; it runs without
// Server.mu.
func (s *Server) deliverFault(w http.ResponseWriter, r *http.Request, af *activeFault, a answer) {
	switch af.Kind {
	case RateLimited:
		writeAnswer(w, a)
	case ServerError:
		writeServerError(w, af.Status)
	case Reset:
		dropConnection(w, true)
	case Hang:
		s.hang(r, af)
		dropConnection(w, false)
	}
}

// hang blocks until the client gives up, the fault's Until passes, the fault is cancelled or the
// server closes, so that Close never waits on a hung call.
func (s *Server) hang(r *http.Request, af *activeFault) {
	var until <-chan time.Time
	if !af.Until.IsZero() {
		t := time.NewTimer(time.Until(af.Until))
		defer t.Stop()
		until = t.C
	}
	select {
	case <-r.Context().Done():
	case <-until:
	case <-af.done:
	case <-s.closing:
	}
}

// dropConnection closes the client's connection without an answer. reset sets SO_LINGER to 0, so
// the kernel sends RST instead of FIN and the client reads ECONNRESET, as from a failing proxy.
func dropConnection(w http.ResponseWriter, reset bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return // HTTP/1.1 response writers always hijack; the fake serves nothing else
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok && reset {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// writeServerError answers like Slack's edge in trouble: an HTML page, not JSON. The page is
// worded by the fake; clients only look at the status.
func writeServerError(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	text := http.StatusText(status)
	_, _ = fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Slack: %d %s</title></head>\n"+
		"<body><h1>%s</h1><p>Slack is having trouble right now. Please try again in a moment.</p></body>\n</html>\n",
		status, text, text)
}
