package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/incident-bot/incident-bot/bot/slacktest"
	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/testmoto"
)

// ecsInMotoSet creates a cluster and a service "web" with 4 desired tasks
// in moto, and returns the cluster name, a reader of the desired count and
// a setter of it, standing in for an autoscaler that moves it behind the
// bot's back.
func ecsInMotoSet(t *testing.T) (string, func() int32, func(int32)) {
	t.Helper()
	testmoto.Endpoint(t)
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	api := ecs.NewFromConfig(cfg)
	cluster := testmoto.Name("prod")
	ctx := context.Background()
	if _, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		t.Fatal(err)
	}
	family := testmoto.Name("web")
	if _, err := api.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String(family),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("nginx:1"), Memory: aws.Int32(128)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(cluster), ServiceName: aws.String("web"),
		TaskDefinition: aws.String(family + ":1"), DesiredCount: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	return cluster, func() int32 {
			out, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"web"}})
			if err != nil || len(out.Services) != 1 {
				t.Fatalf("describe: %v", err)
			}
			return out.Services[0].DesiredCount
		}, func(n int32) {
			if _, err := api.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String("web"), DesiredCount: aws.Int32(n)}); err != nil {
				t.Fatal(err)
			}
		}
}

// actionsHarness starts the bot with a targets file for a moto-backed ECS
// service and an approver group, and declares an incident whose card
// offers "Scale service" (ECS capacity).
func actionsHarness(t *testing.T, dryRun bool) (*harness, func() int32, string, slacktest.Message) {
	h, desired, _, ch, card := actionsHarnessSet(t, dryRun)
	return h, desired, ch, card
}

func actionsHarnessSet(t *testing.T, dryRun bool) (*harness, func() int32, func(int32), string, slacktest.Message) {
	t.Helper()
	h, desired, set := actionsBot(t, fmt.Sprintf("  dry_run: %v\n", dryRun), nil)
	_, ch := h.declare(rita, "start sev1 ECS cluster CPU over 80%, traffic surge", "ECS cluster CPU over 80%, traffic surge")
	return h, desired, set, ch.ID, h.card(ch.ID)
}

// actionsBot starts the bot with a targets file for a moto-backed ECS
// service "web" whose approvers (S0SRE0001) are Rita and Bob, with more
// guardrail lines and settings as given.
func actionsBot(t *testing.T, guardrails string, env map[string]string) (*harness, func() int32, func(int32)) {
	t.Helper()
	cluster, desired, set := ecsInMotoSet(t)
	targets := filepath.Join(t.TempDir(), "targets.yaml")
	body := fmt.Sprintf("region: %s\nservices:\n  web: {cluster: %s, ecs_service: web}\nguardrails:\n  approvers: [S0SRE0001]\n%s", testmoto.Region, cluster, guardrails)
	if err := os.WriteFile(targets, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	all := map[string]string{"TARGETS_FILE": targets}
	for k, v := range env {
		all[k] = v
	}
	h := newHarness(t, "sqlite", all)
	h.slack.AddUsergroup("S0SRE0001", rita, bob)
	return h, desired, set
}

// buttonValue finds the value of the card's button for an action.
func buttonValue(t *testing.T, card slacktest.Message, action string) (actionID, value string) {
	t.Helper()
	var blocks []map[string]any
	_ = json.Unmarshal(card.Blocks, &blocks)
	for _, b := range blocks {
		els, _ := b["elements"].([]any)
		for _, e := range els {
			el, _ := e.(map[string]any)
			if v, _ := el["value"].(string); strings.HasSuffix(v, "|"+action) {
				return el["action_id"].(string), v
			}
		}
	}
	t.Fatalf("card has no %s button: %s", action, card.Blocks)
	return "", ""
}

// Clicking "Scale service" previews the change in the card's thread; an
// outsider cannot confirm; the approver confirms; ECS really scales to the
// runbook's 15 (in moto); the result and who/what/when are recorded; a
// second confirmation runs nothing.
func TestScaleActionFromCard(t *testing.T) {
	h, desired, ch, card := actionsHarness(t, false)
	id, value := buttonValue(t, card, "ecs.scale")
	h.send("interactive", h.slack.BlockAction(rita, ch, card.TS, id, value))
	confirm := h.messageContaining(ch, "wants to run *Scale service on web*")
	if confirm.ThreadTS != card.TS || !strings.Contains(confirm.Text, "desired 4") || !strings.Contains(confirm.Text, "15") {
		t.Fatalf("confirmation = %+v", confirm)
	}
	runID := confirmRunID(t, confirm)
	if desired() != 4 {
		t.Fatal("the preview changed the service")
	}

	outsider := "U0EVE00001"
	h.send("interactive", h.slack.BlockAction(outsider, ch, confirm.TS, "action_confirm", runID))
	h.responseContaining("Only members of <!subteam^S0SRE0001> may run actions that change production")

	h.send("interactive", h.slack.BlockAction(outsider, ch, confirm.TS, "action_cancel", runID))
	h.responseContaining("Only the person who asked, the commander or an approver may cancel it")

	h.send("interactive", h.slack.BlockAction(bob, ch, confirm.TS, "action_confirm", runID))
	result := h.messageContaining(ch, ":white_check_mark: *Scale service on web*")
	if result.ThreadTS != card.TS {
		t.Errorf("result posted in thread %q, want the card's thread %q", result.ThreadTS, card.TS)
	}
	h.eventually("confirmation settled with the outcome", func() bool {
		for _, m := range h.slack.Messages(ch) {
			if m.TS == confirm.TS && strings.Contains(m.Text, "confirmed *Scale service on web*: :white_check_mark:") {
				return true
			}
		}
		return false
	})
	if got := desired(); got != 15 {
		t.Fatalf("desired count after the action = %d, want 15", got)
	}
	h.send("interactive", h.slack.BlockAction(bob, ch, confirm.TS, "action_confirm", runID))
	h.responseContaining("already confirmed or cancelled; it runs at most once")

	incs, _ := h.openStore(t).List(context.Background(), incidents.ListFilter{})
	evs, _ := h.openStore(t).Timeline(context.Background(), incs[0].ID)
	var seen []string
	for _, e := range evs {
		if strings.HasPrefix(string(e.Kind), "action_") {
			seen = append(seen, string(e.Kind))
			if e.Kind == "action_finished" && (e.Data["outcome"] != "ok" || e.Data["request_id"] == "" || e.Data["duration"] == "") {
				t.Errorf("result event = %+v", e.Data)
			}
			if e.Kind == "action_started" && (e.Data["confirmed_by"] != bob || e.Data["requested_by"] != rita || !strings.Contains(e.Data["params"], `"service":"web"`)) {
				t.Errorf("start event = %+v", e.Data)
			}
		}
	}
	if strings.Join(seen, ",") != "action_previewed,action_started,action_finished" {
		t.Fatalf("action events = %v", seen)
	}
}

// Dry run: the confirmation says so, the result says what would have
// happened, and nothing changes.
func TestActionDryRunAndCancel(t *testing.T) {
	h, desired, ch, card := actionsHarness(t, true)
	id, value := buttonValue(t, card, "ecs.scale")
	h.send("interactive", h.slack.BlockAction(rita, ch, card.TS, id, value))
	confirm := h.messageContaining(ch, "dry run: nothing will change")
	runID := confirmRunID(t, confirm)
	h.send("interactive", h.slack.BlockAction(rita, ch, confirm.TS, "action_confirm", runID))
	h.messageContaining(ch, "Dry run: would desired 4 → 15")
	if desired() != 4 {
		t.Fatal("a dry run changed the service")
	}

	if m := h.messageContaining(ch, "Dry run: would"); strings.Contains(m.Text, "To undo") {
		t.Errorf("a dry run offers an undo: %q", m.Text)
	}
	h.send("interactive", h.slack.BlockAction(rita, ch, card.TS, id, value))
	var second slacktest.Message
	h.eventually("second confirmation", func() bool {
		for _, m := range h.slack.Messages(ch) {
			if strings.Contains(m.Text, "wants to run") && m.TS != confirm.TS {
				second = m
				return true
			}
		}
		return false
	})
	h.send("interactive", h.slack.BlockAction(rita, ch, second.TS, "action_cancel", confirmRunID(t, second)))
	h.messageContaining(ch, "cancelled *Scale service on web*")
	h.send("interactive", h.slack.BlockAction(rita, ch, second.TS, "action_confirm", confirmRunID(t, second)))
	h.responseContaining("already confirmed or cancelled")
}

// A read-only action runs at once and posts its findings in the thread.
func TestReadOnlyActionRunsAtOnce(t *testing.T) {
	h, _, ch, card := actionsHarness(t, false)
	id, value := buttonValue(t, card, "ecs.service_status")
	h.send("interactive", h.slack.BlockAction(bob, ch, card.TS, id, value))
	m := h.messageContaining(ch, ":white_check_mark: *ECS service status on web*")
	if m.ThreadTS != card.TS || !strings.Contains(m.Text, "4") {
		t.Fatalf("status result = %+v", m)
	}
}

func confirmRunID(t *testing.T, m slacktest.Message) string {
	t.Helper()
	var blocks []map[string]any
	_ = json.Unmarshal(m.Blocks, &blocks)
	for _, b := range blocks {
		if els, ok := b["elements"].([]any); ok {
			for _, e := range els {
				if el := e.(map[string]any); el["action_id"] == "action_confirm" {
					return el["value"].(string)
				}
			}
		}
	}
	t.Fatalf("no confirm button: %s", m.Blocks)
	return ""
}

// A preview confirmed after the state moved is refused: "desired 4 → 15"
// must not run once an autoscaler has taken the service to 25.
func TestStalePreviewIsRefused(t *testing.T) {
	h, desired, set, ch, card := actionsHarnessSet(t, false)
	id, value := buttonValue(t, card, "ecs.scale")
	h.send("interactive", h.slack.BlockAction(rita, ch, card.TS, id, value))
	confirm := h.messageContaining(ch, "wants to run *Scale service on web*")
	set(25)
	h.send("interactive", h.slack.BlockAction(rita, ch, confirm.TS, "action_confirm", confirmRunID(t, confirm)))
	h.messageContaining(ch, "`changed` the state changed since the preview")
	if got := desired(); got != 25 {
		t.Fatalf("desired = %d after a refused stale confirmation, want 25 untouched", got)
	}
}
