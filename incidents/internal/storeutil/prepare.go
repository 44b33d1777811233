package storeutil

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// PrepareCreate checks and normalises the arguments of Store.Create before
// anything is written. Its errors already say "create incident": when the
// incident has no ID there is none for the caller to name.
func PrepareCreate(inc incidents.Incident, ch incidents.Change, now time.Time) (incidents.Incident, incidents.Change, [][]byte, error) {
	if inc.ID == uuid.Nil {
		return incidents.Incident{}, incidents.Change{}, nil, errors.New("create incident: the incident has no ID")
	}
	inc = NormalizeIncident(inc)
	if err := CheckAlertKeys(ch.AlertKeys); err != nil {
		return incidents.Incident{}, incidents.Change{}, nil, fmt.Errorf("create incident %s: %w", inc.ID, err)
	}
	ch, bodies, err := PrepareChange(inc.ID, ch, now)
	if err != nil {
		return incidents.Incident{}, incidents.Change{}, nil, fmt.Errorf("create incident %s: %w", inc.ID, err)
	}
	return inc, ch, bodies, nil
}

// PrepareUpdate checks and normalises what an Update's fn made of cur, the
// stored incident: next, the incident to write, and the events fn
// returned. The caller adds its "update incident" context to errors.
func PrepareUpdate(cur, next incidents.Incident, ch incidents.Change, now time.Time) (incidents.Incident, incidents.Change, [][]byte, error) {
	if next.ID != cur.ID || next.Number != cur.Number {
		return incidents.Incident{}, incidents.Change{}, nil, errors.New("an update may not change the incident's ID or Number")
	}
	if err := CheckAlertKeys(ch.AlertKeys); err != nil {
		return incidents.Incident{}, incidents.Change{}, nil, err
	}
	ch, bodies, err := PrepareChange(cur.ID, ch, now)
	if err != nil {
		return incidents.Incident{}, incidents.Change{}, nil, err
	}
	return NormalizeIncident(next), ch, bodies, nil
}
