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

// BenchmarkAlertStorm sends 10,000 critical alerts in 50 Alertmanager
// groups across 20 services (as 100 webhooks of 100 alerts, two per
// group, four conditions per group, through the real HTTP receiver) and
// waits until every one is parsed, correlated and stored. Target: under
// 1 s per 10,000, at most 50 incidents (one per group), Slack messages
// bounded by the groups, flat memory. Reported: incidents opened, Slack
// messages per storm, the heap after the last storm and its growth since
// the first.
func BenchmarkAlertStorm(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) { alertStorm(b, kind) })
	}
}

const stormGroups = 50

func alertStorm(b *testing.B, kind string) {
	h := newHarness(b, kind, map[string]string{"ALERT_WEBHOOK_SECRET": testAlertSecret, "LOG_LEVEL": "warn", "SLACK_PACING": "off"})
	store := h.openStore(b)
	bodies := make([]string, 100)
	for i := range bodies {
		g := i % stormGroups
		var list []map[string]any
		for j := range 100 {
			fp := fmt.Sprintf("storm-%02d-%d", g, j%4)
			list = append(list, map[string]any{
				"status": "firing", "fingerprint": fp, "startsAt": "2026-01-06T10:00:00Z",
				"labels": map[string]string{"alertname": fmt.Sprintf("Storm%02d", g), "severity": "critical",
					"service": fmt.Sprintf("svc-%d", g%20), "instance": fmt.Sprintf("10.0.%d.%d:9100", g, j%4)},
				"annotations": map[string]string{"summary": fmt.Sprintf("svc-%d error rate above 5%%", g%20)},
			})
		}
		body, _ := json.Marshal(map[string]any{"version": "4", "status": "firing", "groupKey": fmt.Sprintf("{}:{alertname=\"Storm%02d\"}", g), "alerts": list})
		bodies[i] = string(body)
	}
	storms, posts := 0, h.slack.CallCount("chat.postMessage")
	var heap runtime.MemStats
	var first uint64 // the heap after the first storm
	for b.Loop() {
		for _, body := range bodies {
			if code := h.postAlert("/alerts/alertmanager", body); code != 200 {
				b.Fatalf("HTTP %d", code)
			}
		}
		storms++
		b.StopTimer()
		v, err := store.CardAlerts(context.Background(), `group:{}:{alertname="Storm07"}`, time.Time{}, 0)
		if err != nil || v.Count != 200*storms || v.Total != 4 {
			b.Fatalf("stored %d alerts (%d conditions) of one group after %d storms, want %d of 4 (%v)", v.Count, v.Total, storms, 200*storms, err)
		}
		runtime.GC()
		runtime.ReadMemStats(&heap)
		if storms == 1 {
			first = heap.HeapAlloc
		}
		b.StartTimer()
	}
	b.StopTimer()
	// Slack's pacing is off: the posts owed are counted, not waited for
	// at a message a second.
	h.eventuallyWithin(2*time.Minute, "the posts owed", h.nothingOwed())
	list, _ := store.List(context.Background(), incidents.ListFilter{})
	if len(list) > stormGroups {
		b.Fatalf("%d incidents opened, want at most %d", len(list), stormGroups)
	}
	b.ReportMetric(float64(len(list)), "incidents")
	b.ReportMetric(float64(h.slack.CallCount("chat.postMessage")-posts)/float64(storms), "posts/storm")
	b.ReportMetric(float64(heap.HeapAlloc)/(1<<20), "heap-MB")
	b.ReportMetric((float64(heap.HeapAlloc)-float64(first))/(1<<20), "heap-growth-MB")
}
