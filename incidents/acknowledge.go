package incidents

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/internal/txt"
)

// Paging and acknowledgement. An incident an alert opens waits for a
// person to take command; if nobody does within the severity's
// AckTimeout, its first level is paged outside Slack. Escalation levels
// page theirs. A page is an effect like a post: written with the change
// that decides it, performed by the dispatcher on a lane of its own per
// target (a provider that fails never holds up Slack, nor another
// provider), keyed so that it happens once per incident, level, target
// and action. Taking command acknowledges the pages sent; resolving
// resolves them, in the transaction that resolves the incident.

// Timeline kinds of paging.
const (
	// EventAcknowledged: a person took command of an incident nobody had,
	// or a paging provider says someone acknowledged its page.
	EventAcknowledged EventKind = "acknowledged"
	// EventUnacknowledged: nobody took command in time; the first level
	// is paged.
	EventUnacknowledged EventKind = "unacknowledged"
	// EventPaged records a provider's answer to a page (Data: target,
	// action, level, answer).
	EventPaged EventKind = "paged"
	// EventPageFailed: a page did not go through at its first attempt; it
	// is retried, and people are told once.
	EventPageFailed EventKind = "page_failed"
)

// EffectPage sends a page (Data: target — the pager's spec, via — its
// name for people, target_key, action, dedup_key, level, summary,
// severity, channel_id).
const EffectPage EffectKind = "page"

// Page actions, as PagerDuty's Events API names them.
const (
	PageTrigger     = "trigger"
	PageAcknowledge = "acknowledge"
	PageResolve     = "resolve"
)

// LevelAck is the page level of an incident nobody acknowledged; the
// escalation levels are "escalation-1", "escalation-2"…
const LevelAck = "ack"

func escalationLevel(n int) string { return fmt.Sprintf("escalation-%d", n) }

// DedupKey names an incident's page of one level at the provider: the
// same key triggers, acknowledges and resolves it, and a retry is the
// same page.
func DedupKey(id uuid.UUID, level string) string { return "incident-bot/" + id.String() + "/" + level }

// IncidentOfDedupKey reads the incident back from a DedupKey ("" when
// the key is not the bot's).
func IncidentOfDedupKey(key string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(key, "incident-bot/")
	if !ok {
		return uuid.Nil, false
	}
	id, _, _ := strings.Cut(rest, "/")
	u, err := uuid.Parse(id)
	return u, err == nil
}

// pageSeverity is the provider's severity for an incident's.
func pageSeverity(s Severity) string {
	switch s {
	case Sev1:
		return "critical"
	case Sev2:
		return "error"
	case Sev3:
		return "warning"
	}
	return "info"
}

// pages are the effects that send action to every target of level; a
// trigger is also remembered on the incident (Incident.Paged), so that
// what was sent is what is acknowledged and resolved later.
func pages(inc *Incident, level, action, why string, targets []PageTarget) []Effect {
	out := make([]Effect, 0, len(targets))
	for _, t := range targets {
		if action == PageTrigger && !slices.Contains(inc.Paged, Paged{Level: level, Target: t}) {
			inc.Paged = append(inc.Paged, Paged{Level: level, Target: t})
		}
		out = append(out, Effect{
			Key:  fmt.Sprintf("page:%s:%s:%s:%s", inc.ID, level, t.Key, action),
			Lane: PageLane(inc.ID, t.Key), IncidentID: inc.ID, Kind: EffectPage,
			Data: map[string]string{"target": t.Spec, "via": t.Name, "target_key": t.Key, "action": action, "level": level, "dedup_key": DedupKey(inc.ID, level),
				"summary":  txt.Clip(fmt.Sprintf("%s %s (%s): %s", inc.Ref(), inc.Title, inc.Severity.Label(), why), 1000),
				"severity": pageSeverity(inc.Severity), "channel_id": inc.ChannelID, "incident": inc.Ref(), "status": string(inc.Status)},
		})
	}
	return out
}

// PageLane is the lane of an incident's pages through one target: pages
// wait for neither Slack nor another provider.
func PageLane(id uuid.UUID, targetKey string) string { return "page:" + id.String() + ":" + targetKey }

// followUp acknowledges or resolves every page sent for inc but those
// skip names.
func followUp(inc *Incident, action, why string, skip func(Paged) bool) []Effect {
	var out []Effect
	for _, p := range inc.Paged {
		if skip == nil || !skip(p) {
			out = append(out, pages(inc, p.Level, action, why, []PageTarget{p.Target})...)
		}
	}
	return out
}

// acknowledge records that who acknowledged inc, if nobody had: the
// acknowledgement timer stops and the pages sent are acknowledged but
// those skip names. actor is the person, or the bot for a provider's word.
func (s *Service) acknowledge(inc *Incident, actor, who, how string, now time.Time, skip func(Paged) bool) (Event, []Effect, bool) {
	if !inc.AcknowledgedAt.IsZero() || who == "" || who == s.botUser {
		return Event{}, nil, false
	}
	inc.AcknowledgedAt, inc.AcknowledgedBy = now, who
	s.policy.scheduleAck(inc)
	ev := s.event(inc.ID, now, actor, EventAcknowledged, "Acknowledged: "+how,
		map[string]string{"by": who, "how": how, "after": now.Sub(inc.DeclaredAt).String()})
	return ev, followUp(inc, PageAcknowledge, "acknowledged: "+how, skip), true
}

// AcknowledgePage records a paging provider's acknowledgement (a
// webhook) of the page dedupKey names, once: key is the provider's event
// ID. The incident is told in its channel; its commander does not
// change. The other pages sent are acknowledged: that one, the provider
// knows of.
func (s *Service) AcknowledgePage(ctx context.Context, id uuid.UUID, key, dedupKey, provider, by string) (Incident, error) {
	by = txt.Clip(txt.OneLine(by), 100) // the provider's text: a name, but bounded
	return s.change(ctx, id, key, func(inc *Incident, now time.Time) (Change, error) {
		told := func(p Paged) bool {
			return DedupKey(inc.ID, p.Level) == dedupKey && strings.HasPrefix(p.Target.Key, strings.ToLower(provider))
		}
		ev, effs, ok := s.acknowledge(inc, ActorBot, provider+": "+by, fmt.Sprintf("%s acknowledged the page in %s", by, provider), now, told)
		if !ok {
			return Change{}, nil
		}
		return Change{Events: []Event{ev}, Effects: append(effs, post(ev, ToChannel, ""), refresh(ev, ""))}, nil
	})
}

// firePageAck pages the first level of an incident nobody acknowledged
// by its AckDueAt.
func (s *Service) firePageAck(inc *Incident, now time.Time) *Change {
	if inc.AckDueAt.IsZero() || now.Before(inc.AckDueAt) {
		return nil
	}
	// The rules as they are now: a timeout turned off or made longer
	// since it was scheduled moves the page, or drops it.
	if s.policy.scheduleAck(inc); inc.AckDueAt.IsZero() || now.Before(inc.AckDueAt) {
		return nil
	}
	r := s.policy.For(inc.Severity)
	why := fmt.Sprintf("nobody has taken command %s after it was opened", txt.Duration(r.AckTimeout))
	ev := s.event(inc.ID, now, ActorBot, EventUnacknowledged, "Not acknowledged: "+why+"; paging "+targetNames(r.AckPages),
		map[string]string{"after": r.AckTimeout.String(), "targets": targetNames(r.AckPages)})
	return &Change{Events: []Event{ev}, Effects: append(s.pageOnCall(inc, why), post(ev, ToChannel, ""))}
}

// pageOnCall pages the first level (it is then remembered in
// inc.Paged), which ends the wait for an acknowledgement.
func (s *Service) pageOnCall(inc *Incident, why string) []Effect {
	effs := pages(inc, LevelAck, PageTrigger, why, s.policy.For(inc.Severity).AckPages)
	s.policy.scheduleAck(inc) // cleared: the on-call is paged
	return effs
}

// targetNames names targets for people: "PagerDuty, SNS topic oncall".
func targetNames(ts []PageTarget) string {
	names := make([]string, 0, len(ts))
	for _, t := range ts {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}

// pageDone records a provider's answer to a page in the timeline; a
// trigger is also told in the channel.
func (s *Service) pageDone(inc *Incident, e Effect, result map[string]string, now time.Time) Change {
	d := e.Data
	ev := s.event(inc.ID, now, ActorBot, EventPaged,
		fmt.Sprintf("Page %s (%s) sent to %s: %s", d["action"], d["level"], d["via"], result["answer"]),
		map[string]string{"target": d["target_key"], "via": d["via"], "action": d["action"], "level": d["level"],
			"answer": result["answer"], "dedup_key": d["dedup_key"]})
	ch := Change{Events: []Event{ev}}
	if d["action"] == PageTrigger {
		ch.Effects = append(ch.Effects, post(ev, ToChannel, ""))
	}
	return ch
}

// pageRetry tells the channel, once, that a page is not going through
// and is being retried.
func (s *Service) pageRetry(ctx context.Context, e Effect, retry Settlement) error {
	_, err := s.update(ctx, e.IncidentID, "", func(inc *Incident) (Change, error) {
		ev := s.event(inc.ID, s.clock.Now(), ActorBot, EventPageFailed,
			fmt.Sprintf("Page %s (%s) through %s did not go through (%s); retrying", e.Data["action"], e.Data["level"], e.Data["via"], retry.Error),
			map[string]string{"target": e.Data["target_key"], "via": e.Data["via"], "action": e.Data["action"], "level": e.Data["level"], "reason": retry.Error})
		return Change{Events: []Event{ev}, Effects: []Effect{post(ev, ToChannel, "")}, Settle: []Settlement{retry}}, nil
	})
	return err
}

// EventPageRequested: someone paged on demand (/incident page): the
// on-call's targets (Data "via"), a person or a user group (Data "user").
const EventPageRequested EventKind = "page_requested"

// PageNow pages on demand: whom is "" for the first level's targets (the
// on-call), a Slack user ID (invited and called in the channel) or a user
// group ID (S…, called in the channel). The commander and approvers may;
// anyone may while nobody has taken command.
func (s *Service) PageNow(ctx context.Context, id uuid.UUID, by By, whom string) (Incident, error) {
	return s.change(ctx, id, by.Key, func(inc *Incident, now time.Time) (Change, error) {
		if !(s.anyoneMayChange || by.Approver || by.User == inc.Commander || inc.Commander == s.botUser) {
			return Change{}, Errorf(EFORBIDDEN, "Only the commander of %s or an approver may page for it; ask them, or take command (`/incident commander @you`).", inc.Ref())
		}
		if whom != "" {
			ev := s.event(inc.ID, now, by.User, EventPageRequested, "Paged "+whom, map[string]string{"user": whom})
			effs := []Effect{post(ev, ToChannel, by.User)}
			if !strings.HasPrefix(whom, "S") {
				effs = append(effs, invite(ev.ID.String()+":invite", whom, by.User))
			}
			return Change{Events: []Event{ev}, Effects: effs}, nil
		}
		r := s.policy.For(inc.Severity)
		switch {
		case len(r.AckPages) == 0:
			return Change{}, Errorf(EINVALID, "No on-call to page for a %s: set ACK_PAGE (README, \"Paging at night\"). To call someone in, `/incident page @someone`.", inc.Severity.Label())
		case inc.OnCallPaged():
			return Change{}, Errorf(ECONFLICT, "The on-call was paged already for %s; the provider re-notifies by its own rules. To call someone else in, `/incident page @someone`.", inc.Ref())
		}
		ev := s.event(inc.ID, now, by.User, EventPageRequested, "Paged the on-call: "+targetNames(r.AckPages), map[string]string{"via": targetNames(r.AckPages)})
		return Change{Events: []Event{ev}, Effects: append(s.pageOnCall(inc, "paged by a responder"), post(ev, ToChannel, by.User))}, nil
	})
}
