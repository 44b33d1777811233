package aws

// Target health against moto, which reports a stopped instance as
// "unused" with reason Target.InvalidState (real ELB would say
// "unhealthy" once health checks fail); the counting is the same.

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

func TestTargetHealth(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	ec2api, elbapi := ec2.NewFromConfig(f.cfg), elb.NewFromConfig(f.cfg)
	vpc, err := ec2api.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := elbapi.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String(testmoto.Name("tg")), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
		VpcId: vpc.Vpc.VpcId, TargetType: elbtypes.TargetTypeEnumInstance,
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := &actions.Service{Name: "web", Region: testmoto.Region, TargetGroupARN: aws.ToString(tg.TargetGroups[0].TargetGroupArn)}

	_, res := f.previewAndRun("elb.target_health", actions.Request{Service: svc})
	if res.Summary != "web: no targets registered in the target group" {
		t.Errorf("summary %q", res.Summary)
	}

	run, err := ec2api.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(3), MaxCount: aws.Int32(3)})
	if err != nil {
		t.Fatal(err)
	}
	var targets []elbtypes.TargetDescription
	for _, in := range run.Instances {
		targets = append(targets, elbtypes.TargetDescription{Id: in.InstanceId, Port: aws.Int32(8080)})
	}
	if _, err := elbapi.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(svc.TargetGroupARN), Targets: targets}); err != nil {
		t.Fatal(err)
	}
	stopped := aws.ToString(run.Instances[2].InstanceId)
	if _, err := ec2api.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{stopped}}); err != nil {
		t.Fatal(err)
	}

	_, res = f.previewAndRun("elb.target_health", actions.Request{Service: svc})
	if res.Summary != "web: 2 healthy, 1 unused of 3 targets" {
		t.Errorf("summary %q", res.Summary)
	}
	contains(t, "details", res.Text(), "`"+stopped+":8080` unused: Target.InvalidState")
	wantMetrics(t, "elb.target_health without load_balancer_arn", res.Metrics)

	svc.TargetGroupARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gone/0123456789abcdef"
	_, err = f.run("elb.target_health", actions.Request{Service: svc}, nil)
	wantCode(t, err, "TargetGroupNotFound")
}

// With the service's load balancer in the targets file, target health
// comes with the graphs of what users see of it: the load balancer's 5xx
// and its targets' response time, under its LoadBalancer dimension.
func TestTargetHealthGraphs(t *testing.T) {
	f := newFixture(t)
	lb, tg := f.loadBalancer()
	svc := &actions.Service{Name: "web", Region: testmoto.Region, TargetGroupARN: tg, LoadBalancerARN: lb}
	_, res := f.previewAndRun("elb.target_health", actions.Request{Service: svc})
	dim := lb[strings.Index(lb, ":loadbalancer/")+len(":loadbalancer/"):]
	if !strings.HasPrefix(dim, "app/") {
		t.Fatalf("moto made %s", lb)
	}
	dims := [][2]string{{"LoadBalancer", dim}}
	wantMetrics(t, "elb.target_health", res.Metrics,
		metricWant{testmoto.Region, "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", 60, dims},
		metricWant{testmoto.Region, "AWS/ApplicationELB", "TargetResponseTime", "Average", 60, dims})
}
