package actions

import (
	"slices"
	"strings"
	"testing"
)

// Where CloudTrail is read for a targets file: each account once (the
// bot's own when some target has no role), every region the file names
// and us-east-1, the configured services in file order.
func TestChangeScope(t *testing.T) {
	tg, err := ParseTargets("targets.yaml", []byte(`region: eu-west-2
services:
  web: {cluster: prod}
  shop: {region: eu-west-1, role_arn: "arn:aws:iam::210987654321:role/b-reader"}
  shop2: {region: eu-west-1, role_arn: "arn:aws:iam::210987654321:role/a-reader"}
  gov: {region: us-gov-west-1, role_arn: "arn:aws-us-gov:iam::111122223333:role/reader"}
databases:
  main: {rds_instance: prod-db, region: eu-central-1}
changes:
  services: [route53, S3, elb, waf]
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Account{{}, {ID: "111122223333", RoleARN: "arn:aws-us-gov:iam::111122223333:role/reader"}, {ID: "210987654321", RoleARN: "arn:aws:iam::210987654321:role/a-reader"}}
	if got := tg.Accounts(); !slices.Equal(got, want) {
		t.Errorf("accounts %+v, want %+v", got, want)
	}
	if got, want := tg.Regions(), []string{"eu-central-1", "eu-west-1", "eu-west-2", "us-east-1", "us-gov-west-1"}; !slices.Equal(got, want) {
		t.Errorf("regions %v, want %v", got, want)
	}
	var sources []string
	for _, s := range tg.ChangeServices() {
		sources = append(sources, s.Source())
	}
	if want := []string{"route53.amazonaws.com", "s3.amazonaws.com", "elasticloadbalancing.amazonaws.com", "wafv2.amazonaws.com"}; !slices.Equal(sources, want) {
		t.Errorf("sources %v, want %v", sources, want)
	}

	// Every target behind a role: the bot's own account is not read (its
	// own role may not even be allowed to); the default services.
	tg, _ = ParseTargets("t.yaml", []byte("region: eu-west-2\nservices:\n  web: {role_arn: \"arn:aws:iam::210987654321:role/r\"}\n"))
	if got := tg.Accounts(); len(got) != 1 || got[0].ID != "210987654321" {
		t.Errorf("accounts %+v, want the role's only", got)
	}
	var names []string
	for _, s := range tg.ChangeServices() {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "s3 cloudfront route53 ecs elasticloadbalancing rds wafv2 acm iam ec2 secretsmanager ssm" {
		t.Errorf("default services %s", got)
	}
}

func TestChangesSettingRejects(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"changes:\n  services: [s3, cloudfrnt]\n", `targets.yaml:2: changes.services: CloudTrail has no service "cloudfrnt"; did you mean "cloudfront"?`},
		{"changes:\n  services: [teleport]\n", `CloudTrail has no service "teleport" (known: s3, cloudfront, route53,`},
		{"changes:\n  services: []\n", "targets.yaml:2: changes.services is empty"},
		{"changes:\n  services: [elb, elasticloadbalancing]\n", `targets.yaml:2: changes.services: "elasticloadbalancing" is listed twice`},
		{"changes:\n  servics: [s3]\n", "targets.yaml:2: field servics not found"},
		{"region: x\nservices:\n  web:\n    role_arn: arn:aws:iam::1234:role/x\n", `targets.yaml:4: service web: role_arn "arn:aws:iam::1234:role/x" is not an IAM role ARN`},
		{"region: x\ndatabases:\n  main:\n    role_arn: incident-bot\n", `targets.yaml:4: database main: role_arn "incident-bot" is not an IAM role ARN`},
	} {
		_, err := ParseTargets("targets.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
