package aws

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// imageExists is ecr.image_exists: is the image the deploy points at
// (the tag in the SSM parameter) actually in the ECR repository? A
// missing tag is the usual cause of CannotPullContainerError.
type imageExists struct{ c *Clients }

func (imageExists) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

// imageRef reads the parameter's value as a tag ("v1.2.3"), a full image
// ("….dkr.ecr….amazonaws.com/web:v1.2.3") or a digest ("web@sha256:…").
func imageRef(value string) (id types.ImageIdentifier, label string) {
	value = strings.TrimSpace(value)
	if i := strings.Index(value, "@"); i >= 0 {
		d := value[i+1:]
		return types.ImageIdentifier{ImageDigest: aws.String(d)}, d
	}
	last := value[strings.LastIndex(value, "/")+1:]
	tag := last
	if i := strings.LastIndex(last, ":"); i >= 0 {
		tag = last[i+1:]
	} else if last != value {
		tag = "" // a repository without a tag: nothing to check
	}
	return types.ImageIdentifier{ImageTag: aws.String(tag)}, tag
}

func (r imageExists) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	a, s, err := r.c.service(ctx, req, "image_parameter", "ecr_repository")
	if err != nil {
		return actions.Result{}, err
	}
	param, err := a.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.ImageParameter)})
	if err != nil {
		return actions.Result{}, apiError("ssm GetParameter", err)
	}
	value := aws.ToString(param.Parameter.Value)
	ref, label := imageRef(value)
	if label == "" {
		return actions.Result{}, fmt.Errorf("SSM parameter %s holds %q, which names no image tag", s.ImageParameter, value)
	}
	out, err := a.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RepositoryName: aws.String(s.ECRRepository),
		ImageIds:       []types.ImageIdentifier{ref},
	})
	image := s.ECRRepository + ":" + label
	if ref.ImageDigest != nil {
		image = s.ECRRepository + "@" + label
	}
	if isCode(err, "ImageNotFoundException") {
		// The finding, not a failure: this is what the check looks for.
		return actions.Result{
			Summary: fmt.Sprintf("%s: image %s is NOT in ECR (from %s)", s.Name, image, s.ImageParameter),
			Sections: []actions.Section{{
				Title: fmt.Sprintf("%s = `%s`, but ECR repository %s has no such image. Tasks using it fail with CannotPullContainerError: push the image or point the parameter at one that exists.",
					s.ImageParameter, value, s.ECRRepository),
			}},
			RequestID: errRequestID(err),
		}, nil
	}
	if err != nil {
		return actions.Result{}, apiError("ecr DescribeImages", err)
	}
	sec := actions.Section{Title: fmt.Sprintf("%s = `%s`", s.ImageParameter, value)}
	if len(out.ImageDetails) > 0 {
		d := out.ImageDetails[0]
		sec.Rows = append(sec.Rows, fmt.Sprintf("Digest %s, pushed %s, tags %s", aws.ToString(d.ImageDigest),
			aws.ToTime(d.ImagePushedAt).UTC().Format("2006-01-02 15:04 UTC"), strings.Join(d.ImageTags, ", ")))
	}
	return actions.Result{
		Summary:   fmt.Sprintf("%s: image %s exists in ECR", s.Name, image),
		Sections:  []actions.Section{sec},
		RequestID: requestID(out.ResultMetadata),
	}, nil
}
