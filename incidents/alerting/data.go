package alerting

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/alerts"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// Data keeps an alert's fields in an effect's or event's data, where the
// renderers read them back with FromData.
func Data(al alerts.Alert) map[string]string {
	return map[string]string{"source": al.Source, "fingerprint": al.Fingerprint, "at": al.At.Format(time.RFC3339),
		"title": al.Title, "text": txt.Clip(al.Text, 1500), "links": strings.Join(al.Links, "\n"), "graph": al.Graph.Encode()}
}

// FromData reads the alert Data wrote.
func FromData(d map[string]string) alerts.Alert {
	at, _ := time.Parse(time.RFC3339, d["at"])
	var links []string
	for _, l := range strings.Split(d["links"], "\n") {
		if l != "" {
			links = append(links, l)
		}
	}
	return alerts.Alert{Source: d["source"], Fingerprint: d["fingerprint"], Title: d["title"], Text: d["text"], Links: links, At: at,
		Graph: alerts.DecodeGraph(d["graph"])}
}

// Event is the timeline event of an alert, with what the channel shows
// of it.
func Event(al alerts.Alert, text string) incidents.Event {
	data := Data(al)
	data["status"] = string(al.Status)
	return incidents.Event{At: al.At, Actor: incidents.ActorBot, Kind: incidents.EventAlert, Text: text, Data: data}
}

// Description is the description of an incident an alert opened: its
// text and labels.
func Description(al alerts.Alert) string {
	var b strings.Builder
	b.WriteString(txt.Clip(al.Text, 1500))
	keys := make([]string, 0, len(al.Labels))
	for k := range al.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if b.Len() > 2500 {
			break
		}
		fmt.Fprintf(&b, "\n%s=%s", k, al.Labels[k])
	}
	return txt.Clip(strings.TrimSpace(b.String()), incidents.MaxDescriptionLen)
}

// FromRecord is the alert a stored record holds.
func FromRecord(r incidents.AlertRecord) alerts.Alert {
	return alerts.Alert{Source: r.Source, Fingerprint: r.Fingerprint, Status: alerts.Status(r.Status), Severity: alerts.Severity(r.Severity),
		Title: r.Title, Text: r.Text, Labels: r.Labels, Links: r.Links, At: r.At}
}

// deliveryNS namespaces record IDs derived from senders' delivery IDs.
var deliveryNS = uuid.MustParse("6f1c3f0e-2b0a-4d8e-9a51-5b7f0c2d9e41")

// recordID makes a redelivered alert (same sender delivery ID) the same
// record, which the store then keeps once.
func recordID(al alerts.Alert) uuid.UUID {
	if al.DeliveryID == "" {
		return uuid.New()
	}
	return uuid.NewSHA1(deliveryNS, []byte(al.DeliveryID))
}
