package incidents_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/sqlite"
)

// transcriptWorld is a transcript on a real store, with one incident
// whose channel is C0INC, declared at declared.
type transcriptWorld struct {
	t     *testing.T
	st    *sqlite.Store
	tr    *incidents.Transcript
	clock *fakeClock
	inc   incidents.Incident
}

var declared = time.Date(2026, 1, 6, 10, 0, 0, 0, time.UTC)

func newTranscriptWorld(t *testing.T) *transcriptWorld {
	t.Helper()
	st, err := sqlite.New(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	inc := incidents.Incident{ID: uuid.New(), Title: "API 5xx", Severity: incidents.Sev2, Status: incidents.StatusInvestigating,
		Commander: "U0RITA", Reporter: "U0RITA", ChannelID: "C0INC", ChannelName: "inc-api-5xx",
		DeclaredAt: declared, UpdatedAt: declared, LastStatusUpdateAt: declared}
	if inc, err = st.Create(context.Background(), inc, incidents.Change{}, ""); err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{t: declared.Add(-time.Hour)}
	tr, err := incidents.NewTranscript(incidents.TranscriptOptions{Log: st, Incidents: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return &transcriptWorld{t: t, st: st, tr: tr, clock: clk, inc: inc}
}

// started records a capture start at declared+m minutes.
func (w *transcriptWorld) started(m int) {
	w.t.Helper()
	w.clock.t = declared.Add(time.Duration(m) * time.Minute)
	if err := w.tr.Capturing(context.Background()); err != nil {
		w.t.Fatal(err)
	}
}

// posted records a message posted at declared+m minutes.
func (w *transcriptWorld) posted(m int, text string) string {
	w.t.Helper()
	at := declared.Add(time.Duration(m) * time.Minute)
	ts := unixTS(at)
	ok, err := w.tr.Take(context.Background(), incidents.ChannelChange{Kind: incidents.MessagePosted,
		Message: incidents.ChannelMessage{Channel: "C0INC", TS: ts, At: at, User: "U0BOB", Text: text}, At: at})
	if err != nil || !ok {
		w.t.Fatalf("Take: %v, %v", ok, err)
	}
	return ts
}

// unixTS is the Slack ts of a message posted at t.
func unixTS(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) + ".000000" }

// after is m minutes after the declaration.
func after(m int) time.Time { return declared.Add(time.Duration(m) * time.Minute) }

func (w *transcriptWorld) unheard() []incidents.Span {
	w.t.Helper()
	rec, err := w.tr.Read(context.Background(), w.inc)
	if err != nil {
		w.t.Fatal(err)
	}
	return rec.Unheard
}

// What the bot may have missed lies before each start of capture after
// the channel began, back to the last message heard before it.
func TestTranscriptUnheard(t *testing.T) {
	t.Run("listening all along", func(t *testing.T) {
		w := newTranscriptWorld(t)
		w.started(-30)
		w.posted(1, "db is down")
		if got := w.unheard(); len(got) != 0 {
			t.Errorf("unheard = %v, want nothing", got)
		}
	})
	t.Run("no start known", func(t *testing.T) {
		w := newTranscriptWorld(t)
		if got := w.unheard(); !reflect.DeepEqual(got, []incidents.Span{{From: after(-1)}}) {
			t.Errorf("unheard = %v, want all of the channel", got)
		}
	})
	t.Run("incident predates capture", func(t *testing.T) {
		w := newTranscriptWorld(t)
		w.started(45)
		w.posted(50, "still down")
		if got := w.unheard(); !reflect.DeepEqual(got, []incidents.Span{{From: after(-1), To: after(46)}}) {
			t.Errorf("unheard = %v", got)
		}
	})
	t.Run("restart", func(t *testing.T) {
		w := newTranscriptWorld(t)
		w.started(-5)
		w.posted(3, "checking")
		w.posted(7, "pool exhausted")
		w.started(20) // the bot was down from some time after 7 until 20
		w.posted(21, "back")
		w.started(40) // and again: stretches that meet are read as one
		w.started(41)
		w.posted(50, "fixed")
		w.started(70)
		want := []incidents.Span{{From: after(7), To: after(42)}, {From: after(50), To: after(71)}}
		if got := w.unheard(); !reflect.DeepEqual(got, want) {
			t.Errorf("unheard = %v, want %v", got, want)
		}
	})
}

// Take records changes in incident channels only; Backfill adds what
// history has without undoing what was recorded.
func TestTranscriptTake(t *testing.T) {
	w := newTranscriptWorld(t)
	ctx := context.Background()
	ts := w.posted(1, "pool size changed")
	take := func(c incidents.ChannelChange) bool {
		ok, err := w.tr.Take(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	ref := incidents.ChannelMessage{Channel: "C0INC", TS: ts}
	edited := incidents.ChannelMessage{Channel: "C0INC", TS: ts, At: after(1), User: "U0BOB", Text: "DB pool size changed", Edited: true}
	take(incidents.ChannelChange{Kind: incidents.MessageEdited, Message: edited, At: after(2)})
	take(incidents.ChannelChange{Kind: incidents.ReactionAdded, Message: ref, Reaction: "key", User: "U0RITA", At: after(3)})
	take(incidents.ChannelChange{Kind: incidents.MessagePinned, Message: ref, At: after(4)})
	gone := w.posted(5, "wrong channel")
	take(incidents.ChannelChange{Kind: incidents.MessageDeleted, Message: incidents.ChannelMessage{Channel: "C0INC", TS: gone}, At: after(6)})
	if take(incidents.ChannelChange{Kind: incidents.MessagePosted, Message: incidents.ChannelMessage{Channel: "C0ELSEWHERE", TS: ts}}) {
		t.Error("a message outside incident channels was recorded")
	}
	if take(incidents.ChannelChange{Kind: incidents.ReactionAdded, Message: ref}) {
		t.Error("a reaction of nobody was recorded")
	}
	later := incidents.ChannelMessage{Channel: "C0INC", TS: unixTS(after(8)), At: after(8), User: "U0CAROL", Text: "read from history"}
	stale := incidents.ChannelMessage{Channel: "C0INC", TS: ts, At: after(1), User: "U0BOB", Text: "pool size changed"}
	if err := w.tr.Backfill(ctx, w.inc, []incidents.ChannelMessage{stale, later}); err != nil {
		t.Fatal(err)
	}
	rec, err := w.tr.Read(ctx, w.inc)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Messages) != 3 {
		t.Fatalf("messages = %+v", rec.Messages)
	}
	m := rec.Messages[0]
	if m.Text != "DB pool size changed" || !m.Edited || !m.Pinned || len(m.Reactions) != 1 || m.IncidentID != w.inc.ID {
		t.Errorf("first message = %+v", m)
	}
	if !rec.Messages[1].Deleted || rec.Messages[2].Text != "read from history" {
		t.Errorf("messages = %+v", rec.Messages)
	}
}
