package playbooks

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// catalog200 is the built-in catalog grown to 200 playbooks: the extra
// ones reuse the built-ins' vocabulary, shuffled, so the index has the
// size and the word overlap of a large team catalog.
func catalog200(tb testing.TB) *Index {
	c, err := Load("")
	if err != nil {
		tb.Fatal(err)
	}
	var vocab []string
	for _, pb := range c.List() {
		vocab = append(vocab, pb.Match.Terms...)
		vocab = append(vocab, pb.Match.Strong...)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = vocab[rng.IntN(len(vocab))]
		}
		return out
	}
	pbs := append([]*Playbook(nil), c.List()...)
	for i := len(pbs); i < 200; i++ {
		base := *c.List()[i%len(c.List())]
		base.ID = fmt.Sprintf("%s-%d", base.ID, i)
		base.Match = Match{Terms: pick(15), Strong: pick(5), Labels: map[string][]string{"alertname": {fmt.Sprintf("Alert%d", i)}}}
		pbs = append(pbs, &base)
	}
	return NewIndex(pbs)
}

// BenchmarkMatch200 matches the CloudWatch alarm of the fixtures (text and
// labels) against 200 playbooks. Target: under 100 µs per match.
func BenchmarkMatch200(b *testing.B) {
	ix := catalog200(b)
	q := Query{
		Text: strings.Join([]string{
			"ALARM: \"web-cpu-high\" in US East (N. Virginia)",
			"ECS service web CPU > 80% for 3 minutes",
			"Threshold Crossed: 3 out of the last 3 datapoints [91.2 (06/01/26 10:03:00), 88.7 (06/01/26 10:02:00), 85.1 (06/01/26 10:01:00)] were greater than the threshold (80.0)",
		}, "\n"),
		Labels: map[string]string{"alarm_name": "web-cpu-high", "metric": "CPUUtilization", "namespace": "AWS/ECS", "ServiceName": "web", "ClusterName": "prod"},
	}
	if ix.Len() != 200 {
		b.Fatalf("index has %d playbooks", ix.Len())
	}
	var r Ranking
	for b.Loop() {
		r = ix.Match(q, 5)
	}
	if best, ok := r.Best(); !ok || best.Playbook.ID != "ecs-capacity" {
		b.Fatalf("best = %+v", r)
	}
}
