package aws

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/internal/txt"
)

// Change is one write CloudTrail recorded (a management event that was
// not read-only), as people read it. Plain text: renderers escape it.
type Change struct {
	ID      string // CloudTrail's event ID
	At      time.Time
	Account string // the account it was made in, when CloudTrail says
	Region  string // where CloudTrail recorded it
	Service string // "S3", "CloudFront"
	Event   string // the call: "PutBucketPolicy"
	On      []string
	Who     string // the person or role, and its session
	Console bool   // made in the AWS console
	// Agent is what made it when not the console: "Terraform 1.9.8",
	// "AWS CLI 2.17.4", else the client's user agent, clipped ("" when
	// CloudTrail recorded none).
	Agent     string
	UserAgent string // the client's user agent as recorded, clipped
	Failed    string // the error code and message, when the call failed
	Link      string // the event in the CloudTrail console
}

// What is the call and what it acted on: "PutBucketPolicy on my-bucket".
func (c Change) What() string {
	if len(c.On) == 0 {
		return c.Event + " (" + c.Service + ")"
	}
	return c.Event + " on " + strings.Join(c.On, ", ")
}

// Row is the change on one line, as cloudtrail.recent_changes lists it.
func (c Change) Row() string {
	what := c.Service + " " + c.Event
	if len(c.On) > 0 {
		what += " " + strings.Join(c.On, ", ")
	}
	row := fmt.Sprintf("%s — %s — %s — %s", c.At.UTC().Format("2006-01-02 15:04:05 UTC"), c.Who, what, c.where())
	if c.Failed != "" {
		row += " — FAILED " + c.Failed
	}
	return row
}

// where is "console", or the client that made the change with its whole
// user agent (Terraform's begins "APN/1.0 HashiCorp/1.0 Terraform/").
func (c Change) where() string {
	switch {
	case c.Console:
		return "console"
	case c.UserAgent == "":
		return "unknown client"
	case strings.HasPrefix(c.Agent, "Terraform"):
		return "Terraform: " + c.UserAgent
	}
	return c.UserAgent
}

// eventLink is the event in the CloudTrail console of its region.
func eventLink(region, id string) string {
	if region == "" || id == "" {
		return ""
	}
	r := url.QueryEscape(region)
	return fmt.Sprintf("https://%s.console.aws.amazon.com/cloudtrailv2/home?region=%s#/events/%s", r, r, url.PathEscape(id))
}

// agents name the tools people recognise in a user agent; the version
// follows the tool's name and a slash.
var agents = []struct {
	name string
	re   *regexp.Regexp
}{
	{"Terraform", regexp.MustCompile(`Terraform/(\S+)`)},
	{"OpenTofu", regexp.MustCompile(`OpenTofu/(\S+)`)},
	{"Pulumi", regexp.MustCompile(`(?i)pulumi/(\S+)`)},
	{"AWS CLI", regexp.MustCompile(`aws-cli/(\S+)`)},
	{"AWS CDK", regexp.MustCompile(`aws-cdk/(\S+)`)},
	{"boto3", regexp.MustCompile(`Boto3/(\S+)`)},
}

// agentOf is the tool behind a user agent, for a timeline line: the
// whole agent runs on for a hundred characters.
func agentOf(ua string) string {
	switch {
	case strings.HasPrefix(ua, "Mozilla/"):
		return "a web browser"
	case strings.Contains(ua, "aws-internal/"):
		return "an AWS service"
	}
	for _, a := range agents {
		if m := a.re.FindStringSubmatch(ua); m != nil {
			return a.name + " " + m[1]
		}
	}
	if f := strings.Fields(ua); len(f) > 0 {
		return txt.Clip(f[0], 60)
	}
	return ""
}
