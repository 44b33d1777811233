package storeutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// Queues of work_items.
const (
	QueueInbox  = "inbox"
	QueueOutbox = "outbox"
)

// Holds of work a live process has longer than these are taken over all
// the same: the process is stuck. A job may legitimately run long (a
// postmortem reads a whole channel); an effect is a Slack call or two.
const (
	JobLease    = time.Hour
	EffectLease = 5 * time.Minute
)

// OwnJobRecheck: a job this process has held this long is claimed again
// by it. The process keeps its jobs in memory and skips the ones it has,
// so this finds only those it lost track of: an outcome it could not
// record, a store that took a batch but answered with an error.
const OwnJobRecheck = time.Minute

// effectBody is how an effect's payload is stored in work_items.body.
type effectBody struct {
	Event *incidents.Event  `json:"event,omitempty"`
	Data  map[string]string `json:"data,omitempty"`
}

// PrepareEffects checks effects before they are written, fills their IDs
// and times, and returns each one's stored body.
func PrepareEffects(effs []incidents.Effect, now time.Time) ([]incidents.Effect, [][]byte, error) {
	out := make([]incidents.Effect, len(effs))
	bodies := make([][]byte, len(effs))
	for i, e := range effs {
		if e.Lane == "" && e.IncidentID != uuid.Nil {
			e.Lane = incidents.LaneOf(e.IncidentID) // an incident's effects keep its order
		}
		switch {
		case e.Key == "":
			return nil, nil, fmt.Errorf("effect %d (%s) has no key", i, e.Kind)
		case e.Lane == "":
			return nil, nil, fmt.Errorf("effect %q has no lane", e.Key)
		case e.Kind == "":
			return nil, nil, fmt.Errorf("effect %q has no kind", e.Key)
		}
		if e.ID == uuid.Nil {
			e.ID = uuid.New()
		}
		if e.NotBefore.IsZero() {
			e.NotBefore = now
		}
		e.NotBefore = StoredTime(e.NotBefore)
		b := effectBody{Data: cleanMap(e.Data)}
		if e.Event.ID != uuid.Nil {
			ev := e.Event
			ev.Text, ev.Data = Clean(ev.Text), cleanMap(ev.Data)
			b.Event = &ev
		}
		raw, err := json.Marshal(b)
		if err != nil {
			return nil, nil, fmt.Errorf("encode effect %q: %w", e.Key, err)
		}
		out[i], bodies[i] = e, raw
	}
	return out, bodies, nil
}

// DecodeEffectBody fills the event and data of e from its stored body.
func DecodeEffectBody(e *incidents.Effect, raw []byte) error {
	var b effectBody
	if err := json.Unmarshal(raw, &b); err != nil {
		return fmt.Errorf("decode effect %q: %w", e.Key, err)
	}
	e.Data = b.Data
	if b.Event != nil {
		e.Event = *b.Event
		e.Event.At = e.Event.At.UTC()
	}
	return nil
}

// PrepareJobs checks jobs before AddJobs writes them.
func PrepareJobs(jobs []incidents.Job, now time.Time) ([]incidents.Job, error) {
	out := make([]incidents.Job, len(jobs))
	for i, j := range jobs {
		if j.Key == "" || j.Kind == "" {
			return nil, fmt.Errorf("job %d has no key or kind", i)
		}
		if j.ID == uuid.Nil {
			j.ID = uuid.New()
		}
		if j.NotBefore.IsZero() {
			j.NotBefore = now
		}
		if j.Received.IsZero() {
			j.Received = now
		}
		j.NotBefore, j.Received = StoredTime(j.NotBefore), StoredTime(j.Received)
		j.Attempts = 1
		out[i] = j
	}
	return out, nil
}

// CheckSettlement validates a settlement and returns its result as JSON.
func CheckSettlement(s incidents.Settlement) (string, error) {
	switch s.Outcome {
	case incidents.Done, incidents.Failed, incidents.Retry, incidents.Release:
	default:
		return "", fmt.Errorf("settle %s: unknown outcome %q", s.ID, s.Outcome)
	}
	if s.ID == uuid.Nil {
		return "", errors.New("settle: no ID")
	}
	res, err := EncodeEventData(cleanMap(s.Result))
	if err != nil {
		return "", fmt.Errorf("settle %s: %w", s.ID, err)
	}
	return res, nil
}

// SortBySeq orders claimed effects as they were added (RETURNING does
// not promise an order).
func SortBySeq(effs []incidents.Effect) {
	sort.Slice(effs, func(i, j int) bool { return effs[i].Seq < effs[j].Seq })
}

// NullUUID stores uuid.Nil as NULL.
func NullUUID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}

// PrepareChange checks and normalises a change to incident id: its events
// as PrepareEvents does, and its effects, which belong to the incident
// and its lane unless they name others.
func PrepareChange(id uuid.UUID, ch incidents.Change, now time.Time) (incidents.Change, [][]byte, error) {
	evs, err := PrepareEvents(id, ch.Events)
	if err != nil {
		return incidents.Change{}, nil, err
	}
	effs := make([]incidents.Effect, len(ch.Effects))
	for i, e := range ch.Effects {
		if e.IncidentID == uuid.Nil {
			e.IncidentID = id
		}
		if e.Lane == "" {
			e.Lane = incidents.LaneOf(id)
		}
		effs[i] = e
	}
	effs, bodies, err := PrepareEffects(effs, now)
	if err != nil {
		return incidents.Change{}, nil, err
	}
	for _, s := range ch.Settle {
		if _, err := CheckSettlement(s); err != nil {
			return incidents.Change{}, nil, err
		}
	}
	return incidents.Change{Events: evs, Effects: effs, Settle: ch.Settle, AlertKeys: ch.AlertKeys}, bodies, nil
}

// Unreadable fails an effect whose stored row cannot be read back (a body
// that no longer decodes): claiming it again would fail the same way, and
// an error for the whole claim would hold up every other effect.
func Unreadable(id uuid.UUID, err error) incidents.Settlement {
	return incidents.Settlement{ID: id, Outcome: incidents.Failed, Error: "the stored effect cannot be read: " + err.Error()}
}
