package storeutil

import (
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
	inc.DeclaredAt = StoredTime(inc.DeclaredAt)
	inc.UpdatedAt = StoredTime(inc.UpdatedAt)
	inc.MitigatedAt = StoredTime(inc.MitigatedAt)
	inc.ResolvedAt = StoredTime(inc.ResolvedAt)
	inc.LastStatusUpdateAt = StoredTime(inc.LastStatusUpdateAt)
	return inc
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
		out[i] = ev
	}
	return out, nil
}
