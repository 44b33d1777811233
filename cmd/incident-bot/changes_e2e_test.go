package main

// Changes made outside the bot, end to end: the real bot on a clock the
// test drives, AWS pointed at a local server speaking CloudTrail's JSON
// 1.1 LookupEvents (moto does not implement it), which answers each
// lookup with the events of its source and region inside the asked
// window. /incident changes lists them; the postmortem draft (through
// Slack and offline) puts them in its timeline, where they fill what
// would otherwise be a "??:??" gap, and names the trigger.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/internal/testclock"
	"github.com/incident-bot/incident-bot/internal/testmoto"
)

// trailChange is an event the fake CloudTrail holds.
type trailChange struct {
	region, source string
	event          map[string]any
}

// newTrailEvent is a LookupEvents event: who (an assumed role's
// session), from where (the console, or a user agent), on a bucket or a
// distribution.
func newTrailEvent(id, source, name string, at time.Time, role, session, agent string, params map[string]any, readOnly bool) map[string]any {
	rec := map[string]any{
		"eventID": id, "eventSource": source, "eventName": name, "eventTime": at.UTC().Format(time.RFC3339),
		"userIdentity": map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/" + role + "/" + session,
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"userName": role}}},
		"userAgent": agent, "requestParameters": params, "readOnly": readOnly, "recipientAccountId": "123456789012",
	}
	if agent == "AWS Internal" {
		rec["sessionCredentialFromConsole"] = "true"
	}
	raw, _ := json.Marshal(rec)
	return map[string]any{"EventId": id, "EventSource": source, "EventName": name, "EventTime": float64(at.Unix()),
		"ReadOnly": fmt.Sprint(readOnly), "Username": session, "CloudTrailEvent": string(raw)}
}

// fakeCloudTrail serves LookupEvents from changes (one page: the reader's
// paging is tested with the action) and points the SDK at it; it
// returns the windows it was asked for.
func fakeCloudTrail(t *testing.T, changes []trailChange) func() []string {
	t.Helper()
	var mu sync.Mutex
	var asked []string
	scope := regexp.MustCompile(`/\d{8}/([a-z0-9-]+)/cloudtrail/aws4_request`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := scope.FindStringSubmatch(r.Header.Get("Authorization"))
		if r.Header.Get("X-Amz-Target") != "CloudTrail_20131101.LookupEvents" || m == nil {
			t.Errorf("fake CloudTrail: unexpected call %s %s", r.Header.Get("X-Amz-Target"), body)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var in struct {
			LookupAttributes   []struct{ AttributeValue string }
			StartTime, EndTime float64
		}
		_ = json.Unmarshal(body, &in)
		source := in.LookupAttributes[0].AttributeValue
		mu.Lock()
		asked = append(asked, fmt.Sprintf("%s@%s %s–%s", source, m[1], time.Unix(int64(in.StartTime), 0).UTC().Format("15:04"), time.Unix(int64(in.EndTime), 0).UTC().Format("15:04")))
		mu.Unlock()
		events := []any{}
		for _, c := range changes {
			at := c.event["EventTime"].(float64)
			if c.source == source && c.region == m[1] && at >= in.StartTime && at <= in.EndTime {
				events = append(events, c.event)
			}
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", "fake-trail")
		_ = json.NewEncoder(w).Encode(map[string]any{"Events": events})
	}))
	t.Cleanup(srv.Close)
	testmoto.Use(t, srv.URL)
	return func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), asked...) }
}

// The site's story: Terraform changed the distribution's origin ten
// minutes before the incident was declared; twenty minutes in, rita put
// a bucket policy back in the console (a read of it just before does
// not count).
func siteChanges(t0 time.Time) []trailChange {
	const tf = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.80.0"
	bucket := map[string]any{"bucketName": "tss-prod-site"}
	return []trailChange{
		{"us-east-1", "cloudfront.amazonaws.com", newTrailEvent("ev-tf", "cloudfront.amazonaws.com", "UpdateDistribution", t0.Add(-10*time.Minute),
			"terraform-ci", "GitHubActions", tf, map[string]any{"id": "E2SITE0001"}, false)},
		{"eu-west-2", "s3.amazonaws.com", newTrailEvent("ev-read", "s3.amazonaws.com", "GetBucketPolicy", t0.Add(19*time.Minute),
			"OpsAdmin", "rita", "AWS Internal", bucket, true)},
		{"eu-west-2", "s3.amazonaws.com", newTrailEvent("ev-console", "s3.amazonaws.com", "PutBucketPolicy", t0.Add(20*time.Minute),
			"OpsAdmin", "rita", "AWS Internal", bucket, false)},
	}
}

func TestChangesCommandAndPostmortem(t *testing.T) {
	clock := testclock.New(time.Now().UTC().Truncate(time.Minute))
	t0 := clock.Now()
	asked := fakeCloudTrail(t, siteChanges(t0))
	targets := filepath.Join(t.TempDir(), "targets.yaml")
	if err := os.WriteFile(targets, []byte("region: eu-west-2\nservices:\n  site: {distribution_id: E2SITE0001}\nchanges:\n  services: [s3, cloudfront, route53]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, "sqlite", map[string]string{"TARGETS_FILE": targets, "INCIDENT_UPDATE_INTERVAL": "off", "INCIDENT_ESCALATE_AFTER": "off"})
	h.stop()
	h.clock = clock
	h.start()
	_, ch := h.declare(rita, "start sev2 TSS site shows 403", "TSS site shows 403")

	clock.Advance(38 * time.Minute)
	h.slash(rita, ch.ID, "update bucket policy restored, checking the origin")
	h.messageContaining(ch.ID, "bucket policy restored")
	ack := h.slash(rita, ch.ID, "changes 2h")
	if !strings.Contains(string(ack.Payload), "Reading CloudTrail for the changes of the last 2h") {
		t.Errorf("ack %s", ack.Payload)
	}
	list := h.messageContaining(ch.ID, "*AWS changes in the last 2h*")
	for _, want := range []string{
		fmt.Sprintf("• `%s` PutBucketPolicy on tss-prod-site — rita (role OpsAdmin), *in the console* — <https://eu-west-2.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-2#/events/ev-console|event>", t0.Add(20*time.Minute).Format("15:04")),
		fmt.Sprintf("• `%s` UpdateDistribution on E2SITE0001 — GitHubActions (role terraform-ci), from Terraform 1.9.8", t0.Add(-10*time.Minute).Format("15:04")),
		": 2, 1 in the console.",
	} {
		if !strings.Contains(list.Text, want) {
			t.Errorf("the list lacks %q:\n%s", want, list.Text)
		}
	}
	if strings.Contains(list.Text, "GetBucketPolicy") {
		t.Errorf("a read is listed as a change:\n%s", list.Text)
	}
	// Outside an incident channel: only to the asker; bad input: in the ack.
	h.slash(bob, h.general, "changes 10m")
	h.responseContaining("No AWS changes in the last 10m")
	if ack := h.slash(rita, ch.ID, "changes 5d"); !strings.Contains(string(ack.Payload), "at most `72h`") {
		t.Errorf("5d: ack %s", ack.Payload)
	}

	clock.Advance(12 * time.Minute)
	h.slash(rita, ch.ID, "resolve origin fixed")
	h.messageContaining(ch.ID, "*resolved*")
	h.slash(rita, ch.ID, "postmortem")
	var draft string
	h.eventually("draft uploaded", func() bool {
		for _, f := range h.slack.Files() {
			draft = string(f.Content)
		}
		return draft != ""
	})
	checkChangesInDraft(t, draft, t0)
	h.messageContaining(ch.ID, "recorded events and 2 AWS changes")

	// Offline, from the store: the same changes, read again.
	h.stop()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"postmortem", "--incident", "1"}, func(k string) string { return h.env[k] }, &out, &errb); code != 0 {
		t.Fatalf("postmortem --incident 1: exit %d: %s", code, errb.String())
	}
	checkChangesInDraft(t, out.String(), t0)
	window := fmt.Sprintf("s3.amazonaws.com@eu-west-2 %s–%s", t0.Add(-time.Hour).Format("15:04"), t0.Add(50*time.Minute).Format("15:04"))
	if n := strings.Count(strings.Join(asked(), "\n"), window); n < 2 {
		t.Errorf("the incident's window (%s) was asked %d times, want at least twice (Slack and offline):\n%s", window, n, strings.Join(asked(), "\n"))
	}
}

// checkChangesInDraft: the console change in the timeline at its time, no
// gap line, the Terraform change as the trigger.
func checkChangesInDraft(t *testing.T, draft string, t0 time.Time) {
	t.Helper()
	want := fmt.Sprintf("- %s - **CloudTrail: AWS change in the console: PutBucketPolicy on tss-prod-site by rita (role OpsAdmin)", t0.Add(20*time.Minute).Format("15:04"))
	if !strings.Contains(draft, want) {
		t.Errorf("the draft lacks %q:\n%s", want, draft)
	}
	for _, line := range strings.Split(draft, "\n") {
		if strings.HasPrefix(line, "- ??:??") {
			t.Errorf("a gap line where the change was: %q", line)
		}
	}
	if trigger := "AWS change from Terraform 1.9.8: UpdateDistribution on E2SITE0001 by GitHubActions (role terraform-ci)"; !strings.Contains(draft, trigger) {
		t.Errorf("the draft lacks the trigger %q:\n%s", trigger, draft)
	}
	if strings.Contains(draft, "GetBucketPolicy") || strings.Contains(draft, "CloudTrail could not be read") {
		t.Errorf("a read, or a failure, in the draft:\n%s", draft)
	}
}

// Without a targets file the bot does not know where to look, and says so.
func TestChangesNeedATargetsFile(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	h.slash(rita, h.general, "changes")
	h.responseContaining("no targets file is configured")
}
