// Package paging sends pages to people through PagerDuty (Events API v2),
// Amazon SNS and plain webhooks, and reads PagerDuty's v3 webhooks to learn
// who acknowledged. Send reports provider failures as
// *incidents.DeliveryError, so the outbox dispatcher decides when to try
// again; no error or String ever carries a routing key, token or webhook
// path, since both end up in logs and the incident's timeline.
package paging

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// Target kinds.
const (
	KindPagerDuty = "pagerduty"
	KindSNS       = "sns"
	KindWebhook   = "webhook"
)

// DefaultRoutingKeyVar is the variable holding the routing key of a bare
// "pagerduty" target.
const DefaultRoutingKeyVar = "PAGERDUTY_ROUTING_KEY"

// Target is one place a page goes.
type Target struct {
	Kind string // KindPagerDuty, KindSNS or KindWebhook
	// Addr: for pagerduty the NAME of the environment variable holding
	// the routing key (empty means DefaultRoutingKeyVar), for sns the
	// topic ARN, for webhook the URL. The key itself is read at send
	// time, so it is never copied into configuration dumps.
	Addr string
}

// String names t for people and the timeline, never showing a secret: a
// webhook is shown by its host alone, as its path often is the secret.
func (t Target) String() string {
	switch t.Kind {
	case KindPagerDuty:
		if v := t.routingKeyVar(); v != DefaultRoutingKeyVar {
			return "PagerDuty (" + v + ")"
		}
		return "PagerDuty"
	case KindSNS:
		if a, err := parseTopicARN(t.Addr); err == nil {
			return fmt.Sprintf("SNS topic %s (%s)", a.name, a.region)
		}
		return "SNS topic " + t.Addr
	case KindWebhook:
		if u, err := url.Parse(t.Addr); err == nil && u.Host != "" {
			return "webhook " + u.Host
		}
		return "webhook (invalid URL)"
	}
	return fmt.Sprintf("unknown paging target %q", t.Kind)
}

func (t Target) routingKeyVar() string {
	if t.Addr == "" {
		return DefaultRoutingKeyVar
	}
	return t.Addr
}

// accepted ends every "not a target" error, so the fix is in the message.
const accepted = "use pagerduty, pagerduty:VARIABLE, sns:TOPIC_ARN or webhook:URL"

// ParseTargets reads a comma-separated list of targets, such as
// "pagerduty, sns:arn:aws:sns:eu-west-2:123456789012:oncall,
// webhook:https://hooks.example.com/page", from the variable name. An
// empty value means no targets. PagerDuty routing keys are looked up with
// getenv (os.Getenv when nil) so a missing key fails at startup rather
// than at 3am; their values are never printed. Empty items and repeats
// are dropped. A webhook URL containing a comma must write it as %2C.
func ParseTargets(name, value string, getenv func(string) string) ([]Target, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var out []Target
	seen := map[Target]bool{}
	for item := range strings.SplitSeq(value, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		t, err := parseTarget(item, getenv)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

func parseTarget(item string, getenv func(string) string) (Target, error) {
	kind, rest, _ := strings.Cut(item, ":")
	switch strings.ToLower(strings.TrimSpace(kind)) {
	case KindPagerDuty:
		return parsePagerDuty(item, rest, getenv)
	case KindSNS:
		if _, err := parseTopicARN(rest); err != nil {
			return Target{}, fmt.Errorf("%q is not an SNS topic ARN (%w); write sns:arn:aws:sns:REGION:ACCOUNT:TOPIC", item, err)
		}
		return Target{Kind: KindSNS, Addr: rest}, nil
	case KindWebhook:
		if err := checkWebhookURL(rest); err != nil {
			return Target{}, fmt.Errorf("webhook %s: %w", shownURL(rest), err)
		}
		return Target{Kind: KindWebhook, Addr: rest}, nil
	}
	if strings.Contains(item, "://") {
		return Target{}, fmt.Errorf("%s is not a paging target; a URL needs webhook: in front (%s)", shownURL(item), accepted)
	}
	return Target{}, fmt.Errorf("%q is not a paging target; %s", item, accepted)
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// routingKeyLen is the length PagerDuty requires of a routing key.
const routingKeyLen = 32

func parsePagerDuty(item, rest string, getenv func(string) string) (Target, error) {
	v := DefaultRoutingKeyVar
	if strings.Contains(item, ":") {
		v = strings.TrimSpace(rest)
	}
	if !envName.MatchString(v) {
		return Target{}, fmt.Errorf("%q names no environment variable; write pagerduty:VARIABLE, where VARIABLE holds the routing key", item)
	}
	key := strings.TrimSpace(getenv(v))
	if key == "" && v != DefaultRoutingKeyVar && len(v) == routingKeyLen && strings.ToUpper(v) != v {
		// Someone pasted the key where its variable's name goes: say so
		// without repeating it.
		return Target{}, errors.New("pagerduty: takes the name of the environment variable that holds the routing key, not the key itself (e.g. PAGERDUTY_ROUTING_KEY_DB=<key> and pagerduty:PAGERDUTY_ROUTING_KEY_DB)")
	}
	if key == "" {
		return Target{}, fmt.Errorf("pagerduty needs %s set (the integration key of a PagerDuty Events API v2 integration)", v)
	}
	if n := len(key); n != routingKeyLen {
		return Target{}, fmt.Errorf("%s holds %d characters; a PagerDuty Events API v2 routing key has %d", v, n, routingKeyLen)
	}
	if v == DefaultRoutingKeyVar {
		v = "" // the zero Addr, so "pagerduty" and "pagerduty:PAGERDUTY_ROUTING_KEY" are one target
	}
	return Target{Kind: KindPagerDuty, Addr: v}, nil
}

// topicARN is a parsed SNS topic ARN.
type topicARN struct{ partition, region, account, name string }

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	// The length is checked apart: a {1,256} repetition compiles to a
	// program of 256 copies, a quarter of a megabyte held for good.
	topicNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// parseTopicARN checks arn:PARTITION:sns:REGION:ACCOUNT:NAME, saying which
// part is wrong: the region also picks the endpoint Send publishes to.
func parseTopicARN(s string) (topicARN, error) {
	p := strings.Split(s, ":")
	if len(p) != 6 || p[0] != "arn" {
		return topicARN{}, errors.New("an ARN has six parts separated by colons")
	}
	a := topicARN{partition: p[1], region: p[3], account: p[4], name: p[5]}
	switch {
	case a.partition != "aws" && a.partition != "aws-cn" && a.partition != "aws-us-gov":
		return topicARN{}, fmt.Errorf("partition %q is not aws, aws-cn or aws-us-gov", a.partition)
	case p[2] != "sns":
		return topicARN{}, fmt.Errorf("service %q is not sns", p[2])
	case !regionRE.MatchString(a.region):
		return topicARN{}, fmt.Errorf("%q is not a region", a.region)
	case !accountRE.MatchString(a.account):
		return topicARN{}, errors.New("the account is not 12 digits")
	case len(strings.TrimSuffix(a.name, ".fifo")) > 256 || !topicNameRE.MatchString(strings.TrimSuffix(a.name, ".fifo")):
		return topicARN{}, fmt.Errorf("%q is not a topic name", a.name)
	}
	return a, nil
}

// checkWebhookURL accepts absolute https URLs, and http to this machine
// (tests, a local relay): a page must not cross a network in clear text.
func checkWebhookURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("is not an absolute URL")
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return errors.New("must use https (http only for localhost and 127.0.0.1)")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// shownURL is a URL as errors may show it: scheme and host, as the path
// and credentials of a webhook are often its secret.
func shownURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unreadable URL)"
	}
	if u.Host == "" {
		return "(URL without a host)"
	}
	if u.Path == "" && u.RawQuery == "" && u.User == nil {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + "://" + u.Host + "/…"
}
