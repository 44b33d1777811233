package main

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/incident-bot/incident-bot/incidents"
)

// A read-only check that reads metrics (ECS service status, run from the
// card against moto) posts its result in the card's thread and, in that
// same thread, a graph of each metric: drawn by GetMetricWidgetImage
// (a fake CloudWatch: moto renders no images) from the metric the check
// describes, and uploaded. With CloudWatch refusing, each graph is one
// "graph unavailable" line there, and the result is posted all the same.
func TestCheckGraphsInThread(t *testing.T) {
	cw, url := serveFakeCloudWatch(t)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", url) // the rest of AWS stays on moto
	h, _, ch, card := actionsHarness(t, false)
	id, value := buttonValue(t, card, "ecs.service_status")
	h.send("interactive", h.slack.BlockAction(bob, ch, card.TS, id, value))
	result := h.messageContaining(ch, ":white_check_mark: *ECS service status on web*")
	if result.ThreadTS != card.TS {
		t.Fatalf("result posted in thread %q, want the card's %q", result.ThreadTS, card.TS)
	}
	h.eventually("the check's two graphs in the card's thread", func() bool { return len(graphReplies(h, ch, card.TS)) == 2 })
	for _, caption := range graphReplies(h, ch, card.TS) {
		if !strings.HasPrefix(caption, "ecs.service_status: ") || !strings.Contains(caption, "(Average, Percent) over the last 3 hours") {
			t.Errorf("caption %q", caption)
		}
	}
	cluster := targetsCluster(t, h)
	for _, metric := range []string{"CPUUtilization", "MemoryUtilization"} {
		checkWidget(t, cw.asked(), metric, []any{"AWS/ECS", metric, "ClusterName", cluster, "ServiceName", "web"})
	}
	var titles []string
	for _, f := range h.slack.Files() {
		if f.Channel == ch {
			titles = append(titles, f.Title)
			if !bytes.Equal(f.Content, tinyPNG(t)) {
				t.Errorf("uploaded %s is not the rendered PNG", f.Name)
			}
		}
	}
	slices.Sort(titles)
	if !slices.Equal(titles, []string{"CPU of web", "Memory of web"}) {
		t.Errorf("graph titles %q", titles)
	}

	cw.mu.Lock()
	cw.deny = true
	cw.mu.Unlock()
	h.send("interactive", h.slack.BlockAction(bob, ch, card.TS, id, value))
	h.eventually("two refused graphs, one line each, in the card's thread", func() bool {
		return len(threadLines(h, ch, card.TS, "graph unavailable: AccessDenied for cloudwatch:GetMetricWidgetImage")) == 2
	})
	if n := len(threadLines(h, ch, card.TS, ":white_check_mark: *ECS service status on web*")); n != 2 {
		t.Errorf("%d results in the thread, want both runs'", n)
	}
	h.settled()
	inc := h.onlyIncident(h.openStore(t))
	if failed := count(t, h, inc, incidents.EventStepFailed); failed != 0 {
		t.Errorf("%d failed steps: a graph that cannot be drawn is not a failure", failed)
	}
}

// targetsCluster is the moto cluster the harness's targets file names.
func targetsCluster(t *testing.T, h *harness) string {
	t.Helper()
	raw, err := os.ReadFile(h.env["TARGETS_FILE"])
	m := regexp.MustCompile(`cluster: ([^,]+),`).FindSubmatch(raw)
	if err != nil || m == nil {
		t.Fatalf("targets file: %v\n%s", err, raw)
	}
	return string(m[1])
}

// checkWidget finds the widget drawing metric among those CloudWatch was
// asked for and checks its metric (namespace, name, dimensions), its
// region and its title.
func checkWidget(t *testing.T, widgets []string, metric string, want []any) {
	t.Helper()
	for _, raw := range widgets {
		var w struct {
			Metrics [][]any `json:"metrics"`
			Region  string  `json:"region"`
			Title   string  `json:"title"`
		}
		if err := json.Unmarshal([]byte(raw), &w); err != nil || len(w.Metrics) != 1 || len(w.Metrics[0]) != len(want)+1 || w.Metrics[0][1] != metric {
			continue
		}
		if !slices.Equal(w.Metrics[0][:len(want)], want) || w.Region != "us-east-1" || !strings.HasSuffix(w.Title, " of web") {
			t.Errorf("widget for %s: %s", metric, raw)
		}
		return
	}
	t.Errorf("no widget for %s among %q", metric, widgets)
}

// threadLines are the texts in channel's thread containing s.
func threadLines(h *harness, channel, thread, s string) []string {
	var out []string
	for _, m := range h.slack.Messages(channel) {
		if m.ThreadTS == thread && strings.Contains(m.Text, s) {
			out = append(out, m.Text)
		}
	}
	return out
}
