package bot

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	_ "modernc.org/sqlite"

	"github.com/incident-bot/incident-bot/bot/slacktest"
	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/sqlite"
)

// A request whose work keeps failing for the bot's own reasons (here the
// store lost a table) is tried again a few times and then answered — the
// person who asked hears something went wrong, with a reference — and
// the job is recorded as failed, not retried for ever or dropped.
func TestJobThatKeepsFailingIsAnswered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	st, err := sqlite.New(t.Context(), sqlite.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fs := slacktest.New(slacktest.Options{})
	t.Cleanup(fs.Close)
	ch := fs.AddChannel("inc-db", "U0RITA0001")
	svc, _ := incidents.NewService(incidents.ServiceOptions{Store: st})
	inc, _, err := svc.Declare(t.Context(), incidents.Declaration{Title: "DB down", Reporter: "U0RITA0001"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(t.Context(), inc.ID, "", func(i *incidents.Incident) (incidents.Change, error) {
		i.ChannelID = ch
		return incidents.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	breakStore(t, path)
	m := NewMetrics(prometheus.NewRegistry())
	app, err := NewApp(AppOptions{Service: svc, API: slack.New("xoxb-test", slack.OptionAPIURL(fs.APIURL())), Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	ib, _ := NewInbox(InboxOptions{Store: st, App: app, Metrics: m, MaxAttempts: 3, RetryBase: 10 * time.Millisecond, Sweep: 20 * time.Millisecond})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ib.Run(ctx); close(done) }()
	t.Cleanup(func() { stop(); <-done })

	cmd := fs.SlashCommand("U0RITA0001", ch, "update the database is back")
	payload, _ := json.Marshal(cmd)
	stored := make(chan bool, 1)
	ib.accept(&socketmode.Request{EnvelopeID: "env-1", Type: socketmode.RequestTypeSlashCommands, Payload: payload}, time.Now(),
		func(ok bool) { stored <- ok })
	if !<-stored {
		t.Fatal("the envelope was not stored")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !answered(fs) {
		if time.Now().After(deadline) {
			t.Fatal("the person who asked was never told")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := m.Jobs.WithLabelValues(socketmode.RequestTypeSlashCommands, string(incidents.Retry)); testutil.ToFloat64(got) != 2 {
		t.Errorf("retries = %v, want 2 before the third and last attempt", testutil.ToFloat64(got))
	}
}

func answered(fs *slacktest.Server) bool {
	for _, p := range fs.ResponseURLPosts() {
		if strings.Contains(p.Text, "Something went wrong on my side (ref") {
			return true
		}
	}
	return false
}

// breakStore drops the timeline's table behind the store's back, so
// every change of an incident fails with an internal error.
func breakStore(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DROP TABLE incident_events"); err != nil {
		t.Fatal(err)
	}
}
