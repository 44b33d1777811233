package actions

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/agnivade/levenshtein"
	"go.yaml.in/yaml/v3"
)

// ChangesConfig is the targets file's `changes` setting: which services'
// changes CloudTrail is read for (/incident changes, postmortem drafts).
type ChangesConfig struct {
	Services []string `yaml:"services"`
}

// ChangeService is an AWS service whose management events CloudTrail
// records under the event source "<name>.amazonaws.com".
type ChangeService struct {
	Name  string // as written in the targets file: "s3"
	Label string // as people call it: "S3"
	// Global services are recorded in us-east-1 only, whichever region
	// the change was asked of.
	Global bool
}

// Source is the CloudTrail event source: "s3.amazonaws.com".
func (s ChangeService) Source() string { return s.Name + ".amazonaws.com" }

// GlobalRegion is where CloudTrail records global services' events.
const GlobalRegion = "us-east-1"

// changeServices are the services a targets file may name. The list is
// closed so that a slip ("cloudfrnt") is reported when the file is
// loaded, not found out at 3 a.m. as a lookup that never returns anything.
var changeServices = []ChangeService{
	{"s3", "S3", false}, {"cloudfront", "CloudFront", true}, {"route53", "Route 53", true},
	{"ecs", "ECS", false}, {"elasticloadbalancing", "ELB", false}, {"rds", "RDS", false},
	{"wafv2", "WAF", false}, {"acm", "ACM", false}, {"iam", "IAM", true}, {"ec2", "EC2", false},
	{"secretsmanager", "Secrets Manager", false}, {"ssm", "SSM", false},
	{"lambda", "Lambda", false}, {"elasticache", "ElastiCache", false}, {"autoscaling", "EC2 Auto Scaling", false},
	{"application-autoscaling", "Application Auto Scaling", false}, {"kms", "KMS", false}, {"sns", "SNS", false},
	{"sqs", "SQS", false}, {"dynamodb", "DynamoDB", false}, {"apigateway", "API Gateway", false},
	{"cloudformation", "CloudFormation", false}, {"logs", "CloudWatch Logs", false}, {"monitoring", "CloudWatch", false},
	{"events", "EventBridge", false}, {"ecr", "ECR", false}, {"eks", "EKS", false},
}

// changeAliases are names people write for services CloudTrail calls
// otherwise.
var changeAliases = map[string]string{
	"elb": "elasticloadbalancing", "elbv2": "elasticloadbalancing", "alb": "elasticloadbalancing",
	"waf": "wafv2", "secrets": "secretsmanager", "cloudwatch": "monitoring", "eventbridge": "events",
}

// defaultChangeServices are what an incident usually touches: the site's
// storage, CDN, DNS, containers, load balancers, database, firewall,
// certificates, permissions, instances and configuration.
var defaultChangeServices = []string{"s3", "cloudfront", "route53", "ecs", "elasticloadbalancing", "rds", "wafv2", "acm", "iam", "ec2", "secretsmanager", "ssm"}

// ChangeServices are the services whose changes are read: the file's
// `changes.services`, else the default ones, each once, in file order.
func (t *Targets) ChangeServices() []ChangeService {
	names := t.Changes.Services
	if len(names) == 0 {
		names = defaultChangeServices
	}
	var out []ChangeService
	for _, n := range names {
		if s, ok := changeService(n); ok && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func changeService(name string) (ChangeService, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	if a, ok := changeAliases[name]; ok {
		name = a
	}
	i := slices.IndexFunc(changeServices, func(s ChangeService) bool { return s.Name == name })
	if i < 0 {
		return ChangeService{}, false
	}
	return changeServices[i], true
}

// validateChanges reports unknown and repeated services in
// changes.services through bad.
func (t *Targets) validateChanges(root *yaml.Node, bad problemFunc) {
	list := t.Changes.Services
	if list != nil && len(list) == 0 {
		bad(keyLine(root, "changes", "services"), "changes.services is empty: list services such as [s3, cloudfront], or leave it out for the default ones")
	}
	seen := map[string]bool{}
	for _, n := range list {
		s, ok := changeService(n)
		switch {
		case !ok:
			bad(keyLine(root, "changes", "services"), "changes.services: CloudTrail has no service %q%s", n, suggestService(n))
		case seen[s.Name]:
			bad(keyLine(root, "changes", "services"), "changes.services: %q is listed twice", n)
		}
		seen[s.Name] = true
	}
}

// suggestService is the name meant by a slip, else the names there are.
func suggestService(written string) string {
	best, dist := "", max(2, len(written)/4)+1
	for _, s := range changeServices {
		if d := levenshtein.ComputeDistance(strings.ToLower(written), s.Name); d < dist {
			best, dist = s.Name, d
		}
	}
	if best != "" && dist < len(written) {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	names := make([]string, 0, len(changeServices))
	for _, s := range changeServices {
		names = append(names, s.Name)
	}
	return " (known: " + strings.Join(names, ", ") + ")"
}

// Account is an AWS account the targets file reaches: through a role
// (RoleARN, its ID read from it), or with the bot's own credentials
// (both empty).
type Account struct {
	ID      string
	RoleARN string
}

// roleARNRE is an IAM role's ARN in any partition; the account ID is
// read from it.
var roleARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]+$`)

// AccountOf is the account ID in a role's ARN ("" for none).
func AccountOf(roleARN string) string {
	if m := roleARNRE.FindStringSubmatch(roleARN); m != nil {
		return m[1]
	}
	return ""
}

// Accounts are the accounts the file's services and RDS databases are
// in: one per account ID (the first role naming it, in name order), and
// the bot's own credentials when some target has no role_arn (or the
// file has no targets). Sorted, own credentials first.
func (t *Targets) Accounts() []Account {
	byID := map[string]string{}
	own := len(t.Services) == 0 && len(t.Databases) == 0
	note := func(role string) {
		if role == "" {
			own = true
			return
		}
		if id := AccountOf(role); id != "" && (byID[id] == "" || role < byID[id]) {
			byID[id] = role
		}
	}
	for _, s := range t.Services {
		note(s.RoleARN)
	}
	for _, d := range t.Databases {
		if d.Instance != "" || d.RoleARN != "" {
			note(d.RoleARN)
		}
	}
	var out []Account
	if own {
		out = append(out, Account{})
	}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		out = append(out, Account{ID: id, RoleARN: byID[id]})
	}
	return out
}

// Regions are the regions the file names (its region, each service's and
// database's) and us-east-1, where global services are recorded; sorted.
func (t *Targets) Regions() []string {
	set := map[string]bool{GlobalRegion: true}
	if t.Region != "" {
		set[t.Region] = true
	}
	for _, s := range t.Services {
		if s.Region != "" {
			set[s.Region] = true
		}
	}
	for _, d := range t.Databases {
		if d.Region != "" {
			set[d.Region] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// validateRole reports a role_arn that is not an IAM role's ARN: its
// account is read from it, and a mistyped one would fail every call.
func validateRole(role, what string, line int, bad problemFunc) {
	if role != "" && AccountOf(role) == "" {
		bad(line, "%s: role_arn %q is not an IAM role ARN such as arn:aws:iam::123456789012:role/incident-bot", what, role)
	}
}
