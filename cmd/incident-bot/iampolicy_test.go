package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"
)

// The committed policy is exactly what the registered actions need: a
// test fails when an action is added or its permissions change without
// deploy/aws/iam-policy.json following (regenerate it with
// `go run ./cmd/incident-bot iam-policy > deploy/aws/iam-policy.json`).
func TestCommittedIAMPolicyMatchesActions(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"iam-policy"}, func(string) string { return "" }, &out, io.Discard); code != 0 {
		t.Fatalf("iam-policy exited %d", code)
	}
	committed, err := os.ReadFile("../../deploy/aws/iam-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), committed) {
		t.Fatalf("deploy/aws/iam-policy.json is out of date; the actions now need:\n%s", out.String())
	}
	for _, perm := range []string{`"ecs:UpdateService"`, `"rds:CreateDBSnapshot"`, `"cloudfront:CreateInvalidation"`, `"application-autoscaling:RegisterScalableTarget"`, `"sns:Publish"`, `"cloudwatch:GetMetricWidgetImage"`} {
		if !bytes.Contains(committed, []byte(perm)) {
			t.Errorf("policy lacks %s", perm)
		}
	}
}
