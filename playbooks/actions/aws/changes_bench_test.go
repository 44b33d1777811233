package aws

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// benchTrailMix is a busy 6-hour window: 5,000 events (reads included,
// as LookupEvents returns them) across the default services, in the
// targets' region and in us-east-1 where the global ones are recorded.
// reads is how many in ten are reads.
var benchTrailMix = []struct {
	region, source string
	events, reads  int
}{
	{"eu-west-2", "ec2.amazonaws.com", 1800, 9}, {"eu-west-2", "ssm.amazonaws.com", 900, 9},
	{"eu-west-2", "ecs.amazonaws.com", 600, 7}, {"eu-west-2", "elasticloadbalancing.amazonaws.com", 300, 8},
	{"eu-west-2", "rds.amazonaws.com", 200, 8}, {"eu-west-2", "s3.amazonaws.com", 300, 5},
	{"eu-west-2", "secretsmanager.amazonaws.com", 200, 9}, {"eu-west-2", "wafv2.amazonaws.com", 50, 8},
	{"eu-west-2", "acm.amazonaws.com", 10, 5}, {"us-east-1", "cloudfront.amazonaws.com", 200, 6},
	{"us-east-1", "iam.amazonaws.com", 300, 7}, {"us-east-1", "route53.amazonaws.com", 140, 7},
}

// benchTrailPages builds the mix as pages of 50, newest first, and
// counts the writes among them.
func benchTrailPages(end time.Time) (map[string][][]map[string]any, int) {
	pages := map[string][][]map[string]any{}
	writes, n := 0, 0
	for _, m := range benchTrailMix {
		var page []map[string]any
		key := trailKey(ownAccount, m.region, m.source)
		for i := range m.events {
			n++
			at := end.Add(-time.Duration(i+1) * 6 * time.Hour / time.Duration(m.events+1))
			name, read := "Update", i%10 < m.reads
			if read {
				name = "Describe"
			} else {
				writes++
			}
			e := trailEvent(fmt.Sprint("ev-", n), m.source, name, at, map[string]any{
				"userIdentity": map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/deployer/sam"},
				"userAgent":    "aws-cli/2.17.4", "readOnly": read,
			})
			e["ReadOnly"] = fmt.Sprint(read)
			if page = append(page, e); len(page) == pageSize {
				pages[key], page = append(pages[key], page), nil
			}
		}
		if page != nil {
			pages[key] = append(pages[key], page)
		}
	}
	return pages, writes
}

// BenchmarkChangesSixHours reads a 6-hour window of 5,000 CloudTrail
// events (every default service, the targets' region and us-east-1)
// through the reader the postmortem and /incident changes use, against
// a local LookupEvents server. The pacer runs on a standing clock and
// does not sleep, so each account and region's calls are booked exactly
// 500 ms apart: paced-s is how long CloudTrail's rate makes the read
// take (the busiest lane's calls after the first, half a second each),
// calls how many LookupEvents it needed; ns/op is the bot's own work
// over loopback. The benchmark fails if any event is missed or a lane
// made more calls than it booked turns.
func BenchmarkChangesSixHours(b *testing.B) {
	end := trailNow
	pages, writes := benchTrailPages(end)
	reqs := fakeTrailAccounts(b, pages, func(string) string { return "" })
	tg := mustTargets(b, "region: eu-west-2\nservices:\n  web: {cluster: prod, ecs_service: web}\n")
	b.ReportAllocs()
	var calls, paced float64
	for b.Loop() {
		c := NewClients(Options{})
		t0 := time.Now()
		c.pace.now = func() time.Time { return t0 }
		c.pace.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
		before := len(reqs())
		rep, err := c.Changes(b.Context(), tg, end.Add(-6*time.Hour), end)
		if err != nil || len(rep.Partial) > 0 || len(rep.Changes) != min(writes, MaxWindowChanges) {
			b.Fatalf("read %d changes of %d (partial %v): %v", len(rep.Changes), writes, rep.Partial, err)
		}
		lanes := map[paceKey]int{}
		for _, r := range reqs()[before:] {
			lanes[paceKey{"", r.region}]++
		}
		busiest := 0
		for k, n := range lanes {
			if booked := int(c.pace.next[k].Sub(t0) / lookupGap); n > booked {
				b.Fatalf("%s: %d calls in %d turns of %v", k.region, n, booked, lookupGap)
			}
			busiest = max(busiest, n)
		}
		calls += float64(len(reqs()) - before)
		paced += (time.Duration(busiest-1) * lookupGap).Seconds()
	}
	b.ReportMetric(calls/float64(b.N), "calls/op")
	b.ReportMetric(paced/float64(b.N), "paced-s/op")
	b.ReportMetric(float64(writes), "writes")
}
