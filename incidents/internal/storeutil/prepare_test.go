package storeutil

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// The conformance suite (incidents/storetest) covers these through both
// backends; here are only the cases it cannot reach or that are cheap to
// pin down without a database.

func TestPrepareEvents(t *testing.T) {
	incID, other := uuid.New(), uuid.New()
	at := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))
	in := []incidents.Event{{ID: uuid.New(), At: at}, {ID: uuid.New(), IncidentID: incID}}
	out, err := PrepareEvents(incID, in)
	if err != nil {
		t.Fatalf("PrepareEvents: %v", err)
	}
	if out[0].IncidentID != incID {
		t.Errorf("event without IncidentID got %s, want %s", out[0].IncidentID, incID)
	}
	if want := time.Date(2024, 5, 1, 10, 0, 0, 123456000, time.UTC); out[0].At != want {
		t.Errorf("At = %v, want %v", out[0].At, want)
	}
	if in[0].IncidentID != uuid.Nil {
		t.Error("PrepareEvents changed the caller's slice")
	}

	for _, tc := range []struct {
		name string
		ev   incidents.Event
		want string
	}{
		{"no ID", incidents.Event{Kind: incidents.EventNote}, "event 0 (note) has no ID"},
		{"other incident", incidents.Event{ID: uuid.New(), IncidentID: other}, "belongs to incident " + other.String()},
	} {
		if _, err := PrepareEvents(incID, []incidents.Event{tc.ev}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one with %q", tc.name, err, tc.want)
		}
	}
}

func TestPrepareUpdateKeepsIdentity(t *testing.T) {
	cur := incidents.Incident{ID: uuid.New(), Number: 7}
	for _, next := range []incidents.Incident{{ID: uuid.New(), Number: 7}, {ID: cur.ID, Number: 8}} {
		if _, _, _, err := PrepareUpdate(cur, next, incidents.Change{}, time.Now()); err == nil {
			t.Errorf("PrepareUpdate from %s #%d to %s #%d succeeded; want an error", cur.ID, cur.Number, next.ID, next.Number)
		}
	}
}

func TestNextTimerAt(t *testing.T) {
	at := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	inc := incidents.Incident{Status: incidents.StatusMitigated, RemindAt: at.Add(time.Hour), EscalateAt: at}
	if got := NextTimerAt(inc); !got.Equal(at) {
		t.Errorf("NextTimerAt(mitigated) = %v, want %v", got, at)
	}
	inc.Status = incidents.StatusResolved
	if got := NextTimerAt(inc); !got.IsZero() {
		t.Errorf("NextTimerAt(resolved) = %v, want zero", got)
	}
	if got := NextTimerAt(incidents.Incident{Status: incidents.StatusInvestigating}); !got.IsZero() {
		t.Errorf("NextTimerAt(no timers) = %v, want zero", got)
	}
}

func TestNormalizeIncidentTimers(t *testing.T) {
	cest := time.FixedZone("CEST", 2*3600)
	inc := NormalizeIncident(incidents.Incident{
		RemindAt:   time.Date(2024, 5, 1, 12, 0, 0, 123456789, cest),
		EscalateAt: time.Date(2024, 5, 1, 13, 0, 0, 999, cest),
	})
	if want := time.Date(2024, 5, 1, 10, 0, 0, 123456000, time.UTC); inc.RemindAt != want {
		t.Errorf("RemindAt = %v, want %v", inc.RemindAt, want)
	}
	if want := time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC); inc.EscalateAt != want {
		t.Errorf("EscalateAt = %v, want %v", inc.EscalateAt, want)
	}
	if z := NormalizeIncident(incidents.Incident{}); !z.RemindAt.IsZero() || !z.EscalateAt.IsZero() {
		t.Errorf("zero timers normalised to %v, %v; want zero", z.RemindAt, z.EscalateAt)
	}
}

func TestCheckDueLimit(t *testing.T) {
	for _, n := range []int{0, -1} {
		if err := CheckDueLimit(n); incidents.ErrorCode(err) != incidents.EINVALID {
			t.Errorf("CheckDueLimit(%d) = %v, want an %s error", n, err, incidents.EINVALID)
		}
	}
	if err := CheckDueLimit(1); err != nil {
		t.Errorf("CheckDueLimit(1) = %v", err)
	}
}
