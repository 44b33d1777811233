package aws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/incident-bot/incident-bot/internal/txt"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// origins is cloudfront.origins: where each of the distribution's origins
// really points and, for S3 origins, the bucket's policy and public access
// block — the runbook's "media links return access denied" check. A
// missing policy or block is a finding, not a failure.
type origins struct{ c *Clients }

func (origins) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

// policyClip is how much of a bucket policy the details show.
const policyClip = 1500

func (r origins) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	a, s, err := r.c.service(ctx, req, "distribution_id")
	if err != nil {
		return actions.Result{}, err
	}
	d, id, err := getDistribution(ctx, a.cloudfront, s.DistributionID)
	if err != nil {
		return actions.Result{}, err
	}
	list, routes := originRoutes(d)
	if len(list) == 0 {
		return actions.Result{Summary: fmt.Sprintf("%s: distribution %s has no origins", s.Name, s.DistributionID), RequestID: id,
			Metrics: cdnMetrics(s)}, nil
	}

	ss := sections{{Title: fmt.Sprintf("Distribution `%s` (%s)", s.DistributionID, aws.ToString(d.DomainName))}}
	buckets, findings, err := r.writeOrigins(ctx, &ss, s, d, list, routes)
	if err != nil {
		return actions.Result{}, err
	}
	summary := originsSummary(s.Name, len(list), buckets, findings)
	return actions.Result{Summary: summary, Sections: ss, RequestID: id, Metrics: cdnMetrics(s)}, nil
}

// cdnMetrics is the distribution's 5xx error rate: whether its origins'
// trouble reaches viewers. CloudFront publishes its metrics in us-east-1
// only, with Region=Global, whatever the service's region.
func cdnMetrics(s *actions.Service) []actions.Metric {
	return []actions.Metric{{Label: "CDN 5xx error rate of " + s.Name, Region: "us-east-1", Role: s.RoleARN, Namespace: "AWS/CloudFront",
		Metric: "5xxErrorRate", Dimensions: [][2]string{{"DistributionId", s.DistributionID}, {"Region", "Global"}},
		Stat: "Average", Period: 60, Unit: "Percent"}}
}

// getDistribution fetches the distribution (empty when CloudFront returns none) and the request ID.
func getDistribution(ctx context.Context, api cloudfrontAPI, distID string) (*cftypes.Distribution, string, error) {
	out, err := api.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(distID)})
	if err != nil {
		return nil, "", apiError("cloudfront GetDistribution", err)
	}
	d := out.Distribution
	if d == nil {
		d = &cftypes.Distribution{}
	}
	return d, requestID(out.ResultMetadata), nil
}

// originRoutes lists the distribution's origins and, by origin ID, the paths each serves.
func originRoutes(d *cftypes.Distribution) ([]cftypes.Origin, map[string][]string) {
	var list []cftypes.Origin
	routes := map[string][]string{} // origin ID → the paths it serves
	if cfg := d.DistributionConfig; cfg != nil {
		if cfg.Origins != nil {
			list = cfg.Origins.Items
		}
		if cfg.DefaultCacheBehavior != nil {
			o := aws.ToString(cfg.DefaultCacheBehavior.TargetOriginId)
			routes[o] = append(routes[o], "default")
		}
		if cfg.CacheBehaviors != nil {
			for _, b := range cfg.CacheBehaviors.Items {
				o := aws.ToString(b.TargetOriginId)
				routes[o] = append(routes[o], aws.ToString(b.PathPattern))
			}
		}
	}
	return list, routes
}

// writeOrigins adds a section per origin to ss and returns the S3 buckets and what looks wrong with them.
func (r origins) writeOrigins(ctx context.Context, ss *sections, s *actions.Service, d *cftypes.Distribution, list []cftypes.Origin, routes map[string][]string) ([]string, []string, error) {
	var buckets, findings []string
	for _, o := range list {
		domain := strings.ToLower(aws.ToString(o.DomainName))
		title := fmt.Sprintf("Origin `%s` → `%s%s`", aws.ToString(o.Id), domain, aws.ToString(o.OriginPath))
		if paths := routes[aws.ToString(o.Id)]; len(paths) > 0 {
			title += fmt.Sprintf(" (serves %s)", strings.Join(paths, ", "))
		}
		ss.title(title)
		bucket, region, website, ok := s3Origin(domain)
		if !ok {
			ss.row("not an S3 bucket")
			continue
		}
		buckets = append(buckets, bucket)
		if region == "" {
			region = s.Region // S3 redirects to the bucket's own region
		}
		found, err := r.bucket(ctx, ss, s, d, o, bucket, region, website)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range found {
			ss.row("⚠ " + f)
			findings = append(findings, "bucket "+bucket+": "+f)
		}
	}
	return buckets, findings, nil
}

// originsSummary words the summary: the S3 buckets, or the first thing wrong with them.
func originsSummary(service string, n int, buckets, findings []string) string {
	summary := fmt.Sprintf("%s: %s", service, plural(n, "origin"))
	switch {
	case len(buckets) == 0:
		summary += ", none of them an S3 bucket"
	case len(findings) == 0:
		summary += fmt.Sprintf("; S3 %s: %s (policy and public access block below)", pluralWord(len(buckets), "bucket"), strings.Join(buckets, ", "))
	default:
		summary += "; " + findings[0]
		if len(findings) > 1 {
			summary += fmt.Sprintf(" (+%d more)", len(findings)-1)
		}
	}
	return summary
}

// bucket adds an S3 origin's bucket, policy and public access block to
// ss and returns what looks wrong. S3 errors other than a missing bucket,
// policy or block fail the action with their code.
func (r origins) bucket(ctx context.Context, ss *sections, s *actions.Service, d *cftypes.Distribution, o cftypes.Origin, bucket, region string, website bool) ([]string, error) {
	var found []string
	access := originAccess(o)
	row := fmt.Sprintf("S3 bucket `%s`", bucket)
	switch {
	case website:
		row += ", website endpoint: CloudFront reads anonymously, so the bucket policy must allow public s3:GetObject"
	case access == "":
		row += ", no origin access control or identity: CloudFront reads anonymously"
	default:
		row += ", read through " + access
	}
	ss.row(row)

	pol, region, err := inBucketRegion(ctx, r.c, region, s.RoleARN, func(api s3API) (*s3.GetBucketPolicyOutput, error) {
		return api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	})
	var policy string
	switch {
	case isCode(err, "NoSuchBucket"):
		return append(found, "does not exist (NoSuchBucket): CloudFront gets errors from this origin"), nil
	case isCode(err, "NoSuchBucketPolicy"):
		ss.row("Bucket policy: none (NoSuchBucketPolicy)")
		if access != "" {
			found = append(found, "has no bucket policy, so nothing grants CloudFront's "+access+" read access")
		} else {
			found = append(found, "has no bucket policy, so only public object ACLs could allow CloudFront's anonymous reads")
		}
	case err != nil:
		return nil, apiError("s3 GetBucketPolicy "+bucket, err)
	default:
		policy = aws.ToString(pol.Policy)
		ss.row(fmt.Sprintf("Bucket policy (%s):", region))
		ss.code(strings.Split(prettyJSON(policy, policyClip), "\n"))
		if f := policyGrants(policy, access, d); f != "" {
			found = append(found, f)
		}
	}

	f, err := r.publicAccessBlock(ctx, ss, s.RoleARN, bucket, region, website || access == "")
	if err != nil {
		return nil, err
	}
	if f != "" {
		found = append(found, f)
	}
	return found, nil
}

// publicAccessBlock adds the bucket's public access block to ss and returns what looks wrong, if anything.
func (r origins) publicAccessBlock(ctx context.Context, ss *sections, role, bucket, region string, anonymous bool) (string, error) {
	pab, _, err := inBucketRegion(ctx, r.c, region, role, func(api s3API) (*s3.GetPublicAccessBlockOutput, error) {
		return api.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)})
	})
	switch {
	case isCode(err, "NoSuchPublicAccessBlockConfiguration"):
		ss.row("Public access block: none on the bucket (NoSuchPublicAccessBlockConfiguration; the account's own setting may still apply)")
	case err != nil:
		return "", apiError("s3 GetPublicAccessBlock "+bucket, err)
	default:
		c := pab.PublicAccessBlockConfiguration
		if c == nil {
			c = &s3types.PublicAccessBlockConfiguration{}
		}
		ss.row(fmt.Sprintf("Public access block: BlockPublicAcls %s, IgnorePublicAcls %s, BlockPublicPolicy %s, RestrictPublicBuckets %s",
			onOff(c.BlockPublicAcls), onOff(c.IgnorePublicAcls), onOff(c.BlockPublicPolicy), onOff(c.RestrictPublicBuckets)))
		if anonymous && aws.ToBool(c.RestrictPublicBuckets) {
			return "RestrictPublicBuckets is on, so the anonymous reads this origin relies on are denied", nil
		}
	}
	return "", nil
}

// s3OriginRE matches S3 bucket endpoints: bucket.s3.amazonaws.com,
// bucket.s3.REGION.amazonaws.com, the older bucket.s3-REGION.amazonaws.com,
// dualstack, website endpoints (bucket.s3-website-REGION… and
// bucket.s3-website.REGION…) and China's amazonaws.com.cn. Access points
// and other endpoints do not match.
var s3OriginRE = regexp.MustCompile(`^(.+?)\.s3(-website)?(?:[.-](?:dualstack\.)?([a-z]{2}(?:-[a-z]+)+-\d+|external-1))?\.amazonaws\.com(?:\.cn)?$`)

// s3Origin names the bucket an origin domain points at and its region
// when the domain says.
func s3Origin(domain string) (bucket, region string, website, ok bool) {
	m := s3OriginRE.FindStringSubmatch(strings.TrimSuffix(strings.ToLower(domain), "."))
	if m == nil {
		return "", "", false, false
	}
	region = m[3]
	if region == "external-1" {
		region = "us-east-1"
	}
	return m[1], region, m[2] != "", true
}

// originAccess says how CloudFront authenticates to an S3 origin: "origin
// access control E2…", "origin access identity E1…", or "" (anonymously).
func originAccess(o cftypes.Origin) string {
	if id := aws.ToString(o.OriginAccessControlId); id != "" {
		return "origin access control " + id
	}
	if o.S3OriginConfig != nil {
		if oai := aws.ToString(o.S3OriginConfig.OriginAccessIdentity); oai != "" {
			return "origin access identity " + oai[strings.LastIndex(oai, "/")+1:]
		}
	}
	return ""
}

// policyGrants says what is missing when the policy cannot be granting
// the origin's access: an OAC is granted to the cloudfront.amazonaws.com
// service principal for this distribution's ARN, an OAI by its ID. It
// only looks for the names, so "" does not prove access is allowed.
func policyGrants(policy, access string, d *cftypes.Distribution) string {
	id, arn := aws.ToString(d.Id), aws.ToString(d.ARN)
	switch {
	case strings.HasPrefix(access, "origin access control "):
		if !strings.Contains(policy, "cloudfront.amazonaws.com") {
			return "the bucket policy has no statement for the cloudfront.amazonaws.com service principal, which " + access + " needs"
		}
		if !strings.Contains(policy, id) && (arn == "" || !strings.Contains(policy, arn)) {
			return "the bucket policy grants CloudFront, but not this distribution (" + id + "): another distribution's ARN?"
		}
	case strings.HasPrefix(access, "origin access identity "):
		oai := strings.TrimPrefix(access, "origin access identity ")
		if !strings.Contains(policy, oai) {
			return "the bucket policy does not mention " + access
		}
	}
	return ""
}

// inBucketRegion calls S3 in region; when S3 answers that the bucket is
// in another region (its X-Amz-Bucket-Region header, as for a legacy
// bucket.s3.amazonaws.com origin), it asks once more there. It returns
// the region that answered.
func inBucketRegion[T any](ctx context.Context, c *Clients, region, role string, call func(s3API) (T, error)) (T, string, error) {
	var zero T
	a, err := c.get(ctx, region, role)
	if err != nil {
		return zero, region, err
	}
	out, err := call(a.s3)
	if other := bucketRegion(err); other != "" && other != region {
		if a, err = c.get(ctx, other, role); err != nil {
			return zero, region, err
		}
		out, err = call(a.s3)
		return out, other, err
	}
	return out, region, err
}

// bucketRegion is the region S3 says a bucket is in, from an error's
// response.
func bucketRegion(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	return ""
}

// prettyJSON indents a JSON document (or returns it as it is) and clips
// it to n runes.
func prettyJSON(doc string, n int) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(doc), "", "  "); err == nil {
		doc = buf.String()
	}
	return txt.Clip(doc, n)
}

func onOff(b *bool) string {
	if aws.ToBool(b) {
		return "on"
	}
	return "off"
}

// pluralWord writes "bucket", "buckets".
func pluralWord(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
