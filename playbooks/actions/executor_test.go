package actions

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

// fakeRunner is a Runner for the executor's own rules; real runners are
// tested against moto_server and PostgreSQL in their packages.
type fakeRunner struct {
	mu      sync.Mutex
	runs    int
	block   chan struct{}
	started chan struct{} // closed when Run begins, if set
	preview Preview
}

func (f *fakeRunner) Preview(context.Context, Request) (Preview, error) { return f.preview, nil }

func (f *fakeRunner) Run(ctx context.Context, req Request) (Result, error) {
	f.mu.Lock()
	f.runs++
	f.mu.Unlock()
	if f.started != nil {
		close(f.started)
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	}
	return Result{Summary: "scaled", Changed: true}, nil
}

const targetsYAML = `region: eu-west-2
services:
  web: {cluster: prod, ecs_service: web}
databases:
  main: {rds_instance: prod-db, url_env: MAIN_DB_URL}
guardrails:
  approvers: [S0SRE0001]
  timeout: 200ms
`

func newExec(t *testing.T, yaml string, run *fakeRunner) *Executor {
	t.Helper()
	tg, err := ParseTargets("targets.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry()
	if err := reg.Register("ecs.scale", run); err != nil {
		t.Fatal(err)
	}
	e, err := NewExecutor(reg, tg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestExecutorGuardrails(t *testing.T) {
	run := &fakeRunner{preview: Preview{Resource: "ecs:prod/web", Change: "desired 4 → 15"}, block: make(chan struct{})}
	e := newExec(t, targetsYAML, run)
	p, err := e.Prepare("ecs.scale", map[string]any{"service": "web"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Req.Service.Cluster != "prod" || p.Req.Limits.MaxScale != 15 || p.Describe() != "Scale service on web" {
		t.Fatalf("prepared = %+v", p)
	}
	if _, _, err := e.Run(context.Background(), p, nil); err == nil {
		t.Fatal("a mutating action ran without a confirmed preview")
	}
	pv, _ := e.Preview(context.Background(), p)
	// One mutating action at a time per resource.
	done := make(chan error, 1)
	run.started = make(chan struct{})
	go func() { _, _, err := e.Run(context.Background(), p, &pv); done <- err }()
	<-run.started
	if _, _, err := e.Run(context.Background(), p, &pv); !errors.Is(err, ErrBusy) {
		t.Fatalf("second run on the same resource: %v", err)
	}
	close(run.block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Unknown service and unregistered action are clear errors.
	if _, err := e.Prepare("ecs.scale", map[string]any{"service": "nope"}); err == nil || !strings.Contains(err.Error(), `no service "nope" (it has: web)`) {
		t.Fatalf("unknown service: %v", err)
	}
	if _, err := e.Prepare("rds.reboot", map[string]any{"database": "main"}); err == nil || !strings.Contains(err.Error(), "not available") {
		t.Fatalf("unregistered action: %v", err)
	}
}

func TestExecutorTimeoutAndDryRun(t *testing.T) {
	run := &fakeRunner{preview: Preview{Resource: "r", Change: "desired 4 → 15"}, block: make(chan struct{})}
	e := newExec(t, targetsYAML, run)
	p, _ := e.Prepare("ecs.scale", map[string]any{"service": "web"})
	pv, _ := e.Preview(context.Background(), p)
	_, _, err := e.Run(context.Background(), p, &pv)
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != "timeout" {
		t.Fatalf("blocked run: %v, want a timeout", err)
	}

	dry := newExec(t, targetsYAML+"  dry_run: true\n", &fakeRunner{})
	p, _ = dry.Prepare("ecs.scale", map[string]any{"service": "web"})
	res, _, err := dry.Run(context.Background(), p, &Preview{Resource: "ecs:prod/web", Change: "desired 4 → 15"})
	if err != nil || !strings.HasPrefix(res.Summary, "Dry run: would desired 4 → 15") || res.Changed {
		t.Fatalf("dry run: %+v %v", res, err)
	}
}

func TestParseTargetsRejects(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"services:\n  web: {clustr: x}\n", "targets.yaml:2: field clustr not found"},
		{"services:\n  Web: {cluster: x}\n", `targets.yaml:2: service name "Web" must be lowercase`},
		{"services:\n  web: {cluster: x}\n", "targets.yaml:2: service web has no region"},
		{"region: x\ndatabases:\n  main: {url_env: postgres://u:p@h/db}\n", "targets.yaml:3: database main: url_env must name an environment variable"},
		{"guardrails:\n  approvers: [oncall]\n", `targets.yaml:2: approver "oncall" must be a Slack user group ID`},
		{"guardrails:\n  timeout: soon\n", "targets.yaml:2: \"soon\" is not a duration"},
		{"guardrails:\n  timeout: 5m\n", "targets.yaml:2: timeout 5m0s is above 55s"},
		{"guardrails:\n  approvers: [S0123ABCD]\n  commander_may_run: true\n", "targets.yaml:3: commander_may_run needs two_person: true"},
		{"region: x\nservices:\n  web:\n    ec2_instances: [i-0123456789abcdef0, prod-green]\n", `targets.yaml:4: service web: "prod-green" in ec2_instances is not an EC2 instance ID`},
		{"region: x\nservices:\n  web: {ec2_instances: [i-0123456]}\n", `"i-0123456" in ec2_instances is not an EC2 instance ID`},
		{"region: x\nservices:\n  web: {ec2_instances: i-0123456789abcdef0}\n", "targets.yaml:3:"},
	} {
		_, err := ParseTargets("targets.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "u:p@") {
			t.Errorf("the error repeats a connection string: %v", err)
		}
	}
}

// A confirmed preview that no longer matches the state is refused.
func TestExecutorRefusesStalePreview(t *testing.T) {
	run := &fakeRunner{preview: Preview{Resource: "ecs:prod/web", Change: "desired 25 → 15", Data: map[string]string{"previous": "25"}}}
	e := newExec(t, targetsYAML, run)
	p, _ := e.Prepare("ecs.scale", map[string]any{"service": "web"})
	confirmed := &Preview{Resource: "ecs:prod/web", Change: "desired 4 → 15", Data: map[string]string{"previous": "4"}}
	_, _, err := e.Run(context.Background(), p, confirmed)
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != "changed" || run.runs != 0 {
		t.Fatalf("stale preview: %v (runs %d)", err, run.runs)
	}
}
