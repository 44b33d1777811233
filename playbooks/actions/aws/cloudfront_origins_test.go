package aws

// CloudFront origins against moto, which has GetDistribution and S3's
// bucket policy and public access block, with AWS's NoSuchBucket,
// NoSuchBucketPolicy and NoSuchPublicAccessBlockConfiguration errors.
// Moto's gaps: it drops an origin's OriginAccessControlId (so OAC
// origins are covered by TestPolicyGrants on the check itself), and its
// S3 serves every bucket from every region, never answering "the bucket
// is in another region". TestOriginBucketInOtherRegion points S3 alone
// (AWS_ENDPOINT_URL_S3) at a small server speaking S3's REST-XML for
// GetBucketPolicy and GetPublicAccessBlock that answers the way S3 does
// for a request signed for the wrong region (301 PermanentRedirect with
// X-Amz-Bucket-Region), while CloudFront stays on moto.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// testS3Origin is an S3 origin, read through an origin access identity
// when oai is set.
func testS3Origin(id, domain, oai string) cftypes.Origin {
	return cftypes.Origin{Id: aws.String(id), DomainName: aws.String(domain),
		S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String(oai)}}
}

// testCustomOrigin is an HTTPS origin that is not an S3 bucket.
func testCustomOrigin(id, domain string) cftypes.Origin {
	return cftypes.Origin{Id: aws.String(id), DomainName: aws.String(domain), CustomOriginConfig: &cftypes.CustomOriginConfig{
		HTTPPort: aws.Int32(80), HTTPSPort: aws.Int32(443), OriginProtocolPolicy: cftypes.OriginProtocolPolicyHttpsOnly,
	}}
}

func testBehavior(origin string) *cftypes.DefaultCacheBehavior {
	return &cftypes.DefaultCacheBehavior{
		TargetOriginId: aws.String(origin), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyAllowAll,
		//lint:ignore SA1019 moto 5 refuses a distribution without the legacy cache settings
		MinTTL: aws.Int64(0),
		//lint:ignore SA1019 moto 5 refuses a distribution without the legacy cache settings
		ForwardedValues: &cftypes.ForwardedValues{QueryString: aws.Bool(false), Cookies: &cftypes.CookiePreference{Forward: cftypes.ItemSelectionNone}},
		TrustedSigners:  &cftypes.TrustedSigners{Enabled: aws.Bool(false), Quantity: aws.Int32(0)},
	}
}

// distributionWith creates a distribution over origins; the first is the
// default, and each other origin O serves /O/*.
func (f *fixture) distributionWith(list ...cftypes.Origin) *actions.Service {
	f.t.Helper()
	def := testBehavior(aws.ToString(list[0].Id))
	var behaviors []cftypes.CacheBehavior
	for _, o := range list[1:] {
		d := testBehavior(aws.ToString(o.Id))
		behaviors = append(behaviors, cftypes.CacheBehavior{
			PathPattern: aws.String("/" + aws.ToString(o.Id) + "/*"), TargetOriginId: d.TargetOriginId,
			//lint:ignore SA1019 moto 5 refuses a distribution without the legacy cache settings
			ViewerProtocolPolicy: d.ViewerProtocolPolicy, MinTTL: d.MinTTL, ForwardedValues: d.ForwardedValues, TrustedSigners: d.TrustedSigners,
		})
	}
	cfg := &cftypes.DistributionConfig{
		CallerReference: aws.String(testmoto.Name("ref")), Comment: aws.String(""), Enabled: aws.Bool(true),
		Origins:              &cftypes.Origins{Quantity: aws.Int32(int32(len(list))), Items: list},
		DefaultCacheBehavior: def,
	}
	if len(behaviors) > 0 {
		cfg.CacheBehaviors = &cftypes.CacheBehaviors{Quantity: aws.Int32(int32(len(behaviors))), Items: behaviors}
	}
	out, err := cloudfront.NewFromConfig(f.cfg).CreateDistribution(f.t.Context(), &cloudfront.CreateDistributionInput{DistributionConfig: cfg})
	if err != nil {
		f.t.Fatal(err)
	}
	return &actions.Service{Name: "web", Region: testmoto.Region, DistributionID: aws.ToString(out.Distribution.Id)}
}

func (f *fixture) bucket(name string) {
	f.t.Helper()
	if _, err := s3.NewFromConfig(f.cfg).CreateBucket(f.t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		f.t.Fatal(err)
	}
}

// s3Buckets creates buckets in moto: a public-read policy on each in
// public, a policy granting CloudFront in each of policies, and all four
// public access block settings on each in blocked.
func (f *fixture) s3Buckets(names []string, public []string, policies map[string]string, blocked []string) {
	f.t.Helper()
	ctx, api := f.t.Context(), s3.NewFromConfig(f.cfg)
	for _, name := range names {
		f.bucket(name)
	}
	for _, name := range public {
		policies[name] = `{"Version":"2012-10-17","Statement":[{"Sid":"public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + name + `/*"}]}`
	}
	for name, policy := range policies {
		if _, err := api.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(name), Policy: aws.String(policy)}); err != nil {
			f.t.Fatal(err)
		}
	}
	for _, name := range blocked {
		_, err := api.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(name), PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
		}})
		if err != nil {
			f.t.Fatal(err)
		}
	}
}

// TestCDNOrigins: all on moto, which drops origin access settings, so
// every S3 origin here is read anonymously.
func TestCDNOrigins(t *testing.T) {
	f := newFixture(t)
	media, uploads, site, gone := testmoto.Name("media"), testmoto.Name("uploads"), testmoto.Name("site"), testmoto.Name("gone")
	f.s3Buckets([]string{media, uploads, site}, []string{media, site}, map[string]string{}, []string{media, site})

	svc := f.distributionWith(
		testS3Origin("media", media+".s3.us-east-1.amazonaws.com", ""),
		testS3Origin("uploads", uploads+".s3.amazonaws.com", ""),
		testCustomOrigin("api", "api.example.com"),
		testCustomOrigin("site", site+".s3-website-us-east-1.amazonaws.com"),
		testS3Origin("old", gone+".s3.amazonaws.com", ""),
	)
	_, res := f.previewAndRun("cloudfront.origins", actions.Request{Service: svc})
	if want := "web: 5 origins; bucket " + media + ": RestrictPublicBuckets is on, so the anonymous reads this origin relies on are denied (+3 more)"; res.Summary != want {
		t.Errorf("summary %q\nwant    %q", res.Summary, want)
	}
	for _, want := range []string{
		"Origin `media` → `" + media + ".s3.us-east-1.amazonaws.com` (serves default)\n" +
			"S3 bucket `" + media + "`, no origin access control or identity: CloudFront reads anonymously\n" +
			"Bucket policy (us-east-1):\n{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"public\",\n",
		"Public access block: BlockPublicAcls on, IgnorePublicAcls on, BlockPublicPolicy on, RestrictPublicBuckets on\n" +
			"⚠ RestrictPublicBuckets is on, so the anonymous reads this origin relies on are denied\nOrigin `uploads`",
		"Origin `uploads` → `" + uploads + ".s3.amazonaws.com` (serves /uploads/*)\n",
		"Bucket policy: none (NoSuchBucketPolicy)\n" +
			"Public access block: none on the bucket (NoSuchPublicAccessBlockConfiguration; the account's own setting may still apply)\n" +
			"⚠ has no bucket policy, so only public object ACLs could allow CloudFront's anonymous reads\n",
		"Origin `api` → `api.example.com` (serves /api/*)\nnot an S3 bucket\n",
		"S3 bucket `" + site + "`, website endpoint: CloudFront reads anonymously, so the bucket policy must allow public s3:GetObject\n",
		"S3 bucket `" + gone + "`, no origin access control or identity: CloudFront reads anonymously\n" +
			"⚠ does not exist (NoSuchBucket): CloudFront gets errors from this origin",
	} {
		contains(t, "details", res.Text(), want)
	}
	policyThenRows(t, res.Sections)
	wantMetrics(t, "cloudfront.origins", res.Metrics, metricWant{"us-east-1", "AWS/CloudFront", "5xxErrorRate", "Average", 60,
		[][2]string{{"DistributionId", svc.DistributionID}, {"Region", "Global"}}})

	// A public bucket without a public access block is what an anonymous
	// origin needs: no finding.
	open := testmoto.Name("open")
	f.s3Buckets([]string{open}, []string{open}, map[string]string{}, nil)
	_, res = f.previewAndRun("cloudfront.origins", actions.Request{Service: f.distributionWith(testS3Origin("open", open+".s3.amazonaws.com", ""))})
	if want := "web: 1 origin; S3 bucket: " + open + " (policy and public access block below)"; res.Summary != want {
		t.Errorf("summary %q", res.Summary)
	}
	_, res = f.previewAndRun("cloudfront.origins", actions.Request{Service: f.distributionWith(testCustomOrigin("api", "api.example.com"))})
	if res.Summary != "web: 1 origin, none of them an S3 bucket" {
		t.Errorf("summary %q", res.Summary)
	}

	_, err := f.run("cloudfront.origins", actions.Request{Service: &actions.Service{Name: "web", Region: testmoto.Region, DistributionID: "E0000NOPE"}}, nil)
	wantCode(t, err, "NoSuchDistribution")
	_, err = f.run("cloudfront.origins", actions.Request{Service: &actions.Service{Name: "web", Region: testmoto.Region}}, nil)
	wantErr(t, err, "service web has no distribution_id in the targets file")
}

// TestCDNOriginAccess: origins read through an origin access identity or
// control, which moto's CloudFront drops, from a server speaking
// CloudFront's REST-XML for GetDistribution (AWS_ENDPOINT_URL_CLOUDFRONT);
// the buckets are on moto.
func TestCDNOriginAccess(t *testing.T) {
	f := newFixture(t)
	granted, bare, other := testmoto.Name("granted"), testmoto.Name("bare"), testmoto.Name("other")
	const dist, oai, oac = "E1TESTDIST", "E2TESTOAI", "E3TESTOAC"
	f.s3Buckets([]string{granted, bare, other}, nil, map[string]string{
		granted: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ` + oai + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + granted + `/*"}]}`,
		other: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + other + `/*",` +
			`"Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::123456789012:distribution/EOLDDIST"}}}]}`,
	}, []string{granted, bare, other})
	origin := func(id, domain, oai, oac string) string {
		return `<Origin><Id>` + id + `</Id><DomainName>` + domain + `</DomainName><OriginPath></OriginPath>` +
			`<S3OriginConfig><OriginAccessIdentity>` + oai + `</OriginAccessIdentity></S3OriginConfig>` +
			`<OriginAccessControlId>` + oac + `</OriginAccessControlId></Origin>`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/2020-05-31/distribution/"+dist {
			t.Errorf("unexpected CloudFront call %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("ETag", "E2QWRUHEXAMPLE")
		w.Header().Set("X-Amzn-Requestid", "fake-GetDistribution")
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Distribution xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">`+
			`<Id>`+dist+`</Id><ARN>arn:aws:cloudfront::123456789012:distribution/`+dist+`</ARN><Status>Deployed</Status>`+
			`<DomainName>d111111abcdef8.cloudfront.net</DomainName><DistributionConfig><Origins><Quantity>3</Quantity><Items>`+
			origin("granted", granted+".s3.us-east-1.amazonaws.com", "origin-access-identity/cloudfront/"+oai, "")+
			origin("bare", bare+".s3.us-east-1.amazonaws.com", "origin-access-identity/cloudfront/"+oai, "")+
			origin("other", other+".s3.us-east-1.amazonaws.com", "", oac)+
			`</Items></Origins><DefaultCacheBehavior><TargetOriginId>granted</TargetOriginId></DefaultCacheBehavior></DistributionConfig></Distribution>`)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFRONT", srv.URL)

	_, res := f.previewAndRun("cloudfront.origins", actions.Request{Service: &actions.Service{Name: "web", Region: testmoto.Region, DistributionID: dist}})
	if want := "web: 3 origins; bucket " + bare + ": has no bucket policy, so nothing grants CloudFront's origin access identity " + oai + " read access (+1 more)"; res.Summary != want {
		t.Errorf("summary %q\nwant    %q", res.Summary, want)
	}
	contains(t, "details", res.Text(), "S3 bucket `"+granted+"`, read through origin access identity "+oai+"\nBucket policy (us-east-1):\n")
	contains(t, "details", res.Text(), "RestrictPublicBuckets on\nOrigin `bare`") // the granted origin has no finding
	contains(t, "details", res.Text(), "S3 bucket `"+other+"`, read through origin access control "+oac+"\n")
	contains(t, "details", res.Text(), "⚠ the bucket policy grants CloudFront, but not this distribution ("+dist+"): another distribution's ARN?")
}

// policyThenRows checks that the first origin's bucket policy is code and
// that the rows after it stay after it, in a section without a title.
func policyThenRows(t *testing.T, ss []actions.Section) {
	t.Helper()
	if len(ss) < 3 || !strings.HasPrefix(ss[1].Title, "Origin `media`") || len(ss[1].Code) == 0 || ss[1].Code[0] != "{" ||
		ss[2].Title != "" || len(ss[2].Rows) == 0 || !strings.HasPrefix(ss[2].Rows[0], "Public access block:") {
		t.Errorf("sections %+v", ss)
	}
}

func TestOriginBucketInOtherRegion(t *testing.T) {
	f := newFixture(t)
	const bucket = "media-eu"
	var mu sync.Mutex
	var asked []string // "region GET /path?query"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The credential scope is KEY/DATE/REGION/s3/aws4_request.
		_, scope, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
		parts := strings.Split(scope, "/")
		region := ""
		if len(parts) > 3 {
			region = parts[2]
		}
		mu.Lock()
		asked = append(asked, region+" "+r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		w.Header().Set("X-Amz-Request-Id", "fake-s3")
		w.Header().Set("X-Amz-Bucket-Region", "eu-west-1")
		w.Header().Set("Content-Type", "application/xml")
		if !strings.Contains(r.URL.Path, bucket) && !strings.HasPrefix(r.Host, bucket+".") {
			t.Errorf("request for another bucket: %s %s", r.Host, r.URL)
		}
		switch {
		case region != "eu-west-1":
			w.WriteHeader(http.StatusMovedPermanently)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message><Bucket>media-eu</Bucket><Endpoint>media-eu.s3.eu-west-1.amazonaws.com</Endpoint></Error>`)
		case r.URL.Query().Has("policy"):
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::media-eu/*","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::123456789012:distribution/EOTHER"}}}]}`)
		case r.URL.Query().Has("publicAccessBlock"):
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>`)
		default:
			t.Errorf("unexpected S3 call %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)

	// The legacy global domain does not say where the bucket is.
	svc := f.distributionWith(testS3Origin("media", bucket+".s3.amazonaws.com", ""))
	_, res := f.previewAndRun("cloudfront.origins", actions.Request{Service: svc})
	contains(t, "details", res.Text(), "Bucket policy (eu-west-1):\n{\n")
	contains(t, "details", res.Text(), "Public access block: BlockPublicAcls on, IgnorePublicAcls on, BlockPublicPolicy on, RestrictPublicBuckets off")
	if res.Summary != "web: 1 origin; S3 bucket: media-eu (policy and public access block below)" {
		t.Errorf("summary %q", res.Summary)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 3 || !strings.HasPrefix(asked[0], "us-east-1 GET ") || !strings.HasPrefix(asked[1], "eu-west-1 GET ") || !strings.HasPrefix(asked[2], "eu-west-1 GET ") {
		t.Errorf("S3 asked %q: want the service's region once, then the bucket's", asked)
	}
}

func TestS3Origin(t *testing.T) {
	for _, c := range []struct {
		domain, bucket, region string
		website, ok            bool
	}{
		{"media.s3.amazonaws.com", "media", "", false, true},
		{"Media.S3.eu-west-1.amazonaws.com", "media", "eu-west-1", false, true},
		{"my.dotted.bucket.s3.us-gov-west-1.amazonaws.com", "my.dotted.bucket", "us-gov-west-1", false, true},
		{"old-style.s3-ap-southeast-2.amazonaws.com", "old-style", "ap-southeast-2", false, true},
		{"dual.s3.dualstack.us-east-2.amazonaws.com", "dual", "us-east-2", false, true},
		{"site.s3-website-us-east-1.amazonaws.com", "site", "us-east-1", true, true},
		{"site.s3-website.eu-central-1.amazonaws.com", "site", "eu-central-1", true, true},
		{"cn.s3.cn-north-1.amazonaws.com.cn", "cn", "cn-north-1", false, true},
		{"ext.s3-external-1.amazonaws.com", "ext", "us-east-1", false, true},
		{"ap-1234567890.s3-accesspoint.us-east-1.amazonaws.com", "", "", false, false},
		{"api.example.com", "", "", false, false},
		{"media.s3.amazonaws.com.evil.example", "", "", false, false},
	} {
		bucket, region, website, ok := s3Origin(c.domain)
		if bucket != c.bucket || region != c.region || website != c.website || ok != c.ok {
			t.Errorf("s3Origin(%q) = %q %q %v %v", c.domain, bucket, region, website, ok)
		}
	}
}

// TestPolicyGrants covers origin access control, which moto drops.
func TestPolicyGrants(t *testing.T) {
	d := &cftypes.Distribution{Id: aws.String("E1DIST"), ARN: aws.String("arn:aws:cloudfront::123456789012:distribution/E1DIST")}
	oac := originAccess(cftypes.Origin{OriginAccessControlId: aws.String("E3OAC"), S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")}})
	if oac != "origin access control E3OAC" {
		t.Fatalf("access %q", oac)
	}
	grant := func(arn string) string {
		return `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject",` +
			`"Condition":{"StringEquals":{"AWS:SourceArn":"` + arn + `"}}}]}`
	}
	for _, c := range []struct{ policy, want string }{
		{grant("arn:aws:cloudfront::123456789012:distribution/E1DIST"), ""},
		{grant("arn:aws:cloudfront::123456789012:distribution/EOLD"), "not this distribution (E1DIST)"},
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}`, "no statement for the cloudfront.amazonaws.com service principal"},
	} {
		got := policyGrants(c.policy, oac, d)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("policyGrants(%s) = %q, want %q", c.policy, got, c.want)
		}
	}
	if got := originAccess(testS3Origin("a", "a.s3.amazonaws.com", "origin-access-identity/cloudfront/E2OAI")); got != "origin access identity E2OAI" {
		t.Errorf("OAI access %q", got)
	}
	if got := policyGrants("{}", "", d); got != "" {
		t.Errorf("anonymous origin: %q", got)
	}
}
