package storeutil

import (
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// PrepareCreate checks and normalises the arguments of Store.Create before
// anything is written. Its errors already say "create incident": when the
// incident has no ID there is none for the caller to name.
func PrepareCreate(inc incidents.Incident, events []incidents.Event) (incidents.Incident, []incidents.Event, error) {
	if inc.ID == uuid.Nil {
		return incidents.Incident{}, nil, errors.New("create incident: the incident has no ID")
	}
	inc = NormalizeIncident(inc)
	events, err := PrepareEvents(inc.ID, events)
	if err != nil {
		return incidents.Incident{}, nil, fmt.Errorf("create incident %s: %w", inc.ID, err)
	}
	return inc, events, nil
}

// PrepareUpdate checks and normalises what an Update's fn made of cur, the
// stored incident: next, the incident to write, and the events fn
// returned. The caller adds its "update incident" context to errors.
func PrepareUpdate(cur, next incidents.Incident, events []incidents.Event) (incidents.Incident, []incidents.Event, error) {
	if next.ID != cur.ID || next.Number != cur.Number {
		return incidents.Incident{}, nil, errors.New("an update may not change the incident's ID or Number")
	}
	events, err := PrepareEvents(cur.ID, events)
	if err != nil {
		return incidents.Incident{}, nil, err
	}
	return NormalizeIncident(next), events, nil
}
