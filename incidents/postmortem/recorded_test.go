package postmortem

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

// fakeTranscript is a recording and what was backfilled into it.
type fakeTranscript struct {
	rec        incidents.Recording
	backfilled []incidents.ChannelMessage
}

func (f *fakeTranscript) Read(context.Context, incidents.Incident) (incidents.Recording, error) {
	return f.rec, nil
}
func (f *fakeTranscript) Backfill(_ context.Context, _ incidents.Incident, msgs []incidents.ChannelMessage) error {
	f.backfilled = append(f.backfilled, msgs...)
	return nil
}

// fakeHistory answers each stretch with what Slack has in it, one call a
// message (as if pages held one), or fails.
type fakeHistory struct {
	has   []incidents.ChannelMessage
	asked []incidents.Span
	err   error
}

func (f *fakeHistory) Between(_ context.Context, _ string, s incidents.Span) ([]incidents.ChannelMessage, int, error) {
	f.asked = append(f.asked, s)
	if f.err != nil {
		return nil, 1, f.err
	}
	var out []incidents.ChannelMessage
	for _, m := range f.has {
		if m.At.After(s.From) && (s.To.IsZero() || !m.At.After(s.To)) {
			out = append(out, m)
		}
	}
	return out, max(len(out), 1), nil
}

func recMsg(d time.Duration, user, text string) incidents.ChannelMessage {
	return incidents.ChannelMessage{Channel: "C1", TS: tsOf(at(d)), At: at(d), User: user, Text: text}
}

func recInc() incidents.Incident {
	return incidents.Incident{Title: "Users see 502 errors", ChannelID: "C1", ChannelName: "inc-502", DeclaredAt: at(0), Commander: "U0BOB", Reporter: "U0BOB"}
}

// Heard all along: the draft is made from the recording alone, deleted
// messages left out, edits in their last wording, text written as Slack
// writes it again (the draft escapes and names people from that).
func TestRecordedHeardAll(t *testing.T) {
	edited := recMsg(2*time.Minute, "U0CAROL", "pool size < 10 & falling, ask @U0BOB0001 (bob@W0NOTANID01.example)")
	edited.Edited, edited.Pinned = true, true
	edited.Reactions = []incidents.ChannelReaction{{Name: "key", Users: []string{"U0BOB"}}}
	edited.Files = []incidents.ChannelFile{{Name: "graph.png", URL: "https://f/graph.png"}}
	gone := recMsg(3*time.Minute, "U0CAROL", "wrong channel")
	gone.Deleted = true
	tr := &fakeTranscript{rec: incidents.Recording{Messages: []incidents.ChannelMessage{recMsg(time.Minute, "U0BOB", "db is down"), edited, gone}}}
	hist := &fakeHistory{}
	ch, err := Recorded{Transcript: tr, History: hist, BotUserIDs: []string{"U0BOT"}}.Channel(context.Background(), recInc())
	if err != nil {
		t.Fatal(err)
	}
	if ch.HistoryCalls != 0 || len(hist.asked) != 0 || ch.HistoryMissing != "" {
		t.Errorf("history read: %d calls for %v (%q)", ch.HistoryCalls, hist.asked, ch.HistoryMissing)
	}
	if len(ch.Messages) != 2 {
		t.Fatalf("messages = %+v", ch.Messages)
	}
	want := Message{TS: edited.TS, At: edited.At, User: "U0CAROL", Text: "pool size &lt; 10 &amp; falling, ask <@U0BOB0001> (bob@W0NOTANID01.example)",
		Edited: true, Pinned: true, Reactions: []Reaction{{Name: "key", Users: []string{"U0BOB"}}}, Files: []File{{Name: "graph.png", URL: "https://f/graph.png"}}}
	if !reflect.DeepEqual(ch.Messages[1], want) {
		t.Errorf("message\n%+v\nwant\n%+v", ch.Messages[1], want)
	}
	ch.Users = map[string]string{"U0BOB": "Bob", "U0BOB0001": "Bob", "U0CAROL": "Carol"}
	md := Assemble(recInc(), nil, &ch, Options{}).Markdown()
	if !strings.Contains(md, "**Carol: pool size &lt; 10 & falling, ask @Bob (bob@W0NOTANID01.example) [file: graph.png](https://f/graph.png) _(edited)_**") ||
		strings.Contains(md, "wrong channel") {
		t.Errorf("draft:\n%s", md)
	}
}

// What the bot did not hear is read from history for those stretches
// only, merged without duplicates, recorded, and the calls counted.
func TestRecordedBackfills(t *testing.T) {
	heard := recMsg(time.Minute, "U0BOB", "db is down")
	missed := recMsg(10*time.Minute, "U0CAROL", "said while the bot was down")
	tr := &fakeTranscript{rec: incidents.Recording{Messages: []incidents.ChannelMessage{heard},
		Unheard: []incidents.Span{{From: at(time.Minute), To: at(20 * time.Minute)}}}}
	hist := &fakeHistory{has: []incidents.ChannelMessage{heard, missed, recMsg(30*time.Minute, "U0BOB", "heard later, not asked for")}}
	ch, err := Recorded{Transcript: tr, History: hist}.Channel(context.Background(), recInc())
	if err != nil {
		t.Fatal(err)
	}
	if ch.HistoryCalls != 1 || len(ch.Messages) != 2 || ch.Messages[1].Text != "said while the bot was down" {
		t.Errorf("%d calls, messages %+v", ch.HistoryCalls, ch.Messages)
	}
	if len(tr.backfilled) != 1 || tr.backfilled[0].TS != missed.TS {
		t.Errorf("backfilled %+v", tr.backfilled)
	}

	// Nothing recorded at all (no transcript): the whole channel is read.
	hist = &fakeHistory{has: hist.has}
	if ch, _ = (Recorded{History: hist}).Channel(context.Background(), recInc()); len(ch.Messages) != 3 || len(hist.asked) != 1 || !hist.asked[0].To.IsZero() {
		t.Errorf("without a transcript: %+v, asked %v", ch.Messages, hist.asked)
	}
}

// A history that cannot be read leaves the draft to what was recorded,
// saying why.
func TestRecordedHistoryFails(t *testing.T) {
	tr := &fakeTranscript{rec: incidents.Recording{Messages: []incidents.ChannelMessage{recMsg(time.Minute, "U0BOB", "db is down")},
		Unheard: []incidents.Span{{From: at(time.Minute), To: at(20 * time.Minute)}, {From: at(time.Hour), To: at(2 * time.Hour)}}}}
	hist := &fakeHistory{err: incidents.Errorf(incidents.EINVALID, "I could not read the channel history: the channel is archived")}
	ch, err := Recorded{Transcript: tr, History: hist}.Channel(context.Background(), recInc())
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Messages) != 1 || ch.HistoryCalls != 1 || !strings.Contains(ch.HistoryMissing, "archived") || len(hist.asked) != 1 {
		t.Errorf("channel %+v, asked %v", ch, hist.asked)
	}
	if _, err := (Recorded{Transcript: &failing{}}).Channel(context.Background(), recInc()); err == nil {
		t.Error("a recording that cannot be read made a draft")
	}
}

type failing struct{ fakeTranscript }

func (failing) Read(context.Context, incidents.Incident) (incidents.Recording, error) {
	return incidents.Recording{}, errors.New("store down")
}
