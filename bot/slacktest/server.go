package slacktest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Options configures a fake Slack. The zero value is ready to use.
type Options struct {
	AppToken string // app-level token apps.connections.open expects (default "xapp-test")
	BotToken string // bot token every other Web API method expects (default "xoxb-test")

	// PingInterval is how often the Socket Mode endpoint sends WebSocket PING frames (default 2s).
	// slack-go drops a connection that goes without pings for its own ping interval.
	PingInterval time.Duration

	BotUserID string // default "U0BOT00001"
	TeamID    string // default "T0FAKETEAM1"
	AppID     string // default "A0FAKEAPP01"

	// Now is the clock behind message timestamps, channel creation times and trigger_id expiry.
	// Tests that need an expired trigger pass a clock they can move (default time.Now).
	Now func() time.Time

	// RateLimits enforces Slack's documented rate limits: a token bucket per method holding its
	// tier's calls per minute and refilling evenly over a minute, and for chat.postMessage one per
	// channel (1 a second, bursts of 3). Off by default, so tests may call as fast as they like.
	RateLimits bool
}

func (o Options) withDefaults() Options {
	if o.AppToken == "" {
		o.AppToken = "xapp-test"
	}
	if o.BotToken == "" {
		o.BotToken = "xoxb-test"
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 2 * time.Second
	}
	if o.BotUserID == "" {
		o.BotUserID = "U0BOT00001"
	}
	if o.TeamID == "" {
		o.TeamID = "T0FAKETEAM1"
	}
	if o.AppID == "" {
		o.AppID = "A0FAKEAPP01"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

const (
	teamDomain        = "acme-ops"
	teamName          = "Acme Ops"
	botName           = "incident-bot"
	verificationToken = "fakeVerificationToken000"
)

var errClosed = errors.New("slacktest: server closed")

// Server is a running fake Slack listening on 127.0.0.1. All its state sits behind one mutex, so
// it is safe to use from any goroutine.
type Server struct {
	opts     Options
	botID    string
	base     string // "http://127.0.0.1:PORT"
	httpSrv  *httptest.Server
	methods  map[string]method
	upgrader websocket.Upgrader

	closing   chan struct{} // closed by Close; stops background goroutines and waits
	closeOnce sync.Once
	bg        sync.WaitGroup // WebSocket handlers, ping loops and delayed closes

	mu      sync.Mutex
	closed  bool
	changed chan struct{} // closed and replaced whenever something a waiter may wait on changes
	store   store
	calls   callLog
	inject  faultSet // faults armed with Inject
	limits  limiter  // buckets of Options.RateLimits
	sock    socketState
	// eventSeq numbers the event_id of events_api payloads.
	eventSeq int
}

// New starts a fake Slack on 127.0.0.1 with a random port. Close stops it.
func New(opts Options) *Server {
	s := &Server{
		opts:    opts.withDefaults(),
		methods: methodTable(),
		closing: make(chan struct{}),
		changed: make(chan struct{}),
		// slack-go dials with "Origin: https://api.slack.com", which gorilla's default origin
		// check would refuse.
		upgrader: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
	}
	s.botID = "B" + strings.TrimPrefix(s.opts.BotUserID, "U")
	s.store = newStore()
	s.store.addUser(&user{id: s.opts.BotUserID, name: botName, isBot: true})
	s.sock = newSocketState()
	s.calls = newCallLog()
	s.limits = newLimiter()

	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveLink)
	mux.HandleFunc("/response/", s.serveResponseURL)
	mux.HandleFunc("/upload/v1/", s.serveUpload)
	mux.HandleFunc("/files-pri/", s.serveFile)
	s.httpSrv = httptest.NewServer(mux)
	s.base = s.httpSrv.URL
	return s
}

// APIURL is the Web API base URL, ending in "/api/", for slack.OptionAPIURL.
func (s *Server) APIURL() string { return s.base + "/api/" }

// Close drops every connection, stops the server and waits for its goroutines.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.closing)
		conns := s.sock.openConns()
		s.sock.active = nil
		s.notifyLocked()
		s.mu.Unlock()
		for _, c := range conns {
			c.close()
		}
		s.httpSrv.Close()
		s.bg.Wait()
	})
}

// now reads the configured clock.
func (s *Server) now() time.Time { return s.opts.Now() }

// notifyLocked wakes everything blocked in waitFor; the caller holds s.mu and has just changed
// state a waiter may be waiting on.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor blocks until cond (evaluated with s.mu held) is true, ctx ends or the server closes.
func (s *Server) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		if cond() {
			s.mu.Unlock()
			return nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closing:
			return errClosed
		}
	}
}
