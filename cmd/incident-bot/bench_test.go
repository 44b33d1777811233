package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

// BenchmarkAckLatency measures what the fake Slack sees from writing an
// envelope to reading its ack, on both stores. An envelope is acked only
// once its job is stored (the durable inbox), so this is the store's
// write path under load. The bot runs as its own process (the built
// binary, as deployed), the fake Slack in the test's; on a 2-core machine
// they share the cores (with PostgreSQL, when it is the store).
//
// "paced": 1,200 envelopes arrive every 500 µs (far above any rate Slack
// sends one app) as /incident update commands in an incident channel;
// every Slack call takes 50 ms at the fake and Slack allows a message a
// second per channel, so the work owed (jobs and posts) passes 1,000
// (reported as owed). The acks must not wait for any of it. Target: p99
// under 5 ms.
//
// "burst": 1,000 envelopes written back to back with no pause. Most of the
// latency is then the envelope waiting in the socket buffer behind the
// ones before it, so this reports throughput, not the ack path (no
// injected Slack latency here).
func BenchmarkAckLatency(b *testing.B) {
	for _, kind := range storeKinds {
		b.Run(kind+"/paced", func(b *testing.B) { ackLatency(b, kind, 1200, 500*time.Microsecond) })
		b.Run(kind+"/burst", func(b *testing.B) { ackLatency(b, kind, 1000, 0) })
	}
}

func ackLatency(b *testing.B, kind string, envelopes int, gap time.Duration) {
	bin := buildBinary(b)
	var lat []time.Duration
	maxOwed := 0
	var own ackHistogram
	for b.Loop() {
		// Each round is a bot of its own: the posts a round owes go out at
		// Slack's pace (a message a second per channel, twenty minutes for
		// 1,200) and must not weigh on the next round.
		b.StopTimer()
		h := newHarness(b, kind, map[string]string{"LOG_LEVEL": "warn", "SHUTDOWN_TIMEOUT": "1s"})
		_, ch := h.declare(rita, "start Ack bench", "Ack bench")
		h.stop()
		bot, botAddr, _ := h.startBinary(bin)
		st := h.openStore(b)
		if gap > 0 {
			h.slack.SetLatency(50 * time.Millisecond)
		}
		b.StartTimer()
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
		b.StopTimer()
		if bl, err := st.Backlog(context.Background()); err == nil {
			maxOwed = max(maxOwed, bl.Jobs+bl.Effects)
		}
		h.slack.SetLatency(0)
		own.add(b, botAddr)
		_ = bot.Process.Kill()
		_ = bot.Wait()
		b.StartTimer()
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
	b.ReportMetric(float64(maxOwed), "owed")
	b.ReportMetric(own.p99(), "bot-p99-le-ms")
	b.ReportMetric(0, "ns/op")
}

// ackHistogram sums the bot's own ack histogram (envelope received → ack
// queued, from its /metrics) over rounds: what part of the latency the
// fake sees is the bot's, and what part the socket and the shared cores'.
type ackHistogram struct{ counts map[float64]float64 }

func (a *ackHistogram) add(b *testing.B, addr string) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if a.counts == nil {
		a.counts = map[float64]float64{}
	}
	for _, line := range strings.Split(string(body), "\n") {
		var le, n float64
		if _, err := fmt.Sscanf(line, `incidentbot_socket_ack_seconds_bucket{le="%g"} %g`, &le, &n); err == nil {
			a.counts[le] += n
		}
	}
}

// p99 is the upper bound, in ms, of the bucket holding the 99th percentile.
func (a *ackHistogram) p99() float64 {
	les := slices.Sorted(maps.Keys(a.counts))
	if len(les) == 0 {
		return 0
	}
	total := a.counts[les[len(les)-1]]
	for _, le := range les {
		if a.counts[le] >= 0.99*total {
			return le * 1000
		}
	}
	return 0
}

// BenchmarkDeclare measures the bot's side of /incident start against the
// fake Slack with no injected latency: envelope sent → channel, topic,
// invite, header, runbook card (the title matches one) and announcement
// all done, through the inbox and the outbox. Pacing by Slack's tiers is
// off (SLACK_PACING=off): it would hold the 21st channel of a run for
// three seconds, which is Slack's time, not the bot's (see
// BenchmarkDeclareThroughput). Slack calls per incident are counted.
// Target: under 50 ms per incident.
func BenchmarkDeclare(b *testing.B) {
	for _, kind := range storeKinds {
		b.Run(kind, func(b *testing.B) {
			h := newHarness(b, kind, map[string]string{"LOG_LEVEL": "warn", "SLACK_PACING": "off"})
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

// BenchmarkDeclareThroughput declares 40 incidents at once against a fake
// Slack that enforces Slack's real rate limits (conversations.create and
// setTopic are Tier 2: 20 a minute), with the bot's pacing on, and
// reports how many are fully set up per minute. Nothing may be refused by
// Slack (no 429): the bot paces itself.
func BenchmarkDeclareThroughput(b *testing.B) {
	for b.Loop() {
		h := newHarness(b, "sqlite", map[string]string{"LOG_LEVEL": "warn"})
		h.stop()
		h.slack.Close()
		h.slack = slacktest.New(slacktest.Options{AppToken: testAppToken, BotToken: testBotToken, RateLimits: true})
		b.Cleanup(h.slack.Close)
		h.announce = h.slack.AddChannel("incidents")
		h.general = h.slack.AddChannel("general", rita)
		h.env["SLACK_API_URL"], h.env["INCIDENTS_CHANNEL"] = h.slack.APIURL(), h.announce
		h.start()
		const n = 40
		start := time.Now()
		for i := range n {
			if _, err := h.slack.SendEnvelope("slash_commands", h.slack.SlashCommand(rita, h.general, fmt.Sprintf("start sev2 Throughput %d: users see 502 errors", i))); err != nil {
				b.Fatal(err)
			}
		}
		h.eventuallyWithin(10*time.Minute, "all set up", func() bool { return len(h.slack.Messages(h.announce)) >= n })
		took := time.Since(start)
		b.ReportMetric(float64(n)/took.Minutes(), "declarations/min")
		b.ReportMetric(float64(h.slack.RateLimitedCount("*")), "429s")
		for _, c := range h.slack.Calls() {
			if c.Status == 429 {
				b.Logf("429 on %s at %s", c.Method, c.At.Format("15:04:05.000"))
			}
		}
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
