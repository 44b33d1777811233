package aws

// EC2 actions against moto, which has every operation used: RunInstances,
// StopInstances, CreateImage, DeregisterImage, DescribeInstances (with
// the instance-id filter), DescribeInstanceStatus (IncludeAllInstances),
// DescribeImages (image-id filter) and StartInstances. Its gap: nothing
// in moto makes AWS schedule an event (a retirement) on an instance, so
// TestInstanceStatusRetirement passes the EC2 calls on to moto through
// withEC2Events, which adds an <eventsSet> to moto's
// DescribeInstanceStatus answer, written as EC2's query protocol does.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// ec2Fleet is the EC2 tests' world: the service lists stopped (its AMI
// deregistered since) and running; outside is stopped too, from the same
// AMI, but belongs to no service.
type ec2Fleet struct {
	svc                       *actions.Service
	stopped, running, outside string
	ami                       string // stopped's (and outside's) AMI, deregistered
	api                       *ec2.Client
}

func (f *fixture) ec2Fleet() ec2Fleet {
	f.t.Helper()
	ctx := f.t.Context()
	api := ec2.NewFromConfig(f.cfg)
	run := func(ami string, n int32) []string {
		out, err := api.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(n), MaxCount: aws.Int32(n), InstanceType: types.InstanceTypeT3Micro})
		if err != nil {
			f.t.Fatal(err)
		}
		var ids []string
		for _, i := range out.Instances {
			ids = append(ids, aws.ToString(i.InstanceId))
		}
		return ids
	}
	base := run("ami-12c6146b", 1)[0] // one of moto's built-in AMIs
	img, err := api.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(base), Name: aws.String(testmoto.Name("prod-green"))})
	if err != nil {
		f.t.Fatal(err)
	}
	fl := ec2Fleet{ami: aws.ToString(img.ImageId), api: api}
	two := run(fl.ami, 2)
	fl.stopped, fl.outside = two[0], two[1]
	fl.running = run("ami-12c6146b", 1)[0]
	if _, err := api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{fl.stopped}, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("prod-green")}}}); err != nil {
		f.t.Fatal(err)
	}
	if _, err := api.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: two}); err != nil {
		f.t.Fatal(err)
	}
	// "The AMI used by the instance was deleted" (the postmortem's root cause).
	if _, err := api.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: img.ImageId}); err != nil {
		f.t.Fatal(err)
	}
	fl.svc = &actions.Service{Name: "bulk-upload", Region: testmoto.Region, EC2Instances: []string{fl.stopped, fl.running}}
	return fl
}

// state is an instance's state as EC2 reports it now.
func (fl ec2Fleet) state(t *testing.T, id string) string {
	t.Helper()
	out, err := fl.api.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	return string(out.Reservations[0].Instances[0].State.Name)
}

func TestInstanceStatus(t *testing.T) {
	f := newFixture(t)
	fl := f.ec2Fleet()
	_, res := f.previewAndRun("ec2.instance_status", actions.Request{Service: fl.svc})
	contains(t, "summary", res.Summary, fmt.Sprintf("bulk-upload: %s stopped, %s running", fl.stopped, fl.running))
	contains(t, "summary", res.Summary, fmt.Sprintf("AMI deleted or no longer shared: %s (%s)", fl.stopped, fl.ami))
	if strings.Contains(res.Summary, fl.running+" (") || strings.Contains(res.Summary, "scheduled") {
		t.Errorf("summary blames the healthy instance: %s", res.Summary)
	}
	if len(res.Sections) != 2 {
		t.Fatalf("%d sections, want one per instance: %+v", len(res.Sections), res.Sections)
	}
	stopped, running := res.Sections[0], res.Sections[1]
	contains(t, "stopped title", stopped.Title, fl.stopped+" (prod-green), t3.micro in us-east-1")
	contains(t, "stopped title", stopped.Title, ": stopped")
	text := strings.Join(stopped.Rows, "\n")
	contains(t, "stopped rows", text, "status checks: not applicable while the instance is not running")
	contains(t, "stopped rows", text, "no scheduled events")
	contains(t, "stopped rows", text, "AMI "+fl.ami+" was deleted (deregistered) or is no longer shared with this account")
	contains(t, "stopped rows", text, "recreate it with a new AMI")
	contains(t, "stopped rows", text, "reason: ") // moto: Client.UserInitiatedShutdown
	text = strings.Join(running.Rows, "\n")
	contains(t, "running rows", text, "status checks: system ok, instance ok")
	contains(t, "running rows", text, "AMI ami-12c6146b (")
	contains(t, "running rows", text, ") still exists")
	if strings.Contains(res.Text(), fl.outside) {
		t.Errorf("an instance outside the service was described:\n%s", res.Text())
	}
}

// An instance the file lists that EC2 no longer knows is reported, and
// does not hide the others.
func TestInstanceStatusMissing(t *testing.T) {
	f := newFixture(t)
	fl := f.ec2Fleet()
	gone := "i-0123456789abcdef0"
	fl.svc.EC2Instances = []string{gone, fl.running}
	_, res := f.previewAndRun("ec2.instance_status", actions.Request{Service: fl.svc})
	contains(t, "summary", res.Summary, fl.running+" running; not found: "+gone)
	contains(t, "details", res.Text(), gone+": not found")
}

func TestEC2NeedsInstances(t *testing.T) {
	f := newFixture(t)
	svc := &actions.Service{Name: "web", Region: testmoto.Region}
	for _, id := range []string{"ec2.instance_status", "ec2.start_instance"} {
		_, err := f.run(id, actions.Request{Service: svc}, nil)
		wantErr(t, err, "service web has no ec2_instances in the targets file (list its instance IDs, e.g. ec2_instances: [i-")
	}
}

// withEC2Events points EC2 at a proxy in front of moto that adds events
// to DescribeInstanceStatus answers, as EC2 writes them (eventsSet/item).
func withEC2Events(t *testing.T, upstream string, events map[string]string) {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Header.Get("X-Test-Action") != "DescribeInstanceStatus" {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		for id, items := range events {
			tag := "<instanceId>" + id + "</instanceId>"
			body = bytes.Replace(body, []byte(tag), []byte(tag+"<eventsSet>"+items+"</eventsSet>"), 1)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		r.Header.Set("X-Test-Action", form.Get("Action"))
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_EC2", srv.URL)
}

// The running instance has a retirement scheduled: that notice (which
// went to nobody's mailbox in the postmortem) is in the summary, with
// its dates; a completed event is listed but not in the summary.
func TestInstanceStatusRetirement(t *testing.T) {
	f := newFixture(t)
	fl := f.ec2Fleet()
	withEC2Events(t, testmoto.Endpoint(t), map[string]string{fl.running: `<item><code>instance-retirement</code>` +
		`<description>The instance is running on degraded hardware</description>` +
		`<notBefore>2026-01-20T09:00:00.000Z</notBefore><notAfter>2026-01-20T11:00:00.000Z</notAfter></item>` +
		`<item><code>system-reboot</code><description>[Completed] The instance is running on degraded hardware</description>` +
		`<notBefore>2025-11-02T03:00:00.000Z</notBefore></item>`})
	_, res := f.previewAndRun("ec2.instance_status", actions.Request{Service: fl.svc})
	contains(t, "summary", res.Summary, "scheduled by AWS: "+fl.running+" instance-retirement from 2026-01-20 09:00 UTC")
	if strings.Contains(res.Summary, "system-reboot") {
		t.Errorf("summary lists a completed event: %s", res.Summary)
	}
	rows := strings.Join(res.Sections[1].Rows, "\n")
	contains(t, "running rows", rows, "scheduled event instance-retirement: The instance is running on degraded hardware, not before 2026-01-20 09:00 UTC, not after 2026-01-20 11:00 UTC")
	contains(t, "running rows", rows, "scheduled event system-reboot: [Completed]")
}

// ec2.start_instance starts the service's stopped instance only: not the
// running one, and never the stopped instance outside the service.
func TestStartInstance(t *testing.T) {
	f := newFixture(t)
	fl := f.ec2Fleet()
	req := actions.Request{Service: fl.svc}
	p, res := f.previewAndRun("ec2.start_instance", req)
	if p.Resource != "ec2:us-east-1/"+fl.stopped || p.Data["start"] != fl.stopped {
		t.Errorf("preview %+v", p)
	}
	contains(t, "current", p.Current, fl.stopped+" stopped")
	contains(t, "change", p.Change, "start "+fl.stopped+"; "+fl.running+" is running and is left alone")
	contains(t, "summary", res.Summary, "bulk-upload: starting "+fl.stopped+": stopped → ")
	if !res.Changed {
		t.Error("Changed is false")
	}
	if got := fl.state(t, fl.stopped); got != "running" && got != "pending" {
		t.Errorf("%s is %s after the start", fl.stopped, got)
	}
	if got := fl.state(t, fl.outside); got != "stopped" {
		t.Errorf("the instance outside the service is %s: it was started", got)
	}
	// Now nothing of the service is stopped: nothing to start, and the
	// outside instance is still not touched.
	_, err := f.preview("ec2.start_instance", req)
	wantErr(t, err, "nothing to start for bulk-upload: "+fl.stopped+" is running and is left alone; "+fl.running+" is running and is left alone")
}

func TestStartInstanceRefusesOthers(t *testing.T) {
	f := newFixture(t)
	fl := f.ec2Fleet()
	_, err := f.preview("ec2.start_instance", actions.Request{Service: fl.svc, Params: map[string]any{"instance": fl.outside}})
	wantErr(t, err, "instance "+fl.outside+" is not one of service bulk-upload's ec2_instances")
	_, err = f.run("ec2.start_instance", actions.Request{Service: fl.svc, Params: map[string]any{"instance": fl.outside}}, nil)
	wantErr(t, err, "is not one of service bulk-upload's ec2_instances")
	_, err = f.preview("ec2.start_instance", actions.Request{Service: fl.svc, Params: map[string]any{"instance": fl.running}})
	wantErr(t, err, "nothing to start for bulk-upload: "+fl.running+" is running and is left alone")
	_, err = f.preview("ec2.start_instance", actions.Request{Service: fl.svc, Params: map[string]any{"instance": 7}})
	wantErr(t, err, "instance must be a string")
	if got := fl.state(t, fl.outside); got != "stopped" {
		t.Errorf("the instance outside the service is %s", got)
	}

	// Named explicitly, the service's stopped instance is started.
	req := actions.Request{Service: fl.svc, Params: map[string]any{"instance": fl.stopped}}
	f.previewAndRun("ec2.start_instance", req)
	if got := fl.state(t, fl.stopped); got == "stopped" {
		t.Errorf("%s is still stopped", fl.stopped)
	}
}

// A preview confirmed for other instances than a fresh one would start
// runs nothing.
func TestStartInstanceStaleConfirmation(t *testing.T) {
	f := newFixture(t)
	fl := f.ec2Fleet()
	req := actions.Request{Service: fl.svc}
	p, err := f.preview("ec2.start_instance", req)
	if err != nil {
		t.Fatal(err)
	}
	p.Data["start"] = fl.stopped + "," + fl.running
	_, err = f.run("ec2.start_instance", req, &p)
	wantCode(t, err, "changed")
	if got := fl.state(t, fl.stopped); got != "stopped" {
		t.Errorf("%s is %s after a refused run", fl.stopped, got)
	}
}
