package aws

// ECR and SSM against moto, which has both operations and answers a
// missing tag with ImageNotFoundException as AWS does.

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

const manifest = `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` +
	`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,` +
	`"digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},"layers":[]}`

func TestImageExists(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	repo, param := testmoto.Name("web"), "/"+testmoto.Name("web")+"/image_tag"
	ecrapi, ssmapi := ecr.NewFromConfig(f.cfg), ssm.NewFromConfig(f.cfg)
	if _, err := ecrapi.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ecrapi.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(manifest), ImageTag: aws.String("v1.2.3")}); err != nil {
		t.Fatal(err)
	}
	setParam := func(v string) {
		t.Helper()
		_, err := ssmapi.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(param), Value: aws.String(v), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
	}
	svc := &actions.Service{Name: "web", Region: testmoto.Region, ImageParameter: param, ECRRepository: repo}

	setParam("v1.2.3")
	_, res := f.previewAndRun("ecr.image_exists", actions.Request{Service: svc})
	if res.Summary != "web: image "+repo+":v1.2.3 exists in ECR" {
		t.Errorf("summary %q", res.Summary)
	}
	contains(t, "details", res.Text(), "Digest sha256:")

	setParam("123456789012.dkr.ecr.us-east-1.amazonaws.com/" + repo + ":v9")
	_, res = f.previewAndRun("ecr.image_exists", actions.Request{Service: svc})
	if res.Summary != "web: image "+repo+":v9 is NOT in ECR (from "+param+")" {
		t.Errorf("summary %q", res.Summary)
	}
	contains(t, "details", res.Text(), "CannotPullContainerError")

	svc.ImageParameter = "/" + testmoto.Name("gone")
	_, err := f.run("ecr.image_exists", actions.Request{Service: svc}, nil)
	wantCode(t, err, "ParameterNotFound")
	svc.ECRRepository = ""
	_, err = f.run("ecr.image_exists", actions.Request{Service: svc}, nil)
	wantErr(t, err, "service web has no ecr_repository in the targets file")
}

func TestImageRef(t *testing.T) {
	for _, c := range []struct{ in, tag, digest string }{
		{"v1.2.3", "v1.2.3", ""},
		{"web:v1.2.3", "v1.2.3", ""},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/team/web:v1", "v1", ""},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:abc", "", "sha256:abc"},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/web", "", ""},
		{" v2\n", "v2", ""},
	} {
		id, label := imageRef(c.in)
		tag, digest := aws.ToString(id.ImageTag), aws.ToString(id.ImageDigest)
		if tag != c.tag || digest != c.digest || label != c.tag+c.digest {
			t.Errorf("imageRef(%q) = tag %q digest %q label %q", c.in, tag, digest, label)
		}
	}
}
