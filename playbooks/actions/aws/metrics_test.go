package aws

// The metrics read-only checks describe for the bot to draw: what each
// action returns for its target, checked field by field so a graph shows
// what the action's numbers say.

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	waftypes "github.com/aws/aws-sdk-go-v2/service/wafv2/types"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// metricWant is what a check's graph must draw.
type metricWant struct {
	region, namespace, metric, stat string
	period                          int
	dims                            [][2]string
}

// wantMetrics fails unless got draws exactly want, in order, each with a
// label for people.
func wantMetrics(t *testing.T, action string, got []actions.Metric, want ...metricWant) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d metrics %+v, want %d", action, len(got), got, len(want))
		return
	}
	for i, w := range want {
		g := got[i]
		if g.Region != w.region || g.Namespace != w.namespace || g.Metric != w.metric || g.Stat != w.stat || g.Period != w.period ||
			!slices.Equal(g.Dimensions, w.dims) || g.Label == "" {
			t.Errorf("%s: metric %d = %+v\nwant %+v", action, i, g, w)
		}
	}
}

func TestALBDimension(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188":  "app/web/50dc6c495c0c9188",
		"arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/edge/50dc6c495c0c9188": "",
		"arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/50dc6c495c0c9188":       "",
		"": "",
	} {
		if got, ok := albDimension(arn); ok != (want != "") || (ok && got != want) {
			t.Errorf("albDimension(%q) = %q %v, want %q", arn, got, ok, want)
		}
	}
}

// CloudFront's metrics are in us-east-1, Region=Global, wherever the
// service runs.
func TestCDNMetricsRegion(t *testing.T) {
	svc := &actions.Service{Name: "web", Region: "eu-west-1", DistributionID: "E2QWRUHEXAMPLE"}
	wantMetrics(t, "cloudfront.origins", cdnMetrics(svc), metricWant{"us-east-1", "AWS/CloudFront", "5xxErrorRate", "Average", 60,
		[][2]string{{"DistributionId", "E2QWRUHEXAMPLE"}, {"Region", "Global"}}})
}

// WAF publishes under the web ACL's metric name, not its name; a web ACL
// without CloudWatch metrics has nothing to draw.
func TestWAFMetricsName(t *testing.T) {
	w, _ := parseWebACL("arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/prod/a1b2")
	svc := &actions.Service{Name: "web", Region: "eu-west-1"}
	acl := &waftypes.WebACL{VisibilityConfig: &waftypes.VisibilityConfig{MetricName: aws.String("prodACL"), CloudWatchMetricsEnabled: true}}
	wantMetrics(t, "waf.blocked_requests", wafMetrics(w, acl, svc), metricWant{"eu-west-1", "AWS/WAFV2", "BlockedRequests", "Sum", 60,
		[][2]string{{"WebACL", "prodACL"}, {"Region", "eu-west-1"}, {"Rule", "ALL"}}})
	acl.VisibilityConfig.CloudWatchMetricsEnabled = false
	wantMetrics(t, "waf.blocked_requests without metrics", wafMetrics(w, acl, svc))
}
