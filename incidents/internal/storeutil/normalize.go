package storeutil

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// StoredTime is t as every backend stores it: in UTC, at microsecond
// precision (PostgreSQL's timestamptz; SQLite's text layout matches it).
func StoredTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// NormalizeIncident puts every time of inc through StoredTime, so the
// value a store returns equals the value it reads back later.
func NormalizeIncident(inc incidents.Incident) incidents.Incident {
	inc.Title, inc.Description, inc.Summary = Clean(inc.Title), Clean(inc.Description), Clean(inc.Summary)
	inc.DeclaredAt = StoredTime(inc.DeclaredAt)
	inc.UpdatedAt = StoredTime(inc.UpdatedAt)
	inc.MitigatedAt = StoredTime(inc.MitigatedAt)
	inc.ResolvedAt = StoredTime(inc.ResolvedAt)
	inc.LastStatusUpdateAt = StoredTime(inc.LastStatusUpdateAt)
	inc.RemindAt = StoredTime(inc.RemindAt)
	inc.EscalateAt = StoredTime(inc.EscalateAt)
	inc.AckDueAt = StoredTime(inc.AckDueAt)
	inc.AcknowledgedAt = StoredTime(inc.AcknowledgedAt)
	return inc
}

// NextTimerAt is what both backends keep in incidents.next_timer_at, the
// column Store.Due sweeps: inc's earliest timer, or zero (NULL) when none
// is scheduled or the incident is resolved, so that a resolved incident
// whose timer fields were left set never falls due. inc must already be
// normalised.
func NextTimerAt(inc incidents.Incident) time.Time {
	if !inc.Status.Open() {
		return time.Time{}
	}
	return inc.NextTimer()
}

// CheckDueLimit validates the limit of Store.Due: a sweep that may return
// nothing would never make progress.
func CheckDueLimit(limit int) error {
	if limit <= 0 {
		return incidents.Errorf(incidents.EINVALID, "the due limit must be positive, got %d", limit)
	}
	return nil
}

// PrepareEvents checks that events belong to the incident and normalises
// their times. An event without an IncidentID is taken to belong to it.
// It returns a copy: the caller's slice is left alone.
func PrepareEvents(incidentID uuid.UUID, events []incidents.Event) ([]incidents.Event, error) {
	out := make([]incidents.Event, len(events))
	for i, ev := range events {
		if ev.ID == uuid.Nil {
			return nil, fmt.Errorf("event %d (%s) has no ID", i, ev.Kind)
		}
		if ev.IncidentID == uuid.Nil {
			ev.IncidentID = incidentID
		}
		if ev.IncidentID != incidentID {
			return nil, fmt.Errorf("event %s belongs to incident %s, not %s", ev.ID, ev.IncidentID, incidentID)
		}
		ev.At = StoredTime(ev.At)
		ev.Actor, ev.Text, ev.Data = Clean(ev.Actor), Clean(ev.Text), cleanMap(ev.Data)
		out[i] = ev
	}
	return out, nil
}

// EncodePaged is Incident.Paged as both backends store it (JSON; never
// null, so a read gives back an empty list).
func EncodePaged(p []incidents.Paged) []byte {
	if len(p) == 0 {
		return []byte("[]")
	}
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return b
}

// DecodePaged reads what EncodePaged wrote; empty is none.
func DecodePaged(b []byte) ([]incidents.Paged, error) {
	var p []incidents.Paged
	if len(b) == 0 || string(b) == "[]" {
		return nil, nil
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("pages sent: %w", err)
	}
	return p, nil
}
