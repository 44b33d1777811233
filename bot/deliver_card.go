package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/playbooks"
)

// doRunbook posts a runbook card: the playbook the effect names, or the
// best confident match for what the incident (or its opening alert)
// says. Without a confident match there is no card — a wrong runbook at
// 3 a.m. is worse than none — but the closest playbooks are offered to
// choose from, when any come close. The result records the message so
// ticks and a choice can redraw it.
func (p *performer) doRunbook(ctx context.Context, e incidents.Effect, inc incidents.Incident) (map[string]string, error) {
	if p.catalog == nil {
		return nil, nil
	}
	if inc.ChannelID == "" {
		return nil, errNoChannel
	}
	pb, why, candidates, r := p.cardFor(e, inc)
	if pb == nil {
		p.logFor(ctx).Info("no confident runbook match", zapIncident(inc), zap.String("doubt", r.Doubt))
		return p.suggest(ctx, e, inc, r)
	}
	text, blocks := p.render.RunbookCard(Card{Playbook: pb, Why: why, Candidates: candidates, All: p.catalog.List(), Now: p.svc.Now()})
	ts, err := p.postOnce(ctx, e, inc.ChannelID, "", text, blocks)
	if err != nil {
		return nil, err
	}
	return map[string]string{"card_ts": ts, "playbook": pb.ID, "title": pb.Title, "why": why, "candidates": strings.Join(candidates, ",")}, nil
}

// cardFor picks the card an EffectRunbook stands for, with the ranking
// it came from (empty when the effect names the playbook).
func (p *performer) cardFor(e incidents.Effect, inc incidents.Incident) (*playbooks.Playbook, string, []string, playbooks.Ranking) {
	if id := e.Data["playbook"]; id != "" {
		pb, ok := p.catalog.Get(id)
		if !ok {
			return nil, "", nil, playbooks.Ranking{}
		}
		var candidates []string
		if c := e.Data["candidates"]; c != "" {
			candidates = strings.Split(c, ",")
		}
		return pb, e.Data["why"], candidates, playbooks.Ranking{}
	}
	q := incidentQuery(inc)
	if text := e.Data["query"]; text != "" {
		q = playbooks.Query{Text: text, Labels: incidents.DecodeLabels(e.Data["labels"]), Critical: e.Data["critical"] == "true"}
	}
	r := p.catalog.Match(q, candidatesShown)
	best, ok := r.Best()
	if !ok {
		return nil, "", nil, r
	}
	return best.Playbook, whyMatched(best), otherIDs(r, best.Playbook.ID), r
}

// suggest offers the closest playbooks when none fits confidently;
// choosing one turns the message into its card.
func (p *performer) suggest(ctx context.Context, e incidents.Effect, inc incidents.Incident, r playbooks.Ranking) (map[string]string, error) {
	sugg := r.Suggestions()
	if len(sugg) == 0 {
		return nil, nil
	}
	text, blocks := p.render.Suggestions(sugg, r.Doubt, p.catalog.List())
	ts, err := p.postOnce(ctx, e, inc.ChannelID, "", text, blocks)
	if err != nil {
		return nil, err
	}
	ids, titles := make([]string, len(sugg)), make([]string, len(sugg))
	for i, s := range sugg {
		ids[i], titles[i] = s.Playbook.ID, s.Playbook.Title
	}
	return map[string]string{"card_ts": ts, "playbook": "", "title": strings.Join(titles, "; "), "why": r.Doubt, "candidates": strings.Join(ids, ",")}, nil
}

// doRedraw draws a runbook card as the record has it now: every tick
// recorded before this effect is on it, whichever replica recorded it.
func (p *performer) doRedraw(ctx context.Context, e incidents.Effect, inc incidents.Incident) error {
	if p.catalog == nil || inc.ChannelID == "" {
		return nil
	}
	evs, err := p.svc.Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	ts := e.Data["card_ts"]
	st, ok := readCard(evs, ts)
	if !ok || st.playbook == "" { // suggestions are never redrawn, only chosen from
		return nil
	}
	pb, ok := p.catalog.Get(st.playbook)
	if !ok {
		return &incidents.DeliveryError{Reason: "the runbook on that card no longer exists", Permanent: true}
	}
	text, blocks := p.render.RunbookCard(Card{Playbook: pb, Why: st.why, Done: st.done, Candidates: st.candidates,
		All: p.catalog.List(), Now: p.svc.Now(), Version: st.version})
	if _, _, _, err := p.api.UpdateMessageContext(ctx, inc.ChannelID, ts, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return deliveryErr(err, false)
	}
	return nil
}
