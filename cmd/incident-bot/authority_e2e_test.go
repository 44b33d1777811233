package main

import (
	"context"
	"testing"

	"github.com/incident-bot/incident-bot/incidents"
)

const eve = "U0EVE00001" // in no approver group

// Authority is never self-granted: Eve declares an incident of her own
// (so she commands it) and cannot scale production from its card; she
// cannot take over, re-grade or resolve Rita's incident either. Every
// refusal says why, and nothing changes.
func TestAuthorityIsNotSelfGranted(t *testing.T) {
	h, desired, _ := actionsBot(t, "", nil)
	_, own := h.declare(eve, "start sev1 ECS cluster CPU over 80% on my service", "ECS cluster CPU over 80% on my service")
	card := h.card(own.ID)
	id, value := buttonValue(t, card, "ecs.scale")
	h.send("interactive", h.slack.BlockAction(eve, own.ID, card.TS, id, value))
	h.responseContaining("Only members of <!subteam^S0SRE0001> may run actions that change production; you are not one of them")

	inc, ch := h.declare(rita, "start sev2 Ritas incident", "Ritas incident")
	for _, cmd := range []string{"commander <@" + eve + ">", "severity sev1", "resolve it was nothing"} {
		h.slash(eve, ch.ID, cmd)
	}
	h.responseContaining("may hand over command of it")
	h.responseContaining("may change the severity of it")
	h.responseContaining("may change the status of it")
	h.settled()
	got, _ := h.openStore(t).Get(context.Background(), inc.ID)
	if got.Commander != rita || got.Severity != incidents.Sev2 || got.Status != incidents.StatusInvestigating || desired() != 4 {
		t.Fatalf("refused changes changed something: %+v, desired %d", got, desired())
	}
	// An approver may; anyone may post an update.
	h.slash(bob, ch.ID, "severity sev1")
	h.messageContaining(ch.ID, "changed the severity from SEV2 to *SEV1*")
	h.slash(eve, ch.ID, "update I can see it too")
	h.messageContaining(ch.ID, "I can see it too")
}

// The targets file may let a commander who is not an approver run
// actions, and may ask for two people: whoever confirms is not whoever
// asked.
func TestCommanderMayRunAndTwoPersonRule(t *testing.T) {
	h, desired, _ := actionsBot(t, "  commander_may_run: true\n  two_person: true\n", nil)
	_, ch := h.declare(eve, "start sev1 ECS cluster CPU over 80%, traffic surge", "ECS cluster CPU over 80%, traffic surge")
	card := h.card(ch.ID)
	id, value := buttonValue(t, card, "ecs.scale")
	h.send("interactive", h.slack.BlockAction(eve, ch.ID, card.TS, id, value))
	confirm := h.messageContaining(ch.ID, "wants to run *Scale service on web*")
	runID := confirmRunID(t, confirm)
	h.send("interactive", h.slack.BlockAction(eve, ch.ID, confirm.TS, "action_confirm", runID))
	h.responseContaining("Two people are needed here (guardrails.two_person)")
	if desired() != 4 {
		t.Fatal("the requester's own confirmation ran the action")
	}
	h.send("interactive", h.slack.BlockAction(bob, ch.ID, confirm.TS, "action_confirm", runID))
	h.messageContaining(ch.ID, ":white_check_mark: *Scale service on web*")
	if got := desired(); got != 15 {
		t.Fatalf("desired = %d after a second person confirmed, want 15", got)
	}
}

// INCIDENT_CHANGES_BY=anyone opens every incident's changes to everyone.
func TestAnyoneMayChangeWhenSet(t *testing.T) {
	h := newHarness(t, "sqlite", map[string]string{"INCIDENT_CHANGES_BY": "anyone"})
	_, ch := h.declare(rita, "start sev2 Open workspace", "Open workspace")
	h.slash(eve, ch.ID, "resolve handled by the night shift")
	h.messageContaining(ch.ID, "*resolved* the incident")
}

// An incident an alert opened belongs to nobody until someone takes
// command: anyone may, and from then on it is theirs.
func TestAnyoneTakesCommandOfAnAlertIncident(t *testing.T) {
	h := newHarness(t, "sqlite", map[string]string{"ALERT_WEBHOOK_SECRET": testAlertSecret})
	if code := h.postAlert("/alerts/webhook", `{"title":"api 5xx above 5%","severity":"critical","fingerprint":"api-5xx"}`); code != 200 {
		t.Fatalf("alert: HTTP %d", code)
	}
	h.settled()
	incs, _ := h.openStore(t).List(context.Background(), incidents.ListFilter{})
	if len(incs) != 1 || incs[0].ChannelID == "" {
		t.Fatalf("incidents: %+v", incs)
	}
	ch := incs[0].ChannelID
	h.slash(eve, ch, "commander <@"+eve+">")
	h.messageContaining(ch, "is now the incident commander")
	h.slash(bob, ch, "commander <@"+bob+">")
	h.responseContaining("may hand over command of it")
}
