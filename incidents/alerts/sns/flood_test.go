package sns_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents/alerts/sns"
	"github.com/incident-bot/incident-bot/incidents/alerts/sns/snstest"
)

const floodTopic = "arn:aws:sns:us-east-1:123456789012:ops-alerts"

// forgeries are messages an attacker can build from one genuine message
// without the key: altered content, and a SigningCertURL varied in a way
// that still passes the host and .pem checks.
func forgeries(genuine sns.Envelope, n int) []sns.Envelope {
	out := make([]sns.Envelope, n)
	for i := range out {
		f := genuine
		f.Message = fmt.Sprintf("db-%d is down", i)
		switch i % 3 {
		case 0:
			f.SigningCertURL = genuine.SigningCertURL + fmt.Sprintf("?v=%d", i)
		case 1:
			f.SigningCertURL = genuine.SigningCertURL + fmt.Sprintf("?v=%d#x", i)
		default: // another path on the trusted host: only the rate bound helps
			f.SigningCertURL = strings.Replace(genuine.SigningCertURL, ".pem", fmt.Sprintf("-%d.pem", i), 1)
		}
		out[i] = f
	}
	return out
}

// A flood of forged messages naming distinct certificate URLs costs at
// most the burst plus one download per elapsed interval, and a genuine
// message whose certificate is cached still verifies during and after it.
func TestForgedCertURLFloodIsBounded(t *testing.T) {
	fake := snstest.New(t)
	v := fake.Verifier()
	ctx := context.Background()
	genuine := fake.Notification(floodTopic, "ALARM", "web-cpu-high")
	if err := v.Verify(ctx, genuine); err != nil {
		t.Fatalf("genuine before the flood: %v", err)
	}

	const n = 60
	start := time.Now()
	for i, f := range forgeries(genuine, n) {
		if err := v.Verify(ctx, f); err == nil {
			t.Fatalf("forgery %d (%s) verified", i, f.SigningCertURL)
		}
		if i%10 == 0 {
			if err := v.Verify(ctx, fake.Notification(floodTopic, "ALARM", "during")); err != nil {
				t.Fatalf("genuine during the flood: %v", err)
			}
		}
	}
	elapsed := time.Since(start)

	// One download for the genuine certificate, then whatever the bucket
	// allowed: its burst and one more per interval that passed (rounded up).
	bound := 1 + sns.FetchBurst + int(elapsed/sns.FetchEvery) + 1
	if got := fake.CertFetches(); got > bound {
		t.Errorf("%d forged messages caused %d certificate downloads in %v, want at most %d", n, got, elapsed, bound)
	}
	if err := v.Verify(ctx, fake.Notification(floodTopic, "OK", "after")); err != nil {
		t.Errorf("genuine after the flood: %v", err)
	}
}

// Varying only the query or fragment names the same certificate: it is
// downloaded once, and the forgeries are refused as forgeries (403), not
// as download failures.
func TestCertURLQueryNamesSameCertificate(t *testing.T) {
	fake := snstest.New(t)
	v := fake.Verifier()
	ctx := context.Background()
	genuine := fake.Notification(floodTopic, "ALARM", "web-cpu-high")
	for i, f := range forgeries(genuine, 30) {
		if i%3 == 2 {
			continue
		}
		if err := v.Verify(ctx, f); !errors.Is(err, sns.ErrForged) {
			t.Fatalf("forgery %d (%s): %v, want ErrForged", i, f.SigningCertURL, err)
		}
	}
	if err := v.Verify(ctx, genuine); err != nil {
		t.Fatalf("genuine: %v", err)
	}
	withQuery := genuine
	withQuery.SigningCertURL += "?cache-buster=1"
	if err := v.Verify(ctx, withQuery); err != nil {
		t.Errorf("genuine message with a query on its certificate URL: %v", err)
	}
	if got := fake.CertFetches(); got != 1 {
		t.Errorf("certificate downloaded %d times, want 1", got)
	}
}
