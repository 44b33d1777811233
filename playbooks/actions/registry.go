// Package actions is the registry of remediation actions a playbook may
// name: what each is called, whether it changes anything, and the
// parameters it takes. Playbooks are validated against it when loaded.
package actions

import (
	"fmt"
	"sort"
)

// ParamType is the type of an action parameter as written in YAML.
type ParamType string

// Parameter types.
const (
	String  ParamType = "string"
	Int     ParamType = "int"
	Bool    ParamType = "bool"
	Strings ParamType = "strings" // a list of strings
)

// Param describes one parameter of an action.
type Param struct {
	Name     string
	Type     ParamType
	Required bool
	Help     string
}

// Spec describes an action.
type Spec struct {
	ID      string
	Title   string // button text: at most 75 characters
	Mutates bool   // changes AWS or a database: confirmed, authorised, audited
	Params  []Param
	IAM     []string // AWS permissions it needs (incident-bot iam-policy)
}

// Param returns the named parameter.
func (s Spec) Param(name string) (Param, bool) {
	for _, p := range s.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// service is the parameter nearly every action takes: the name of a
// service in the targets file, which maps it to its AWS resources.
var service = Param{Name: "service", Type: String, Required: true, Help: "service name from the targets file"}

var database = Param{Name: "database", Type: String, Required: true, Help: "database name from the targets file"}

// specs lists every action. Keep IDs stable: playbooks and the IAM policy
// refer to them.
var specs = []Spec{
	{ID: "ecs.service_status", Title: "ECS service status", Params: []Param{service}, IAM: []string{"ecs:DescribeServices"}},
	{ID: "ecs.stopped_tasks", Title: "Stopped tasks and reasons", Params: []Param{service}, IAM: []string{"ecs:ListTasks", "ecs:DescribeTasks"}},
	{ID: "ecs.force_deploy", Title: "Force new deployment", Mutates: true, Params: []Param{service}, IAM: []string{"ecs:DescribeServices", "ecs:UpdateService"}},
	{ID: "ecs.scale", Title: "Scale service", Mutates: true, Params: []Param{service,
		{Name: "count", Type: Int, Help: "desired task count (capped by configuration)"}},
		IAM: []string{"ecs:DescribeServices", "ecs:UpdateService"}},
	{ID: "ecs.rollback", Title: "Roll back task definition", Mutates: true, Params: []Param{service}, IAM: []string{"ecs:DescribeServices", "ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions", "ecs:UpdateService"}},
	{ID: "autoscaling.suspend_scale_in", Title: "Turn off scaling down", Mutates: true, Params: []Param{service}, IAM: []string{"application-autoscaling:DescribeScalableTargets", "application-autoscaling:RegisterScalableTarget"}},
	{ID: "autoscaling.resume_scale_in", Title: "Turn scaling down back on", Mutates: true, Params: []Param{service}, IAM: []string{"application-autoscaling:DescribeScalableTargets", "application-autoscaling:RegisterScalableTarget"}},
	{ID: "rds.status", Title: "Database status, CPU and free storage", Params: []Param{database}, IAM: []string{"rds:DescribeDBInstances", "cloudwatch:GetMetricStatistics"}},
	{ID: "rds.snapshot", Title: "Snapshot the database", Mutates: true, Params: []Param{database}, IAM: []string{"rds:DescribeDBInstances", "rds:CreateDBSnapshot"}},
	{ID: "rds.reboot", Title: "Reboot the database", Mutates: true, Params: []Param{database}, IAM: []string{"rds:DescribeDBInstances", "rds:RebootDBInstance"}},
	{ID: "rds.replicas", Title: "Read replicas", Params: []Param{database}, IAM: []string{"rds:DescribeDBInstances"}},
	{ID: "rds.add_replica", Title: "Add read replicas", Mutates: true, Params: []Param{database,
		{Name: "count", Type: Int, Help: "how many replicas in total (capped by configuration)"}},
		IAM: []string{"rds:DescribeDBInstances", "rds:CreateDBInstanceReadReplica"}},
	{ID: "cloudfront.invalidate", Title: "Invalidate CDN cache", Mutates: true, Params: []Param{service,
		{Name: "paths", Type: Strings, Help: "paths to invalidate (default /*)"}},
		IAM: []string{"cloudfront:GetDistribution", "cloudfront:CreateInvalidation"}},
	{ID: "cloudfront.origins", Title: "CDN origins and bucket policy", Params: []Param{service}, IAM: []string{"cloudfront:GetDistribution", "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock"}},
	{ID: "elb.target_health", Title: "Load balancer target health", Params: []Param{service}, IAM: []string{"elasticloadbalancing:DescribeTargetHealth"}},
	{ID: "acm.listener_certs", Title: "Certificate expiry", Params: []Param{service}, IAM: []string{"elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates", "acm:DescribeCertificate"}},
	{ID: "ecr.image_exists", Title: "Check the image tag exists", Params: []Param{service}, IAM: []string{"ssm:GetParameter", "ecr:DescribeImages"}},
	{ID: "secrets.execution_role_access", Title: "Can tasks read their secrets", Params: []Param{service}, IAM: []string{"ecs:DescribeServices", "ecs:DescribeTaskDefinition", "iam:SimulatePrincipalPolicy"}},
	{ID: "route53.delegation", Title: "Check DNS delegation", Params: []Param{service}, IAM: []string{"route53:GetHostedZone", "route53:ListResourceRecordSets"}},
	{ID: "waf.blocked_requests", Title: "WAF blocked requests", Params: []Param{service}, IAM: []string{"wafv2:GetWebACL", "wafv2:GetSampledRequests"}},
	{ID: "elasticache.health", Title: "Redis health", Params: []Param{service}, IAM: []string{"elasticache:DescribeReplicationGroups"}},
	{ID: "logs.recent_errors", Title: "Recent errors in logs", Params: []Param{service}, IAM: []string{"logs:FilterLogEvents"}},
	{ID: "ec2.instance_status", Title: "Instance state, status checks and scheduled events", Params: []Param{service}, IAM: []string{"ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "ec2:DescribeImages"}},
	{ID: "ec2.start_instance", Title: "Start the stopped instance", Mutates: true, Params: []Param{service,
		{Name: "instance", Type: String, Help: "instance ID (one of the service's ec2_instances; default: its stopped ones)"}},
		IAM: []string{"ec2:DescribeInstances", "ec2:StartInstances"}},
	{ID: "account.notice_contacts", Title: "Who receives AWS notices", Params: []Param{service}, IAM: []string{"account:GetAlternateContact", "account:GetContactInformation"}},
	{ID: "cloudtrail.recent_changes", Title: "Recent changes to S3, CloudFront and Route 53", Params: []Param{service,
		{Name: "hours", Type: Int, Help: "how far back to look (default 6, at most 72)"}},
		IAM: []string{"cloudtrail:LookupEvents"}},
	{ID: "pg.blocking_tree", Title: "Find blocking queries", Params: []Param{database}},
	{ID: "pg.long_transactions", Title: "Long-running transactions", Params: []Param{database}},
	{ID: "pg.connections", Title: "Connections vs max_connections", Params: []Param{database}},
	{ID: "pg.missing_grants", Title: "Check application role grants", Params: []Param{database}},
	{ID: "pg.terminate_blocker", Title: "End blocking query", Mutates: true, Params: []Param{database}},
}

var byID = func() map[string]Spec {
	m := make(map[string]Spec, len(specs))
	for _, s := range specs {
		if _, dup := m[s.ID]; dup {
			panic(fmt.Sprintf("actions: duplicate id %q", s.ID))
		}
		m[s.ID] = s
	}
	return m
}()

// Lookup returns the action with the given ID.
func Lookup(id string) (Spec, bool) {
	s, ok := byID[id]
	return s, ok
}

// IDs lists every action ID, sorted.
func IDs() []string {
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
