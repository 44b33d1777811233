package aws

import (
	"slices"
	"strings"
	"testing"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

func TestRegister(t *testing.T) {
	reg := actions.NewRegistry()
	if err := Register(reg, NewClients(Options{})); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"account.notice_contacts", "acm.listener_certs", "autoscaling.resume_scale_in", "autoscaling.suspend_scale_in",
		"cloudfront.invalidate", "cloudfront.origins", "cloudtrail.recent_changes",
		"ec2.instance_status", "ec2.start_instance", "ecr.image_exists", "ecs.force_deploy", "ecs.rollback", "ecs.scale", "ecs.service_status",
		"ecs.stopped_tasks", "elasticache.health", "elb.target_health", "logs.recent_errors",
		"rds.add_replica", "rds.reboot", "rds.replicas", "rds.snapshot", "rds.status",
		"route53.delegation", "secrets.execution_role_access", "waf.blocked_requests",
	}
	if got := reg.IDs(); !slices.Equal(got, want) {
		t.Errorf("registered %v", got)
	}
	if err := Register(reg, NewClients(Options{})); err == nil || !strings.Contains(err.Error(), "registered twice") {
		t.Errorf("registering twice: %v", err)
	}
}

// TestAssumeRole: with role_arn the calls go through STS AssumeRole
// (moto issues credentials for any role) and clients are cached per
// (region, role).
func TestAssumeRole(t *testing.T) {
	f := newFixture(t)
	svc := f.ecsService()
	svc.RoleARN = "arn:aws:iam::123456789012:role/incident-bot"
	f.previewAndRun("ecs.service_status", actions.Request{Service: svc})
	if ops := f.ops.list(); !slices.Contains(ops, "STS:AssumeRole") {
		t.Errorf("no AssumeRole call: %v", ops)
	}

	ctx := t.Context()
	a, _ := f.clients.get(ctx, testmoto.Region, svc.RoleARN)
	b, _ := f.clients.get(ctx, testmoto.Region, svc.RoleARN)
	c, _ := f.clients.get(ctx, testmoto.Region, "")
	d, _ := f.clients.get(ctx, "eu-west-1", svc.RoleARN)
	if a != b || a == c || a == d {
		t.Error("clients not cached per (region, role)")
	}
}

func TestNeedsTarget(t *testing.T) {
	c := NewClients(Options{})
	for id, run := range runners(c) {
		if strings.HasPrefix(id, "rds.") {
			_, err := run.Run(t.Context(), actions.Request{})
			wantErr(t, err, "needs a database")
			continue
		}
		_, err := run.Run(t.Context(), actions.Request{Service: &actions.Service{Name: "web"}})
		wantErr(t, err, "service web has no region in the targets file")
	}
}
