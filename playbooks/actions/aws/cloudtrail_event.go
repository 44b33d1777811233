package aws

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/incident-bot/incident-bot/internal/txt"
)

// change is one write to S3, CloudFront or Route 53, as people read it.
type change struct {
	id      string
	at      time.Time
	who     string
	what    string
	where   string // "console", or the client's user agent
	console bool
	failed  string // the error code and message, when the call failed
}

func (c change) row() string {
	row := fmt.Sprintf("%s — %s — %s — %s", c.at.UTC().Format("2006-01-02 15:04:05 UTC"), c.who, c.what, c.where)
	if c.failed != "" {
		row += " — FAILED " + c.failed
	}
	return row
}

// trailRecord is the part of a CloudTrail record (the event's
// CloudTrailEvent, a JSON string) that says who acted, from where, and on
// what.
type trailRecord struct {
	UserIdentity struct {
		Type           string `json:"type"`
		ARN            string `json:"arn"`
		UserName       string `json:"userName"`
		InvokedBy      string `json:"invokedBy"`
		SessionContext struct {
			SessionIssuer struct {
				UserName string `json:"userName"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	UserAgent     string         `json:"userAgent"`
	ErrorCode     string         `json:"errorCode"`
	ErrorMessage  string         `json:"errorMessage"`
	ReadOnly      *bool          `json:"readOnly"`
	FromConsole   string         `json:"sessionCredentialFromConsole"` // "true" or absent
	RequestParams map[string]any `json:"requestParameters"`
}

// parseChange reads an event; write is false for a read-only call.
// LookupEvents' own ReadOnly ("true"/"false") decides, else the record's.
func parseChange(e types.Event, label string) (c change, write bool) {
	var rec trailRecord
	_ = json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec) // a bad record still shows what the event has
	switch ro := aws.ToString(e.ReadOnly); {
	case ro == "true", ro == "" && rec.ReadOnly != nil && *rec.ReadOnly:
		return change{}, false
	}
	c = change{
		id:   aws.ToString(e.EventId),
		at:   aws.ToTime(e.EventTime),
		who:  who(rec, aws.ToString(e.Username)),
		what: what(e, rec, label),
	}
	c.where, c.console = whereFrom(rec)
	if rec.ErrorCode != "" {
		c.failed = strings.TrimSuffix(rec.ErrorCode+": "+txt.Clip(rec.ErrorMessage, 200), ": ")
	}
	return c, true
}

// who names the person or role: an assumed role's session name is the
// person (or pipeline) behind it, so it comes first. LookupEvents'
// Username is added when it says something else.
func who(rec trailRecord, username string) string {
	id := rec.UserIdentity
	var name string
	switch id.Type {
	case "AssumedRole":
		// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
		role, session := id.SessionContext.SessionIssuer.UserName, ""
		if parts := strings.Split(id.ARN, "/"); len(parts) == 3 {
			role, session = cmp.Or(role, parts[1]), parts[2]
		}
		name = cmp.Or(session, username, "a session") + " (role " + cmp.Or(role, "unknown") + ")"
	case "IAMUser":
		name = cmp.Or(id.UserName, username, "unnamed") + " (IAM user)"
	case "Root":
		name = "the root user"
	case "AWSService":
		name = cmp.Or(id.InvokedBy, "an AWS service")
	default:
		name = id.ARN[strings.LastIndex(id.ARN, "/")+1:]
	}
	switch {
	case name == "":
		return cmp.Or(username, "unknown")
	case username != "" && !strings.Contains(name, username):
		return name + " [user " + username + "]"
	}
	return name
}

// whereFrom tells a change made in the console from one made by a
// program, which shows its user agent (Terraform's begins
// "APN/1.0 HashiCorp/1.0 Terraform/"). Through the console's own proxy
// CloudTrail writes "AWS Internal" instead of the browser's agent.
func whereFrom(rec trailRecord) (string, bool) {
	ua := rec.UserAgent
	if rec.FromConsole == "true" || strings.Contains(ua, "console.amazonaws.com") || strings.Contains(ua, "AWS Internal") {
		return "console", true
	}
	if ua == "" {
		return "unknown client", false
	}
	ua = txt.Clip(ua, 120)
	if strings.Contains(ua, "Terraform/") {
		return "Terraform: " + ua, false
	}
	return ua, false
}

// what is the call and the names it acted on: the event's resources,
// and from the request the bucket, the distribution and its origins (the
// TSS outage was CloudFront reading the wrong bucket), or the hosted zone
// and the records changed.
func what(e types.Event, rec trailRecord, label string) string {
	var names []string
	add := func(s string) {
		if s != "" && !slices.Contains(names, s) {
			names = append(names, s)
		}
	}
	for _, r := range e.Resources {
		add(aws.ToString(r.ResourceName))
	}
	p := rec.RequestParams
	add(str(p["bucketName"]))
	switch aws.ToString(e.EventSource) {
	case "cloudfront.amazonaws.com":
		add(str(p["id"]))
		if o := originsChanged(p); o != "" {
			add("origins " + o)
		}
	case "route53.amazonaws.com":
		if z := str(p["hostedZoneId"]); z != "" {
			add("zone " + z)
		}
		for _, r := range recordChanges(p) {
			add(r)
		}
	}
	line := label + " " + aws.ToString(e.EventName)
	if len(names) > 0 {
		line += " " + strings.Join(names, ", ")
	}
	return line
}

// originsChanged lists a distribution config's origins as domain+path.
func originsChanged(p map[string]any) string {
	cfg, _ := p["distributionConfig"].(map[string]any)
	o, _ := cfg["origins"].(map[string]any)
	items, _ := o["items"].([]any)
	var out []string
	for _, it := range items {
		m, _ := it.(map[string]any)
		if d := str(m["domainName"]); d != "" {
			out = append(out, d+str(m["originPath"]))
		}
	}
	return strings.Join(out, " ")
}

// recordChanges lists a change batch as "UPSERT api.example.org. CNAME".
func recordChanges(p map[string]any) []string {
	batch, _ := p["changeBatch"].(map[string]any)
	list, _ := batch["changes"].([]any)
	var out []string
	for _, it := range list {
		m, _ := it.(map[string]any)
		rr, _ := m["resourceRecordSet"].(map[string]any)
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s", str(m["action"]), str(rr["name"]), str(rr["type"]))))
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
