package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/bot/slacktest"
	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/postgres"
	"github.com/incident-bot/incident-bot/incidents/sqlite"
	"github.com/incident-bot/incident-bot/internal/testclock"
	"github.com/incident-bot/incident-bot/internal/testpg"
)

// Distinctive tokens, so a test can prove they never reach the logs.
const (
	testAppToken = "xapp-1-A0FAKEAPP01-SECRETAPPTOKEN-0123456789"
	testBotToken = "xoxb-1111-2222-SECRETBOTTOKEN0123456789"
)

// harness runs the real `serve` wiring (run → LoadConfig → NewMain → Run)
// against the fake Slack and a real store.
type harness struct {
	t        testing.TB
	slack    *slacktest.Server
	env      map[string]string
	logs     *syncBuffer
	httpAddr string
	cancel   context.CancelFunc
	exit     chan int
	announce string // INCIDENTS_CHANNEL
	general  string // a channel people type commands in
	// openStore opens a second handle on the bot's store for assertions.
	openStore func(t testing.TB) incidents.Store
	// clock, when set before start, is the bot's clock: the test moves it.
	clock *testclock.Clock
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// storeKinds lists the backends every end-to-end test runs against.
var storeKinds = []string{"sqlite", "postgres"}

func forEachStore(t *testing.T, fn func(t *testing.T, kind string)) {
	for _, k := range storeKinds {
		t.Run(k, func(t *testing.T) { fn(t, k) })
	}
}

// newHarness starts the fake Slack and the bot, and waits until /readyz
// says the bot is connected.
func newHarness(t testing.TB, kind string, extra map[string]string) *harness {
	t.Helper()
	fs := slacktest.New(slacktest.Options{AppToken: testAppToken, BotToken: testBotToken})
	t.Cleanup(fs.Close)
	h := &harness{t: t, slack: fs, logs: &syncBuffer{}, exit: make(chan int, 1)}
	h.announce = fs.AddChannel("incidents")
	h.general = fs.AddChannel("general", "U0RITA0001", "U0BOB00001")
	fs.AddUser("U0RITA0001", "rita")
	fs.AddUser("U0BOB00001", "bob")
	h.httpAddr = freeAddr(t)
	h.env = map[string]string{
		"SLACK_APP_TOKEN":   testAppToken,
		"SLACK_BOT_TOKEN":   testBotToken,
		"SLACK_API_URL":     fs.APIURL(),
		"HTTP_ADDR":         h.httpAddr,
		"INCIDENTS_CHANNEL": h.announce,
		"LOG_LEVEL":         "debug",
		"SHUTDOWN_TIMEOUT":  "10s",
	}
	switch kind {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "bot.db")
		h.env["SQLITE_PATH"] = path
		h.openStore = func(t testing.TB) incidents.Store {
			s, err := sqlite.New(context.Background(), sqlite.Options{Path: path})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	case "postgres":
		url := testpg.URL(t)
		h.env["DATABASE_URL"] = url
		h.openStore = func(t testing.TB) incidents.Store {
			s, err := postgres.New(context.Background(), postgres.Options{URL: url})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	}
	for k, v := range extra {
		h.env[k] = v
	}
	h.start()
	return h
}

func (h *harness) start() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	var with func(*Config)
	if h.clock != nil {
		with = func(c *Config) { c.Clock = h.clock }
	}
	go func() {
		h.exit <- serveWith(ctx, func(k string) string { return h.env[k] }, h.logs, with)
	}()
	h.t.Cleanup(func() { h.stop() })
	h.waitReady()
}

// stop sends the equivalent of SIGTERM and returns the exit code.
func (h *harness) stop() int {
	if h.cancel == nil {
		return 0
	}
	h.cancel()
	h.cancel = nil
	select {
	case code := <-h.exit:
		if strings.Contains(h.logs.String(), "SECRET") {
			h.t.Errorf("a token reached the logs:\n%s", h.logs.String())
		}
		return code
	case <-time.After(20 * time.Second):
		h.t.Fatalf("serve did not stop within 20s; logs:\n%s", h.logs.String())
		return -1
	}
}

func (h *harness) waitReady() {
	h.t.Helper()
	h.eventually("bot ready", func() bool {
		select {
		case code := <-h.exit:
			h.t.Fatalf("serve exited with %d before becoming ready; logs:\n%s", code, h.logs.String())
		default:
		}
		resp, err := http.Get("http://" + h.httpAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// eventually polls cond: the bot works asynchronously after the ack, so
// tests wait for the observable outcome, never for a fixed time.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	h.eventuallyWithin(15*time.Second, what, cond)
}

// eventuallyWithin is eventually with its own patience, for outcomes
// Slack's rate limits spread out (one message a second per channel).
func (h *harness) eventuallyWithin(patience time.Duration, what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			var msgs []string
			for _, c := range []string{h.general, h.announce} {
				for _, m := range h.slack.Messages(c) {
					msgs = append(msgs, m.Text)
				}
			}
			for _, p := range h.slack.ResponseURLPosts() {
				msgs = append(msgs, "(ephemeral) "+p.Text)
			}
			h.t.Fatalf("timed out waiting for %s; logs:\n%s\nephemeral replies and messages:\n%s", what, tail(h.logs.String(), 4000), tail(strings.Join(msgs, "\n"), 3000))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// slash sends /incident text as user in channel and returns the ack.
func (h *harness) slash(user, channel, text string) slacktest.Ack {
	h.t.Helper()
	p := h.slack.SlashCommand(user, channel, text)
	return h.send("slash_commands", p)
}

func (h *harness) send(typ string, payload any, opts ...slacktest.EnvelopeOption) slacktest.Ack {
	h.t.Helper()
	id, err := h.slack.SendEnvelope(typ, payload, opts...)
	if err != nil {
		h.t.Fatalf("send envelope: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ack, err := h.slack.WaitAck(ctx, id)
	if err != nil {
		h.t.Fatalf("no ack for %s envelope %s: %v", typ, id, err)
	}
	return ack
}

// channelNamed waits for the bot to create a channel with that name.
func (h *harness) channelNamed(name string) slacktest.Channel {
	h.t.Helper()
	var ch slacktest.Channel
	h.eventually("channel #"+name, func() bool {
		var ok bool
		ch, ok = h.slack.Channel(name)
		return ok
	})
	return ch
}

// messageContaining waits for a message in channel whose text contains s.
func (h *harness) messageContaining(channel, s string) slacktest.Message {
	h.t.Helper()
	var found slacktest.Message
	h.eventually(fmt.Sprintf("message containing %q", s), func() bool {
		for _, m := range h.slack.Messages(channel) {
			if strings.Contains(m.Text, s) || strings.Contains(string(m.Blocks), s) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// responseContaining waits for an ephemeral reply (response_url) with s.
func (h *harness) responseContaining(s string) slacktest.ResponsePost {
	h.t.Helper()
	var found slacktest.ResponsePost
	h.eventually(fmt.Sprintf("ephemeral reply containing %q", s), func() bool {
		for _, p := range h.slack.ResponseURLPosts() {
			if strings.Contains(p.Text, s) {
				found = p
				return true
			}
		}
		return false
	})
	return found
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// viewOpened waits for the bot to open a modal with callbackID and returns
// the most recent one.
func (h *harness) viewOpened(callbackID string) slacktest.View {
	h.t.Helper()
	var view slacktest.View
	h.eventually("form "+callbackID, func() bool {
		found := false
		for _, v := range h.slack.Views() {
			if v.CallbackID == callbackID {
				view, found = v, true
			}
		}
		return found
	})
	return view
}

// startBinary runs the built binary's `serve` with the harness settings on
// a fresh HTTP address and waits until it is ready. The harness's own
// in-process bot must be stopped first.
func (h *harness) startBinary(bin string, extra ...string) (*exec.Cmd, string, *syncBuffer) {
	h.t.Helper()
	return h.startBinaryAt(bin, freeAddr(h.t), extra...)
}

// startBinaryAt is startBinary listening on addr (a replica restarted
// where its senders know it).
func (h *harness) startBinaryAt(bin, addr string, extra ...string) (*exec.Cmd, string, *syncBuffer) {
	h.t.Helper()
	logs := &syncBuffer{}
	cmd := exec.Command(bin, "serve")
	cmd.Stderr = logs
	cmd.Env = append(os.Environ(), "HTTP_ADDR="+addr)
	for k, v := range h.env {
		if k != "HTTP_ADDR" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Env = append(cmd.Env, extra...)
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	h.eventually("binary ready", func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return cmd, addr, logs
}

// posts are the channel's messages without the joins Slack adds.
func (h *harness) posts(channel string) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range h.slack.Messages(channel) {
		if m.Subtype != "channel_join" {
			out = append(out, m)
		}
	}
	return out
}

// settled waits until the bot owes nothing: every job accepted is done
// and every effect performed (or failed for good). Tests wait for this
// instead of sleeping before they check that something did not happen.
func (h *harness) settled() {
	h.t.Helper()
	h.eventually("all work done", h.nothingOwed())
}

// nothingOwed is a condition for eventually: no job and no effect left.
func (h *harness) nothingOwed() func() bool {
	st := h.openStore(h.t)
	return func() bool {
		b, err := st.Backlog(context.Background())
		return err == nil && b.Jobs == 0 && b.Effects == 0
	}
}

// dmContaining waits for a direct message from the bot to user whose
// text contains s: how the bot tells a person something went wrong.
func (h *harness) dmContaining(user, s string) slacktest.Message {
	h.t.Helper()
	var found slacktest.Message
	h.eventually(fmt.Sprintf("direct message to %s containing %q", user, s), func() bool {
		for _, m := range h.slack.DirectMessages(user) {
			if strings.Contains(m.Text, s) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}
