package main

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/bot/slacktest"
	"github.com/incident-bot/incident-bot/incidents"
)

// live is the real `serve` binary running against the harness's fake
// Slack and store, to be killed with SIGKILL at chosen points.
type live struct {
	h     *harness
	bin   string
	extra []string
	cmd   *exec.Cmd
	logs  *syncBuffer
}

// runLive stops the harness's in-process bot and starts the binary.
func (h *harness) runLive(extra ...string) *live {
	h.t.Helper()
	h.stop()
	l := &live{h: h, bin: buildBinary(h.t), extra: extra}
	l.start()
	return l
}

// start runs the binary; the harness's HTTP helpers then talk to it.
func (l *live) start() {
	l.h.t.Helper()
	l.cmd, l.h.httpAddr, l.logs = l.h.startBinary(l.bin, l.extra...)
}

// kill ends the process with SIGKILL: no shutdown, nothing flushed.
func (l *live) kill() {
	l.h.t.Helper()
	if err := l.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		l.h.t.Fatal(err)
	}
	_ = l.cmd.Wait()
	if strings.Contains(l.logs.String(), "SECRET") {
		l.h.t.Errorf("a token reached the logs:\n%s", l.logs.String())
	}
}

// setUpOnce checks that the only incident was set up exactly once: one
// channel (no orphan beside it), the reporter in it, one header, one
// runbook card, one announcement, and nothing owed any more.
func (h *harness) setUpOnce(title string) incidents.Incident {
	h.t.Helper()
	h.settled()
	incs, err := h.openStore(h.t).List(context.Background(), incidents.ListFilter{})
	if err != nil || len(incs) != 1 {
		h.t.Fatalf("incidents = %+v, %v; want one", incs, err)
	}
	inc := incs[0]
	var chans []string
	for _, c := range h.slack.Channels() {
		if strings.HasPrefix(c.Name, "inc-") {
			chans = append(chans, c.Name)
		}
	}
	ch, ok := h.slack.Channel(inc.ChannelID)
	if !ok || len(chans) != 1 || inc.HeaderTS == "" || !slices.Contains(ch.Members, rita) {
		h.t.Fatalf("incident %+v: channels %v, members %v", inc, chans, ch.Members)
	}
	count := func(channel, s string) int {
		n := 0
		for _, m := range h.slack.Messages(channel) {
			if strings.Contains(m.Text+string(m.Blocks), s) {
				n++
			}
		}
		return n
	}
	headers, cards, announced := count(ch.ID, "incident_header_actions"), count(ch.ID, "runbook_source"), count(h.announce, title)
	if headers != 1 || cards != 1 || announced != 1 {
		h.t.Fatalf("headers %d, runbook cards %d, announcements %d; want one each", headers, cards, announced)
	}
	return inc
}

// A declaration interrupted by SIGKILL at each step of its set-up — with
// Slack's answer to the step lost, or before the step — is completed once
// after the restart: the orphan channel is linked, a posted header or card
// is found by its metadata, nothing is duplicated.
func TestKillDuringSetUpResumesOnce(t *testing.T) {
	steps := []struct {
		name  string
		fault slacktest.Fault
	}{
		{"channel created, answer lost", slacktest.Fault{Method: "conversations.create", Kind: slacktest.Hang, Processed: true}},
		{"before the topic", slacktest.Fault{Method: "conversations.setTopic", Kind: slacktest.Hang}},
		{"before the invitation", slacktest.Fault{Method: "conversations.invite", Kind: slacktest.Hang}},
		{"header posted, answer lost", slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.Hang, Processed: true}},
		{"card posted, answer lost", slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.Hang, Processed: true, Skip: 1}},
		{"announced, answer lost", slacktest.Fault{Method: "chat.postMessage", Kind: slacktest.Hang, Processed: true, Skip: 2}},
	}
	forEachStore(t, func(t *testing.T, kind string) {
		for _, step := range steps {
			t.Run(step.name, func(t *testing.T) {
				h := newHarness(t, kind, nil)
				l := h.runLive()
				cancel := h.slack.Inject(step.fault)
				h.slash(rita, h.general, "start sev1 Users see 502 errors")
				ctx, stop := context.WithTimeout(context.Background(), 15*time.Second)
				defer stop()
				if err := h.slack.WaitCalls(ctx, step.fault.Method, step.fault.Skip+1); err != nil {
					t.Fatalf("the step was not reached: %v\n%s", err, l.logs.String())
				}
				l.kill()
				cancel()
				l.start()
				h.setUpOnce("Users see 502 errors")
			})
		}
	})
}

// Commands acknowledged and then lost to SIGKILL before they ran (held
// behind the incident's row lock in PostgreSQL) all run after the restart,
// each once, and each update is posted once.
func TestKillAfterAckAppliesEveryCommand(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		h := newHarness(t, kind, nil)
		l := h.runLive()
		inc, ch := h.declare(rita, "start sev2 Queue stuck", "Queue stuck")
		h.settled()
		release := func() {}
		if kind == "postgres" {
			release = h.holdIncident(inc)
		}
		const n = 10
		for i := range n {
			ack := h.slash(rita, ch.ID, fmt.Sprintf("update step %d of the fix", i)) // waits for the ack
			if strings.Contains(string(ack.Payload), "could not record") {
				t.Fatalf("update %d not recorded: %s", i, ack.Payload)
			}
		}
		l.kill()
		release()
		l.start()
		h.settled()
		evs, _ := h.openStore(t).Timeline(context.Background(), inc.ID)
		seen := map[string]int{}
		for _, e := range evs {
			if e.Kind == incidents.EventStatusUpdate {
				seen[e.Text]++
			}
		}
		for i := range n {
			text := fmt.Sprintf("step %d of the fix", i)
			posted := 0
			for _, m := range h.slack.Messages(ch.ID) {
				if strings.Contains(m.Text, text) {
					posted++
				}
			}
			if seen[text] != 1 || posted != 1 {
				t.Errorf("%q: recorded %d times, posted %d times; want once each", text, seen[text], posted)
			}
		}
	})
}

// holdIncident locks the incident's row in PostgreSQL, as a long
// transaction would: every change of it waits. It returns the release.
func (h *harness) holdIncident(inc incidents.Incident) func() {
	h.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, h.env["DATABASE_URL"])
	if err != nil {
		h.t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM incidents WHERE id = $1 FOR UPDATE", inc.ID); err != nil {
		h.t.Fatal(err)
	}
	return func() {
		_ = tx.Rollback(ctx)
		_ = conn.Close(ctx)
	}
}
