package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

// BenchmarkAlertStorm sends 10,000 critical alerts with 20 distinct
// fingerprints (as 100 Alertmanager webhooks of 100 alerts, through the
// real HTTP receiver) and waits until every one is parsed, deduplicated
// and stored. Target: under 1 s per 10,000, at most 20 incidents, a
// bounded number of Slack calls, flat memory. Reported: incidents opened,
// Slack messages per storm and the heap after each storm.
func BenchmarkAlertStorm(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) { alertStorm(b, kind) })
	}
}

func alertStorm(b *testing.B, kind string) {
	h := newHarness(b, kind, map[string]string{"ALERT_WEBHOOK_SECRET": testAlertSecret, "LOG_LEVEL": "warn"})
	store := h.openStore(b)
	bodies := make([]string, 100)
	for i := range bodies {
		var list []map[string]any
		for j := range 100 {
			n := (i*100 + j) % 20
			list = append(list, map[string]any{
				"status": "firing", "fingerprint": fmt.Sprintf("storm-%02d", n), "startsAt": "2026-01-06T10:00:00Z",
				"labels":      map[string]string{"alertname": fmt.Sprintf("Storm%02d", n), "severity": "critical", "service": fmt.Sprintf("svc-%d", n)},
				"annotations": map[string]string{"summary": fmt.Sprintf("svc-%d error rate above 5%%", n)},
			})
		}
		body, _ := json.Marshal(map[string]any{"version": "4", "status": "firing", "alerts": list})
		bodies[i] = string(body)
	}
	storms, posts := 0, h.slack.CallCount("chat.postMessage")
	var heap runtime.MemStats
	for b.Loop() {
		for _, body := range bodies {
			if code := h.postAlert("/alerts/alertmanager", body); code != 200 {
				b.Fatalf("HTTP %d", code)
			}
		}
		storms++
		b.StopTimer()
		st, err := store.AlertStats(context.Background(), "alertmanager:storm-07", time.Time{})
		if err != nil || st.Count != 500*storms {
			b.Fatalf("stored %d alerts of one fingerprint after %d storms, want %d (%v)", st.Count, storms, 500*storms, err)
		}
		runtime.GC()
		runtime.ReadMemStats(&heap)
		b.StartTimer()
	}
	b.StopTimer()
	h.settled() // the notices go out paced, a message a second per channel
	list, _ := store.List(context.Background(), incidents.ListFilter{})
	if len(list) > 20 {
		b.Fatalf("%d incidents opened, want at most 20", len(list))
	}
	b.ReportMetric(float64(len(list)), "incidents")
	b.ReportMetric(float64(h.slack.CallCount("chat.postMessage")-posts)/float64(storms), "posts/storm")
	b.ReportMetric(float64(heap.HeapAlloc)/(1<<20), "heap-MB")
}
