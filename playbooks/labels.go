package playbooks

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// labelGroup is a set of alert label keys one alert source sets. The
// parsers in incidents/alerts decide these names; this list mirrors
// them, and the README's table of label keys mirrors this list
// (TestReadmeListsLabelKeys), so a playbook author can see what to write.
type labelGroup struct {
	Keys    []string
	Who     string // the source that sets them, as messages name it
	Note    string // more about them, for the README
	Example string // a label as a playbook writes it
}

// wellKnownLabels are the label keys the alert sources set. Alertmanager
// and webhook labels are free-form, so this is not the list of allowed
// keys: it is what a key is compared with to catch a misspelling.
var wellKnownLabels = []labelGroup{
	{[]string{"alarm"}, "CloudWatch alarms", "the alarm's name", "alarm: [rds-main-free-storage]"},
	{[]string{"metric", "namespace"}, "CloudWatch alarms", "", "namespace: [AWS/RDS]"},
	{[]string{"state"}, "CloudWatch alarms, EC2 state-change events", "ALARM, OK, INSUFFICIENT_DATA; running, stopped…", "state: [stopped]"},
	{[]string{"region", "account"}, "CloudWatch alarms, AWS Health, EventBridge events", "", "region: [eu-west-2]"},
	{[]string{"ServiceName", "ClusterName", "DBInstanceIdentifier", "DBClusterIdentifier", "LoadBalancer", "TargetGroup",
		"DistributionId", "InstanceId", "CacheClusterId", "ReplicationGroupId", "FunctionName", "QueueName", "TableName",
		"AutoScalingGroupName", "WebACL"},
		"CloudWatch alarms", "the metric's dimensions: any dimension name works, these are the common ones (EC2 events set InstanceId too)",
		"DBInstanceIdentifier: [main-db]"},
	{[]string{"aws_service", "event_type", "category"}, "AWS Health", "", "event_type: [AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED]"},
	{[]string{"source", "detail_type", "resources"}, "AWS Health, EventBridge events", "", "detail_type: [ECS Task State Change]"},
	{[]string{"instance-id", "stoppedReason", "stopCode", "lastStatus", "group", "clusterArn", "eventName", "eventSource",
		"type", "title", "severity", "errorCode", "errorMessage"},
		"EventBridge events", "these fields of the event's detail, when present", "stopCode: [EssentialContainerExited]"},
	{[]string{"topic"}, "other SNS messages", "the topic's ARN", "topic: [arn:aws:sns:eu-west-2:123456789012:alerts]"},
	{[]string{"rds_event", "rds_source"}, "RDS event notifications", "the event's code and source type", "rds_event: [RDS-EVENT-0089]"},
	{[]string{"alertname", "severity", "job", "instance", "service", "namespace", "app", "app_kubernetes_io_name", "cluster", "pod",
		"container", "node", "zone", "env", "environment", "team", "stage", "status", "code", "handler", "method", "uri"},
		"Alertmanager", "any Prometheus label works; these are the common ones", "alertname: [RedisDown]"},
	{[]string{"monitor_id", "monitor", "url", "ssl_expiry", "alert_type"}, "Uptime Robot", "alert_type is down, up or ssl", "alert_type: [down]"},
	{[]string{"channel", "sender"}, "alert channel messages", "", "sender: [aws-chatbot]"},
}

// wrongShapes are keys people write for a value the parsers label
// differently (the CloudWatch payload says AlarmName; the label is alarm).
var wrongShapes = map[string]string{
	"alarmname": "alarm", "alarm_name": "alarm", "alarm-name": "alarm",
	"metricname": "metric", "metric_name": "metric", "metric-name": "metric",
	"eventtypecode": "event_type", "event_type_code": "event_type",
	"eventtypecategory": "category", "newstatevalue": "state", "awsaccountid": "account",
	"detail-type": "detail_type", // the EventBridge JSON field; the parser's label has an underscore
}

var (
	knownLabelKeys, knownLabelSource = func() ([]string, map[string]string) {
		var keys []string
		source := map[string]string{} // lowercased key → who sets it
		for _, g := range wellKnownLabels {
			for _, k := range g.Keys {
				if who, dup := source[strings.ToLower(k)]; dup {
					source[strings.ToLower(k)] = who + ", " + g.Who
					continue
				}
				keys = append(keys, k)
				source[strings.ToLower(k)] = g.Who
			}
		}
		return keys, source
	}()
	// promLabel is a Prometheus label name; dimensionLabel also admits
	// the dots, hyphens and colons of CloudWatch custom dimensions and
	// EventBridge fields (instance-id).
	promLabel      = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	dimensionLabel = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._:-]*$`)
	notNameChars   = regexp.MustCompile(`[^A-Za-z0-9_]+`)
)

// labelKeyProblem says why no alert could carry label key k, or "" when
// one could. Alertmanager and webhook labels are free-form, so any valid
// name passes unless it looks like a well-known key misspelt: a playbook
// matching "alertnme" would load and then never match anything. Because
// a team's own senders may really use such a name ("resource" beside
// AWS Health's "resources"), a quoted key is taken as written.
func labelKeyProblem(k string, quoted bool) string {
	if strings.TrimSpace(k) == "" {
		return "match.labels: a label needs a name"
	}
	if _, ok := knownLabelSource[strings.ToLower(k)]; ok {
		return "" // matching ignores case: Alertname is alertname
	}
	valid := promLabel.MatchString(k) || dimensionLabel.MatchString(k)
	if meant, ok := meantLabel(k); ok && !(quoted && valid) {
		who := knownLabelSource[strings.ToLower(meant)]
		if !valid {
			return fmt.Sprintf("match.labels: no alert source sets %q (label names have no spaces or slashes); did you mean %q (set by %s)?", k, meant, who)
		}
		return fmt.Sprintf("match.labels: no alert source sets %q; did you mean %q (set by %s)? "+
			"If your alerts do carry %q, write the key in quotes to keep it", k, meant, who, k)
	}
	if valid {
		return ""
	}
	return fmt.Sprintf("match.labels: no alert source sets %q: label names are letters, digits and _ (Prometheus) or a CloudWatch dimension name such as DBInstanceIdentifier, with no spaces or slashes", k)
}

// meantLabel finds the well-known key that k looks like a slip for: a
// known wrong shape, or a near miss. Near means at most max(1, len/4)
// edits — tighter than for field names, because label keys are
// free-form: with two edits, a team's own "pod" or "team" would be taken
// for "job" or "type". A name that differs only in case and separators
// is another naming convention, not a slip: exporters turn CloudWatch's
// DBInstanceIdentifier into Prometheus's dbinstance_identifier.
func meantLabel(k string) (string, bool) {
	tidy := strings.Trim(notNameChars.ReplaceAllString(k, "_"), "_") // "alarm name" → alarm_name
	for _, c := range []string{k, tidy} {
		if to, ok := wrongShapes[strings.ToLower(c)]; ok {
			return to, true
		}
		if _, ok := knownLabelSource[strings.ToLower(c)]; ok && c != k {
			return c, true
		}
	}
	meant, ok := nearest(k, knownLabelKeys, max(1, utf8.RuneCountInString(k)/4))
	if !ok || squash(meant) == squash(k) {
		return "", false
	}
	return meant, true
}

// squash is a label name without case or separators.
func squash(k string) string {
	return strings.NewReplacer("_", "", "-", "", ".", "").Replace(strings.ToLower(k))
}
