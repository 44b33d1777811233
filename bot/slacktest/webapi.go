package slacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// handlerFunc implements one Web API method. It runs with Server.mu held, so it may read and
// change state freely but must not block; it returns the fields of an ok:true answer or the error.
type handlerFunc func(s *Server, req *request) (map[string]any, *apiError)

type method struct {
	handle   handlerFunc
	appToken bool // needs the app-level (xapp-) token instead of the bot token
}

// methodTable lists every implemented method; each API family contributes its own table, so
// adding a method is adding one entry and one function in that family's file.
func methodTable() map[string]method {
	t := map[string]method{}
	for _, family := range []map[string]method{
		authMethods(), conversationMethods(), historyMethods(), chatMethods(), viewMethods(),
		userMethods(), fileMethods(), bookmarkMethods(), canvasMethods(), listMethods(),
	} {
		maps.Copy(t, family)
	}
	return t
}

// apiError is an ok:false answer.
type apiError struct {
	code     string
	status   int            // HTTP status; Slack answers nearly every error with 200
	messages []string       // response_metadata.messages, as for invalid_arguments
	header   http.Header    // extra headers, e.g. Retry-After
	extra    map[string]any // extra top-level fields
}

func fail(code string) *apiError { return &apiError{code: code} }

func invalidArguments(messages ...string) *apiError {
	return &apiError{code: "invalid_arguments", messages: messages}
}

// answer is a computed Web API response, written after the lock is released.
type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/api/")
	req, perr := readRequest(r)
	if !s.delay(r.Context()) {
		return
	}

	s.mu.Lock()
	out := s.answerLocked(name, req, perr)
	errCode, _ := out.body["error"].(string)
	s.calls.calls = append(s.calls.calls, Call{
		Method: name, Args: req.args, Body: req.body, ContentType: req.contentType,
		Status: out.status, Error: errCode, At: s.now(),
		Fault: out.kind, Processed: out.processed, Throttled: out.throttled,
	})
	s.notifyLocked() // WaitCalls
	s.mu.Unlock()

	if out.fault != nil {
		s.deliverFault(w, r, out.fault, out.answer)
		return
	}
	writeAnswer(w, out.answer)
}

// delay waits out the latency SetLatency asked for; false means the client or the server gave up.
func (s *Server) delay(ctx context.Context) bool {
	s.mu.Lock()
	d := s.calls.latency
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closing:
	}
	return false
}

// outcome is how a call is answered, decided under Server.mu and delivered after it is released.
type outcome struct {
	answer
	fault     *activeFault // the injected fault that answers instead of answer, if any
	kind      FaultKind    // for the call log: fault's kind, or RateLimited for RateLimitNext
	processed bool         // the method ran before fault answered
	throttled bool         // the enforced rate limits refused the call
}

// answerLocked checks what Slack checks, in Slack's order: the method exists, no fault or rate
// limit stops the call, the token fits, then the method's own rules. A Processed fault runs the
// method first and then answers in its place.
func (s *Server) answerLocked(name string, req *request, perr *apiError) outcome {
	m, ok := s.methods[name]
	if !ok {
		return outcome{answer: s.failure(req, fail("unknown_method"))}
	}
	if f, ok := s.calls.takeFault(name); ok {
		if f.rateLimit {
			return outcome{answer: s.failure(req, rateLimited(f.retryAfter)), kind: RateLimited}
		}
		return outcome{answer: s.failure(req, fail(f.slackError))}
	}
	af := s.inject.take(name, time.Now())
	out := outcome{fault: af}
	if af == nil || af.Processed {
		out.answer, out.throttled = s.dispatchLocked(name, m, req, perr)
	}
	if af != nil {
		out.answer, out.kind, out.processed = s.faultAnswer(af, req), af.Kind, af.Processed
	}
	return out
}

// dispatchLocked runs a call past the enforced rate limits, the token check and the method;
// throttled reports a 429 of the rate limits.
func (s *Server) dispatchLocked(name string, m method, req *request, perr *apiError) (a answer, throttled bool) {
	if aerr := s.limitLocked(name, req); aerr != nil {
		return s.failure(req, aerr), true
	}
	if perr != nil {
		return s.failure(req, perr), false
	}
	if aerr := s.checkToken(m, req.token); aerr != nil {
		return s.failure(req, aerr), false
	}
	fields, aerr := m.handle(s, req)
	if aerr != nil {
		return s.failure(req, aerr), false
	}
	body := map[string]any{"ok": true}
	maps.Copy(body, fields)
	addWarning(body, req)
	return answer{status: http.StatusOK, body: body}, false
}

func (s *Server) checkToken(m method, token string) *apiError {
	want, other := s.opts.BotToken, s.opts.AppToken
	if m.appToken {
		want, other = other, want
	}
	switch token {
	case "":
		return fail("not_authed")
	case want:
		return nil
	case other:
		return fail("not_allowed_token_type")
	default:
		return fail("invalid_auth")
	}
}

func (s *Server) failure(req *request, e *apiError) answer {
	body := map[string]any{"ok": false, "error": e.code}
	maps.Copy(body, e.extra)
	if len(e.messages) > 0 {
		body["response_metadata"] = map[string]any{"messages": e.messages}
	}
	addWarning(body, req)
	status := e.status
	if status == 0 {
		status = http.StatusOK
	}
	return answer{status: status, header: e.header, body: body}
}

// rateLimited is Slack's 429: whole seconds in Retry-After, never less than one.
func rateLimited(retryAfter time.Duration) *apiError {
	secs := max(1, int(math.Ceil(retryAfter.Seconds())))
	return &apiError{
		code:   "ratelimited",
		status: http.StatusTooManyRequests,
		header: http.Header{"Retry-After": {strconv.Itoa(secs)}},
	}
}

// addWarning adds Slack's missing_charset warning to answers to JSON sent without a charset.
func addWarning(body map[string]any, req *request) {
	if req == nil || !req.missingCharset {
		return
	}
	body["warning"] = "missing_charset"
	meta, _ := body["response_metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		body["response_metadata"] = meta
	}
	warnings, _ := meta["warnings"].([]string)
	meta["warnings"] = append(warnings, "missing_charset")
}

func writeAnswer(w http.ResponseWriter, a answer) {
	for k, vs := range a.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(a.status)
	body, _ := marshal(a.body)
	_, _ = w.Write(body)
}

// marshal encodes JSON without Go's HTML escaping: Slack sends "<@U123>" as is, and stored
// blocks must read back the way the app wrote them.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
