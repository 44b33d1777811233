package aws

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	waftypes "github.com/aws/aws-sdk-go-v2/service/wafv2/types"

	"github.com/incident-bot/incident-bot/internal/txt"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// blockedRequests is waf.blocked_requests: the web ACL's rules and, from
// WAF's request samples over the last wafWindow, which of them blocked
// what — the runbook's "identify which rules are blocking requests" for
// users getting 403s.
type blockedRequests struct{ c *Clients }

const (
	wafWindow  = 15 * time.Minute
	wafSamples = 100 // per rule, of the first 5,000 requests in the window
)

func (blockedRequests) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

// webACL is a web ACL ARN's parts: GetWebACL takes the name, ID and scope.
type webACL struct {
	region, scope, name, id string
}

// parseWebACL reads arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID
// (global/webacl/… for CloudFront, which WAF serves from us-east-1).
func parseWebACL(arn string) (webACL, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "wafv2" {
		return webACL{}, false
	}
	res := strings.Split(parts[5], "/")
	if len(res) != 4 || res[1] != "webacl" || res[2] == "" || res[3] == "" {
		return webACL{}, false
	}
	w := webACL{region: parts[3], name: res[2], id: res[3]}
	switch res[0] {
	case "regional":
		w.scope = string(waftypes.ScopeRegional)
	case "global":
		w.scope, w.region = string(waftypes.ScopeCloudfront), "us-east-1"
	default:
		return webACL{}, false
	}
	return w, w.region != ""
}

// ruleSample is what one rule's (or the default action's) samples show.
type ruleSample struct {
	name       string // the rule's name, or "the default action"
	label      string // "`RateLimit` (priority 0, block)"
	blocked    int
	sampled    int
	population int64
	uris       map[string]int
	countries  map[string]int
	inner      map[string]int // rules within a rule group that blocked
	example    string         // one blocked request
	note       string         // why there is no sample
}

func (r blockedRequests) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	_, s, err := r.c.service(ctx, req, "web_acl_arn")
	if err != nil {
		return actions.Result{}, err
	}
	w, ok := parseWebACL(s.WebACLARN)
	if !ok {
		return actions.Result{}, fmt.Errorf("service %s: web_acl_arn %q in the targets file is not a WAFv2 web ACL ARN (arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID)", s.Name, s.WebACLARN)
	}
	a, err := r.c.get(ctx, w.region, s.RoleARN)
	if err != nil {
		return actions.Result{}, err
	}
	acl, id, err := getWebACL(ctx, a.waf, w)
	if err != nil {
		return actions.Result{}, err
	}
	rules := slices.Clone(acl.Rules)
	slices.SortFunc(rules, func(a, b waftypes.Rule) int { return cmp.Compare(a.Priority, b.Priority) })

	end := r.c.now().UTC().Truncate(time.Second)
	ws := wafSampling{
		api: a.waf, arn: s.WebACLARN, scope: w.scope,
		window: &waftypes.TimeWindow{StartTime: aws.Time(end.Add(-wafWindow)), EndTime: aws.Time(end)},
	}
	samples, err := ws.sampleAll(ctx, rules, acl)
	if err != nil {
		return actions.Result{}, err
	}
	details := wafDetails(acl, w.scope, ws.window, samples)
	summary := wafSummary(s.Name, aws.ToString(acl.Name), len(rules), samples)
	return actions.Result{Summary: summary, Sections: []actions.Section{details}, RequestID: id, Metrics: wafMetrics(w, acl, s)}, nil
}

// wafMetrics is what the web ACL blocked over time, all rules together:
// the samples above say which rules, the graph says since when. WAF
// publishes it under the web ACL's metric name (its name unless set
// otherwise), with the Region only for a regional web ACL; a CloudFront
// one's lives in us-east-1. None when the web ACL sends no metrics.
func wafMetrics(w webACL, acl *waftypes.WebACL, s *actions.Service) []actions.Metric {
	name := w.name
	if vc := acl.VisibilityConfig; vc != nil {
		if !vc.CloudWatchMetricsEnabled {
			return nil
		}
		name = cmp.Or(aws.ToString(vc.MetricName), name)
	}
	dims := [][2]string{{"WebACL", name}}
	if w.scope == string(waftypes.ScopeRegional) {
		dims = append(dims, [2]string{"Region", w.region})
	}
	dims = append(dims, [2]string{"Rule", "ALL"})
	return []actions.Metric{{Label: "Requests blocked by " + w.name, Region: w.region, Role: s.RoleARN, Namespace: "AWS/WAFV2",
		Metric: "BlockedRequests", Dimensions: dims, Stat: "Sum", Period: 60, Unit: "Count"}}
}

// getWebACL fetches the web ACL (empty when WAF returns none) and the request ID.
func getWebACL(ctx context.Context, api wafAPI, w webACL) (*waftypes.WebACL, string, error) {
	out, err := api.GetWebACL(ctx, &wafv2.GetWebACLInput{Name: aws.String(w.name), Id: aws.String(w.id), Scope: waftypes.Scope(w.scope)})
	if err != nil {
		return nil, "", apiError("wafv2 GetWebACL", err)
	}
	acl := out.WebACL
	if acl == nil {
		acl = &waftypes.WebACL{}
	}
	return acl, requestID(out.ResultMetadata), nil
}

// wafSampling is which web ACL's requests to sample, and over which window.
type wafSampling struct {
	api    wafAPI
	arn    string
	scope  string
	window *waftypes.TimeWindow
}

// sampleAll samples each rule in order, then the default action when it blocks.
func (ws wafSampling) sampleAll(ctx context.Context, rules []waftypes.Rule, acl *waftypes.WebACL) ([]ruleSample, error) {
	var samples []ruleSample
	for _, rule := range rules {
		label := fmt.Sprintf("`%s` (priority %d, %s)", aws.ToString(rule.Name), rule.Priority, ruleAction(rule))
		rs, err := ws.sample(ctx, aws.ToString(rule.Name), label, rule.VisibilityConfig)
		if err != nil {
			return nil, err
		}
		samples = append(samples, rs)
	}
	if wafDefaultAction(acl) == "block" {
		// The web ACL's own metric samples the requests its default action
		// applied to.
		rs, err := ws.sample(ctx, "the default action", "default action (block)", acl.VisibilityConfig)
		if err != nil {
			return nil, err
		}
		samples = append(samples, rs)
	}
	return samples, nil
}

// wafDefaultAction is the web ACL's default action: "allow" or "block".
func wafDefaultAction(acl *waftypes.WebACL) string {
	if acl.DefaultAction != nil && acl.DefaultAction.Block != nil {
		return "block"
	}
	return "allow"
}

// sample is what WAF's samples show for the rule whose metric vc names.
func (ws wafSampling) sample(ctx context.Context, name, label string, vc *waftypes.VisibilityConfig) (ruleSample, error) {
	rs := ruleSample{name: name, label: label, uris: map[string]int{}, countries: map[string]int{}, inner: map[string]int{}}
	if vc == nil || !vc.SampledRequestsEnabled || aws.ToString(vc.MetricName) == "" {
		rs.note = "request sampling is off"
		return rs, nil
	}
	out, err := ws.api.GetSampledRequests(ctx, &wafv2.GetSampledRequestsInput{
		WebAclArn: aws.String(ws.arn), RuleMetricName: vc.MetricName, Scope: waftypes.Scope(ws.scope),
		TimeWindow: ws.window, MaxItems: aws.Int64(wafSamples),
	})
	if err != nil {
		return rs, apiError("wafv2 GetSampledRequests "+aws.ToString(vc.MetricName), err)
	}
	rs.sampled, rs.population = len(out.SampledRequests), out.PopulationSize
	for _, sr := range out.SampledRequests {
		rs.addBlocked(sr)
	}
	return rs, nil
}

// addBlocked counts a sampled request if it was blocked.
func (rs *ruleSample) addBlocked(sr waftypes.SampledHTTPRequest) {
	if !strings.EqualFold(aws.ToString(sr.Action), "BLOCK") {
		return
	}
	rs.blocked++
	hr := sr.Request
	if hr == nil {
		hr = &waftypes.HTTPRequest{}
	}
	rs.uris[aws.ToString(hr.URI)]++
	rs.countries[cmp.Or(aws.ToString(hr.Country), "?")]++
	if n := aws.ToString(sr.RuleNameWithinRuleGroup); n != "" {
		rs.inner[n]++
	}
	if rs.example == "" {
		rs.example = fmt.Sprintf("%s %s from %s (%s) at %s", aws.ToString(hr.Method), aws.ToString(hr.URI),
			aws.ToString(hr.ClientIP), cmp.Or(aws.ToString(hr.Country), "?"), clock(sr.Timestamp))
	}
}

// wafDetails words the details: the web ACL, then one row per rule sample.
func wafDetails(acl *waftypes.WebACL, scope string, window *waftypes.TimeWindow, samples []ruleSample) actions.Section {
	sec := actions.Section{Title: fmt.Sprintf("Web ACL `%s` (%s, default action %s), %s to %s", aws.ToString(acl.Name), scope, wafDefaultAction(acl),
		clock(window.StartTime), clock(window.EndTime))}
	for _, rs := range samples {
		sec.Rows = append(sec.Rows, ruleSampleRows(rs)...)
	}
	if len(samples) == 0 {
		sec.Rows = append(sec.Rows, "no rules")
	}
	return sec
}

// ruleSampleRows is one rule's (or the default action's) details row and,
// indented under it, an example of what it blocked.
func ruleSampleRows(rs ruleSample) []string {
	row := rs.label + ": "
	switch {
	case rs.note != "":
		row += rs.note
	case rs.sampled == 0:
		row += "no requests sampled"
	default:
		row += fmt.Sprintf("%d blocked of %d sampled (of %d requests)", rs.blocked, rs.sampled, rs.population)
	}
	if rs.blocked == 0 {
		return []string{row}
	}
	if len(rs.inner) > 0 {
		row += "; rules " + topCounts(rs.inner, 3)
	}
	row += "; URIs " + topCounts(rs.uris, 3) + "; countries " + topCounts(rs.countries, 3)
	return []string{row, "    e.g. " + rs.example}
}

// wafSummary words the summary: how many requests were blocked, most by which rule.
func wafSummary(service, aclName string, rules int, samples []ruleSample) string {
	total := 0
	var top *ruleSample
	for i := range samples {
		rs := &samples[i]
		total += rs.blocked
		if rs.blocked > 0 && (top == nil || rs.blocked > top.blocked) {
			top = rs
		}
	}
	since := fmt.Sprintf("in the last %d minutes", int(wafWindow/time.Minute))
	if total > 0 {
		return fmt.Sprintf("%s: %s sampled %s by web ACL %s, most by %s (%d)", service, plural(total, "blocked request"), since,
			aclName, top.name, top.blocked)
	}
	return fmt.Sprintf("%s: no blocked requests sampled %s by web ACL %s (%s)", service, since, aclName, plural(rules, "rule"))
}

// ruleAction is what a rule does on a match: its action, or for a rule
// group what overrides it.
func ruleAction(r waftypes.Rule) string {
	if a := r.Action; a != nil {
		switch {
		case a.Block != nil:
			return "block"
		case a.Allow != nil:
			return "allow"
		case a.Count != nil:
			return "count"
		case a.Captcha != nil:
			return "CAPTCHA"
		case a.Challenge != nil:
			return "challenge"
		}
	}
	if o := r.OverrideAction; o != nil {
		if o.Count != nil {
			return "rule group, count only"
		}
		return "rule group"
	}
	return "no action"
}

// topCounts writes the n most frequent values: "/login ×12, /api ×3".
func topCounts(m map[string]int, n int) string {
	keys := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(keys, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
	var parts []string
	for i, k := range keys {
		if i == n {
			parts = append(parts, fmt.Sprintf("+%d more", len(keys)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", txt.Clip(k, 80), m[k]))
	}
	return strings.Join(parts, ", ")
}
