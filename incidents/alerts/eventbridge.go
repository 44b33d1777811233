package alerts

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// awsEvent is any EventBridge event other than AWS Health's: an EC2 state
// change, an ECS task that stopped, an API call CloudTrail recorded, a
// GuardDuty finding. Teams route these to the alert topic so that what
// AWS did, or someone did in the console, reaches a channel.
type awsEvent struct {
	eventEnvelope
	Detail json.RawMessage `json:"detail"`
}

// eventEnvelope is what every EventBridge event carries around its detail.
type eventEnvelope struct {
	ID         string    `json:"id"`
	DetailType string    `json:"detail-type"`
	Source     string    `json:"source"`
	Account    string    `json:"account"`
	Time       time.Time `json:"time"`
	Region     string    `json:"region"`
	Resources  []string  `json:"resources"`
}

// eventFacts are the detail fields worth a title or a label, by event.
var eventFacts = []string{
	"instance-id", "state", "stoppedReason", "stopCode", "lastStatus", "group", "clusterArn",
	"eventName", "eventSource", "type", "title", "severity", "errorCode", "errorMessage",
}

// parseEvent reads an EventBridge event as a warning for a person to
// triage (a stopped instance may have been stopped on purpose), critical
// when GuardDuty rates its finding high. Its detail's top-level fields
// become the text, the few that identify what happened become labels.
func parseEvent(msg string, now time.Time) (Alert, error) {
	var ev awsEvent
	if err := decode([]byte(msg), &ev); err != nil {
		return Alert{}, fmt.Errorf("EventBridge event: %w", err)
	}
	if ev.DetailType == "" || ev.Source == "" {
		return Alert{}, errors.New(`EventBridge event: "detail-type" and "source" are required`)
	}
	var detail map[string]any
	_ = json.Unmarshal(ev.Detail, &detail) // a detail that is not an object leaves only the envelope
	a := Alert{Source: SourceSNS, Status: Firing, Severity: Warning, At: ev.Time,
		Fingerprint: "event:" + firstOf(ev.ID, LabelsFingerprint(map[string]string{"detail": string(ev.Detail)})),
		Labels:      map[string]string{"source": ev.Source, "detail_type": ev.DetailType, "account": ev.Account, "region": ev.Region}}
	var facts []string
	for _, k := range eventFacts {
		if v, ok := detail[k].(string); ok && v != "" {
			facts = append(facts, v)
			a.Labels[k] = v
		}
	}
	if sev, ok := detail["severity"].(float64); ok && ev.Source == "aws.guardduty" && sev >= 7 {
		a.Severity = Critical
	}
	if id := a.Labels["instance-id"]; id != "" {
		a.Labels["InstanceId"] = id // the CloudWatch dimension's name, so both name the same service
	}
	a.Title = ev.DetailType
	if len(facts) > 0 {
		a.Title += ": " + strings.Join(facts, ", ")
	}
	a.Text = flatten(detail)
	if len(ev.Resources) > 0 {
		a.Labels["resources"] = strings.Join(ev.Resources, ", ")
	}
	a.normalise(now)
	return a, nil
}

// flatten writes an event's detail as "key: value" lines, nested objects
// one level deep, so its words can be read and matched.
func flatten(detail map[string]any) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(detail)) {
		switch v := detail[k].(type) {
		case string, float64, bool:
			fmt.Fprintf(&b, "%s: %v\n", k, v)
		case map[string]any:
			for _, k2 := range slices.Sorted(maps.Keys(v)) {
				if s, ok := v[k2].(string); ok {
					fmt.Fprintf(&b, "%s.%s: %s\n", k, k2, s)
				}
			}
		}
	}
	return b.String()
}

// rdsEvent is an RDS event subscription's notification ("RDS Notification
// Message"): a database was restarted, failed over, ran low on storage,
// finished a backup.
type rdsEvent struct {
	Source  string `json:"Event Source"`
	Time    string `json:"Event Time"`
	Link    string `json:"Identifier Link"`
	ID      string `json:"Source ID"`
	ARN     string `json:"Source ARN"`
	EventID string `json:"Event ID"`
	Message string `json:"Event Message"`
}

// parseRDSEvent reads an RDS event as a warning for a person to triage:
// the event subscription decides which categories arrive, and most are
// news rather than outages.
func parseRDSEvent(msg, topicArn string, now time.Time) (Alert, error) {
	var ev rdsEvent
	if err := decode([]byte(msg), &ev); err != nil {
		return Alert{}, fmt.Errorf("RDS event: %w", err)
	}
	code := ev.EventID
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:] // "…/USER_Events.html#RDS-EVENT-0091"
	}
	a := Alert{Source: SourceSNS, Status: Firing, Severity: Warning, Text: ev.Message,
		Fingerprint: "rds-event:" + LabelsFingerprint(map[string]string{"arn": ev.ARN, "id": ev.ID, "event": code, "time": ev.Time}),
		Labels:      map[string]string{"topic": topicArn, "source": "aws.rds", "rds_event": code, "rds_source": ev.Source}}
	if ev.Source == "db-instance" {
		a.Labels["DBInstanceIdentifier"] = ev.ID
	}
	a.Title = fmt.Sprintf("RDS %s %s: %s", ev.Source, ev.ID, ev.Message)
	if t, err := time.Parse("2006-01-02 15:04:05.000", ev.Time); err == nil {
		a.At = t
	}
	if strings.HasPrefix(ev.Link, "https://") {
		a.Links = []string{ev.Link}
	}
	a.normalise(now)
	return a, nil
}
