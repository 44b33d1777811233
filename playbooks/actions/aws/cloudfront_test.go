package aws

// CloudFront against moto. Moto lists invalidations without their paths,
// so the test reads each back with GetInvalidation.

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

func (f *fixture) distribution() (*actions.Service, string) {
	f.t.Helper()
	out, err := cloudfront.NewFromConfig(f.cfg).CreateDistribution(f.t.Context(), &cloudfront.CreateDistributionInput{
		DistributionConfig: &types.DistributionConfig{
			CallerReference: aws.String(testmoto.Name("ref")),
			Comment:         aws.String(""),
			Enabled:         aws.Bool(true),
			Origins: &types.Origins{Quantity: aws.Int32(1), Items: []types.Origin{{
				Id: aws.String("site"), DomainName: aws.String("site.s3.amazonaws.com"),
				S3OriginConfig: &types.S3OriginConfig{OriginAccessIdentity: aws.String("")},
			}}},
			DefaultCacheBehavior: &types.DefaultCacheBehavior{
				TargetOriginId: aws.String("site"), ViewerProtocolPolicy: types.ViewerProtocolPolicyAllowAll,
				//lint:ignore SA1019 moto 5 refuses a distribution without the legacy cache settings
				MinTTL: aws.Int64(0),
				//lint:ignore SA1019 moto 5 refuses a distribution without the legacy cache settings
				ForwardedValues: &types.ForwardedValues{QueryString: aws.Bool(false), Cookies: &types.CookiePreference{Forward: types.ItemSelectionNone}},
				TrustedSigners:  &types.TrustedSigners{Enabled: aws.Bool(false), Quantity: aws.Int32(0)},
			},
		},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	d := out.Distribution
	return &actions.Service{Name: "web", Region: testmoto.Region, DistributionID: aws.ToString(d.Id)}, aws.ToString(d.DomainName)
}

// invalidatedPaths lists each invalidation's paths, read back from AWS.
func (f *fixture) invalidatedPaths(id string) [][]string {
	f.t.Helper()
	api := cloudfront.NewFromConfig(f.cfg)
	list, err := api.ListInvalidations(f.t.Context(), &cloudfront.ListInvalidationsInput{DistributionId: aws.String(id)})
	if err != nil {
		f.t.Fatal(err)
	}
	var out [][]string
	for _, s := range list.InvalidationList.Items {
		inv, err := api.GetInvalidation(f.t.Context(), &cloudfront.GetInvalidationInput{DistributionId: aws.String(id), Id: s.Id})
		if err != nil {
			f.t.Fatal(err)
		}
		paths := inv.Invalidation.InvalidationBatch.Paths.Items
		slices.Sort(paths)
		out = append(out, paths)
	}
	return out
}

func TestInvalidate(t *testing.T) {
	f := newFixture(t)
	svc, domain := f.distribution()

	p, err := f.preview("cloudfront.invalidate", actions.Request{Service: svc})
	if err != nil {
		t.Fatal(err)
	}
	if p.Change != "invalidate /* on "+domain+": the next requests for them go to the origin" || p.Resource != "cloudfront:"+svc.DistributionID {
		t.Errorf("preview %+v", p)
	}
	if got := f.invalidatedPaths(svc.DistributionID); len(got) != 0 {
		t.Fatalf("preview invalidated %v", got)
	}
	res, err := f.run("cloudfront.invalidate", actions.Request{Service: svc}, &p)
	if err != nil || !res.Changed {
		t.Fatalf("%+v %v", res, err)
	}
	contains(t, "summary", res.Summary, "of /* on "+domain)

	// A second run needs its own CallerReference to be a new invalidation.
	_, res = f.previewAndRun("cloudfront.invalidate", actions.Request{Service: svc, Params: map[string]any{"paths": []any{"/index.html", "/assets/*"}}})
	got := f.invalidatedPaths(svc.DistributionID)
	if len(got) != 2 || !slices.ContainsFunc(got, func(p []string) bool { return slices.Equal(p, []string{"/*"}) }) ||
		!slices.ContainsFunc(got, func(p []string) bool { return slices.Equal(p, []string{"/assets/*", "/index.html"}) }) {
		t.Fatalf("invalidations %v", got)
	}

	_, err = f.preview("cloudfront.invalidate", actions.Request{Service: svc, Params: map[string]any{"paths": []any{"index.html"}}})
	wantErr(t, err, `path "index.html" must start with /`)
	_, err = f.preview("cloudfront.invalidate", actions.Request{Service: &actions.Service{Name: "web", Region: testmoto.Region, DistributionID: "E0000NOPE"}})
	wantCode(t, err, "NoSuchDistribution")
	_, err = f.preview("cloudfront.invalidate", actions.Request{Service: &actions.Service{Name: "web", Region: testmoto.Region}})
	wantErr(t, err, "service web has no distribution_id in the targets file")
}
