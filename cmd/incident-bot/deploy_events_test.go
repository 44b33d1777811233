package main

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents/alerts"
	"github.com/incident-bot/incident-bot/playbooks"
)

// The AWS notices the Terraform module routes to the bot, as AWS sends
// them (samples written from AWS's documentation).
var noticeSamples = []string{
	"../../incidents/alerts/testdata/aws_health_retirement.json",
	"../../incidents/alerts/testdata/eventbridge_ec2_state_change_stopped.json",
}

// patternMatches is EventBridge's matching for the pattern forms the
// module uses: a field's list of allowed values, nested objects for
// nested fields. Anything else fails the test rather than pass unseen.
func patternMatches(t *testing.T, pattern, event map[string]any) bool {
	t.Helper()
	for k, want := range pattern {
		got, ok := event[k]
		if !ok {
			return false
		}
		switch w := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !ok || !patternMatches(t, w, sub) {
				return false
			}
		case []any:
			if !anyEqual(w, got) {
				return false
			}
		default:
			t.Fatalf("pattern field %q is %T; EventBridge wants a list of values or an object", k, want)
		}
	}
	return true
}

// anyEqual: one of the allowed values is the event's value (or, for an
// event array, one of its elements).
func anyEqual(allowed []any, got any) bool {
	vals := []any{got}
	if arr, ok := got.([]any); ok {
		vals = arr
	}
	for _, a := range allowed {
		for _, v := range vals {
			if a == v {
				return true
			}
		}
	}
	return false
}

// asSNS wraps an EventBridge event as the SNS notification the topic
// delivers to /alerts/sns.
func asSNS(t *testing.T, event []byte) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"Type": "Notification", "MessageId": "4e7b2c90-0000-4000-8000-000000000001",
		"TopicArn": "arn:aws:sns:eu-west-2:123456789012:incident-bot-alerts", "Message": string(event),
		"Timestamp": time.Now().UTC().Format(time.RFC3339), "SignatureVersion": "2",
		// The receiver checks these before parsing; the parser only needs them there.
		"Signature": "c2lnbmF0dXJl", "SigningCertURL": "https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-0000.pem"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkNoticeRoutes feeds each sample matched by one of the module's
// EventBridge patterns through the SNS receiver's parser: every pattern
// matches a sample, every sample becomes an alert, and the EC2
// retirement notice — the one that went to an unwatched mailbox — is
// critical or a warning and brings the EC2 retirement runbook.
func checkNoticeRoutes(t *testing.T, patterns map[string]map[string]any) {
	catalog, err := playbooks.Load("")
	if err != nil {
		t.Fatal(err)
	}
	matched := map[string]bool{}
	for _, path := range noticeSamples {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var event map[string]any
		if err := json.Unmarshal(raw, &event); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var by []string
		for name, p := range patterns {
			if patternMatches(t, p, event) {
				matched[name] = true
				by = append(by, name)
			}
		}
		if len(by) == 0 {
			t.Errorf("no EventBridge rule of the module sends %s to the bot", path)
			continue
		}
		als, err := alerts.ParseSource("sns", asSNS(t, raw), time.Now())
		if err != nil || len(als) == 0 {
			t.Errorf("%s through rule %v: the SNS parser made %d alerts (%v)", path, by, len(als), err)
			continue
		}
		if event["detail-type"] == "AWS Health Event" {
			al := als[0]
			rb, ok := runbookMatcher{catalog}.Runbook(al)
			if (al.Severity != alerts.Critical && al.Severity != alerts.Warning) || !ok || rb != "ec2-instance-retirement" {
				t.Errorf("the EC2 retirement notice: severity %v, runbook %q (%v)", al.Severity, rb, ok)
			}
		}
	}
	for name := range patterns {
		if !matched[name] {
			t.Errorf("EventBridge rule %s matches none of the samples: what does it send?", name)
		}
	}
}
