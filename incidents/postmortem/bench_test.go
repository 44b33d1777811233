package postmortem

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/graphs"
)

// BenchmarkAssemble20k assembles and renders a 20,000-message channel
// (a fifth of them thread replies, some edited, pinned, with files), 500
// recorded events and 2,000 CloudTrail changes. Targets: under 1 s of
// CPU and 200 MB of memory.
func BenchmarkAssemble20k(b *testing.B) {
	inc, events, ch, changes := large()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	var size int
	for b.Loop() {
		size = len(Assemble(inc, events, ch, Options{Changes: changes}).Markdown())
	}
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.TotalAlloc-before)/float64(b.N)/1e6, "MB-alloc/op")
	b.ReportMetric(float64(size)/1e6, "MB-draft")
}

// BenchmarkTimelineChart builds and renders the timeline chart of
// BenchmarkAssemble20k's draft: two days, 2,000 changes, 500 status
// updates and the pinned messages, some 2,500 marks. The draft is
// assembled once, outside the loop: what is measured is the chart.
func BenchmarkTimelineChart(b *testing.B) {
	inc, events, ch, changes := large()
	d := Assemble(inc, events, ch, Options{Changes: changes})
	var size int
	for b.Loop() {
		png, err := graphs.Render(d.Chart())
		if err != nil {
			b.Fatal(err)
		}
		size = len(png)
	}
	b.ReportMetric(float64(len(d.Chart().Plotted().Marks)), "marks")
	b.ReportMetric(float64(size)/1e3, "kB-png")
}

// large is the incident of BenchmarkAssemble20k and its changes.
func large() (incidents.Incident, []incidents.Event, *Channel, []Change) {
	inc, events, ch := realistic()
	inc.ResolvedAt = t0.Add(48 * time.Hour)
	for i := range 500 {
		e := events[4]
		e.At = t0.Add(time.Duration(i) * 5 * time.Minute)
		events = append(events, e)
	}
	users := []string{"U0RITA", "U0BOB", "U0CAROL", "U0DAVE"}
	var parent string
	for i := range 20_000 {
		at := t0.Add(time.Duration(i) * 8 * time.Second)
		m := Message{TS: tsOf(at), At: at, User: users[i%len(users)], Text: fmt.Sprintf("message %d about <@U0BOB> and the deploy &amp; rollback", i)}
		switch {
		case i%5 == 0:
			parent = m.TS
			m.ThreadTS = m.TS
		case i%5 == 1:
			m.ThreadTS = parent
		}
		m.Edited = i%17 == 0
		m.Pinned = i%997 == 0
		if i%1000 == 0 {
			m.Files = []File{{Name: "graph.png", URL: "https://x/f.png"}}
		}
		ch.Messages = append(ch.Messages, m)
	}
	var changes []Change
	for i := range 2_000 {
		changes = append(changes, Change{At: t0.Add(time.Duration(i) * 80 * time.Second), Who: "rita (role OpsAdmin)", Console: i%3 == 0,
			Agent: "Terraform 1.9.8", What: fmt.Sprintf("PutBucketPolicy on bucket-%d", i), Link: "https://console.aws.amazon.com/cloudtrailv2/"})
	}
	return inc, events, ch, changes
}
