package paging

import (
	"reflect"
	"strings"
	"testing"
)

// testKey is a routing key of the right length; tests assert that no
// error ever shows it.
const testKey = "r0utingk3yr0utingk3yr0utingk3y00"

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// targetKeys is the environment of the ParseTargets tests.
var targetKeys = env(map[string]string{
	"PAGERDUTY_ROUTING_KEY":    testKey,
	"PAGERDUTY_ROUTING_KEY_DB": " " + testKey + "\n", // as a secrets file leaves it
	"SHORT_KEY":                "abc123",
})

const topic = "arn:aws:sns:eu-west-2:123456789012:oncall"

func TestParseTargets(t *testing.T) {
	good := []struct {
		value string
		want  []Target
	}{
		{"", nil},
		{" , ", nil},
		{"pagerduty", []Target{{Kind: KindPagerDuty}}},
		{"pagerduty, sns:" + topic + ", webhook:https://hooks.example.com/page", []Target{
			{Kind: KindPagerDuty}, {Kind: KindSNS, Addr: topic}, {Kind: KindWebhook, Addr: "https://hooks.example.com/page"},
		}},
		{"PagerDuty:PAGERDUTY_ROUTING_KEY_DB", []Target{{Kind: KindPagerDuty, Addr: "PAGERDUTY_ROUTING_KEY_DB"}}},
		{"pagerduty,pagerduty:PAGERDUTY_ROUTING_KEY,,", []Target{{Kind: KindPagerDuty}}},
		{"sns:arn:aws-us-gov:sns:us-gov-west-1:123456789012:pages", []Target{{Kind: KindSNS, Addr: "arn:aws-us-gov:sns:us-gov-west-1:123456789012:pages"}}},
		{"sns:arn:aws-cn:sns:cn-north-1:123456789012:pages.fifo", []Target{{Kind: KindSNS, Addr: "arn:aws-cn:sns:cn-north-1:123456789012:pages.fifo"}}},
		{"webhook:http://127.0.0.1:8080/x, webhook:http://localhost/y, webhook:http://[::1]:9/z", []Target{
			{Kind: KindWebhook, Addr: "http://127.0.0.1:8080/x"}, {Kind: KindWebhook, Addr: "http://localhost/y"}, {Kind: KindWebhook, Addr: "http://[::1]:9/z"},
		}},
	}
	for _, c := range good {
		got, err := ParseTargets("ESCALATION_PAGE", c.value, targetKeys)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseTargets(%q) = %+v, %v; want %+v", c.value, got, err, c.want)
		}
	}
}

func TestParseTargetsErrors(t *testing.T) {
	bad := []struct{ value, want string }{
		{"pagerdty", `ESCALATION_PAGE: "pagerdty" is not a paging target; use pagerduty, pagerduty:VARIABLE, sns:TOPIC_ARN or webhook:URL`},
		{"pagerduty:OTHER_KEY", "ESCALATION_PAGE: pagerduty needs OTHER_KEY set (the integration key of a PagerDuty Events API v2 integration)"},
		{"pagerduty:bad-name", `ESCALATION_PAGE: "pagerduty:bad-name" names no environment variable; write pagerduty:VARIABLE, where VARIABLE holds the routing key`},
		{"pagerduty:", `ESCALATION_PAGE: "pagerduty:" names no environment variable; write pagerduty:VARIABLE, where VARIABLE holds the routing key`},
		{"pagerduty:SHORT_KEY", "ESCALATION_PAGE: SHORT_KEY holds 6 characters; a PagerDuty Events API v2 routing key has 32"},
		{"pagerduty:e93facc04764012d7bfb002500d5d1a6", "ESCALATION_PAGE: pagerduty: takes the name of the environment variable that holds the routing key, not the key itself"},
		{"sns:arn:aws:sns:eu-west-2:1234:oncall", `ESCALATION_PAGE: "sns:arn:aws:sns:eu-west-2:1234:oncall" is not an SNS topic ARN (the account is not 12 digits); write sns:arn:aws:sns:REGION:ACCOUNT:TOPIC`},
		{"sns:arn:aws:sqs:eu-west-2:123456789012:oncall", `(service "sqs" is not sns)`},
		{"sns:arn:aws-iso:sns:us-iso-east-1:123456789012:oncall", `(partition "aws-iso" is not aws, aws-cn or aws-us-gov)`},
		{"sns:arn:aws:sns:Europe:123456789012:oncall", `("Europe" is not a region)`},
		{"sns:arn:aws:sns:eu-west-2:123456789012:on/call", `("on/call" is not a topic name)`},
		{"sns:oncall", "(an ARN has six parts separated by colons)"},
		{"webhook:http://hooks.example.com/s3cr3t", "ESCALATION_PAGE: webhook http://hooks.example.com/…: must use https (http only for localhost and 127.0.0.1)"},
		{"webhook:/hooks/s3cr3t", "ESCALATION_PAGE: webhook (URL without a host): is not an absolute URL"},
		{"https://hooks.example.com/s3cr3t", "ESCALATION_PAGE: https://hooks.example.com/… is not a paging target; a URL needs webhook: in front (use pagerduty"},
		{"pagerduty, sns:" + topic + ", nope", `ESCALATION_PAGE: "nope" is not a paging target`},
	}
	for _, c := range bad {
		got, err := ParseTargets("ESCALATION_PAGE", c.value, targetKeys)
		if err == nil {
			t.Errorf("ParseTargets(%q) = %+v; want an error containing %q", c.value, got, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseTargets(%q) error:\n %s\nwant it to contain\n %s", c.value, err, c.want)
		}
		for _, secret := range []string{testKey, "s3cr3t", "e93facc04764012d7bfb002500d5d1a6", "abc123"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("ParseTargets(%q) error shows a secret: %s", c.value, err)
			}
		}
	}
}

func TestParseTargetsDefaultGetenv(t *testing.T) {
	t.Setenv("PAGING_TEST_KEY", testKey)
	got, err := ParseTargets("X", "pagerduty:PAGING_TEST_KEY", nil)
	if err != nil || len(got) != 1 || got[0].Addr != "PAGING_TEST_KEY" {
		t.Fatalf("with the process environment: %+v, %v", got, err)
	}
}

func TestTargetString(t *testing.T) {
	for _, c := range []struct {
		t    Target
		want string
	}{
		{Target{Kind: KindPagerDuty}, "PagerDuty"},
		{Target{Kind: KindPagerDuty, Addr: "PAGERDUTY_ROUTING_KEY"}, "PagerDuty"},
		{Target{Kind: KindPagerDuty, Addr: "PAGERDUTY_ROUTING_KEY_DB"}, "PagerDuty (PAGERDUTY_ROUTING_KEY_DB)"},
		{Target{Kind: KindSNS, Addr: "arn:aws:sns:eu-west-2:123456789012:oncall"}, "SNS topic oncall (eu-west-2)"},
		{Target{Kind: KindWebhook, Addr: "https://user:pw@hooks.example.com/services/s3cr3t?token=s3cr3t"}, "webhook hooks.example.com"},
		{Target{Kind: KindWebhook, Addr: "::"}, "webhook (invalid URL)"},
		{Target{Kind: "pager"}, `unknown paging target "pager"`},
	} {
		if got := c.t.String(); got != c.want {
			t.Errorf("%+v.String() = %q, want %q", c.t, got, c.want)
		}
	}
}
