package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// The Terraform module (deploy/terraform), read with HCL's own parser and
// checked against the code it deploys. Nothing here needs a provider or
// the network; `scripts/check-deploy` runs terraform itself.
const moduleDir = "../../deploy/terraform"

// tfModule is the module's top-level blocks, by type.
type tfModule struct {
	resources map[string]*hclsyntax.Block // "aws_sns_topic.alerts"
	locals    map[string]*hclsyntax.Attribute
	variables map[string]*hclsyntax.Block
}

func loadModule(t *testing.T) tfModule {
	t.Helper()
	m := tfModule{resources: map[string]*hclsyntax.Block{}, locals: map[string]*hclsyntax.Attribute{}, variables: map[string]*hclsyntax.Block{}}
	files, _ := filepath.Glob(filepath.Join(moduleDir, "*.tf"))
	if len(files) == 0 {
		t.Fatalf("no .tf files in %s", moduleDir)
	}
	p := hclparse.NewParser()
	for _, f := range files {
		file, diags := p.ParseHCLFile(f)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", f, diags.Error())
		}
		for _, b := range file.Body.(*hclsyntax.Body).Blocks {
			switch {
			case b.Type == "resource" && len(b.Labels) == 2:
				m.resources[b.Labels[0]+"."+b.Labels[1]] = b
			case b.Type == "variable" && len(b.Labels) == 1:
				m.variables[b.Labels[0]] = b
			case b.Type == "locals":
				for name, a := range b.Body.Attributes {
					m.locals[name] = a
				}
			}
		}
	}
	return m
}

// resource returns the named resource block, failing the test without it.
func (m tfModule) resource(t *testing.T, addr string) *hclsyntax.Block {
	t.Helper()
	b, ok := m.resources[addr]
	if !ok {
		t.Fatalf("the module has no %s", addr)
	}
	return b
}

// refersTo says whether expr is (or holds) a reference to addr, such as
// "aws_sns_topic.alerts".
func refersTo(expr hclsyntax.Expression, addr string) bool {
	for _, tr := range expr.Variables() {
		var parts []string
		for _, s := range tr {
			switch s := s.(type) {
			case hcl.TraverseRoot:
				parts = append(parts, s.Name)
			case hcl.TraverseAttr:
				parts = append(parts, s.Name)
			}
		}
		if strings.HasPrefix(strings.Join(parts, "."), addr) {
			return true
		}
	}
	return false
}

// mapEntries lists the literal keys of a map built with merge(),
// conditionals and object constructors, with each key's expression; maps
// passed in by the caller (var.environment) are not the module's to check.
func mapEntries(t *testing.T, expr hclsyntax.Expression) map[string]hclsyntax.Expression {
	t.Helper()
	out := map[string]hclsyntax.Expression{}
	var walk func(e hclsyntax.Expression)
	walk = func(e hclsyntax.Expression) {
		switch e := e.(type) {
		case *hclsyntax.FunctionCallExpr:
			for _, a := range e.Args {
				walk(a)
			}
		case *hclsyntax.ConditionalExpr:
			walk(e.TrueResult)
			walk(e.FalseResult)
		case *hclsyntax.ObjectConsExpr:
			for _, item := range e.Items {
				k, diags := item.KeyExpr.Value(nil)
				if diags.HasErrors() || k.Type() != cty.String {
					t.Fatalf("a map key that is not a plain name: %s", diags.Error())
				}
				out[k.AsString()] = item.ValueExpr
			}
		}
	}
	walk(expr)
	return out
}

// moduleSettings are the variables the task definition sets, plain and
// from Secrets Manager.
func moduleSettings(t *testing.T, m tfModule) (env, secrets map[string]hclsyntax.Expression) {
	t.Helper()
	envAttr, ok1 := m.locals["container_environment"]
	secAttr, ok2 := m.locals["container_secrets"]
	if !ok1 || !ok2 {
		t.Fatal("the module's task definition takes its variables from locals container_environment and container_secrets")
	}
	return mapEntries(t, envAttr.Expr), mapEntries(t, secAttr.Expr)
}

// plausible gives each setting the module sets a value of its kind, for
// the configuration loader.
var plausible = map[string]string{
	"SLACK_APP_TOKEN": "xapp-1-A0-1-secret", "SLACK_BOT_TOKEN": "xoxb-1-secret", "DATABASE_URL": "postgres://bot:pw@db.internal:5432/incidentbot",
	"ALERT_SNS_TOPICS": "arn:aws:sns:eu-west-2:123456789012:incident-bot-alerts", "DISPLAY_TIMEZONE": "Europe/London",
	"INCIDENTS_CHANNEL": "C0INCIDENTS", "HTTP_ADDR": ":8080", "LOG_FORMAT": "json", "SQLITE_PATH": "/data/incident-bot.db",
	"TARGETS_FILE": "/etc/incident-bot/targets.yaml",
}

// Every variable the task definition sets is one the bot reads, through
// its one configuration loader, and with them the loader finds nothing
// missing or wrong for serve; the tokens come from Secrets Manager.
func TestModuleSettingsAreTheBots(t *testing.T) {
	m := loadModule(t)
	env, secrets := moduleSettings(t, m)
	values := map[string]string{}
	for name := range env {
		values[name] = plausible[name]
	}
	for name := range secrets {
		values[name] = plausible[name]
	}
	read := map[string]bool{}
	_, problems := Load(func(k string) string { read[k] = true; return values[k] })
	for name := range values {
		if !read[name] {
			t.Errorf("the task definition sets %s, which the bot does not read", name)
		}
		if _, ok := plausible[name]; !ok {
			t.Errorf("no plausible value for %s: add one above so the loader checks it", name)
		}
	}
	if err := problems.For(PartServe); err != nil {
		t.Errorf("serve with the module's settings: %v", err)
	}
	for _, name := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "DATABASE_URL"} {
		if _, ok := secrets[name]; !ok {
			t.Errorf("%s is not taken from Secrets Manager", name)
		}
		if _, ok := env[name]; ok {
			t.Errorf("%s is set in plain text in the task definition", name)
		}
	}
	if !refersTo(env["ALERT_SNS_TOPICS"], "aws_sns_topic.alerts") {
		t.Error("ALERT_SNS_TOPICS does not come from the module's alerts topic")
	}
}

// The task role carries the policy `incident-bot iam-policy` generates,
// read from the committed file (not copied), and the topic delivers to
// the SNS receiver over HTTPS through an ALB rule for /alerts/* only.
func TestModuleWiring(t *testing.T) {
	m := loadModule(t)
	pol := m.resource(t, "aws_iam_policy.actions").Body.Attributes["policy"]
	call, ok := pol.Expr.(*hclsyntax.FunctionCallExpr)
	if !ok || call.Name != "file" || !strings.Contains(string(call.Args[0].Range().SliceBytes(mustRead(t, call.Args[0].Range().Filename))), "../aws/iam-policy.json") {
		t.Errorf("the task policy is not file(\"${path.module}/../aws/iam-policy.json\")")
	}
	if _, err := os.Stat(filepath.Join(moduleDir, "../aws/iam-policy.json")); err != nil {
		t.Error(err)
	}
	att := m.resource(t, "aws_iam_role_policy_attachment.task_actions").Body.Attributes
	if !refersTo(att["policy_arn"].Expr, "aws_iam_policy.actions") || !refersTo(att["role"].Expr, "aws_iam_role.task") {
		t.Error("the generated policy is not attached to the task role")
	}
	sub := m.resource(t, "aws_sns_topic_subscription.bot").Body.Attributes
	proto, _ := sub["protocol"].Expr.Value(nil)
	if !refersTo(sub["topic_arn"].Expr, "aws_sns_topic.alerts") || proto != cty.StringVal("https") {
		t.Error("the alerts topic is not subscribed over HTTPS")
	}
	url, ok := m.locals["alerts_url"]
	if !ok || !strings.Contains(string(url.SrcRange.SliceBytes(mustRead(t, url.SrcRange.Filename))), "/alerts/sns") {
		t.Error("the subscription's endpoint is not the bot's /alerts/sns")
	}
	var rule *hclsyntax.Block
	for addr, b := range m.resources {
		if strings.HasPrefix(addr, "aws_lb_listener_rule.") {
			rule = b
		}
	}
	paths := ""
	if rule != nil {
		paths = string(rule.Range().SliceBytes(mustRead(t, rule.Range().Filename)))
		if a, ok := m.locals["alb_paths"]; ok && strings.Contains(paths, "local.alb_paths") {
			paths = string(a.SrcRange.SliceBytes(mustRead(t, a.SrcRange.Filename)))
		}
	}
	if !strings.Contains(paths, `"/alerts/*"`) {
		t.Error("no ALB listener rule limited to /alerts/*")
	}
	dc := m.variables["desired_count"]
	if dc == nil || !slices.ContainsFunc(dc.Body.Blocks, func(b *hclsyntax.Block) bool {
		return b.Type == "validation" && strings.Contains(string(b.Range().SliceBytes(mustRead(t, b.Range().Filename))), `"postgres"`)
	}) {
		t.Error("desired_count has no validation keeping replicas to PostgreSQL")
	}
}

// The EventBridge rules: each pattern is valid JSON, sends its events to
// the alerts topic, and matches AWS's own samples, which the SNS
// receiver's parser turns into alerts (checkNoticeRoutes).
func TestModuleRoutesAWSNotices(t *testing.T) {
	m := loadModule(t)
	ctx := &hcl.EvalContext{Functions: map[string]function.Function{"jsonencode": stdlib.JSONEncodeFunc}}
	patterns := map[string]map[string]any{}
	for addr, b := range m.resources {
		name, ok := strings.CutPrefix(addr, "aws_cloudwatch_event_rule.")
		if !ok {
			continue
		}
		v, diags := b.Body.Attributes["event_pattern"].Expr.Value(ctx)
		if diags.HasErrors() || v.Type() != cty.String {
			t.Fatalf("%s: the pattern is not a constant jsonencode(…): %s", addr, diags.Error())
		}
		var p map[string]any
		if err := json.Unmarshal([]byte(v.AsString()), &p); err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		patterns[name] = p
		target, ok := m.resources["aws_cloudwatch_event_target."+name]
		if !ok || !refersTo(target.Body.Attributes["arn"].Expr, "aws_sns_topic.alerts") || !refersTo(target.Body.Attributes["rule"].Expr, addr) {
			t.Errorf("%s does not send to the alerts topic", addr)
		}
	}
	if len(patterns) < 2 {
		t.Fatalf("EventBridge rules %v: want AWS Health and EC2 stopped at least", patterns)
	}
	checkNoticeRoutes(t, patterns)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// scripts/check-deploy passes: the module is formatted as terraform fmt
// writes it, the README's example is examples/complete, and, where the
// AWS provider can be had (this machine keeps one in /opt/tf-plugins),
// terraform init and validate of the example succeed against the real
// provider schema.
func TestModuleChecks(t *testing.T) {
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Skip("terraform is not installed here: scripts/check-deploy not run")
	}
	cmd := exec.Command("../../scripts/check-deploy")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/check-deploy: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "terraform validate: ok") {
		t.Logf("%s", out)
		t.Skip("terraform validate was not run here: no AWS provider reachable or on disk (formatting checked)")
	}
}
