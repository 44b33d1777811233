package alerts

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// cwAlarm is the CloudWatch alarm notification SNS carries as its Message.
type cwAlarm struct {
	AlarmName        string    `json:"AlarmName"`
	AlarmDescription string    `json:"AlarmDescription"`
	AWSAccountID     string    `json:"AWSAccountId"`
	NewStateValue    string    `json:"NewStateValue"`
	NewStateReason   string    `json:"NewStateReason"`
	StateChangeTime  string    `json:"StateChangeTime"`
	Region           string    `json:"Region"`
	AlarmArn         string    `json:"AlarmArn"`
	OldStateValue    string    `json:"OldStateValue"`
	Trigger          cwTrigger `json:"Trigger"`
}

// healthEvent is an AWS Health event as EventBridge delivers it (to SNS).
type healthEvent struct {
	eventEnvelope
	Detail struct {
		EventArn          string `json:"eventArn"`
		Service           string `json:"service"`
		EventTypeCode     string `json:"eventTypeCode"`
		EventTypeCategory string `json:"eventTypeCategory"`
		EventRegion       string `json:"eventRegion"`
		StartTime         string `json:"startTime"`
		StatusCode        string `json:"statusCode"`
		EventDescription  []struct {
			Language          string `json:"language"`
			LatestDescription string `json:"latestDescription"`
		} `json:"eventDescription"`
		AffectedEntities []struct {
			EntityValue string `json:"entityValue"`
		} `json:"affectedEntities"`
	} `json:"detail"`
}

// ParseSNSMessage reads the Message of an SNS notification: a CloudWatch
// alarm, an AWS Health event, or — so that nothing sent to the topic is
// lost — any other text, as a warning titled by the Subject.
//
// A CloudWatch alarm in ALARM is critical unless its name or description
// says "warning"; INSUFFICIENT_DATA is a warning; OK resolves it. An AWS
// Health issue is critical; scheduled changes (instance retirement,
// maintenance) and account notifications are warnings for triage — the
// kind of notice that otherwise goes to a mailbox nobody reads.
func ParseSNSMessage(subject, message, topicArn string, now time.Time) (Alert, error) {
	msg := strings.TrimSpace(message)
	if msg == "" {
		return Alert{}, errors.New(`the SNS "Message" is empty`)
	}
	if strings.HasPrefix(msg, "{") {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal([]byte(msg), &probe); err == nil {
			switch {
			case probe["AlarmName"] != nil && probe["NewStateValue"] != nil:
				return parseAlarm(msg, now)
			case string(probe["source"]) == `"aws.health"`:
				return parseHealth(msg, now)
			case probe["detail-type"] != nil && probe["source"] != nil && probe["detail"] != nil:
				return parseEvent(msg, now)
			case probe["Event Source"] != nil && probe["Event Message"] != nil:
				return parseRDSEvent(msg, topicArn, now)
			}
		}
	}
	a := Alert{Source: SourceSNS, Status: Firing, Severity: Warning, Title: firstOf(subject, msg), Text: msg,
		Labels: map[string]string{"topic": topicArn}}
	// Without a subject, the text tells messages apart.
	key := map[string]string{"topic": topicArn, "subject": subject}
	if strings.TrimSpace(subject) == "" {
		key["message"] = msg
	}
	a.Fingerprint = "sns:" + LabelsFingerprint(key)
	a.normalise(now)
	return a, nil
}

func parseAlarm(msg string, now time.Time) (Alert, error) {
	var cw cwAlarm
	if err := decode([]byte(msg), &cw); err != nil {
		return Alert{}, fmt.Errorf("CloudWatch alarm: %w", err)
	}
	if cw.AlarmName == "" {
		return Alert{}, errors.New(`CloudWatch alarm: "AlarmName" is empty`)
	}
	a := Alert{Source: SourceCloudWatch, Fingerprint: "cloudwatch:" + firstOf(cw.AlarmArn, cw.AWSAccountID+"/"+cw.Region+"/"+cw.AlarmName),
		Labels: map[string]string{"alarm": cw.AlarmName, "account": cw.AWSAccountID, "region": cw.Region, "state": cw.NewStateValue}}
	// The names playbooks match on: namespace=AWS/RDS, metric=FreeStorageSpace.
	a.Labels["namespace"] = cw.Trigger.Namespace
	a.Labels["metric"] = cw.Trigger.MetricName
	for _, d := range cw.Trigger.Dimensions {
		if d.Name != "" {
			a.Labels[d.Name] = d.Value
		}
	}
	switch cw.NewStateValue {
	case "ALARM":
		a.Status, a.Severity = Firing, Critical
		if l := strings.ToLower(cw.AlarmName + " " + cw.AlarmDescription); strings.Contains(l, "warning") || strings.Contains(l, "warn-") {
			a.Severity = Warning
		}
		if cw.Trigger.Namespace == "AWS/Billing" { // spending, not an outage: a person decides
			a.Severity = Warning
		}
	case "INSUFFICIENT_DATA":
		a.Status, a.Severity = Firing, Warning
	case "OK":
		a.Status, a.Severity = Resolved, Critical
	default:
		return Alert{}, fmt.Errorf(`CloudWatch alarm: "NewStateValue" must be ALARM, OK or INSUFFICIENT_DATA, got %q`, cw.NewStateValue)
	}
	a.Title = cw.AlarmName + ": " + firstOf(cw.AlarmDescription, cw.NewStateValue)
	if a.Status == Resolved {
		a.Title = cw.AlarmName + " is back to OK"
	}
	a.Text = cw.NewStateReason
	if t, err := time.Parse("2006-01-02T15:04:05.000-0700", cw.StateChangeTime); err == nil {
		a.At = t
	}
	if region := arnRegion(cw.AlarmArn); region != "" {
		a.Links = []string{"https://" + region + ".console.aws.amazon.com/cloudwatch/home?region=" + region + "#alarmsV2:alarm/" + url.PathEscape(cw.AlarmName)}
	}
	a.normalise(now)
	a.Graph = alarmGraph(cw, a.At) // the time as normalised
	return a, nil
}

func parseHealth(msg string, now time.Time) (Alert, error) {
	var ev healthEvent
	if err := decode([]byte(msg), &ev); err != nil {
		return Alert{}, fmt.Errorf("AWS Health event: %w", err)
	}
	d := ev.Detail
	if d.EventArn == "" || d.EventTypeCode == "" {
		return Alert{}, errors.New(`AWS Health event: "detail.eventArn" and "detail.eventTypeCode" are required`)
	}
	a := Alert{Source: SourceAWSHealth, Fingerprint: "aws-health:" + d.EventArn + "/" + ev.Account, At: ev.Time,
		Labels: map[string]string{"aws_service": d.Service, "event_type": d.EventTypeCode, "category": d.EventTypeCategory,
			"source": ev.Source, "detail_type": ev.DetailType, "account": ev.Account, "region": firstOf(d.EventRegion, ev.Region)}}
	a.Status, a.Severity = Firing, Warning
	if d.EventTypeCategory == "issue" {
		a.Severity = Critical
	}
	if d.StatusCode == "closed" {
		a.Status = Resolved
	}
	var entities []string
	for _, e := range d.AffectedEntities {
		if e.EntityValue != "" {
			entities = append(entities, e.EntityValue)
		}
	}
	if len(entities) == 0 {
		entities = ev.Resources
	}
	if len(entities) > 0 {
		a.Labels["resources"] = strings.Join(entities, ", ")
	}
	a.Title = "AWS Health: " + strings.ReplaceAll(strings.TrimPrefix(d.EventTypeCode, "AWS_"), "_", " ")
	if len(entities) > 0 {
		a.Title += " (" + strings.Join(entities, ", ") + ")"
	}
	for _, desc := range d.EventDescription {
		if a.Text == "" || desc.Language == "en_US" {
			a.Text = desc.LatestDescription
		}
	}
	a.Links = []string{"https://health.aws.amazon.com/health/home#/account/dashboard/open-issues"}
	a.normalise(now)
	return a, nil
}

// arnRegion is the region field of an ARN ("arn:aws:cloudwatch:REGION:…").
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 || parts[0] != "arn" {
		return ""
	}
	for _, r := range parts[3] {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return ""
		}
	}
	return parts[3]
}
