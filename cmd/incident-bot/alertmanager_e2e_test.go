package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/testam"
)

// amAlerts are n alerts of one kind, one per instance.
func amAlerts(n int, labels map[string]string, summary string) []testam.Alert {
	out := make([]testam.Alert, n)
	for i := range out {
		l := map[string]string{"instance": fmt.Sprintf("10.1.%d.%d:9100", i/250, i%250)}
		for k, v := range labels {
			l[k] = v
		}
		out[i] = testam.Alert{Labels: l, Annotations: map[string]string{"summary": summary}}
	}
	return out
}

// resolvedNow marks alerts resolved, as Prometheus does when they stop.
func resolvedNow(as []testam.Alert) []testam.Alert {
	out := make([]testam.Alert, len(as))
	for i, a := range as {
		a.EndsAt = time.Now().Add(-time.Second)
		out[i] = a
	}
	return out
}

// metric sums the bot's counter name over the series whose labels
// contain every one of match ("source=\"alertmanager\"").
func (h *harness) metric(name string, match ...string) float64 {
	h.t.Helper()
	return h.metricAt(h.httpAddr, name, match...)
}

// metricAt is metric read from the bot listening on addr.
func (h *harness) metricAt(addr, name string, match ...string) float64 {
	h.t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, m := range match {
			ok = ok && strings.Contains(line, m)
		}
		if f := strings.Fields(line); ok && len(f) == 2 {
			v, _ := strconv.ParseFloat(f[1], 64)
			sum += v
		}
	}
	return sum
}

func (h *harness) incidentsTitled(st incidents.Store, part string) []incidents.Incident {
	h.t.Helper()
	list, err := st.List(context.Background(), incidents.ListFilter{})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []incidents.Incident
	for _, inc := range list {
		if strings.Contains(inc.Title, part) {
			out = append(out, inc)
		}
	}
	return out
}

// Ordinary monitoring traffic through a real Alertmanager, with a restart
// of the bot in the middle: 300 critical alerts in 5 groups open at most
// 5 incidents — one for 60 NodeNotReady alerts that match no runbook —
// and the same alert for two services is two incidents; 50 warnings in
// one group are one triage card, redrawn with the count; a group that
// resolves says so in its incident, and asks to resolve it only once
// nothing of it fires.
func TestAlertmanagerGroupsIntoIncidents(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		t.Parallel()
		h := newHarness(t, kind, map[string]string{"ALERT_WEBHOOK_SECRET": testAlertSecret, "LOG_LEVEL": "info"})
		am := testam.Start(t, testam.Options{WebhookURL: "http://" + h.httpAddr + "/alerts/alertmanager", Secret: testAlertSecret,
			GroupBy: []string{"alertname", "service"}})
		st := h.openStore(t)
		crit := map[string]string{"severity": "critical"}
		with := func(extra ...string) map[string]string {
			l := map[string]string{}
			for k, v := range crit {
				l[k] = v
			}
			for i := 0; i+1 < len(extra); i += 2 {
				l[extra[i]] = extra[i+1]
			}
			return l
		}
		nodes := amAlerts(60, with("alertname", "NodeNotReady"), "node is not ready")
		warns := amAlerts(50, map[string]string{"alertname": "CacheHitRateLow", "severity": "warning", "service": "cache"}, "cache hit rate low")
		am.Fire(nodes...)
		am.Fire(amAlerts(60, with("alertname", "HighErrorRate5xx", "service", "api"), "api 5xx error rate above 5%")...)
		am.Fire(warns[:25]...)
		h.eventuallyWithin(60*time.Second, "the first alerts", func() bool {
			return h.metric("incidentbot_alerts_received_total", `source="alertmanager"`) >= 145
		})
		// A restart mid-storm: what Alertmanager sends meanwhile it
		// retries, and the groups already decided stay decided.
		h.stop()
		am.Fire(amAlerts(60, with("alertname", "HighErrorRate5xx", "service", "payments"), "payments 5xx error rate above 5%")...)
		am.Fire(amAlerts(60, with("alertname", "HighLatency", "service", "api"), "api p99 latency above 2s")...)
		am.Fire(amAlerts(60, with("alertname", "DiskFull", "service", "orders-db"), "orders-db disk almost full")...)
		am.Fire(warns[25:]...)
		h.start()
		h.eventuallyWithin(60*time.Second, "every group decided", func() bool {
			list, _ := st.List(context.Background(), incidents.ListFilter{})
			return len(list) >= 5 && len(h.incidentsTitled(st, "orders-db")) > 0 && h.count(h.announce, "(+49 more)") == 1
		})
		h.eventuallyWithin(60*time.Second, "everything posted", h.nothingOwed())

		list, _ := st.List(context.Background(), incidents.ListFilter{})
		if len(list) > 5 {
			t.Errorf("%d incidents for 300 alerts in 5 groups, want at most 5", len(list))
		}
		if n := len(h.incidentsTitled(st, "node is not ready")); n != 1 {
			t.Errorf("%d incidents for 60 NodeNotReady alerts, want 1", n)
		}
		api, pay := h.incidentsTitled(st, "api 5xx"), h.incidentsTitled(st, "payments 5xx")
		if len(api) != 1 || len(pay) != 1 || api[0].ID == pay[0].ID {
			t.Errorf("HighErrorRate5xx: %d incidents for api, %d for payments; want one each, apart", len(api), len(pay))
		}
		if n := h.count(h.announce, "Warning alert: cache hit rate low"); n != 1 {
			t.Errorf("%d triage cards for 50 warnings in one group, want 1", n)
		}
		if n := h.count(h.announce, "declared: *"); n != len(list) {
			t.Errorf("%d announcements for %d incidents", n, len(list))
		}

		// The NodeNotReady group recovers: its incident hears it once,
		// and is asked to resolve since nothing of it fires any more.
		node := h.incidentsTitled(st, "node is not ready")[0]
		am.Fire(resolvedNow(nodes)...)
		h.eventuallyWithin(30*time.Second, "the recovery noticed", func() bool {
			return h.count(node.ChannelID, "No alert of this incident is firing any more") == 1
		})
		h.settled()
		if n := h.count(node.ChannelID, "resolve it?"); n != 1 {
			t.Errorf("asked %d times to resolve, want once", n)
		}
		if n := h.count(node.ChannelID, "Alert joined this incident"); n != 0 {
			t.Errorf("%d joined notices for the alerts of the group that opened the incident", n)
		}
		if got := h.metric("incidentbot_alert_incidents_opened_total"); got < 3 {
			t.Errorf("incidents opened by alerts since the restart counted %v, want 3", got)
		}
	})
}

// Two replicas on one PostgreSQL, both sent every notification by
// Alertmanager, and one of them killed and restarted mid-storm: each
// incident is opened once, each card posted once, each notice posted
// once.
func TestAlertmanagerTwoReplicas(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "postgres", map[string]string{"ALERT_WEBHOOK_SECRET": testAlertSecret, "LOG_LEVEL": "info"})
	bin := buildBinary(t)
	replica, addr, _ := h.startBinary(bin)
	am := testam.Start(t, testam.Options{WebhookURL: "http://" + h.httpAddr + "/alerts/alertmanager", Also: []string{"http://" + addr + "/alerts/alertmanager"},
		Secret: testAlertSecret, GroupBy: []string{"alertname", "service"}})
	st := h.openStore(t)
	nodes := amAlerts(80, map[string]string{"alertname": "NodeNotReady", "severity": "critical"}, "node is not ready")
	errs := amAlerts(40, map[string]string{"alertname": "HighErrorRate5xx", "severity": "critical", "service": "api"}, "api 5xx error rate above 5%")
	warns := amAlerts(40, map[string]string{"alertname": "CacheHitRateLow", "severity": "warning", "service": "cache"}, "cache hit rate low")
	am.Fire(nodes[:40]...)
	am.Fire(errs...)
	am.Fire(warns[:20]...)
	h.eventuallyWithin(60*time.Second, "the first alerts at both replicas", func() bool {
		return h.metric("incidentbot_alerts_received_total", `source="alertmanager"`) >= 100 &&
			h.metricAt(addr, "incidentbot_alerts_received_total", `source="alertmanager"`) >= 100
	})
	// The second replica dies mid-storm and comes back; Alertmanager
	// retries what it could not deliver.
	_ = replica.Process.Kill()
	_ = replica.Wait()
	am.Fire(nodes[40:]...)
	am.Fire(warns[20:]...)
	h.startBinaryAt(bin, addr)
	h.eventuallyWithin(60*time.Second, "every alert at the first replica, the later ones at the restarted one", func() bool {
		return h.metric("incidentbot_alerts_received_total", `source="alertmanager"`) >= 160 &&
			h.metricAt(addr, "incidentbot_alerts_received_total", `source="alertmanager"`) >= 60
	})
	h.eventuallyWithin(60*time.Second, "everything posted", h.nothingOwed())

	if n := len(h.incidentsTitled(st, "node is not ready")); n != 1 {
		t.Errorf("%d incidents for the NodeNotReady group, want 1", n)
	}
	if n := len(h.incidentsTitled(st, "api 5xx")); n != 1 {
		t.Errorf("%d incidents for the HighErrorRate5xx group, want 1", n)
	}
	if list, _ := st.List(context.Background(), incidents.ListFilter{}); len(list) != 2 || h.count(h.announce, "declared: *") != 2 {
		t.Errorf("%d incidents, %d announcements; want 2 each", len(list), h.count(h.announce, "declared: *"))
	}
	if n := h.count(h.announce, "Warning alert: cache hit rate low"); n != 1 {
		t.Errorf("%d triage cards for one group of warnings at two replicas, want 1", n)
	}
	node := h.incidentsTitled(st, "node is not ready")[0]
	seen := map[string]int{}
	for _, m := range h.posts(node.ChannelID) {
		if strings.Contains(m.Text, "Alert joined this incident") {
			seen[m.Text]++
		}
	}
	if len(seen) == 0 {
		t.Error("the nodes that joined later were not noticed")
	}
	for text, n := range seen {
		if n > 1 {
			t.Errorf("a notice posted %d times:\n%s", n, text)
		}
	}
}
