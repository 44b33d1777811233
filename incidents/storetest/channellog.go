package storetest

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// testChannelLog is the channel log's sub-suite (incidents.ChannelLog):
// incident channels recorded as Slack reports them, where a change
// delivered twice or late never undoes a newer one.
func testChannelLog(t *testing.T, s incidents.Store) {
	inc, _ := mustCreate(t, s, newIncident("channel log", base()), "")
	cases := []struct {
		name string
		fn   func(*testing.T, chLog)
	}{
		{"Record/RoundTrip", testLogRoundTrip},
		{"Record/Redelivered", testLogRedelivered},
		{"Edit/LatestWordingWins", testLogEdit},
		{"Edit/BeforeItsMessage", testLogEditFirst},
		{"Delete", testLogDelete},
		{"Pin", testLogPin},
		{"React", testLogReact},
		{"Order/PerChannel", testLogOrder},
		{"Concurrent", testLogConcurrent},
		{"UnstorableText", testLogUnstorable},
		{"Refused", testLogRefused},
		{"CaptureStarts", testLogCaptureStarts},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, chLog{t: t, s: s, inc: inc.ID, ch: fmt.Sprintf("C0LOG%04d", i)})
		})
	}
}

// chLog is one test's channel of the log.
type chLog struct {
	t   *testing.T
	s   incidents.Store
	inc uuid.UUID
	ch  string
}

// msgTS is the n-th message's ts, postedAt when it was posted; minute
// is n minutes after the first.
func msgTS(n int) string       { return fmt.Sprintf("1741944400.%06d", n) }
func postedAt(n int) time.Time { return time.Unix(1741944400, int64(n)*1000).UTC() }
func minute(n int) time.Time   { return postedAt(0).Add(time.Duration(n) * time.Minute) }
func (l chLog) ref(n int) incidents.MessageRef {
	return incidents.MessageRef{IncidentID: l.inc, Channel: l.ch, TS: msgTS(n)}
}

func (l chLog) msg(n int, text string) incidents.ChannelMessage {
	return incidents.ChannelMessage{IncidentID: l.inc, Channel: l.ch, TS: msgTS(n), At: postedAt(n), User: "U0RITA", Text: text, Changed: postedAt(n)}
}

func (l chLog) must(what string, err error) {
	l.t.Helper()
	if err != nil {
		l.t.Fatalf("%s: %v", what, err)
	}
}

func (l chLog) read() []incidents.ChannelMessage {
	l.t.Helper()
	msgs, err := l.s.Messages(l.t.Context(), l.ch)
	l.must("Messages", err)
	return msgs
}

// one reads the channel, which must hold exactly one message.
func (l chLog) one() incidents.ChannelMessage {
	l.t.Helper()
	msgs := l.read()
	if len(msgs) != 1 {
		l.t.Fatalf("%d messages, want 1: %+v", len(msgs), msgs)
	}
	return msgs[0]
}

func testLogRoundTrip(t *testing.T, l chLog) {
	m := incidents.ChannelMessage{IncidentID: l.inc, Channel: l.ch, TS: msgTS(1), At: postedAt(1).Add(999 * time.Nanosecond),
		BotID: "B0ALERTS", Name: "Grafana", Subtype: "bot_message", Text: "p99 > 2s & <rising>", ThreadTS: msgTS(1), Color: "danger",
		Files:     []incidents.ChannelFile{{Name: "graph.png", URL: "https://files/graph.png"}},
		Reactions: []incidents.ChannelReaction{{Name: "eyes", Users: []string{"U0BOB", "U0RITA"}}, {Name: "key", Users: []string{"U0RITA"}}},
		Edited:    true, Pinned: true, Changed: postedAt(1)}
	l.must("Record", l.s.Record(t.Context(), m))
	want := m
	want.At = postedAt(1)
	if got := l.one(); !reflect.DeepEqual(got, want) {
		t.Errorf("stored\n%+v\nwant\n%+v", got, want)
	}
}

func testLogRedelivered(t *testing.T, l chLog) {
	l.must("Record", l.s.Record(t.Context(), l.msg(1, "db is down")))
	again := l.msg(1, "something else")
	again.Changed = minute(5)
	again.Pinned = true
	l.must("Record again", l.s.Record(t.Context(), again))
	if got := l.one(); got.Text != "db is down" || got.Pinned || !got.Changed.Equal(postedAt(1)) {
		t.Errorf("a redelivered message changed the record: %+v", got)
	}
}

func testLogEdit(t *testing.T, l chLog) {
	l.must("Record", l.s.Record(t.Context(), l.msg(1, "pool size changed")))
	edit := func(text string, when time.Time) {
		m := l.msg(1, text)
		m.Edited, m.Changed = true, when
		l.must("Edit", l.s.Edit(t.Context(), m))
	}
	edit("DB pool size changed", minute(2))
	edit("DB pool size and health check changed", minute(4))
	edit("DB pool size changed", minute(2))                                  // late, or twice
	edit("an older wording still", minute(3))                                // older than the stored one
	l.must("Record", l.s.Record(t.Context(), l.msg(1, "pool size changed"))) // the post, redelivered
	got := l.one()
	if got.Text != "DB pool size and health check changed" || !got.Edited || !got.Changed.Equal(minute(4)) || !got.At.Equal(postedAt(1)) {
		t.Errorf("after edits: %+v", got)
	}
}

func testLogEditFirst(t *testing.T, l chLog) {
	m := l.msg(1, "the edited wording")
	m.Edited, m.Changed = true, minute(2)
	l.must("Edit", l.s.Edit(t.Context(), m))
	l.must("Record", l.s.Record(t.Context(), l.msg(1, "the first wording")))
	if got := l.one(); got.Text != "the edited wording" || !got.Edited {
		t.Errorf("a post worked on after its edit undid it: %+v", got)
	}
}

func testLogDelete(t *testing.T, l chLog) {
	l.must("Record", l.s.Record(t.Context(), l.msg(1, "wrong channel, sorry")))
	l.must("Delete", l.s.Delete(t.Context(), l.ref(1), minute(1)))
	l.must("Delete again", l.s.Delete(t.Context(), l.ref(1), minute(9)))
	m := l.msg(1, "an edit after the deletion")
	m.Edited, m.Changed = true, minute(3)
	l.must("Edit", l.s.Edit(t.Context(), m))
	if got := l.one(); !got.Deleted || !got.Changed.Equal(minute(3)) {
		t.Errorf("deleted message: %+v", got)
	}
	// Deleted before its post was worked on: it arrives deleted.
	l.must("Delete first", l.s.Delete(t.Context(), l.ref(2), minute(2)))
	if n := len(l.read()); n != 1 {
		t.Errorf("a deletion alone shows as a message: %d messages", n)
	}
	l.must("Record", l.s.Record(t.Context(), l.msg(2, "gone")))
	if msgs := l.read(); len(msgs) != 2 || !msgs[1].Deleted || msgs[1].Text != "gone" {
		t.Errorf("message deleted before it arrived: %+v", msgs)
	}
}

func testLogPin(t *testing.T, l chLog) {
	l.must("Record", l.s.Record(t.Context(), l.msg(1, "Decision: roll back")))
	l.must("Pin", l.s.Pin(t.Context(), l.ref(1), true, minute(1)))
	if !l.one().Pinned {
		t.Fatal("not pinned")
	}
	l.must("Unpin", l.s.Pin(t.Context(), l.ref(1), false, minute(2)))
	l.must("Pin, late", l.s.Pin(t.Context(), l.ref(1), true, minute(1)))
	if got := l.one(); got.Pinned || !got.Changed.Equal(minute(2)) {
		t.Errorf("unpinned, then a late pin: %+v", got)
	}
	l.must("Pin again", l.s.Pin(t.Context(), l.ref(1), true, minute(3)))
	// A pin worked on before its message: kept, and not undone by the
	// post, which says nothing of pins.
	l.must("Pin first", l.s.Pin(t.Context(), l.ref(2), true, minute(1)))
	l.must("Record", l.s.Record(t.Context(), l.msg(2, "pinned before it arrived")))
	if msgs := l.read(); len(msgs) != 2 || !msgs[0].Pinned || !msgs[1].Pinned {
		t.Errorf("pins: %+v", msgs)
	}
}

func testLogReact(t *testing.T, l chLog) {
	l.must("Record", l.s.Record(t.Context(), l.msg(1, "errors gone")))
	react := func(name, user string, added bool, when time.Time) {
		l.must("React", l.s.React(t.Context(), l.ref(1), incidents.Reacting{Name: name, User: user, Added: added, At: when}))
	}
	react("key", "U0BOB", true, minute(1))
	react("eyes", "U0RITA", true, minute(2))
	react("key", "U0RITA", true, minute(3))
	react("eyes", "U0RITA", false, minute(4))
	react("eyes", "U0RITA", true, minute(2)) // the add, redelivered after the removal
	react("key", "U0BOB", true, minute(1))   // twice
	got := l.one()
	want := []incidents.ChannelReaction{{Name: "key", Users: []string{"U0BOB", "U0RITA"}}}
	if !reflect.DeepEqual(got.Reactions, want) || !got.Changed.Equal(minute(4)) {
		t.Errorf("reactions %+v changed %v, want %+v at %v", got.Reactions, got.Changed, want, minute(4))
	}
	l.must("React first", l.s.React(t.Context(), l.ref(2), incidents.Reacting{Name: "key", User: "U0BOB", Added: true, At: minute(5)}))
	l.must("Record", l.s.Record(t.Context(), l.msg(2, "reacted to before it arrived")))
	if msgs := l.read(); len(msgs) != 2 || len(msgs[1].Reactions) != 1 || msgs[1].Reactions[0].Name != "key" {
		t.Errorf("reaction before its message: %+v", msgs)
	}
}

func testLogOrder(t *testing.T, l chLog) {
	other := l
	other.ch = l.ch + "X"
	for _, n := range []int{3, 1, 2} {
		l.must("Record", l.s.Record(t.Context(), l.msg(n, fmt.Sprint("message ", n))))
	}
	l.must("Record elsewhere", l.s.Record(t.Context(), other.msg(4, "another channel")))
	msgs := l.read()
	if len(msgs) != 3 || msgs[0].TS != msgTS(1) || msgs[1].TS != msgTS(2) || msgs[2].TS != msgTS(3) {
		t.Errorf("messages %+v, want ts 1, 2, 3 of this channel only", msgs)
	}
	if got := other.read(); len(got) != 1 || got[0].Text != "another channel" {
		t.Errorf("other channel: %+v", got)
	}
}

// testLogConcurrent: the same edits and reactions delivered at once by
// several workers (or replicas) end as if delivered once, in order.
func testLogConcurrent(t *testing.T, l chLog) {
	l.must("Record", l.s.Record(t.Context(), l.msg(1, "v1")))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			m := l.msg(1, fmt.Sprint("v", 2+i%3))
			m.Edited, m.Changed = true, minute(2+i%3)
			if err := l.s.Edit(t.Context(), m); err != nil {
				t.Errorf("Edit: %v", err)
			}
			if err := l.s.React(t.Context(), l.ref(1), incidents.Reacting{Name: "eyes", User: "U0BOB", Added: i%2 == 0, At: minute(i)}); err != nil {
				t.Errorf("React: %v", err)
			}
		})
	}
	wg.Wait()
	got := l.one()
	if got.Text != "v4" || len(got.Reactions) != 0 { // the latest edit; the latest reaction change (7) removes
		t.Errorf("after concurrent changes: %+v", got)
	}
}

func testLogUnstorable(t *testing.T, l chLog) {
	m := l.msg(1, "db\x00down \xff")
	m.Name, m.Files = "bot\x00", []incidents.ChannelFile{{Name: "a\xff.png", URL: "https://x/\x00"}}
	l.must("Record with NUL and invalid UTF-8", l.s.Record(t.Context(), m))
	l.must("React with NUL", l.s.React(t.Context(), l.ref(1), incidents.Reacting{Name: "k\x00", User: "U\xff", Added: true, At: minute(1)}))
	got := l.one()
	if got.Text != "db\uFFFDdown \uFFFD" || got.Name != "bot\uFFFD" || got.Files[0].Name != "a\uFFFD.png" || got.Reactions[0].Users[0] != "U\uFFFD" {
		t.Errorf("stored as %+v", got)
	}
}

func testLogRefused(t *testing.T, l chLog) {
	if err := l.s.Record(t.Context(), incidents.ChannelMessage{IncidentID: l.inc, Channel: l.ch}); err == nil {
		t.Error("a message without a ts was stored")
	}
	if err := l.s.Pin(t.Context(), incidents.MessageRef{Channel: l.ch, TS: msgTS(1)}, true, minute(1)); err == nil {
		t.Error("a message of no incident was stored")
	}
	if err := l.s.React(t.Context(), l.ref(1), incidents.Reacting{Name: "key", At: minute(1)}); err == nil {
		t.Error("a reaction of nobody was stored")
	}
	if n := len(l.read()); n != 0 {
		t.Errorf("%d messages after refused writes", n)
	}
}

func testLogCaptureStarts(t *testing.T, l chLog) {
	// The store is shared by the suite's cases: starts far from theirs.
	t0 := time.Date(2031, 5, 1, 10, 0, 0, 123_456_789, time.UTC)
	starts, err := l.s.CaptureStarts(t.Context(), t0)
	l.must("CaptureStarts", err)
	for _, s := range starts {
		if !s.Before(t0) {
			t.Fatalf("a start at %v before any was recorded", s)
		}
	}
	var prior []time.Time // what other cases recorded earlier than t0
	if len(starts) > 0 {
		prior = starts[:1]
	}
	for _, m := range []int{30, 0, 10, 10, 50} { // out of order, one twice
		l.must("CaptureStarted", l.s.CaptureStarted(t.Context(), t0.Add(time.Duration(m)*time.Minute)))
	}
	got, err := l.s.CaptureStarts(t.Context(), t0.Add(20*time.Minute))
	l.must("CaptureStarts", err)
	want := []time.Time{us(t0.Add(10 * time.Minute)), us(t0.Add(30 * time.Minute)), us(t0.Add(50 * time.Minute))}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("starts since +20m = %v, want the last before (+10m) and those after: %v", got, want)
	}
	got, err = l.s.CaptureStarts(t.Context(), t0.Add(-time.Minute))
	l.must("CaptureStarts", err)
	want = append(prior, us(t0), us(t0.Add(10*time.Minute)), us(t0.Add(30*time.Minute)), us(t0.Add(50*time.Minute)))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("starts since before all = %v, want %v", got, want)
	}
}
