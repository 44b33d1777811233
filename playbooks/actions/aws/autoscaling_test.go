package aws

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

func TestScaleIn(t *testing.T) {
	f := newFixture(t)
	svc := f.ecsService()
	req := actions.Request{Service: svc}

	_, err := f.preview("autoscaling.suspend_scale_in", req)
	wantErr(t, err, "service web (service/"+svc.Cluster+"/web) has no Application Auto Scaling target")

	api := aas.NewFromConfig(f.cfg)
	id := "service/" + svc.Cluster + "/web"
	_, err = api.RegisterScalableTarget(t.Context(), &aas.RegisterScalableTargetInput{
		ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(id),
		ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		MinCapacity:       aws.Int32(2), MaxCapacity: aws.Int32(20),
	})
	if err != nil {
		t.Fatal(err)
	}
	suspended := func() bool {
		t.Helper()
		out, err := api.DescribeScalableTargets(t.Context(), &aas.DescribeScalableTargetsInput{
			ServiceNamespace: types.ServiceNamespaceEcs, ResourceIds: []string{id},
		})
		if err != nil || len(out.ScalableTargets) != 1 {
			t.Fatalf("describe: %v %+v", err, out)
		}
		st := out.ScalableTargets[0]
		if aws.ToInt32(st.MinCapacity) != 2 || aws.ToInt32(st.MaxCapacity) != 20 {
			t.Errorf("capacity changed: min %d max %d", aws.ToInt32(st.MinCapacity), aws.ToInt32(st.MaxCapacity))
		}
		return st.SuspendedState != nil && aws.ToBool(st.SuspendedState.DynamicScalingInSuspended)
	}

	p, err := f.preview("autoscaling.suspend_scale_in", req)
	if err != nil {
		t.Fatal(err)
	}
	if p.Current != "scale-in on (min 2, max 20)" || suspended() {
		t.Fatalf("preview %+v (or it changed the target)", p)
	}
	_, res := f.previewAndRun("autoscaling.suspend_scale_in", req)
	if !suspended() || !res.Changed {
		t.Fatalf("scale-in not suspended: %+v", res)
	}
	p, _ = f.preview("autoscaling.resume_scale_in", req)
	contains(t, "preview", p.Current, "scale-in suspended")
	if res, _ := f.run("autoscaling.suspend_scale_in", req, nil); res.Changed {
		t.Errorf("suspending twice reported a change: %+v", res)
	}

	_, res = f.previewAndRun("autoscaling.resume_scale_in", req)
	if suspended() || !res.Changed {
		t.Fatalf("scale-in not resumed: %+v", res)
	}
}
