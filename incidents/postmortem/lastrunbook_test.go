package postmortem

import (
	"testing"

	"github.com/incident-bot/incident-bot/incidents"
)

// The last runbook posted or switched to starts the five whys; one that
// no longer exists gives way to the one before it.
func TestLastRunbook(t *testing.T) {
	known := map[string][]string{"service-down": {"bad deploy"}, "db-connections": {"pool exhausted"}}
	get := func(id string) (string, []string, bool) {
		c, ok := known[id]
		return id, c, ok
	}
	ev := func(kind incidents.EventKind, pb string) incidents.Event {
		return incidents.Event{Kind: kind, Data: map[string]string{"playbook": pb}}
	}
	evs := []incidents.Event{ev(incidents.EventRunbookPosted, "service-down"), ev(incidents.EventRunbookSwitched, "db-connections"),
		ev(incidents.EventNote, "service-down"), ev(incidents.EventRunbookSwitched, "gone")}
	if title, causes := LastRunbook(evs, get); title != "db-connections" || len(causes) != 1 {
		t.Errorf("LastRunbook = %q %v, want db-connections (the one after it no longer exists)", title, causes)
	}
	if title, _ := LastRunbook(nil, get); title != "" {
		t.Errorf("LastRunbook of nothing = %q", title)
	}
}
