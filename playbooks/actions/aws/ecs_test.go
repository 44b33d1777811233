package aws

// ECS actions against moto. Moto gaps, and how these tests handle them:
//   - ForceNewDeployment replaces the service's one deployment with a new
//     one (new ID) instead of adding a second: the test checks the ID.
//   - Rolling back updates the service's taskDefinition but not its
//     deployments: the test checks the service's task definition.
//   - Services never start tasks and record no events. Tasks can be made
//     with RunTask on a registered container instance, but moto returns
//     each container's cpu and memory as JSON numbers where the API has
//     strings, so the Go SDK cannot decode RunTask or DescribeTasks. Moto
//     is used for the empty case (ListTasks); the reasons, container
//     reasons and exit codes are tested against fakeJSON, a server
//     speaking ECS's JSON 1.1 for ListTasks and DescribeTasks
//     (TestStoppedTasksContainerReasons).

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// ecsService creates a cluster, three revisions of a task definition
// family and a service on the last one with 4 desired tasks.
func (f *fixture) ecsService() *actions.Service {
	f.t.Helper()
	ctx := f.t.Context()
	api := ecs.NewFromConfig(f.cfg)
	cluster, family := testmoto.Name("cluster"), testmoto.Name("web")
	if _, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		f.t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		_, err := api.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family: aws.String(family),
			ContainerDefinitions: []types.ContainerDefinition{{
				Name: aws.String("app"), Image: aws.String(fmt.Sprintf("nginx:1.%d", i)), Memory: aws.Int32(128),
			}},
		})
		if err != nil {
			f.t.Fatal(err)
		}
	}
	_, err := api.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster:        aws.String(cluster),
		ServiceName:    aws.String("web"),
		TaskDefinition: aws.String(family + ":3"),
		DesiredCount:   aws.Int32(4),
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return &actions.Service{Name: "web", Region: testmoto.Region, Cluster: cluster, ECSService: "web"}
}

// describe reads the service back, to check what an action really did.
func (f *fixture) describeService(s *actions.Service) types.Service {
	f.t.Helper()
	out, err := ecs.NewFromConfig(f.cfg).DescribeServices(f.t.Context(), &ecs.DescribeServicesInput{
		Cluster: aws.String(s.Cluster), Services: []string{s.ECSService},
	})
	if err != nil || len(out.Services) != 1 {
		f.t.Fatalf("describe %s: %v %v", s.ECSService, err, out)
	}
	return out.Services[0]
}

func TestServiceStatus(t *testing.T) {
	f := newFixture(t)
	svc := f.ecsService()
	_, res := f.previewAndRun("ecs.service_status", actions.Request{Service: svc})
	contains(t, "summary", res.Summary, "of 4 desired")
	contains(t, "details", res.Text(), "\nDeployments\nPRIMARY")
	contains(t, "details", res.Text(), ":3")
	if res.Changed {
		t.Error("a read-only action reported a change")
	}
	dims := [][2]string{{"ClusterName", svc.Cluster}, {"ServiceName", "web"}}
	wantMetrics(t, "ecs.service_status", res.Metrics,
		metricWant{testmoto.Region, "AWS/ECS", "CPUUtilization", "Average", 60, dims},
		metricWant{testmoto.Region, "AWS/ECS", "MemoryUtilization", "Average", 60, dims})
}

func TestScale(t *testing.T) {
	f := newFixture(t)
	svc := f.ecsService()
	req := actions.Request{Service: svc, Params: map[string]any{}, Limits: actions.Limits{MaxScale: 15}}

	p, err := f.preview("ecs.scale", req)
	if err != nil {
		t.Fatal(err)
	}
	if p.Change != "desired 4 → 15" || p.Data["previous"] != "4" || p.Undo != "scale back to 4" || p.Resource != "ecs:"+svc.Cluster+"/web" {
		t.Errorf("preview %+v", p)
	}
	if got := f.describeService(svc).DesiredCount; got != 4 {
		t.Fatalf("preview changed desired count to %d", got)
	}

	res, err := f.run("ecs.scale", req, &p)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.describeService(svc).DesiredCount; got != 15 {
		t.Fatalf("desired count %d after scaling, want 15", got)
	}
	if !res.Changed || res.RequestID == "" || res.Summary != "web: desired 4 → 15" {
		t.Errorf("result %+v", res)
	}

	// An explicit count, and running again at the same count changes nothing.
	req.Params["count"] = 6
	if _, res = f.previewAndRun("ecs.scale", req); f.describeService(svc).DesiredCount != 6 {
		t.Fatalf("desired count not 6: %+v", res)
	}
	if res, _ = f.run("ecs.scale", req, nil); res.Changed {
		t.Errorf("scaling to the current count reported a change: %+v", res)
	}
}

func TestScaleRefusedAboveCap(t *testing.T) {
	f := newFixture(t)
	svc := f.ecsService()
	req := actions.Request{Service: svc, Params: map[string]any{"count": 50}, Limits: actions.Limits{MaxScale: 15}}
	_, err := f.preview("ecs.scale", req)
	wantErr(t, err, "count 50 is above the cap of 15 tasks")
	_, err = f.run("ecs.scale", req, nil)
	wantErr(t, err, "count 50 is above the cap of 15 tasks")
	if got := f.describeService(svc).DesiredCount; got != 4 {
		t.Fatalf("desired count %d after a refused scale", got)
	}
	// A count that is not an int is refused, not taken as "the cap".
	req.Params["count"] = "5"
	_, err = f.preview("ecs.scale", req)
	wantErr(t, err, "count must be a whole number")
	req.Params["count"] = 50

	// Without limits the runbook's 15 still applies.
	req.Limits = actions.Limits{}
	_, err = f.preview("ecs.scale", req)
	wantErr(t, err, "above the cap of 15")
}

func TestECSErrors(t *testing.T) {
	f := newFixture(t)
	svc := f.ecsService()

	missing := &actions.Service{Name: "web", Region: testmoto.Region, ECSService: "web"}
	_, err := f.preview("ecs.scale", actions.Request{Service: missing})
	wantErr(t, err, "service web has no cluster in the targets file")

	noCluster := &actions.Service{Name: "web", Region: testmoto.Region, Cluster: testmoto.Name("gone"), ECSService: "web"}
	_, err = f.run("ecs.scale", actions.Request{Service: noCluster}, nil)
	wantCode(t, err, "ClusterNotFoundException")

	noService := &actions.Service{Name: "api", Region: testmoto.Region, Cluster: svc.Cluster, ECSService: "api"}
	_, err = f.run("ecs.force_deploy", actions.Request{Service: noService}, nil)
	wantCode(t, err, "ServiceNotFoundException")
	contains(t, "error", err.Error(), "ecs UpdateService (request ")
	// DescribeServices reports a missing service as a failure, not an error.
	_, err = f.run("ecs.service_status", actions.Request{Service: noService}, nil)
	wantCode(t, err, "MISSING")
}

func TestForceDeploy(t *testing.T) {
	f := newFixture(t)
	svc := f.ecsService()
	before, _ := primaryDeployment(f.describeService(svc))
	p, res := f.previewAndRun("ecs.force_deploy", actions.Request{Service: svc})
	contains(t, "preview", p.Current, "PRIMARY")
	contains(t, "preview", p.Change, "new deployment")
	after, ok := primaryDeployment(f.describeService(svc))
	if !ok || aws.ToString(after.Id) == aws.ToString(before.Id) {
		t.Fatalf("no new deployment: before %s, after %s", aws.ToString(before.Id), aws.ToString(after.Id))
	}
	if !res.Changed {
		t.Error("not marked changed")
	}
	contains(t, "summary", res.Summary, aws.ToString(after.Id))
}

func TestRollback(t *testing.T) {
	f := newFixture(t)
	svc := f.ecsService()
	td := aws.ToString(f.describeService(svc).TaskDefinition)
	family := strings.TrimSuffix(taskDefName(td), ":3")

	p, res := f.previewAndRun("ecs.rollback", actions.Request{Service: svc})
	if !strings.HasPrefix(p.Change, "rev 3 → rev 2 (app=nginx:1.2)") {
		t.Errorf("preview change %q", p.Change)
	}
	if got := taskDefName(aws.ToString(f.describeService(svc).TaskDefinition)); got != family+":2" {
		t.Fatalf("service on %s after rollback, want %s:2", got, family)
	}
	if !res.Changed {
		t.Error("not marked changed")
	}

	// Deregistered revisions are skipped: from rev 3, with 2 gone, go to 1.
	api := ecs.NewFromConfig(f.cfg)
	if _, err := api.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String(svc.Cluster), Service: aws.String("web"), TaskDefinition: aws.String(family + ":3")}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(family + ":2")}); err != nil {
		t.Fatal(err)
	}
	p, err := f.preview("ecs.rollback", actions.Request{Service: svc})
	if err != nil || !strings.HasPrefix(p.Change, "rev 3 → rev 1") {
		t.Fatalf("preview %+v, %v", p, err)
	}

	// A deploy between preview and run is caught.
	stale := actions.Preview{Data: map[string]string{"from": td[:len(td)-1] + "9", "to": p.Data["to"]}}
	_, err = f.run("ecs.rollback", actions.Request{Service: svc}, &stale)
	wantErr(t, err, "changed since the preview")

	// Nothing to roll back to from rev 1.
	f.run("ecs.rollback", actions.Request{Service: svc}, &p)
	_, err = f.preview("ecs.rollback", actions.Request{Service: svc})
	wantErr(t, err, "has no earlier ACTIVE revision")
}

// TestStoppedTasks: against moto only the empty case works (see the top
// of the file); TestStoppedTasksContainerReasons covers the rest.
func TestStoppedTasks(t *testing.T) {
	f := newFixture(t)
	svc := f.ecsService()
	_, res := f.previewAndRun("ecs.stopped_tasks", actions.Request{Service: svc})
	if res.Summary != "web: no stopped tasks in the last hour or so" || res.Sections != nil {
		t.Errorf("result %+v", res)
	}
}

// TestStoppedTasksContainerReasons uses fakeJSON: moto records no
// container reasons or exit codes on stopped tasks.
func TestStoppedTasksContainerReasons(t *testing.T) {
	stopped := time.Date(2026, 3, 1, 10, 40, 0, 0, time.UTC)
	task := func(id, reason string, containers ...map[string]any) map[string]any {
		return map[string]any{
			"taskArn":           "arn:aws:ecs:us-east-1:123456789012:task/prod/" + id,
			"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:12",
			"lastStatus":        "STOPPED",
			"stoppedReason":     reason,
			"stoppedAt":         epoch(stopped),
			"containers":        containers,
		}
	}
	const prefix = "AmazonEC2ContainerServiceV20141113."
	fakeJSON(t, map[string]func(map[string]any) (any, error){
		prefix + "ListTasks": func(in map[string]any) (any, error) {
			if in["cluster"] != "prod" || in["serviceName"] != "web" || in["desiredStatus"] != "STOPPED" {
				t.Errorf("ListTasks input %v", in)
			}
			return map[string]any{"taskArns": []string{"a", "b", "c"}}, nil
		},
		prefix + "DescribeTasks": func(in map[string]any) (any, error) {
			return map[string]any{"tasks": []any{
				task("aaa", "Task failed to start", map[string]any{"name": "app", "reason": "CannotPullContainerError: pull image manifest has been retried: <registry>/web:v9 not found"}),
				task("bbb", "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: AccessDeniedException: secretsmanager:GetSecretValue"),
				task("ccc", "Essential container in task exited", map[string]any{"name": "app", "exitCode": 137, "reason": "OutOfMemoryError: Container killed due to memory usage"}),
			}}, nil
		},
	})
	f := fixtureAt(t)
	svc := &actions.Service{Name: "web", Region: testmoto.Region, Cluster: "prod", ECSService: "web"}
	_, res := f.previewAndRun("ecs.stopped_tasks", actions.Request{Service: svc})
	want := "web: 3 stopped tasks — 1 could not pull the image, 1 could not fetch secrets, 1 ran out of memory"
	if res.Summary != want {
		t.Errorf("summary %q, want %q", res.Summary, want)
	}
	for _, s := range []string{
		// Kept plain: the renderers escape it.
		"`aaa` web:12 stopped 10:40 UTC: Task failed to start ← could not pull the image\n    app: CannotPullContainerError: pull image manifest has been retried: <registry>/web:v9 not found",
		"unable to pull secrets or registry auth",
		"\n    app (exit 137): OutOfMemoryError",
	} {
		contains(t, "details", res.Text(), s)
	}
	if len(res.Sections) != 1 || len(res.Sections[0].Rows) != 5 {
		t.Errorf("sections %+v", res.Sections)
	}
	if res.RequestID != "fake-"+prefix+"DescribeTasks" {
		t.Errorf("request ID %q", res.RequestID)
	}
}

func TestStopCause(t *testing.T) {
	for _, c := range []struct{ reason, want string }{
		{"CannotPullContainerError: ref pull has been retried 1 time(s)", "could not pull the image"},
		{"ResourceInitializationError: unable to pull secrets or registry auth", "could not fetch secrets"},
		{"Task failed ELB health checks in (target-group arn)", "failed health checks"},
		{"Scaling activity initiated by (deployment ecs-svc/1)", ""},
		{"Essential container in task exited", ""},
		{"went to the storage room", ""},
	} {
		if got := stopCause([]string{c.reason}); got != c.want {
			t.Errorf("stopCause(%q) = %q, want %q", c.reason, got, c.want)
		}
	}
}

func TestTaskDefRevision(t *testing.T) {
	fam, rev, ok := taskDefRevision("arn:aws:ecs:us-east-1:1:task-definition/web-api:12")
	if fam != "web-api" || rev != 12 || !ok {
		t.Errorf("got %q %d %v", fam, rev, ok)
	}
	if _, _, ok := taskDefRevision("web"); ok {
		t.Error("a family without revision parsed")
	}
}

func TestClusterName(t *testing.T) {
	for in, want := range map[string]string{"prod": "prod", "arn:aws:ecs:eu-west-2:123456789012:cluster/prod": "prod"} {
		if got := clusterName(in); got != want {
			t.Errorf("clusterName(%q) = %q, want %q", in, got, want)
		}
	}
}
