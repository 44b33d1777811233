// Package alerts turns what monitoring sends — CloudWatch alarms and AWS
// Health events through SNS, Alertmanager and Uptime Robot webhooks, a
// generic JSON webhook — into one normalised record, so that deciding
// whether to open, feed or resolve an incident never depends on where an
// alert came from. Parsers never panic on hostile input: they return an
// error that names the problem, for a 400.
package alerts

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/internal/txt"
)

// Status is whether the condition holds.
type Status string

const (
	Firing   Status = "firing"
	Resolved Status = "resolved"
)

// Severity decides what happens to a firing alert: a critical one opens
// (or feeds) an incident, a warning one asks a person to triage it.
type Severity string

const (
	Critical Severity = "critical"
	Warning  Severity = "warning"
)

// Source names where an alert came from.
const (
	SourceCloudWatch   = "cloudwatch"
	SourceAWSHealth    = "aws-health"
	SourceSNS          = "sns"
	SourceAlertmanager = "alertmanager"
	SourceUptimeRobot  = "uptimerobot"
	SourceWebhook      = "webhook"
)

// Alert is one normalised alert.
type Alert struct {
	Source string
	// Fingerprint identifies the condition across repeats and its
	// resolution: the Alertmanager fingerprint, the CloudWatch alarm ARN,
	// the Uptime Robot monitor, the AWS Health event ARN.
	Fingerprint string
	Status      Status
	Severity    Severity
	Title       string
	Text        string
	Labels      map[string]string
	Links       []string
	At          time.Time
	// DeliveryID, when the sender gives one, identifies this delivery:
	// the same alert delivered twice (a retry) is stored once.
	DeliveryID string
	// Group is the sender's own grouping of alerts into one problem:
	// Alertmanager's groupKey. Empty when the sender has none.
	Group string
	// Graph is what of the alert can be drawn; nil when nothing can.
	Graph *Graph
}

// Limits on what one alert keeps, so a hostile or broken sender cannot
// make one record huge.
const (
	maxTitle  = 300
	maxText   = 4000
	maxLabels = 64
	maxLabel  = 500
	maxLinks  = 10
)

// normalise trims and bounds the fields and fills what can be derived.
// Unstorable characters are replaced first, so the bounds apply to what
// is stored (U+FFFD is three bytes where a NUL was one).
func (a *Alert) normalise(now time.Time) {
	replaced := a.makeStorable()
	a.Title = txt.ClipBytes(strings.TrimSpace(txt.FirstLine(a.Title)), maxTitle)
	a.Text = txt.ClipBytes(strings.TrimSpace(a.Text), maxText)
	if a.Title == "" {
		a.Title = txt.ClipBytes(strings.TrimSpace(txt.FirstLine(a.Text)), maxTitle)
	}
	if len(a.Labels) > maxLabels {
		keys := slices.Sorted(maps.Keys(a.Labels))
		for _, k := range keys[maxLabels:] {
			delete(a.Labels, k)
		}
	}
	for k, v := range a.Labels {
		if len(k) > maxLabel || k == "" || strings.TrimSpace(v) == "" {
			delete(a.Labels, k)
			continue
		}
		a.Labels[k] = txt.ClipBytes(v, maxLabel)
	}
	if a.Title == "" {
		// Better a title made of labels than an alert nobody can name.
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
			kv = append(kv, k+"="+a.Labels[k])
		}
		a.Title = txt.ClipBytes(firstOf(strings.Join(kv, " "), a.Source+" alert"), maxTitle)
	}
	var links []string
	for _, l := range a.Links {
		// No <, > or | (nor spaces): a link is written into Slack's <url>
		// markup, where those would let a sender ping @channel.
		if l = strings.TrimSpace(l); (strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")) && len(l) <= 2000 && len(links) < maxLinks &&
			!strings.ContainsAny(l, "<>| \t\n") {
			links = append(links, l)
		}
	}
	a.Links = links
	if a.At.IsZero() || a.At.Year() < 2000 {
		a.At = now
	}
	a.At = a.At.UTC()
	if a.Fingerprint == "" {
		a.Fingerprint = a.Source + ":" + LabelsFingerprint(map[string]string{"title": a.Title})
	}
	a.Fingerprint = txt.ClipBytes(a.Fingerprint, maxLabel)
	if len(a.Group) > maxLabel {
		// A key, not text: a long one is kept whole as its hash.
		sum := sha256.Sum256([]byte(a.Group))
		a.Group = "sha256:" + hex.EncodeToString(sum[:])
	}
	a.noteReplaced(replaced)
}

// Validate reports what makes an alert unusable.
func (a Alert) Validate() error {
	switch {
	case a.Status != Firing && a.Status != Resolved:
		return fmt.Errorf("status must be firing or resolved, got %q", a.Status)
	case a.Severity != Critical && a.Severity != Warning:
		return fmt.Errorf("severity must be critical or warning, got %q", a.Severity)
	case a.Title == "":
		return fmt.Errorf("the alert has neither a title nor a text")
	}
	return nil
}

// LabelsFingerprint is a stable fingerprint of a label set, for senders
// that do not give one.
func LabelsFingerprint(labels map[string]string) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		fmt.Fprintf(h, "%s\x00%s\x00", k, labels[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// severityOf reads the usual words for how bad something is.
func severityOf(s string) (Severity, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical", "crit", "page", "error", "high", "sev1", "sev2", "p1", "p2", "emergency", "alert", "fatal":
		return Critical, true
	case "warning", "warn", "info", "low", "medium", "sev3", "sev4", "p3", "p4", "p5", "notice", "none":
		return Warning, true
	}
	return "", false
}
