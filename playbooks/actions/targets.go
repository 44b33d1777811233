package actions

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Targets is the targets file: which AWS resources and databases the
// names in playbooks ("service: web", "database: main") stand for, and
// the guardrails on changing them. Its path is TARGETS_FILE.
type Targets struct {
	Region     string               `yaml:"region"` // default for services without one
	Services   map[string]*Service  `yaml:"services"`
	Databases  map[string]*Database `yaml:"databases"`
	Guardrails Guardrails           `yaml:"guardrails"`
	// Changes says which services' CloudTrail changes are read
	// (changes.go); the default ones when unset.
	Changes ChangesConfig `yaml:"changes"`
}

// Service maps a service name to its AWS resources. Only the fields an
// action needs must be set; the action says which is missing.
type Service struct {
	Name             string `yaml:"-"`
	Region           string `yaml:"region"`
	RoleARN          string `yaml:"role_arn"` // assumed for every call when set
	Cluster          string `yaml:"cluster"`  // ECS cluster
	ECSService       string `yaml:"ecs_service"`
	TargetGroupARN   string `yaml:"target_group_arn"`
	LoadBalancerARN  string `yaml:"load_balancer_arn"`
	DistributionID   string `yaml:"distribution_id"` // CloudFront
	LogGroup         string `yaml:"log_group"`
	WebACLARN        string `yaml:"web_acl_arn"`
	ReplicationGroup string `yaml:"replication_group"` // ElastiCache
	HostedZoneID     string `yaml:"hosted_zone_id"`
	Domain           string `yaml:"domain"`
	ImageParameter   string `yaml:"image_parameter"` // SSM parameter holding the deployed image tag
	ECRRepository    string `yaml:"ecr_repository"`
	// EC2Instances are the service's instances; ec2.start_instance never
	// starts one that is not listed here.
	EC2Instances []string `yaml:"ec2_instances"`
}

// Database maps a database name to its RDS instance and how to connect.
type Database struct {
	Name        string `yaml:"-"`
	Region      string `yaml:"region"`
	RoleARN     string `yaml:"role_arn"`
	Instance    string `yaml:"rds_instance"`
	URLEnv      string `yaml:"url_env"`       // variable holding a read-only connection string
	AdminURLEnv string `yaml:"admin_url_env"` // variable for ending queries (pg_terminate_backend); optional
	AppRole     string `yaml:"app_role"`      // the application's role, for the grants check
}

// Guardrails limit what mutating actions may do and who may run them.
type Guardrails struct {
	// Approvers are Slack user group IDs whose members may run mutating
	// actions (and change anyone's incident). Without any, nobody may run
	// them: authority is never taken from the incident itself, which
	// anyone can declare or take command of.
	Approvers []string `yaml:"approvers"`
	// CommanderMayRun lets an incident's commander who is not an approver
	// run mutating actions too (off by default). It needs TwoPerson:
	// anyone can take command.
	CommanderMayRun bool `yaml:"commander_may_run"`
	// TwoPerson requires the person who confirms a mutating action to be
	// someone other than the person who asked for it.
	TwoPerson       bool     `yaml:"two_person"`
	DryRun          bool     `yaml:"dry_run"`
	Timeout         Duration `yaml:"timeout"`
	MaxScale        int      `yaml:"max_scale"`         // ecs.scale cap
	MaxReadReplicas int      `yaml:"max_read_replicas"` // rds.add_replica cap
}

// Limits are the caps an action applies.
type Limits struct {
	MaxScale        int
	MaxReadReplicas int
}

// Duration is a time.Duration written like "45s".
type Duration struct{ time.Duration }

// UnmarshalYAML parses a Go duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v <= 0 {
		return fmt.Errorf("line %d: %q is not a duration such as 60s", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// MaxTimeout is the longest guardrails.timeout: a preview and a run must
// both fit in the bot's two-minute budget for one click.
const MaxTimeout = 55 * time.Second

// Defaults from the team's runbook: scale to 15.
const (
	defaultTimeout     = 45 * time.Second
	defaultMaxScale    = 15
	defaultMaxReplicas = 15
)

var (
	nameRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	usergroupRE = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	envRE       = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	lineRE      = regexp.MustCompile(`line (\d+): (.*)`)
	// instanceRE is an EC2 instance ID (8 hex digits for old ones, 17 now).
	instanceRE = regexp.MustCompile(`^i-[0-9a-f]{8,17}$`)
)

// LoadTargets reads and checks the targets file; problems name the file
// and line.
func LoadTargets(path string) (*Targets, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("TARGETS_FILE: %w", err)
	}
	return ParseTargets(path, data)
}

// ParseTargets decodes a targets file strictly (unknown fields are
// errors) and validates it.
func ParseTargets(file string, data []byte) (*Targets, error) {
	var t Targets
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil && !errors.Is(err, io.EOF) {
		var msgs []string
		if te, ok := errors.AsType[*yaml.TypeError](err); ok {
			msgs = te.Errors
		} else {
			msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
		}
		var out []string
		for _, m := range msgs {
			if sm := lineRE.FindStringSubmatch(m); sm != nil {
				n, _ := strconv.Atoi(sm[1])
				m = fmt.Sprintf("%s:%d: %s", file, n, sm[2])
			} else {
				m = file + ": " + m
			}
			out = append(out, m)
		}
		return nil, errors.New(strings.Join(out, "\n"))
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	if err := t.validate(file, &root); err != nil {
		return nil, err
	}
	return &t, nil
}

// problemFunc reports a problem at a line of the targets file.
type problemFunc func(line int, format string, args ...any)

func (t *Targets) validate(file string, root *yaml.Node) error {
	var errs []string
	bad := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s:%d: %s", file, line, fmt.Sprintf(format, args...)))
	}
	t.validateServices(root, bad)
	t.validateDatabases(root, bad)
	t.validateGuardrails(root, bad)
	t.validateChanges(root, bad)
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

// validateServices names each service, fills in its region and reports
// bad names and missing regions through bad.
func (t *Targets) validateServices(root *yaml.Node, bad problemFunc) {
	for _, name := range slices.Sorted(maps.Keys(t.Services)) {
		s := t.Services[name]
		if s == nil {
			s = &Service{}
			t.Services[name] = s
		}
		s.Name = name
		if !nameRE.MatchString(name) {
			bad(keyLine(root, "services", name), "service name %q must be lowercase letters, digits, - and _", name)
		}
		if s.Region == "" {
			s.Region = t.Region
		}
		if s.Region == "" {
			bad(keyLine(root, "services", name), "service %s has no region (set region: at the top or on the service)", name)
		}
		validateRole(s.RoleARN, "service "+name, keyLine(root, "services", name, "role_arn"), bad)
		for _, id := range s.EC2Instances {
			// Checked here, not at 3 a.m.: a mistyped ID would make
			// ec2.start_instance refuse an instance that is really the service's.
			if !instanceRE.MatchString(id) {
				bad(keyLine(root, "services", name, "ec2_instances"), "service %s: %q in ec2_instances is not an EC2 instance ID such as i-0123456789abcdef0", name, id)
			}
		}
	}
}

// validateDatabases names each database, fills in its region and reports
// bad names and connection-string variables through bad.
func (t *Targets) validateDatabases(root *yaml.Node, bad problemFunc) {
	for _, name := range slices.Sorted(maps.Keys(t.Databases)) {
		d := t.Databases[name]
		if d == nil {
			d = &Database{}
			t.Databases[name] = d
		}
		d.Name = name
		if !nameRE.MatchString(name) {
			bad(keyLine(root, "databases", name), "database name %q must be lowercase letters, digits, - and _", name)
		}
		if d.Region == "" {
			d.Region = t.Region
		}
		validateRole(d.RoleARN, "database "+name, keyLine(root, "databases", name, "role_arn"), bad)
		for _, fe := range d.envFields() {
			field, env := fe[0], fe[1]
			if env != "" && !envRE.MatchString(env) {
				// The value is not repeated: it may be a pasted connection string.
				bad(keyLine(root, "databases", name, field), "database %s: %s must name an environment variable such as MAIN_DATABASE_URL, not hold the connection string", name, field)
			}
		}
	}
}

// validateGuardrails fills in the guardrails' defaults and reports bad
// approvers, timeouts and caps through bad.
func (t *Targets) validateGuardrails(root *yaml.Node, bad problemFunc) {
	g := &t.Guardrails
	for _, a := range g.Approvers {
		if !usergroupRE.MatchString(a) {
			bad(keyLine(root, "guardrails", "approvers"), "approver %q must be a Slack user group ID such as S0123ABCD", a)
		}
	}
	if g.Timeout.Duration == 0 {
		g.Timeout.Duration = defaultTimeout
	}
	if g.Timeout.Duration > MaxTimeout {
		bad(keyLine(root, "guardrails", "timeout"), "timeout %s is above %s, what one action may take in the bot", g.Timeout.Duration, MaxTimeout)
	}
	if g.MaxScale == 0 {
		g.MaxScale = defaultMaxScale
	}
	if g.MaxReadReplicas == 0 {
		g.MaxReadReplicas = defaultMaxReplicas
	}
	if g.CommanderMayRun && !g.TwoPerson {
		// Anyone can declare an incident or take command of one: alone,
		// this would let anyone change production.
		bad(keyLine(root, "guardrails", "commander_may_run"), "commander_may_run needs two_person: true (anyone can take command of an incident, so a second person must confirm)")
	}
	if g.MaxScale < 0 || g.MaxReadReplicas < 0 {
		bad(keyLine(root, "guardrails"), "caps must be positive")
	}
}

// Limits returns the caps actions apply.
func (t *Targets) Limits() Limits {
	return Limits{MaxScale: t.Guardrails.MaxScale, MaxReadReplicas: t.Guardrails.MaxReadReplicas}
}

// Service returns the named service, or an error naming the file's
// services.
func (t *Targets) Service(name string) (*Service, error) {
	if s, ok := t.Services[name]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("the targets file has no service %q (it has: %s)", name, strings.Join(slices.Sorted(maps.Keys(t.Services)), ", "))
}

// Database returns the named database.
func (t *Targets) Database(name string) (*Database, error) {
	if d, ok := t.Databases[name]; ok {
		return d, nil
	}
	return nil, fmt.Errorf("the targets file has no database %q (it has: %s)", name, strings.Join(slices.Sorted(maps.Keys(t.Databases)), ", "))
}

// keyLine finds the line of a key path in the parsed file.
func keyLine(root *yaml.Node, path ...string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, key := range path {
		found := false
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					line, n, found = n.Content[i].Line, n.Content[i+1], true
					break
				}
			}
		}
		if !found {
			break
		}
	}
	return line
}

// CheckEnv says which variables the file names are not set, so a missing
// connection string fails at start-up, not at 3 a.m. on the first click.
// Only the names are reported, never a value.
func (t *Targets) CheckEnv(getenv func(string) string) error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(t.Databases)) {
		d := t.Databases[name]
		for _, fe := range d.envFields() {
			field, env := fe[0], fe[1]
			if env != "" && strings.TrimSpace(getenv(env)) == "" {
				errs = append(errs, fmt.Errorf("database %s: %s names %s, which is not set", name, field, env))
			}
		}
	}
	return errors.Join(errs...)
}

// envFields are the database's variable fields in file order, so their
// problems are reported in the same order every time.
func (d *Database) envFields() [][2]string {
	return [][2]string{{"url_env", d.URLEnv}, {"admin_url_env", d.AdminURLEnv}}
}
