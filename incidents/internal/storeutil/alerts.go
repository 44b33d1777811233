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
