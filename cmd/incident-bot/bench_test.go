package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkAckLatency measures what the fake Slack sees from writing an
// envelope to reading its ack while 1,000 envelopes' work is in flight.
//
// "paced": 1,200 envelopes arrive every 500 µs (far above any rate Slack
// sends one app) as /incident update commands in an incident channel;
// every chat.postMessage takes 50 ms at the fake, so the 8 workers fall
// behind and the backlog passes 1,000 jobs (reported as queued-jobs). The
// acks must not wait for any of it. Target: p99 under 5 ms.
//
// "burst": 1,000 envelopes written back to back with no pause. Most of the
// latency is then the envelope waiting in the socket buffer behind the
// ones before it, so this reports throughput, not the ack path (no
// injected Slack latency here).
func BenchmarkAckLatency(b *testing.B) {
	b.Run("paced", func(b *testing.B) { ackLatency(b, 1200, 500*time.Microsecond) })
	b.Run("burst", func(b *testing.B) { ackLatency(b, 1000, 0) })
}

func ackLatency(b *testing.B, envelopes int, gap time.Duration) {
	h := newHarness(b, "sqlite", map[string]string{"LOG_LEVEL": "warn"})
	_, ch := h.declare(rita, "start Ack bench", "Ack bench")
	var lat []time.Duration
	maxQueued := 0.0
	for b.Loop() {
		if gap > 0 {
			h.slack.SetLatency(50 * time.Millisecond)
		}
		ids := make([]string, 0, envelopes)
		start := time.Now()
		for i := range envelopes {
			if gap > 0 {
				time.Sleep(time.Until(start.Add(time.Duration(i) * gap)))
			}
			id, err := h.slack.SendEnvelope("slash_commands", h.slack.SlashCommand(rita, ch.ID, "update bench "+strconv.Itoa(i)))
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, id)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		for _, id := range ids {
			ack, err := h.slack.WaitAck(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, ack.Latency)
		}
		cancel()
		maxQueued = max(maxQueued, h.metric("incidentbot_worker_queue_depth"))
		h.slack.SetLatency(0) // let the backlog drain quickly
		b.StopTimer()
		// Each round starts from an empty queue.
		h.eventually("backlog drained", func() bool { return h.metric("incidentbot_worker_queue_depth") == 0 })
		b.StartTimer()
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
	b.ReportMetric(maxQueued, "queued-jobs")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkDeclare measures /incident start end to end against the fake
// Slack with no injected latency: envelope sent → channel, topic, invite,
// header, runbook card (the title matches one) and announcement all done.
// Slack calls per incident are counted.
// Target: under 50 ms per incident.
func BenchmarkDeclare(b *testing.B) {
	for _, kind := range storeKinds {
		b.Run(kind, func(b *testing.B) {
			h := newHarness(b, kind, map[string]string{"LOG_LEVEL": "warn"})
			h.slack.ResetCalls()
			n := 0
			for b.Loop() {
				n++
				title := "Bench " + strconv.Itoa(n) + ": users see 502 errors"
				if _, err := h.slack.SendEnvelope("slash_commands", h.slack.SlashCommand(rita, h.general, "start sev2 "+title)); err != nil {
					b.Fatal(err)
				}
				for len(h.slack.Messages(h.announce)) < n {
					time.Sleep(50 * time.Microsecond)
				}
			}
			b.ReportMetric(float64(len(h.slack.Calls()))/float64(n), "slack-calls/op")
		})
	}
}

// BenchmarkIdleRSS builds the binary, runs `serve` against the fake Slack
// on the embedded store, lets it settle and reads its resident memory.
// Target: under 40 MB.
func BenchmarkIdleRSS(b *testing.B) {
	bin := buildBinary(b)
	h := newHarness(b, "sqlite", nil) // provides the fake Slack and settings
	h.stop()
	cmd, _, _ := h.startBinary(bin, "LOG_LEVEL=warn")
	time.Sleep(3 * time.Second) // idle: let start-up garbage be collected
	var rss float64
	for b.Loop() {
		rss = readRSSMB(b, cmd.Process.Pid)
	}
	b.ReportMetric(rss, "RSS-MB")
	b.ReportMetric(0, "ns/op")
	if rss >= 40 {
		b.Errorf("idle RSS %.1f MB, target under 40 MB", rss)
	}
}

func readRSSMB(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// metric reads one unlabelled gauge or counter from the bot's /metrics.
func (h *harness) metric(name string) float64 {
	resp, err := http.Get("http://" + h.httpAddr + "/metrics")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	h.t.Fatalf("metric %s not found", name)
	return 0
}
