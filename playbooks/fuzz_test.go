package playbooks

import (
	"strings"
	"testing"
)

// FuzzParse: no file, however broken, panics the loader; whatever it
// accepts satisfies the rules it promises.
func FuzzParse(f *testing.F) {
	f.Add([]byte(goodPlaybook))
	f.Add([]byte("id: x\nreview_by: [1,2]\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("actions:\n  - action: ecs.scale\n    params: {count: [1]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pb, ps := Parse("f.yaml", data)
		if len(ps) > 0 {
			for _, p := range ps {
				if p.File != "f.yaml" || p.Msg == "" {
					t.Fatalf("bad problem %+v", p)
				}
			}
			return
		}
		if !idPattern.MatchString(pb.ID) || len([]rune(pb.Title)) > maxTitle || len(pb.Checks) == 0 || pb.ReviewDue().IsZero() {
			t.Fatalf("accepted an invalid playbook: %+v", pb)
		}
	})
}

// FuzzMatch: any alert text and labels rank without panicking, best
// first, and a confident ranking always has a result.
func FuzzMatch(f *testing.F) {
	c, err := Load("")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("ALARM: web-cpu-high CPUUtilization > 80", "metric", "CPUUtilization")
	f.Add("Monitor is DOWN: API ( https://x ) - Reason: Connection Timeout", "alert_type", "Down")
	f.Add(strings.Repeat("redis ", 500), "", "")
	f.Add("HTTPCode_Target_5XX_Count 502s can't cannot not no", "namespace", "AWS/ApplicationELB")
	f.Fuzz(func(t *testing.T, text, k, v string) {
		r := c.Match(Query{Text: text, Labels: map[string]string{k: v}}, 5)
		if r.Confident && len(r.Results) == 0 {
			t.Fatal("confident with no result")
		}
		for i := 1; i < len(r.Results); i++ {
			if r.Results[i].Score > r.Results[i-1].Score {
				t.Fatalf("not sorted: %+v", r.Results)
			}
		}
	})
}
