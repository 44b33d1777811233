package storeutil

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// PrepareAlerts checks alerts before AddAlerts writes them and fills what
// a caller may leave out (ID, ReceivedAt, At), so both backends store the
// same thing. It returns the labels and links of each as JSON.
func PrepareAlerts(alerts []incidents.AlertRecord, now time.Time) (labels, links [][]byte, err error) {
	labels, links = make([][]byte, len(alerts)), make([][]byte, len(alerts))
	for i := range alerts {
		a := &alerts[i]
		if a.ID == uuid.Nil {
			a.ID = uuid.New()
		}
		if a.ReceivedAt.IsZero() {
			a.ReceivedAt = now
		}
		if a.At.IsZero() {
			a.At = a.ReceivedAt
		}
		switch {
		case a.Fingerprint == "":
			return nil, nil, fmt.Errorf("add alert %s: no fingerprint", a.ID)
		case a.Status != "firing" && a.Status != "resolved":
			return nil, nil, fmt.Errorf("add alert %s: status %q is neither firing nor resolved", a.ID, a.Status)
		case a.Severity != "critical" && a.Severity != "warning":
			return nil, nil, fmt.Errorf("add alert %s: severity %q is neither critical nor warning", a.ID, a.Severity)
		}
		a.Source, a.Fingerprint, a.Title, a.Text, a.Card = Clean(a.Source), Clean(a.Fingerprint), Clean(a.Title), Clean(a.Text), Clean(a.Card)
		a.Labels = cleanMap(a.Labels)
		for j, l := range a.Links {
			a.Links[j] = Clean(l)
		}
		if a.Labels == nil {
			a.Labels = map[string]string{}
		}
		if a.Links == nil {
			a.Links = []string{}
		}
		if labels[i], err = json.Marshal(a.Labels); err != nil {
			return nil, nil, err
		}
		if links[i], err = json.Marshal(a.Links); err != nil {
			return nil, nil, err
		}
	}
	return labels, links, nil
}

// DecodeAlert fills what a text-typed store keeps as strings.
func DecodeAlert(a *incidents.AlertRecord, id, received, at string, labels, links []byte, layout string) error {
	var err error
	if a.ID, err = uuid.Parse(id); err != nil {
		return err
	}
	if a.ReceivedAt, err = time.Parse(layout, received); err != nil {
		return err
	}
	if a.At, err = time.Parse(layout, at); err != nil {
		return err
	}
	if err := json.Unmarshal(labels, &a.Labels); err != nil {
		return fmt.Errorf("labels: %w", err)
	}
	if err := json.Unmarshal(links, &a.Links); err != nil {
		return fmt.Errorf("links: %w", err)
	}
	return nil
}

// CheckTriage validates a triage decision and fills its time.
func CheckTriage(t *incidents.Triage, now time.Time) error {
	switch {
	case t.Card == "":
		return fmt.Errorf("triage: no card")
	case t.By == "":
		return fmt.Errorf("triage %q: no person", t.Card)
	case t.Decision != incidents.TriageDeclared && t.Decision != incidents.TriageMonitor && t.Decision != incidents.TriageDismissed:
		return fmt.Errorf("triage %q: unknown decision %q", t.Card, t.Decision)
	case t.Decision == incidents.TriageDeclared && t.IncidentID == uuid.Nil:
		return fmt.Errorf("triage %q: declared, but no incident", t.Card)
	}
	if t.At.IsZero() {
		t.At = now
	}
	return nil
}

// PrepareCards validates the triage cards of a batch and fills their time.
func PrepareCards(cards []incidents.TriageCard, now time.Time) error {
	for i := range cards {
		c := &cards[i]
		if c.Key == "" || c.Epoch < 1 {
			return fmt.Errorf("triage card %q: needs a key and an epoch from 1", c.Key)
		}
		if c.OpenedAt.IsZero() {
			c.OpenedAt = now
		}
	}
	return nil
}

// CheckAlertKeys validates the problems an incident is opened for.
func CheckAlertKeys(keys []string) error {
	for _, k := range keys {
		if k == "" || k != Clean(k) {
			return fmt.Errorf("alert key %q is empty or holds characters the store cannot keep", k)
		}
	}
	return nil
}

// CardView summarises a card from its alert count and the latest alert
// of each of its conditions (newest first), keeping at most max of them.
func CardView(count int, latest []incidents.AlertRecord, max int) incidents.CardView {
	v := incidents.CardView{Count: count, Total: len(latest), Latest: latest[:min(len(latest), max)]}
	for _, a := range latest {
		if a.Status == "firing" {
			v.Firing++
		}
	}
	return v
}
