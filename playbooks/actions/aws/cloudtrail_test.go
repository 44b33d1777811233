package aws

// cloudtrail.recent_changes. Moto 5.2 does not implement LookupEvents, so
// the tests run against fakeTrail: a server speaking CloudTrail's AWS
// JSON 1.1 (POST /, X-Amz-Target CloudTrail_20131101.LookupEvents)
// answering with the events of testdata/cloudtrail_lookup_events_response.json
// (a copy of the shared wire sample: console changes to Route 53, S3 and
// CloudFront) and with events made from them: a Terraform change, a
// failed console call and a read, on a second page of S3 events reached
// with the sample's NextToken. It checks each request as the SDK sends
// it: one EventSource attribute, the time window, the page size, the
// token with otherwise the same parameters, and the region (CloudFront
// and Route 53 in us-east-1 only).

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// trailNow is the sample's story's time: the console changes were made
// between 09:55 and 09:58 UTC.
var trailNow = time.Date(2026, 1, 6, 10, 30, 0, 0, time.UTC)

// trailSample is the shared LookupEvents response: its events by source,
// and its NextToken.
type trailSample struct {
	bySource map[string]map[string]any
	token    string
}

func loadTrailSample(t *testing.T) trailSample {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "cloudtrail_lookup_events_response.json"))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Events    []map[string]any
		NextToken string
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatal(err)
	}
	s := trailSample{bySource: map[string]map[string]any{}, token: resp.NextToken}
	for _, e := range resp.Events {
		s.bySource[e["EventSource"].(string)] = e
	}
	return s
}

// variant copies an event with other top-level fields, and edit applied
// to its record (the CloudTrailEvent JSON string).
func variant(t *testing.T, e map[string]any, fields map[string]any, edit func(rec map[string]any)) map[string]any {
	t.Helper()
	out := maps.Clone(e)
	maps.Copy(out, fields)
	var rec map[string]any
	if err := json.Unmarshal([]byte(e["CloudTrailEvent"].(string)), &rec); err != nil {
		t.Fatal(err)
	}
	edit(rec)
	b, _ := json.Marshal(rec)
	out["CloudTrailEvent"] = string(b)
	return out
}

// trailPages are the S3 events: the sample's console PutBucketPolicy and
// a read on page one; a failed console call and a Terraform change on
// page two.
func trailPages(t *testing.T, s trailSample) [2][]map[string]any {
	t.Helper()
	s3 := s.bySource["s3.amazonaws.com"]
	read := variant(t, s3, map[string]any{"EventId": "read-1", "EventName": "GetBucketPolicy", "ReadOnly": "true", "EventTime": epoch(trailNow.Add(-40 * time.Minute))},
		func(rec map[string]any) { rec["eventName"], rec["readOnly"] = "GetBucketPolicy", true })
	failed := variant(t, s3, map[string]any{"EventId": "failed-1", "EventName": "DeleteBucketPolicy", "EventTime": epoch(trailNow.Add(-45 * time.Minute))},
		func(rec map[string]any) {
			rec["eventName"], rec["errorCode"], rec["errorMessage"] = "DeleteBucketPolicy", "AccessDenied", "Access Denied"
		})
	terraform := variant(t, s3, map[string]any{"EventId": "tf-1", "Username": "GitHubActions", "EventTime": epoch(trailNow.Add(-50 * time.Minute)),
		"Resources": []any{map[string]any{"ResourceType": "AWS::S3::Bucket", "ResourceName": "acme-prod-static-assets-v2"}}},
		func(rec map[string]any) {
			delete(rec, "sessionCredentialFromConsole")
			rec["userAgent"] = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.80.0 aws-sdk-go-v2/1.32.6 api/s3#1.71.0"
			rec["sourceIPAddress"] = "203.0.113.9"
			id := rec["userIdentity"].(map[string]any)
			id["arn"] = "arn:aws:sts::123456789012:assumed-role/terraform-ci/GitHubActions"
			id["sessionContext"].(map[string]any)["sessionIssuer"].(map[string]any)["userName"] = "terraform-ci"
			rec["requestParameters"] = map[string]any{"bucketName": "acme-prod-static-assets-v2"}
		})
	return [2][]map[string]any{{s3, read}, {failed, terraform}}
}

// trailCall is one LookupEvents request as fakeTrail received it.
type trailCall struct {
	region string
	in     map[string]any
}

// fakeTrail serves LookupEvents and points the SDK at it.
func fakeTrail(t *testing.T, s trailSample, pages [2][]map[string]any) func() []trailCall {
	t.Helper()
	var mu sync.Mutex
	var calls []trailCall
	scope := regexp.MustCompile(`Credential=[^/]+/\d{8}/([a-z0-9-]+)/cloudtrail/aws4_request`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		m := scope.FindStringSubmatch(r.Header.Get("Authorization"))
		if target := r.Header.Get("X-Amz-Target"); r.Method != http.MethodPost || r.URL.Path != "/" || m == nil ||
			target != "CloudTrail_20131101.LookupEvents" || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
			t.Errorf("fake CloudTrail: %s %s target %q type %q auth %q", r.Method, r.URL.Path, target, r.Header.Get("Content-Type"), r.Header.Get("Authorization"))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock() // lookups of different regions arrive at once
		calls = append(calls, trailCall{region: m[1], in: in})
		n := len(calls)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("fake-lookup-%d", n))
		_ = json.NewEncoder(w).Encode(trailAnswer(t, s, pages, m[1], in))
	}))
	t.Cleanup(srv.Close)
	testmoto.Use(t, srv.URL)
	return func() []trailCall { mu.Lock(); defer mu.Unlock(); return slices.Clone(calls) }
}

// trailAnswer is the page for a request: S3's two pages in the service's
// region (none in us-east-1), the sample's CloudFront and Route 53 events.
func trailAnswer(t *testing.T, s trailSample, pages [2][]map[string]any, region string, in map[string]any) map[string]any {
	attrs, _ := in["LookupAttributes"].([]any)
	if len(attrs) != 1 {
		t.Errorf("LookupAttributes %v: LookupEvents takes exactly one", in["LookupAttributes"])
		return map[string]any{"Events": []any{}}
	}
	a := attrs[0].(map[string]any)
	source, _ := a["AttributeValue"].(string)
	if a["AttributeKey"] != "EventSource" {
		t.Errorf("attribute %v, want EventSource", a)
	}
	switch {
	case source == "s3.amazonaws.com" && region == "eu-west-2" && in["NextToken"] == nil:
		return map[string]any{"Events": pages[0], "NextToken": s.token}
	case source == "s3.amazonaws.com" && region == "eu-west-2":
		if in["NextToken"] != s.token {
			t.Errorf("NextToken %v, want the sample's", in["NextToken"])
		}
		return map[string]any{"Events": pages[1]}
	case source == "s3.amazonaws.com":
		return map[string]any{"Events": []any{}}
	case region != "us-east-1":
		t.Errorf("%s looked up in %s: CloudTrail records it in us-east-1 only", source, region)
	}
	e, ok := s.bySource[source]
	if !ok {
		t.Errorf("unexpected event source %q", source)
		return map[string]any{"Events": []any{}}
	}
	return map[string]any{"Events": []any{e}}
}

func TestRecentChanges(t *testing.T) {
	s := loadTrailSample(t)
	calls := fakeTrail(t, s, trailPages(t, s))
	f := fixtureAt(t, func(o *Options) { o.Now = func() time.Time { return trailNow } })
	svc := &actions.Service{Name: "tss", Region: "eu-west-2"}

	_, res := f.previewAndRun("cloudtrail.recent_changes", actions.Request{Service: svc})
	if want := "5 changes in the last 6 hours, 4 from the console, 1 failed"; res.Summary != want {
		t.Errorf("summary %q, want %q", res.Summary, want)
	}
	want := []string{
		"2026-01-06 09:58:31 UTC — dana (IAM user) — Route 53 ChangeResourceRecordSets zone Z0FAKEZONE00001, UPSERT api.example.org. CNAME — console",
		"2026-01-06 09:57:40 UTC — rita (role OpsAdmin) — S3 PutBucketPolicy acme-prod-static-assets — console",
		"2026-01-06 09:55:02 UTC — rita (role OpsAdmin) — CloudFront UpdateDistribution E2FAKEDIST0001, origins api-prod-alb-1234567890.us-east-1.elb.amazonaws.com — console",
		"2026-01-06 09:45:00 UTC — rita (role OpsAdmin) — S3 DeleteBucketPolicy acme-prod-static-assets — console — FAILED AccessDenied: Access Denied",
		// The user agent is clipped: it runs on for a long while.
		"2026-01-06 09:40:00 UTC — GitHubActions (role terraform-ci) — S3 PutBucketPolicy acme-prod-static-assets-v2 — Terraform: APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.80.0 aws-sdk-go-v2/1.32.6 ap…",
	}
	if got := res.Sections[0].Rows; !slices.Equal(got, want) {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	contains(t, "title", res.Sections[0].Title, "Changes from 2026-01-06 04:30 UTC to 2026-01-06 10:30 UTC, newest first")
	contains(t, "notes", res.Text(), "S3 in eu-west-2 and us-east-1, CloudFront and Route 53 in us-east-1")
	checkTrailCalls(t, calls(), trailNow.Add(-6*time.Hour), trailNow)
}

// checkTrailCalls checks the requests: every source looked up in its
// regions, the window, the page size, and the second S3 page asked with
// the token and otherwise the same parameters as the first.
func checkTrailCalls(t *testing.T, calls []trailCall, start, end time.Time) {
	t.Helper()
	var got []string
	var s3Pages []map[string]any
	for _, c := range calls {
		source := c.in["LookupAttributes"].([]any)[0].(map[string]any)["AttributeValue"].(string)
		got = append(got, source+"@"+c.region)
		if c.in["StartTime"] != epoch(start) || c.in["EndTime"] != epoch(end) || c.in["MaxResults"] != 50.0 {
			t.Errorf("%s@%s: StartTime %v EndTime %v MaxResults %v, want %v %v 50", source, c.region, c.in["StartTime"], c.in["EndTime"], c.in["MaxResults"], epoch(start), epoch(end))
		}
		if source == "s3.amazonaws.com" && c.region == "eu-west-2" {
			s3Pages = append(s3Pages, c.in)
		}
	}
	slices.Sort(got)
	want := []string{"cloudfront.amazonaws.com@us-east-1", "route53.amazonaws.com@us-east-1", "s3.amazonaws.com@eu-west-2", "s3.amazonaws.com@eu-west-2", "s3.amazonaws.com@us-east-1"}
	if !slices.Equal(got, want) {
		t.Errorf("lookups %v, want %v", got, want)
	}
	if len(s3Pages) == 2 {
		likeSample(t, s3Pages[1])
		second := maps.Clone(s3Pages[1])
		delete(second, "NextToken")
		if b1, b2 := fmt.Sprint(s3Pages[0]), fmt.Sprint(second); b1 != b2 {
			t.Errorf("the second page changed the parameters: %s, then %s", b1, b2)
		}
	}
}

// likeSample checks a request with a token against the shared request
// sample: the same fields, each the same kind of JSON value (epoch
// seconds as numbers, the attribute as a one-element list).
func likeSample(t *testing.T, in map[string]any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "cloudtrail_lookup_events_request.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sample map[string]any
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatal(err)
	}
	kinds := func(m map[string]any) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = fmt.Sprintf("%T", v)
		}
		return out
	}
	if got, want := kinds(in), kinds(sample); !maps.Equal(got, want) {
		t.Errorf("request fields %v, the sample's %v", got, want)
	}
	if attrs := in["LookupAttributes"].([]any); len(attrs) != 1 || len(attrs[0].(map[string]any)) != 2 {
		t.Errorf("LookupAttributes %v", attrs)
	}
}

func TestRecentChangesHours(t *testing.T) {
	s := loadTrailSample(t)
	calls := fakeTrail(t, s, trailPages(t, s))
	f := fixtureAt(t, func(o *Options) { o.Now = func() time.Time { return trailNow } })
	svc := &actions.Service{Name: "tss", Region: "eu-west-2"}

	_, res := f.previewAndRun("cloudtrail.recent_changes", actions.Request{Service: svc, Params: map[string]any{"hours": 1}})
	contains(t, "summary", res.Summary, "in the last 1 hour, ")
	checkTrailCalls(t, calls(), trailNow.Add(-time.Hour), trailNow)

	for _, bad := range []any{0, 73, "6"} {
		_, err := f.run("cloudtrail.recent_changes", actions.Request{Service: svc, Params: map[string]any{"hours": bad}}, nil)
		wantErr(t, err, "hours must be")
	}
}

// Reading stops at maxChanges writes: a busy window does not page on
// until the action times out, and the result says it is partial.
func TestRecentChangesCap(t *testing.T) {
	s := loadTrailSample(t)
	tf := trailPages(t, s)[1][1] // the Terraform change
	var mu sync.Mutex
	asked := map[string]bool{} // the pages asked for, by token: an SDK retry asks one again
	fakeJSON(t, map[string]func(map[string]any) (any, error){
		"CloudTrail_20131101.LookupEvents": func(in map[string]any) (any, error) {
			attr := in["LookupAttributes"].([]any)[0].(map[string]any)
			if attr["AttributeValue"] != "s3.amazonaws.com" {
				return map[string]any{"Events": []any{}}, nil
			}
			token, _ := in["NextToken"].(string)
			page := 0
			fmt.Sscanf(token, "page-%d", &page)
			mu.Lock()
			asked[token] = true
			mu.Unlock()
			var events []any
			for i := range 50 {
				n := page*50 + i
				events = append(events, variant(t, tf, map[string]any{"EventId": fmt.Sprint("tf-", n), "EventTime": epoch(trailNow.Add(-time.Duration(n) * time.Second))}, func(map[string]any) {}))
			}
			return map[string]any{"Events": events, "NextToken": fmt.Sprint("page-", page+1)}, nil
		},
	})
	f := fixtureAt(t, func(o *Options) { o.Now = func() time.Time { return trailNow } })
	_, res := f.previewAndRun("cloudtrail.recent_changes", actions.Request{Service: &actions.Service{Name: "tss", Region: "us-east-1"}})
	if want := "200 changes in the last 6 hours, 0 from the console (the newest 200 shown)"; res.Summary != want {
		t.Errorf("summary %q, want %q", res.Summary, want)
	}
	if len(asked) != 4 || len(res.Sections[0].Rows) != 200 {
		t.Errorf("read %d pages, %d rows; want 4 and 200", len(asked), len(res.Sections[0].Rows))
	}
	contains(t, "notes", res.Text(), "Not read to the start of the window (too many events): S3 in us-east-1")
	contains(t, "notes", res.Text(), "Looked up in CloudTrail in us-east-1.")
}

// A failed lookup is an error with CloudTrail's code and message, naming
// the source: a check that could not look must not read as "no changes".
// CloudTrail's errors carry "Message" (capitalised, as its model has it).
func TestRecentChangesFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", "fake-denied")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"InvalidTimeRangeException","Message":"Start time must be before end time"}`)
	}))
	t.Cleanup(srv.Close)
	testmoto.Use(t, srv.URL)
	f := fixtureAt(t)
	_, err := f.run("cloudtrail.recent_changes", actions.Request{Service: &actions.Service{Name: "tss", Region: "us-east-1"}}, nil)
	wantCode(t, err, "InvalidTimeRangeException")
	wantErr(t, err, "cloudtrail LookupEvents (s3.amazonaws.com in us-east-1) (request fake-denied): InvalidTimeRangeException: Start time must be before end time")
}

// The copies in testdata must not drift from the shared samples
// (../../../../shared/fixtures beside the repository, when present).
func TestTrailSampleMatchesShared(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "..", "shared", "fixtures")
	if _, err := os.Stat(shared); err != nil {
		t.Skip("shared fixtures not beside the repository")
	}
	for _, name := range []string{"cloudtrail_lookup_events_response.json", "cloudtrail_lookup_events_request.json"} {
		mine, _ := os.ReadFile(filepath.Join("testdata", name))
		theirs, err := os.ReadFile(filepath.Join(shared, name))
		if err != nil || string(mine) != string(theirs) {
			t.Errorf("testdata/%s differs from the shared original (%v); copy it again", name, err)
		}
	}
}
