package aws

// WAF: the web ACLs and their rules are on moto (CreateWebACL,
// GetWebACL, and its WAFNonexistentItemException). Moto has no
// GetSampledRequests, so WAFv2 alone (AWS_ENDPOINT_URL_WAFV2) points at
// fakeJSONOver, a server speaking WAFv2's JSON 1.1 that answers
// GetSampledRequests (X-Amz-Target AWSWAF_20190729.GetSampledRequests)
// from a table per rule metric and passes GetWebACL on to moto.

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	"github.com/aws/aws-sdk-go-v2/service/wafv2/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

func visibility(metric string, sampled bool) *types.VisibilityConfig {
	return &types.VisibilityConfig{MetricName: aws.String(metric), SampledRequestsEnabled: sampled, CloudWatchMetricsEnabled: true}
}

// webACL creates a web ACL on moto with a rate limit (block), a managed
// rule group, and a count-only rule without sampling.
func (f *fixture) webACL(scope types.Scope, block bool) (arn, metric string) {
	f.t.Helper()
	name := testmoto.Name("acl")
	def := &types.DefaultAction{Allow: &types.AllowAction{}}
	if block {
		def = &types.DefaultAction{Block: &types.BlockAction{}}
	}
	out, err := wafv2.NewFromConfig(f.cfg).CreateWebACL(f.t.Context(), &wafv2.CreateWebACLInput{
		Name: aws.String(name), Scope: scope, DefaultAction: def, VisibilityConfig: visibility(name, true),
		Rules: []types.Rule{
			{Name: aws.String("CommonRuleSet"), Priority: 1, OverrideAction: &types.OverrideAction{None: &types.NoneAction{}},
				Statement:        &types.Statement{ManagedRuleGroupStatement: &types.ManagedRuleGroupStatement{VendorName: aws.String("AWS"), Name: aws.String("AWSManagedRulesCommonRuleSet")}},
				VisibilityConfig: visibility("common", true)},
			{Name: aws.String("RateLimit"), Priority: 0, Action: &types.RuleAction{Block: &types.BlockAction{}},
				Statement:        &types.Statement{RateBasedStatement: &types.RateBasedStatement{Limit: aws.Int64(100), AggregateKeyType: types.RateBasedStatementAggregateKeyTypeIp}},
				VisibilityConfig: visibility("rate", true)},
			{Name: aws.String("WatchBots"), Priority: 2, Action: &types.RuleAction{Count: &types.CountAction{}},
				Statement:        &types.Statement{GeoMatchStatement: &types.GeoMatchStatement{CountryCodes: []types.CountryCode{types.CountryCodeCn}}},
				VisibilityConfig: visibility("bots", false)},
		},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.Summary.ARN), name
}

// sampler is the fake GetSampledRequests' state.
type sampler struct {
	mu      sync.Mutex
	samples map[string][]any // rule metric → sampled requests
	asked   []string         // rule metrics
}

func sampled(action, uri, country, ip, inner string, at time.Time) map[string]any {
	s := map[string]any{
		"Request": map[string]any{"ClientIP": ip, "Country": country, "URI": uri, "Method": "GET", "HTTPVersion": "HTTP/1.1",
			"Headers": []any{map[string]any{"Name": "Host", "Value": "www.example.test"}}},
		"Weight": 1, "Timestamp": epoch(at), "Action": action,
	}
	if inner != "" {
		s["RuleNameWithinRuleGroup"] = inner
	}
	return s
}

// fakeSampler points WAFv2 at a server answering GetSampledRequests for
// arn with scope over the 15 minutes up to now, and moto for the rest.
func fakeSampler(t *testing.T, moto, arn string, scope types.Scope, now time.Time, s *sampler) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL_WAFV2", fakeJSONOver(t, moto, map[string]func(map[string]any) (any, error){
		"AWSWAF_20190729.GetSampledRequests": func(in map[string]any) (any, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			metric, _ := in["RuleMetricName"].(string)
			s.asked = append(s.asked, metric)
			tw, _ := in["TimeWindow"].(map[string]any)
			end := now.UTC().Truncate(time.Second)
			if in["WebAclArn"] != arn || in["Scope"] != string(scope) || in["MaxItems"] != float64(100) ||
				tw["StartTime"] != epoch(end.Add(-15*time.Minute)) || tw["EndTime"] != epoch(end) {
				t.Errorf("request %v", in)
			}
			if _, ok := s.samples[metric]; !ok {
				return nil, &actions.Error{Code: "WAFNonexistentItemException", Message: "no rule with metric " + metric}
			}
			return map[string]any{"SampledRequests": s.samples[metric], "PopulationSize": 4200,
				"TimeWindow": map[string]any{"StartTime": tw["StartTime"], "EndTime": tw["EndTime"]}}, nil
		},
	}))
}

func TestBlockedRequests(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)
	f := newFixture(t, func(o *Options) { o.Now = func() time.Time { return now } })
	arn, _ := f.webACL(types.ScopeRegional, false)
	at := now.Add(-5 * time.Minute)
	s := &sampler{samples: map[string][]any{
		"rate": {
			sampled("BLOCK", "/login", "US", "203.0.113.5", "", at),
			sampled("BLOCK", "/login", "US", "203.0.113.5", "", at),
			sampled("BLOCK", "/login", "DE", "198.51.100.7", "", at),
			sampled("BLOCK", "/api/cart", "US", "203.0.113.5", "", at),
		},
		"common": {
			sampled("BLOCK", "/upload", "FR", "192.0.2.10", "SizeRestrictions_BODY", at),
			sampled("ALLOW", "/", "US", "192.0.2.11", "", at),
		},
	}}
	fakeSampler(t, testmoto.Endpoint(t), arn, types.ScopeRegional, now, s)
	svc := &actions.Service{Name: "web", Region: testmoto.Region, WebACLARN: arn}

	_, res := f.previewAndRun("waf.blocked_requests", actions.Request{Service: svc})
	name := arn[strings.Index(arn, "/webacl/")+len("/webacl/") : strings.LastIndex(arn, "/")]
	if want := "web: 5 blocked requests sampled in the last 15 minutes by web ACL " + name + ", most by RateLimit (4)"; res.Summary != want {
		t.Errorf("summary %q\nwant    %q", res.Summary, want)
	}
	for _, want := range []string{
		"Web ACL `" + name + "` (REGIONAL, default action allow), 10:15 UTC to 10:30 UTC\n",
		// Rules in priority order.
		"`RateLimit` (priority 0, block): 4 blocked of 4 sampled (of 4200 requests); URIs /login ×3, /api/cart ×1; countries US ×3, DE ×1\n" +
			"    e.g. GET /login from 203.0.113.5 (US) at 10:25 UTC\n",
		"`CommonRuleSet` (priority 1, rule group): 1 blocked of 2 sampled (of 4200 requests); rules SizeRestrictions_BODY ×1; URIs /upload ×1; countries FR ×1\n",
		"`WatchBots` (priority 2, count): request sampling is off",
	} {
		contains(t, "details", res.Text(), want)
	}
	if len(res.Sections) != 1 || len(res.Sections[0].Rows) != 5 || !strings.HasPrefix(res.Sections[0].Rows[1], "    e.g. GET /login") {
		t.Errorf("sections %+v: want the example as a row indented under its rule's", res.Sections)
	}
	wantMetrics(t, "waf.blocked_requests", res.Metrics, metricWant{testmoto.Region, "AWS/WAFV2", "BlockedRequests", "Sum", 60,
		[][2]string{{"WebACL", name}, {"Region", testmoto.Region}, {"Rule", "ALL"}}})
	s.mu.Lock()
	if want := []string{"rate", "common"}; !slices.Equal(s.asked, want) {
		t.Errorf("sampled %q, want %q (not the rule without sampling, nor the allowing default action)", s.asked, want)
	}
	s.samples = map[string][]any{"rate": {}, "common": {sampled("ALLOW", "/", "US", "192.0.2.11", "", at)}}
	s.mu.Unlock()
	_, res = f.previewAndRun("waf.blocked_requests", actions.Request{Service: svc})
	if want := "web: no blocked requests sampled in the last 15 minutes by web ACL " + name + " (3 rules)"; res.Summary != want {
		t.Errorf("summary %q", res.Summary)
	}
	contains(t, "details", res.Text(), "`RateLimit` (priority 0, block): no requests sampled\n`CommonRuleSet` (priority 1, rule group): 0 blocked of 1 sampled (of 4200 requests)\n")

	// Errors: WAF's, from moto and from the sampler, and the targets file's.
	_, err := f.run("waf.blocked_requests", actions.Request{Service: &actions.Service{Name: "web", Region: testmoto.Region,
		WebACLARN: "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/gone/00000000-0000-0000-0000-000000000000"}}, nil)
	wantCode(t, err, "WAFNonexistentItemException")
	s.mu.Lock()
	delete(s.samples, "common")
	s.mu.Unlock()
	_, err = f.run("waf.blocked_requests", actions.Request{Service: svc}, nil)
	wantCode(t, err, "WAFNonexistentItemException")
	wantErr(t, err, "wafv2 GetSampledRequests common (request ")
	_, err = f.run("waf.blocked_requests", actions.Request{Service: &actions.Service{Name: "web", Region: testmoto.Region, WebACLARN: "arn:aws:waf::123456789012:webacl/classic"}}, nil)
	wantErr(t, err, `service web: web_acl_arn "arn:aws:waf::123456789012:webacl/classic" in the targets file is not a WAFv2 web ACL ARN`)
	_, err = f.run("waf.blocked_requests", actions.Request{Service: &actions.Service{Name: "web", Region: testmoto.Region}}, nil)
	wantErr(t, err, "service web has no web_acl_arn in the targets file")
}

// TestBlockedRequestsCloudFront: a global web ACL is CLOUDFRONT scope in
// us-east-1 whatever the service's region, and a blocking default action
// is sampled under the web ACL's own metric.
func TestBlockedRequestsCloudFront(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	var regions []string // "Operation region" for each WAFv2 call
	f := newFixture(t, func(o *Options) {
		o.Now = func() time.Time { return now }
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("recordRegion",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if awsmiddleware.GetServiceID(ctx) == "WAFV2" {
						mu.Lock()
						regions = append(regions, awsmiddleware.GetOperationName(ctx)+" "+awsmiddleware.GetRegion(ctx))
						mu.Unlock()
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	})
	arn, metric := f.webACL(types.ScopeCloudfront, true)
	if !strings.Contains(arn, ":global/webacl/") {
		t.Fatalf("moto made %s", arn)
	}
	at := now.Add(-time.Minute)
	s := &sampler{samples: map[string][]any{
		"rate": {}, "common": {},
		metric: {
			sampled("BLOCK", "/admin", "BR", "198.51.100.20", "", at),
			sampled("BLOCK", "/admin", "BR", "198.51.100.21", "", at),
		},
	}}
	fakeSampler(t, testmoto.Endpoint(t), arn, types.ScopeCloudfront, now, s)
	svc := &actions.Service{Name: "web", Region: "eu-west-1", WebACLARN: arn}

	_, res := f.previewAndRun("waf.blocked_requests", actions.Request{Service: svc})
	contains(t, "summary", res.Summary, "web: 2 blocked requests sampled in the last 15 minutes by web ACL "+metric+", most by the default action (2)")
	contains(t, "details", res.Text(), "(CLOUDFRONT, default action block)")
	wantMetrics(t, "waf.blocked_requests", res.Metrics, metricWant{"us-east-1", "AWS/WAFV2", "BlockedRequests", "Sum", 60,
		[][2]string{{"WebACL", metric}, {"Rule", "ALL"}}})
	contains(t, "details", res.Text(), "\ndefault action (block): 2 blocked of 2 sampled (of 4200 requests); URIs /admin ×2; countries BR ×2")
	s.mu.Lock()
	defer s.mu.Unlock()
	if want := []string{"rate", "common", metric}; !slices.Equal(s.asked, want) {
		t.Errorf("sampled %q, want %q", s.asked, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"GetWebACL us-east-1", "GetSampledRequests us-east-1", "GetSampledRequests us-east-1", "GetSampledRequests us-east-1"}; !slices.Equal(regions, want) {
		t.Errorf("WAF called in %q, want us-east-1 for a CloudFront web ACL", regions)
	}
}

func TestParseWebACL(t *testing.T) {
	for _, c := range []struct {
		arn  string
		want webACL
		ok   bool
	}{
		{"arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/prod/a1b2", webACL{"eu-west-1", "REGIONAL", "prod", "a1b2"}, true},
		{"arn:aws:wafv2:us-east-1:123456789012:global/webacl/cdn/c3d4", webACL{"us-east-1", "CLOUDFRONT", "cdn", "c3d4"}, true},
		{"arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/prod/a1b2", webACL{}, false},
		{"arn:aws:waf-regional:eu-west-1:123456789012:webacl/a1b2", webACL{}, false},
		{"prod", webACL{}, false},
	} {
		got, ok := parseWebACL(c.arn)
		if got != c.want || ok != c.ok {
			t.Errorf("parseWebACL(%q) = %+v %v", c.arn, got, ok)
		}
	}
}
