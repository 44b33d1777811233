package aws

// The reader behind /incident changes and the postmortem's changes,
// against fakeTrailAccounts: CloudTrail's JSON 1.1 LookupEvents and STS's
// AssumeRole (query protocol) on one local server. Assumed roles get the
// access key "ASIA"+account, so the server knows which account each
// signed LookupEvents reads, and answers per account, region and source.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// ownAccount is what the fake calls the bot's own credentials' account.
const (
	ownAccount  = "own"
	roleAccount = "210987654321"
)

// trailRequest is one LookupEvents as the fake received it.
type trailRequest struct {
	at                      time.Time
	account, region, source string
	token                   string
}

// trailKey names the events the fake serves: "account/region/source".
func trailKey(account, region, source string) string { return account + "/" + region + "/" + source }

// fakeTrailAccounts serves pages[key] (each a list of events; the pages
// of one key chained by tokens "p1", "p2"…) and AssumeRole, and points
// the SDK at itself. fail, when it returns an error code for a key, is
// answered as that AWS error.
func fakeTrailAccounts(t testing.TB, pages map[string][][]map[string]any, fail func(key string) string) func() []trailRequest {
	t.Helper()
	var mu sync.Mutex
	var reqs []trailRequest
	cred := regexp.MustCompile(`Credential=([^/]+)/\d{8}/([a-z0-9-]+)/([a-z]+)/aws4_request`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := cred.FindStringSubmatch(r.Header.Get("Authorization"))
		if m == nil {
			t.Errorf("unsigned request %s", body)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if m[3] == "sts" {
			assumeRole(t, w, string(body))
			return
		}
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		account := ownAccount
		if strings.HasPrefix(m[1], "ASIA") {
			account = strings.TrimPrefix(m[1], "ASIA")
		}
		source := in["LookupAttributes"].([]any)[0].(map[string]any)["AttributeValue"].(string)
		token, _ := in["NextToken"].(string)
		mu.Lock()
		reqs = append(reqs, trailRequest{at: time.Now(), account: account, region: m[2], source: source, token: token})
		mu.Unlock()
		key := trailKey(account, m[2], source)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", "fake-"+key)
		if code := fail(key); code != "" {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "Message": "no access to " + key})
			return
		}
		n := 0
		if token != "" {
			fmt.Sscanf(token, "p%d", &n)
		}
		out := map[string]any{"Events": []any{}}
		if ps := pages[key]; n < len(ps) {
			out["Events"] = ps[n]
			if n+1 < len(ps) {
				out["NextToken"] = fmt.Sprintf("p%d", n+1)
			}
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	testmoto.Use(t, srv.URL)
	return func() []trailRequest { mu.Lock(); defer mu.Unlock(); return slices.Clone(reqs) }
}

// assumeRole answers STS AssumeRole with credentials naming the role's
// account.
func assumeRole(t testing.TB, w http.ResponseWriter, body string) {
	form, _ := url.ParseQuery(body)
	account := actions.AccountOf(form.Get("RoleArn"))
	if form.Get("Action") != "AssumeRole" || account == "" {
		t.Errorf("unexpected STS call %s", body)
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIA%s</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::%s:assumed-role/incident-bot/incident-bot</Arn><AssumedRoleId>AROAFAKE:incident-bot</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>fake-sts</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		account, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), account)
}

// trailEvent is a LookupEvents event with its record.
func trailEvent(id, source, name string, at time.Time, rec map[string]any) map[string]any {
	rec["eventID"], rec["eventSource"], rec["eventName"] = id, source, name
	raw, _ := json.Marshal(rec)
	return map[string]any{"EventId": id, "EventSource": source, "EventName": name, "EventTime": epoch(at), "ReadOnly": "false", "CloudTrailEvent": string(raw)}
}

// changesTargets reaches two accounts (the bot's own, for web and the
// database; a role's, for shop) in three regions, reading S3, CloudFront
// and ECS.
const changesTargets = `region: eu-west-2
services:
  web: {cluster: prod, ecs_service: web}
  shop: {region: eu-west-1, role_arn: "arn:aws:iam::210987654321:role/incident-bot"}
databases:
  main: {rds_instance: prod-db}
changes:
  services: [s3, cloudfront, ecs]
`

func mustTargets(t testing.TB, yaml string) *actions.Targets {
	t.Helper()
	tg, err := actions.ParseTargets("targets.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// changesPages are the story: a console PutBucketPolicy in the bot's
// account (page one, with a read that must not show), a Terraform change
// to the same bucket (page two), CloudFront changed from the console, and
// an ECS service changed with the AWS CLI in the role's account, which
// failed.
func changesPages(t *testing.T) map[string][][]map[string]any {
	s := loadTrailSample(t)
	pages := trailPages(t, s)
	ecs := trailEvent("ecs-1", "ecs.amazonaws.com", "UpdateService", trailNow.Add(-20*time.Minute), map[string]any{
		"userIdentity":       map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::210987654321:assumed-role/deployer/sam"},
		"userAgent":          "aws-cli/2.17.4 md/awscrt#0.20.11 ua/2.0 os/linux#6.5 md/arch#x86_64 lang/python#3.11.8",
		"requestParameters":  map[string]any{"cluster": "shop", "service": "shop-web", "desiredCount": 0},
		"errorCode":          "AccessDeniedException",
		"errorMessage":       "not allowed",
		"recipientAccountId": "210987654321",
	})
	return map[string][][]map[string]any{
		trailKey(ownAccount, "eu-west-2", "s3.amazonaws.com"):         {pages[0], pages[1]},
		trailKey(ownAccount, "us-east-1", "cloudfront.amazonaws.com"): {{s.bySource["cloudfront.amazonaws.com"]}},
		trailKey(roleAccount, "eu-west-1", "ecs.amazonaws.com"):       {{ecs}},
	}
}

func TestChangesAcrossAccountsAndRegions(t *testing.T) {
	reqs := fakeTrailAccounts(t, changesPages(t), func(string) string { return "" })
	f := fixtureAt(t)
	start := time.Now()
	rep, err := f.clients.Changes(f.ctx(), mustTargets(t, changesTargets), trailNow.Add(-2*time.Hour), trailNow)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range rep.Changes {
		got = append(got, fmt.Sprintf("%s %s %s %s | %s | console=%v agent=%q failed=%q", c.At.Format("15:04:05"), c.Account, c.Region, c.What(), c.Who, c.Console, c.Agent, c.Failed))
	}
	want := []string{
		"09:40:00 123456789012 eu-west-2 PutBucketPolicy on acme-prod-static-assets-v2 | GitHubActions (role terraform-ci) | console=false agent=\"Terraform 1.9.8\" failed=\"\"",
		"09:45:00 123456789012 eu-west-2 DeleteBucketPolicy on acme-prod-static-assets | rita (role OpsAdmin) | console=true agent=\"\" failed=\"AccessDenied: Access Denied\"",
		"09:55:02 123456789012 us-east-1 UpdateDistribution on E2FAKEDIST0001, origins api-prod-alb-1234567890.us-east-1.elb.amazonaws.com | rita (role OpsAdmin) | console=true agent=\"\" failed=\"\"",
		"09:57:40 123456789012 eu-west-2 PutBucketPolicy on acme-prod-static-assets | rita (role OpsAdmin) | console=true agent=\"\" failed=\"\"",
		"10:10:00 210987654321 eu-west-1 UpdateService on shop, shop-web | sam (role deployer) | console=false agent=\"AWS CLI 2.17.4\" failed=\"AccessDeniedException: not allowed\"",
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes, oldest first:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if l := rep.Changes[3].Link; l != "https://eu-west-2.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-2#/events/a3c5e7f9-1b2d-4f6a-8c0e-2d4f6a8c0e1b" {
		t.Errorf("link %q", l)
	}
	if len(rep.Partial) != 0 || rep.Cut || rep.RequestID == "" {
		t.Errorf("partial %v, cut %v, request %q", rep.Partial, rep.Cut, rep.RequestID)
	}
	checkLookups(t, reqs())
	checkPacing(t, reqs(), start)
}

// checkLookups: every source in every region of both accounts, global
// CloudFront in us-east-1 only, S3's second page asked with its token.
func checkLookups(t *testing.T, reqs []trailRequest) {
	t.Helper()
	var got []string
	for _, r := range reqs {
		got = append(got, trailKey(r.account, r.region, strings.TrimSuffix(r.source, ".amazonaws.com"))+r.token)
	}
	slices.Sort(got)
	got = slices.Compact(got) // an SDK retry asks again
	var want []string
	for _, acct := range []string{ownAccount, roleAccount} {
		for _, region := range []string{"eu-west-1", "eu-west-2", "us-east-1"} {
			want = append(want, trailKey(acct, region, "s3"), trailKey(acct, region, "ecs"))
		}
		want = append(want, trailKey(acct, "us-east-1", "cloudfront"))
	}
	want = append(want, trailKey(ownAccount, "eu-west-2", "s3")+"p1")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("lookups:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// checkPacing: the calls to one account and region spaced (the pacer
// books them 500 ms apart, CloudTrail's two a second: exactly, on a
// driven clock, in TestPacerPerAccountAndRegion; here, as the server
// sees them, 300 ms allows for a busy machine delaying one in transit,
// while unpaced calls come a few ms apart), and different ones at once:
// every lane's first call before a second lane's could have started if
// they ran one after another.
func checkPacing(t *testing.T, reqs []trailRequest, start time.Time) {
	t.Helper()
	last := map[string]time.Time{}
	for _, r := range reqs {
		lane := r.account + "/" + r.region
		prev, seen := last[lane]
		switch {
		case !seen && r.at.Sub(start) > 900*time.Millisecond:
			t.Errorf("%s: first call %v after the start: lanes did not run at once", lane, r.at.Sub(start))
		case seen && r.at.Sub(prev) < 300*time.Millisecond:
			t.Errorf("%s: calls %v apart, want them paced 500ms apart", lane, r.at.Sub(prev))
		}
		last[lane] = r.at
	}
	if len(last) != 6 {
		t.Errorf("%d lanes, want 6 (2 accounts × 3 regions)", len(last))
	}
}

// The pacer on a driven clock: one slot every 500 ms per account and
// region, each account and region on its own, nothing booked past the
// deadline.
func TestPacerPerAccountAndRegion(t *testing.T) {
	now := time.Date(2026, 1, 6, 10, 0, 0, 0, time.UTC)
	p := &pacer{now: func() time.Time { return now }, next: map[paceKey]time.Time{}}
	a, b, c := paceKey{"", "eu-west-2"}, paceKey{roleAccount, "eu-west-2"}, paceKey{"", "us-east-1"}
	var got []time.Duration
	for _, k := range []paceKey{a, a, a, b, c, b} {
		d, ok := p.reserve(k, time.Time{})
		if !ok {
			t.Fatal("refused without a deadline")
		}
		got = append(got, d)
	}
	if want := []time.Duration{0, 500 * time.Millisecond, time.Second, 0, 0, 500 * time.Millisecond}; !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	now = now.Add(1200 * time.Millisecond)
	if d, _ := p.reserve(a, time.Time{}); d != 300*time.Millisecond {
		t.Errorf("after 1.2s the next slot is %v away, want 300ms", d)
	}
	if _, ok := p.reserve(a, now.Add(700*time.Millisecond)); ok {
		t.Error("booked a slot past the deadline")
	}
	if d, _ := p.reserve(a, time.Time{}); d != 800*time.Millisecond {
		t.Errorf("a refused slot was booked: next wait %v, want 800ms", d)
	}
}

// A busy window: the newest changes are kept, a lookup stops at its page
// limit or at the deadline, and the report says what was not read.
func TestChangesLimits(t *testing.T) {
	tf := trailPages(t, loadTrailSample(t))[1][1] // the Terraform change
	page := func(from int) []map[string]any {
		var out []map[string]any
		for i := range 3 {
			n := from + i
			out = append(out, variant(t, tf, map[string]any{"EventId": fmt.Sprint("tf-", n), "EventTime": epoch(trailNow.Add(-time.Duration(n) * time.Minute))}, func(map[string]any) {}))
		}
		return out
	}
	pages := map[string][][]map[string]any{
		trailKey(ownAccount, "us-east-1", "s3.amazonaws.com"):  {page(0), page(3), page(6)},
		trailKey(ownAccount, "us-east-1", "ec2.amazonaws.com"): {page(100), page(103), page(106)},
	}
	reqs := fakeTrailAccounts(t, pages, func(string) string { return "" })
	f := fixtureAt(t)
	s3 := actions.ChangeService{Name: "s3", Label: "S3"}
	ec2 := actions.ChangeService{Name: "ec2", Label: "EC2"}
	ls := []lookup{{region: "us-east-1", svc: s3}, {region: "us-east-1", svc: ec2}}
	w := window{start: trailNow.Add(-3 * time.Hour), end: trailNow}

	rep, err := f.clients.readChanges(f.ctx(), ls, w, readLimits{changes: 4, pages: 2})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range rep.Changes {
		ids = append(ids, c.ID)
	}
	// S3 stopped after two pages with 6 (more than 4: enough); EC2 read
	// its two pages; the newest 4 of all, oldest first.
	if want := []string{"tf-3", "tf-2", "tf-1", "tf-0"}; !slices.Equal(ids, want) || !rep.Cut {
		t.Errorf("kept %v (cut %v), want %v cut", ids, rep.Cut, want)
	}
	if want := []string{"S3 in us-east-1", "EC2 in us-east-1"}; !slices.Equal(rep.Partial, want) {
		t.Errorf("partial %v, want %v", rep.Partial, want)
	}

	// 700 ms allow two calls in the lane (at 0 and 500 ms): the services
	// take turns, so S3's first page and EC2's first, not S3's two. (New
	// clients: the first read's pacing would delay the first call.)
	before := len(reqs())
	f = fixtureAt(t)
	rep, err = f.clients.readChanges(f.ctx(), ls, w, readLimits{changes: 100, pages: 10, budget: 700 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	for _, r := range reqs()[before:] {
		asked = append(asked, r.source+"@"+r.token)
	}
	if want := []string{"s3.amazonaws.com@", "ec2.amazonaws.com@"}; !slices.Equal(asked, want) || len(rep.Changes) != 6 || !slices.Equal(rep.Partial, []string{"S3 in us-east-1", "EC2 in us-east-1"}) {
		t.Errorf("within the budget: pages %v, %d changes, partial %v; want %v, 6 and both", asked, len(rep.Changes), rep.Partial, want)
	}
}

// One account's lookups failing does not hide the other's changes: the
// error names the lookup and what it skipped.
func TestChangesOneAccountFails(t *testing.T) {
	fakeTrailAccounts(t, changesPages(t), func(key string) string {
		if strings.HasPrefix(key, roleAccount+"/") {
			return "AccessDeniedException"
		}
		return ""
	})
	f := fixtureAt(t)
	tg := mustTargets(t, strings.Replace(changesTargets, "[s3, cloudfront, ecs]", "[s3, ecs]", 1))
	rep, err := f.clients.Changes(f.ctx(), tg, trailNow.Add(-2*time.Hour), trailNow)
	wantCode(t, err, "AccessDeniedException")
	wantErr(t, err, "cloudtrail LookupEvents (s3.amazonaws.com in eu-west-1, account 210987654321)")
	wantErr(t, err, "; so not read in eu-west-1 either: ECS")
	if len(rep.Changes) != 3 {
		t.Errorf("%d changes from the bot's own account, want 3", len(rep.Changes))
	}
}

// What made a change, named for a timeline line.
func TestAgentOf(t *testing.T) {
	for ua, want := range map[string]string{
		"APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.80.0": "Terraform 1.9.8",
		"aws-cli/2.17.4 md/awscrt#0.20.11 ua/2.0 os/linux#6.5":                                            "AWS CLI 2.17.4",
		"Boto3/1.34.2 md/Botocore#1.34.2 ua/2.0 os/linux#6.5":                                             "boto3 1.34.2",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36":                                              "a web browser",
		"[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750]":                                           "an AWS service",
		"cloudformation.amazonaws.com":                                                                    "cloudformation.amazonaws.com",
		"":                                                                                                "",
	} {
		if got := agentOf(ua); got != want {
			t.Errorf("agentOf(%q) = %q, want %q", ua, got, want)
		}
	}
	if got := (Change{Service: "IAM", Event: "CreateAccessKey"}).What(); got != "CreateAccessKey (IAM)" {
		t.Errorf("What without names: %q", got)
	}
}
