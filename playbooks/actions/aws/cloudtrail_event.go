package aws

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/incident-bot/incident-bot/internal/txt"
)

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
	Account       string         `json:"recipientAccountId"`
}

// parseChange reads an event recorded in region; write is false for a
// read-only call. LookupEvents' own ReadOnly ("true"/"false") decides,
// else the record's.
func parseChange(e types.Event, label, region string) (c Change, write bool) {
	var rec trailRecord
	_ = json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec) // a bad record still shows what the event has
	switch ro := aws.ToString(e.ReadOnly); {
	case ro == "true", ro == "" && rec.ReadOnly != nil && *rec.ReadOnly:
		return Change{}, false
	}
	c = Change{
		ID:      aws.ToString(e.EventId),
		At:      aws.ToTime(e.EventTime),
		Account: rec.Account,
		Region:  region,
		Service: label,
		Event:   aws.ToString(e.EventName),
		On:      actedOn(e, rec),
		Who:     who(rec, aws.ToString(e.Username)),
		Console: fromConsole(rec),
		Link:    eventLink(region, aws.ToString(e.EventId)),
	}
	if !c.Console && rec.UserAgent != "" {
		c.UserAgent, c.Agent = txt.Clip(rec.UserAgent, 120), agentOf(rec.UserAgent)
	}
	if rec.ErrorCode != "" {
		c.Failed = strings.TrimSuffix(rec.ErrorCode+": "+txt.Clip(rec.ErrorMessage, 200), ": ")
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

// fromConsole tells a change made in the console from one made by a
// program, which shows its user agent. Through the console's own proxy
// CloudTrail writes "AWS Internal" instead of the browser's agent.
func fromConsole(rec trailRecord) bool {
	ua := rec.UserAgent
	return rec.FromConsole == "true" || strings.Contains(ua, "console.amazonaws.com") || strings.Contains(ua, "AWS Internal")
}

// actedOn is what a call acted on: the event's resources, and from the
// request the bucket, the distribution and its origins (the TSS outage
// was CloudFront reading the wrong bucket), the hosted zone and the
// records changed, or for other services the names their requests
// commonly carry.
func actedOn(e types.Event, rec trailRecord) []string {
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
	case "s3.amazonaws.com":
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
	default:
		for _, k := range requestNames {
			add(str(p[k]))
		}
	}
	return names
}

// requestNames are the request parameters that name what a call of the
// other services acted on, when CloudTrail lists no resources.
var requestNames = []string{"cluster", "service", "dBInstanceIdentifier", "dBClusterIdentifier", "loadBalancerArn",
	"targetGroupArn", "listenerArn", "certificateArn", "name", "secretId", "roleName", "userName", "policyArn", "groupId", "functionName"}

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
