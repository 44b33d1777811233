package alerting

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
)

// card owes the problem's triage card: posted when the problem has had
// none (or no decision) in TriageWindow, redrawn in place otherwise. One
// effect per card and batch, however many alerts. A resolved alert only
// redraws an open card (to settle it once all have resolved).
func (r *Router) card(ctx context.Context, b *batch, st *fpState, firing bool) error {
	key := st.prob.card()
	if b.cards[key] {
		return nil
	}
	// Marked once something is decided for the card: a resolved alert
	// that owes nothing must not keep a firing one of the same problem,
	// later in the delivery, from its card.
	if firing || !r.opts.Cards {
		b.cards[key] = true
	}
	if !r.opts.Cards {
		if firing {
			r.opts.Logger.Warn("warning alert stored; no ALERT_TRIAGE_CHANNEL or INCIDENTS_CHANNEL to ask about it", zap.String("title", st.last.Title))
		}
		return nil
	}
	decided, err := r.store.LastTriage(ctx, key)
	switch {
	case err == nil && b.now.Sub(decided.At) < TriageWindow:
		// A person's recent decision stands: counted, not carded again.
		return nil
	case err != nil && !errors.Is(err, incidents.ErrNotFound):
		return err
	}
	c, err := r.store.LatestCard(ctx, key)
	switch {
	case err == nil && b.now.Sub(c.OpenedAt) < TriageWindow:
		b.cards[key] = true
		b.effs = append(b.effs, incidents.Effect{Key: fmt.Sprintf("triage-update:%s:%d:%s", key, c.Epoch, st.firstID), Lane: cardLane(key),
			Kind: incidents.EffectTriageUpdate, Data: cardData(c)})
		return nil
	case err != nil && !errors.Is(err, incidents.ErrNotFound):
		return err
	case !firing:
		return nil
	}
	if len(b.cardsIn) >= MaxNewCards {
		return r.fold(b, st)
	}
	c = incidents.TriageCard{Key: key, Epoch: c.Epoch + 1, OpenedAt: b.now}
	b.cardsIn = append(b.cardsIn, c)
	data := Data(st.first)
	for k, v := range cardData(c) {
		data[k] = v
	}
	b.effs = append(b.effs, incidents.Effect{Key: cardEffectKey(c), Lane: cardLane(key), Kind: incidents.EffectTriage, Data: data})
	return nil
}

// MaxNewCards bounds the cards one delivery posts: past it, the other new
// problems share one card, so a storm of unrelated warnings is a dozen
// messages, not thousands, and critical alerts do not queue behind them.
const MaxNewCards = 10

// fold puts a problem on the batch's shared card, posted once.
func (r *Router) fold(b *batch, st *fpState) error {
	if b.foldKey == "" {
		h := sha256.New()
		for _, fp := range slices.Sorted(maps.Keys(b.states)) {
			fmt.Fprintf(h, "%s\x00", fp)
		}
		// Named by the delivery's conditions: a replica that received the
		// same delivery names the same card.
		b.foldKey = "fold:" + hex.EncodeToString(h.Sum(nil))[:24]
		c := incidents.TriageCard{Key: b.foldKey, Epoch: 1, OpenedAt: b.now}
		b.cardsIn = append(b.cardsIn, c)
		data := Data(st.first)
		for k, v := range cardData(c) {
			data[k] = v
		}
		b.effs = append(b.effs, incidents.Effect{Key: cardEffectKey(c), Lane: cardLane(c.Key), Kind: incidents.EffectTriage, Data: data})
	}
	b.folded[st.prob.card()] = b.foldKey
	return nil
}

func cardLane(key string) string { return "triage:" + key }

func cardEffectKey(c incidents.TriageCard) string { return fmt.Sprintf("triage:%s:%d", c.Key, c.Epoch) }

func cardData(c incidents.TriageCard) map[string]string {
	return map[string]string{"card": c.Key, "epoch": strconv.Itoa(c.Epoch), "since": c.OpenedAt.Format(time.RFC3339Nano)}
}

// Card is what a triage card shows now.
type Card struct {
	Key    string // the button's value: the problem a decision covers
	Since  time.Time
	Count  int               // alerts since the card opened
	Total  int               // conditions (fingerprints)
	Firing int               // conditions still firing
	Latest []Line            // the latest alert of some conditions, newest first
	First  map[string]string // the first alert (Data), for the title
	// Decided says a person decided on the card: a redraw leaves it be.
	Decided bool
	// Channel and TS are where the card was posted; empty before.
	Channel, TS string
}

// Line is one condition on a card.
type Line struct {
	Title, Source string
	Resolved      bool
	At            time.Time
}

// Settled says every condition on the card has resolved.
func (c Card) Settled() bool { return c.Total > 0 && c.Firing == 0 }

// CardLines is how many conditions a card lists.
const CardLines = 5

// Card reads what the card an effect (EffectTriage or EffectTriageUpdate)
// draws shows now.
func (r *Router) Card(ctx context.Context, data map[string]string) (Card, error) {
	since, err := time.Parse(time.RFC3339Nano, data["since"])
	if err != nil || data["card"] == "" {
		return Card{}, fmt.Errorf("the effect names no card")
	}
	c := Card{Key: data["card"], Since: since, First: data}
	if err := r.cardPost(ctx, &c, data["epoch"]); err != nil {
		return c, err
	}
	v, err := r.store.CardAlerts(ctx, c.Key, since, CardLines)
	if err != nil {
		return c, err
	}
	c.Count, c.Total, c.Firing = v.Count, v.Total, v.Firing
	for _, a := range v.Latest {
		c.Latest = append(c.Latest, Line{Title: a.Title, Source: a.Source, Resolved: a.Status == "resolved", At: a.At})
	}
	t, err := r.store.LastTriage(ctx, c.Key)
	switch {
	case err == nil:
		c.Decided = !t.At.Before(since)
	case !errors.Is(err, incidents.ErrNotFound):
		return c, err
	}
	return c, nil
}

// cardPost finds the card's post: where it is, and the first alert it
// was posted for (an update's effect carries only the card).
func (r *Router) cardPost(ctx context.Context, c *Card, epoch string) error {
	n, _ := strconv.Atoi(epoch)
	key := cardEffectKey(incidents.TriageCard{Key: c.Key, Epoch: n})
	effs, err := r.store.Effects(ctx, cardLane(c.Key))
	if err != nil {
		return err
	}
	for _, e := range effs {
		if e.Key != key {
			continue
		}
		c.First = e.Data
		if e.State == incidents.EffectDone {
			c.Channel, c.TS = e.Result["channel"], e.Result["ts"]
		}
	}
	return nil
}
