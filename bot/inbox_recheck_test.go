package bot

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incident-bot/incident-bot/bot/slacktest"
	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/sqlite"
	"github.com/incident-bot/incident-bot/internal/testclock"
)

// settleFails is a store that cannot write jobs' outcomes for a while.
type settleFails struct {
	incidents.Store
	failures atomic.Int32 // writes left to fail
}

func (s *settleFails) SettleJobs(ctx context.Context, ss []incidents.Settlement) error {
	if s.failures.Add(-1) >= 0 {
		return errors.New("store away")
	}
	return s.Store.SettleJobs(ctx, ss)
}

type inboxRig struct {
	path  string
	fs    *slacktest.Server
	st    incidents.Store
	clock *testclock.Clock
	ib    *Inbox
}

func newInboxRig(t *testing.T, wrap func(incidents.Store) incidents.Store) *inboxRig {
	r := &inboxRig{path: filepath.Join(t.TempDir(), "bot.db"), clock: testclock.New(time.Now())}
	st, err := sqlite.New(t.Context(), sqlite.Options{Path: r.path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.st = wrap(st)
	r.fs = slacktest.New(slacktest.Options{})
	t.Cleanup(r.fs.Close)
	svc, _ := incidents.NewService(incidents.ServiceOptions{Store: st})
	m := NewMetrics(prometheus.NewRegistry())
	app, err := NewApp(AppOptions{Service: svc, API: slack.New("xoxb-test", slack.OptionAPIURL(r.fs.APIURL())), Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	r.ib, _ = NewInbox(InboxOptions{Store: r.st, App: app, Metrics: m, MaxAttempts: 2, RetryBase: 10 * time.Millisecond,
		Sweep: 10 * time.Millisecond, Now: r.clock.Now})
	return r
}

func (r *inboxRig) run(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.ib.Run(ctx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
}

// job reads a job's state and attempts from the store's file.
func (r *inboxRig) job(t *testing.T, key string) (string, int) {
	t.Helper()
	db, err := sql.Open("sqlite", sqlite.InboxPath(r.path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var state string
	var attempts int
	if err := db.QueryRow("SELECT state, attempts FROM work_items WHERE queue = 'inbox' AND key = ?", key).Scan(&state, &attempts); err != nil {
		t.Fatal(err)
	}
	return state, attempts
}

func (r *inboxRig) waitJob(t *testing.T, key, state string, attempts int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		s, a := r.job(t, key)
		if s == state && a == attempts {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s after %d attempts; want %s after %d", key, s, a, state, attempts)
		}
	}
}

// A job whose outcome could not be written is still this process's: it
// is claimed again by it a minute on (not an hour, nor at the next
// start), run again, and recorded.
func TestJobWhoseOutcomeWasLostRunsAgain(t *testing.T) {
	sf := &settleFails{}
	sf.failures.Store(5) // every try at the first outcome
	r := newInboxRig(t, func(s incidents.Store) incidents.Store { sf.Store = s; return sf })
	r.run(t)
	stored := make(chan bool, 1)
	r.ib.accept(&socketmode.Request{EnvelopeID: "env-1", Type: "no_such_kind", Payload: []byte("{}")}, time.Now(), func(ok bool) { stored <- ok })
	if !<-stored {
		t.Fatal("not stored")
	}
	for sf.failures.Load() > 0 {
		time.Sleep(5 * time.Millisecond)
	}
	r.waitJob(t, "envelope:env-1", "pending", 1)
	r.clock.Advance(2 * time.Minute)
	r.waitJob(t, "envelope:env-1", "failed", 1) // its own job taken back: the same attempt
}

// A request claimed again and again without an outcome (it killed the
// bot each time) is not run again: the person who asked is told, and the
// job is recorded as failed.
func TestJobThatNeverFinishesIsNotRunAgain(t *testing.T) {
	r := newInboxRig(t, func(s incidents.Store) incidents.Store { return s })
	ch := r.fs.AddChannel("general", "U0RITA0001")
	payload, _ := json.Marshal(r.fs.SlashCommand("U0RITA0001", ch, "start sev2 Poison"))
	if _, err := r.st.AddJobs(t.Context(), []incidents.Job{{Key: "envelope:env-9", Kind: socketmode.RequestTypeSlashCommands, Payload: payload}}); err != nil {
		t.Fatal(err)
	}
	for range 5 { // five starts, each dying mid-job
		r.clock.Advance(2 * time.Minute)
		start, err := sqlite.New(t.Context(), sqlite.Options{Path: r.path})
		if err != nil {
			t.Fatal(err)
		}
		got, err := start.ClaimJobs(t.Context(), r.clock.Now(), 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("claim = %v, %v", got, err)
		}
		start.Close()
	}
	r.clock.Advance(2 * time.Minute)
	r.run(t)
	r.waitJob(t, "envelope:env-9", "failed", 7)
	for deadline := time.Now().Add(5 * time.Second); !answered(r.fs); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the person who asked was never told")
		}
	}
	if incs, err := r.st.List(t.Context(), incidents.ListFilter{}); err != nil || len(incs) != 0 {
		t.Fatalf("the poisoned request ran: incidents %+v, %v", incs, err)
	}
}

// An event Slack delivers again in a new envelope is stored once.
func TestEventRedeliveredInANewEnvelopeIsStoredOnce(t *testing.T) {
	r := newInboxRig(t, func(s incidents.Store) incidents.Store { return s })
	r.run(t)
	payload := []byte(`{"type":"event_callback","event_id":"Ev0PV52K21","event":{"type":"message","channel":"C0GENERAL1","text":"hi"}}`)
	for _, env := range []string{"env-1", "env-2"} {
		stored := make(chan bool, 1)
		r.ib.accept(&socketmode.Request{EnvelopeID: env, Type: socketmode.RequestTypeEventsAPI, Payload: payload}, time.Now(), func(ok bool) { stored <- ok })
		if !<-stored {
			t.Fatalf("%s not stored", env)
		}
	}
	db, err := sql.Open("sqlite", sqlite.InboxPath(r.path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM work_items WHERE queue = 'inbox'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d jobs stored (%v), want 1", n, err)
	}
}
