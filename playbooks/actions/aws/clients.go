// Package aws runs the playbook actions that read or change AWS: ECS,
// Application Auto Scaling, RDS, CloudWatch, CloudFront, S3, ELB, ACM,
// ElastiCache, CloudWatch Logs, ECR, SSM, IAM (policy simulation),
// Route 53 (with public DNS), WAF, EC2, Account (notice contacts) and
// CloudTrail (who changed what). Each action is a small Runner
// registered under its Spec ID; every SDK client sits behind a narrow
// interface (api.go) listing only the calls the actions make.
package aws

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	"github.com/aws/smithy-go/middleware"
)

// Options configure Clients. The zero value is ready for production.
type Options struct {
	// Now is the clock for metric and log windows and generated names
	// (time.Now when nil).
	Now func() time.Time
	// APIOptions are added to every SDK client's middleware stack (tests
	// record which operations each action calls).
	APIOptions []func(*middleware.Stack) error
	// Resolver is the DNS server route53.delegation asks for public DNS,
	// as "host:port" (the first nameserver in /etc/resolv.conf when
	// empty).
	Resolver string
}

// Clients builds and caches SDK clients per (region, role). Credentials
// and endpoints come from the SDK's default chain, so AWS_ENDPOINT_URL
// (moto in tests) and the task role in ECS work without configuration
// here.
type Clients struct {
	now  func() time.Time
	opts []func(*middleware.Stack) error
	dns  dnsConfig
	pace *pacer // CloudTrail's LookupEvents, per account and region

	mu    sync.Mutex
	cache map[clientKey]*apis
}

type clientKey struct{ region, role string }

// apis are one (region, role)'s clients, each behind its narrow interface.
type apis struct {
	ecs         ecsAPI
	autoscaling autoscalingAPI
	rds         rdsAPI
	cloudwatch  cloudwatchAPI
	cloudfront  cloudfrontAPI
	elb         elbAPI
	elasticache elasticacheAPI
	logs        logsAPI
	ecr         ecrAPI
	ssm         ssmAPI
	s3          s3API
	acm         acmAPI
	iam         iamAPI
	route53     route53API
	waf         wafAPI
	ec2         ec2API
	account     accountAPI
	cloudtrail  cloudtrailAPI
}

// NewClients returns an empty client cache.
func NewClients(opts Options) *Clients {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Clients{now: now, opts: opts.APIOptions, dns: newDNSConfig(opts.Resolver), pace: newPacer(), cache: map[clientKey]*apis{}}
}

// get returns the clients for region, assuming role when it is set.
// Failures are not cached, so a transient one does not stick.
func (c *Clients) get(ctx context.Context, region, role string) (*apis, error) {
	key := clientKey{region, role}
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.cache[key]; ok {
		return a, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		// Shows as the user agent's app ID in CloudTrail, so people can
		// tell the bot's calls from their own.
		config.WithAppID("incident-bot"),
	)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration for %s: %w", region, err)
	}
	cfg.APIOptions = append(cfg.APIOptions, c.opts...)
	if role != "" {
		// The session name is what CloudTrail records for the assumed
		// role: say who acted.
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), role, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "incident-bot"
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	a := &apis{
		ecs:         ecs.NewFromConfig(cfg),
		autoscaling: applicationautoscaling.NewFromConfig(cfg),
		rds:         rds.NewFromConfig(cfg),
		cloudwatch:  cloudwatch.NewFromConfig(cfg),
		cloudfront:  cloudfront.NewFromConfig(cfg),
		elb:         elb.NewFromConfig(cfg),
		elasticache: elasticache.NewFromConfig(cfg),
		logs:        cloudwatchlogs.NewFromConfig(cfg),
		ecr:         ecr.NewFromConfig(cfg),
		ssm:         ssm.NewFromConfig(cfg),
		s3:          s3.NewFromConfig(cfg),
		acm:         acm.NewFromConfig(cfg),
		iam:         iam.NewFromConfig(cfg),
		route53:     route53.NewFromConfig(cfg),
		waf:         wafv2.NewFromConfig(cfg),
		ec2:         ec2.NewFromConfig(cfg),
		account:     account.NewFromConfig(cfg),
		cloudtrail:  cloudtrail.NewFromConfig(cfg),
	}
	c.cache[key] = a
	return a, nil
}
