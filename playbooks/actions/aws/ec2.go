package aws

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// ec2Target is a service's EC2 instances, resolved from the targets file.
// Only these are ever described or started.
type ec2Target struct {
	api ec2API
	svc *actions.Service
	ids []string // as listed, duplicates dropped
}

func (c *Clients) ec2Target(ctx context.Context, req actions.Request) (ec2Target, error) {
	a, s, err := c.service(ctx, req)
	if err != nil {
		return ec2Target{}, err
	}
	if len(s.EC2Instances) == 0 {
		return ec2Target{}, fmt.Errorf("service %s has no ec2_instances in the targets file (list its instance IDs, e.g. ec2_instances: [i-0123456789abcdef0])", s.Name)
	}
	var ids []string
	for _, id := range s.EC2Instances {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ec2Target{api: a.ec2, svc: s, ids: ids}, nil
}

// describe returns the instances among ids that exist, by ID. It filters
// on instance-id rather than passing InstanceIds: one listed instance
// that is gone would otherwise fail the whole call with
// InvalidInstanceID.NotFound and hide the others.
func (t ec2Target) describe(ctx context.Context, ids []string) (map[string]types.Instance, string, error) {
	in := &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("instance-id"), Values: ids}}}
	found := map[string]types.Instance{}
	var reqID string
	for {
		out, err := t.api.DescribeInstances(ctx, in)
		if err != nil {
			return nil, "", apiError("ec2 DescribeInstances", err)
		}
		reqID = requestID(out.ResultMetadata)
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				found[aws.ToString(i.InstanceId)] = i
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return found, reqID, nil
		}
		in.NextToken = out.NextToken
	}
}

// statuses returns the status checks and scheduled events of instances
// that exist. IncludeAllInstances: without it a stopped instance, the
// one that matters here, is left out.
func (t ec2Target) statuses(ctx context.Context, ids []string) (map[string]types.InstanceStatus, error) {
	out := map[string]types.InstanceStatus{}
	if len(ids) == 0 {
		return out, nil
	}
	in := &ec2.DescribeInstanceStatusInput{InstanceIds: ids, IncludeAllInstances: aws.Bool(true)}
	for {
		page, err := t.api.DescribeInstanceStatus(ctx, in)
		if err != nil {
			return nil, apiError("ec2 DescribeInstanceStatus", err)
		}
		for _, s := range page.InstanceStatuses {
			out[aws.ToString(s.InstanceId)] = s
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// images returns the AMIs among ids that this account can still see.
// A filter again, not ImageIds: a deleted AMI must read as "missing",
// not fail the call. Deprecated and disabled AMIs are asked for too, so
// only a really deleted (or unshared) one is missing.
func (t ec2Target) images(ctx context.Context, ids []string) (map[string]types.Image, error) {
	out := map[string]types.Image{}
	if len(ids) == 0 {
		return out, nil
	}
	in := &ec2.DescribeImagesInput{
		Filters:           []types.Filter{{Name: aws.String("image-id"), Values: ids}},
		IncludeDeprecated: aws.Bool(true),
		IncludeDisabled:   aws.Bool(true),
	}
	for {
		page, err := t.api.DescribeImages(ctx, in)
		if err != nil {
			return nil, apiError("ec2 DescribeImages", err)
		}
		for _, im := range page.Images {
			out[aws.ToString(im.ImageId)] = im
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// instanceStatus is ec2.instance_status: each of the service's instances'
// state, status checks, scheduled events (AWS's retirement notices) and
// whether its AMI still exists — what the Prod Green postmortem had to
// ask AWS Support for.
type instanceStatus struct{ c *Clients }

func (instanceStatus) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

func (r instanceStatus) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	t, err := r.c.ec2Target(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	v := ec2View{ids: t.ids, now: r.c.now()}
	if v.inst, v.reqID, err = t.describe(ctx, t.ids); err != nil {
		return actions.Result{}, err
	}
	var found, amis []string
	for _, id := range t.ids {
		if i, ok := v.inst[id]; ok {
			found = append(found, id)
			if ami := aws.ToString(i.ImageId); ami != "" && !slices.Contains(amis, ami) {
				amis = append(amis, ami)
			}
		}
	}
	if v.status, err = t.statuses(ctx, found); err != nil {
		return actions.Result{}, err
	}
	if v.images, err = t.images(ctx, amis); err != nil {
		return actions.Result{}, err
	}
	return actions.Result{Summary: t.svc.Name + ": " + v.summary(), Sections: v.sections(), RequestID: v.reqID}, nil
}
