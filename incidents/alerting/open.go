package alerting

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/google/uuid"
	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/alerts"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// open finds the incident a critical alert's problem already has — its
// group's while open, its service and runbook's within the window — or
// declares one, its set-up owed in the same transaction. The declaration
// key is the problem's first key and the number of incidents it had, so
// replicas that receive the same alert, or alerts of one problem at
// once, declare one incident.
func (r *Router) open(ctx context.Context, b *batch, st *fpState, al alerts.Alert) error {
	group, service, fp := st.prob.keys()
	// An open incident this very condition opened (a retried delivery, or
	// another replica that stored it first) is its own: quiet, no notice.
	inc, fpCount, err := r.keyed(ctx, b, fp, time.Time{})
	if err == nil {
		st.inc, st.has, st.isNew = inc, true, true
		return nil
	} else if !errors.Is(err, incidents.ErrNotFound) {
		return err
	}
	joined, primary, count, err := r.joinRelated(ctx, b, st, al, group, service)
	if err != nil || joined {
		return err
	}
	if primary == "" {
		primary, count = fp, fpCount
	}
	return r.declare(ctx, b, st, al, []string{group, service, fp}, primary, count)
}

// joinRelated joins the open incident of the alert's group, else of its
// service within the merge window. Otherwise it names the key the new
// incident is declared under (the first of them that is set; "" for the
// condition alone) and how many incidents that key ever had.
func (r *Router) joinRelated(ctx context.Context, b *batch, st *fpState, al alerts.Alert, group, service string) (bool, string, int, error) {
	primary, count := "", 0
	for _, k := range []struct {
		key   string
		since time.Time
	}{{group, time.Time{}}, {service, b.now.Add(-r.opts.Window)}} {
		if k.key == "" {
			continue
		}
		inc, n, err := r.keyed(ctx, b, k.key, k.since)
		if err == nil {
			// Alerts of the notification that opened the incident are
			// part of its opening, not news to it.
			st.inc, st.has, st.isNew = inc, true, b.fresh[inc.ID]
			r.opts.Metrics.joined(al.Source)
			if k.key == service && group != "" {
				// The group joined by its service: its later alerts
				// join here too, past the merge window.
				b.joined[inc.ID] = append(b.joined[inc.ID], group)
				b.opened[group] = inc
			}
			return true, "", 0, nil
		}
		if !errors.Is(err, incidents.ErrNotFound) {
			return false, "", 0, err
		}
		if primary == "" {
			primary, count = k.key, n
		}
	}
	return false, primary, count, nil
}

// declare opens the incident for the alert under every problem key it
// stands for, the primary one deciding its declaration key.
func (r *Router) declare(ctx context.Context, b *batch, st *fpState, al alerts.Alert, candidates []string, primary string, count int) error {
	var keys []string
	for _, k := range candidates {
		if k != "" {
			keys = append(keys, k)
		}
	}
	opening := Event(al, fmt.Sprintf("Opened from alert: %s (%s)", al.Title, al.Source))
	inc, created, err := r.svc.Declare(ctx, incidents.Declaration{
		Title: txt.Clip(al.Title, incidents.MaxTitleLen), Description: Description(al), Severity: r.opts.Severity,
		Reporter: r.opts.BotUser, Source: "alert (" + al.Source + ")", Key: "alert:" + primary + ":" + strconv.Itoa(count+1),
		Opening: &opening, Runbook: incidents.RunbookQuery{Text: al.MatchText(), Labels: al.Labels, Critical: al.Severity == alerts.Critical}, AlertKeys: keys,
	})
	if err != nil {
		return fmt.Errorf("open an incident for alert %q: %w", al.Title, err)
	}
	// Not created: the same problem was declared a moment ago (a retried
	// delivery, another replica); its set-up, and its opening message,
	// are owed already: quiet either way.
	st.inc, st.has, st.isNew = inc, true, true
	for _, k := range keys {
		b.opened[k] = inc
	}
	if created {
		b.fresh[inc.ID] = true
		r.opts.Metrics.opened(al.Source)
		r.opts.Logger.Info("alert opened an incident", zap.Int64("incident", inc.Number), zap.String("problem", primary))
	} else {
		r.opts.Metrics.joined(al.Source)
	}
	return nil
}

// keyed is the open incident of a problem key, from this batch or the
// store, and how many incidents the key ever had.
func (r *Router) keyed(ctx context.Context, b *batch, key string, since time.Time) (incidents.Incident, int, error) {
	if inc, ok := b.opened[key]; ok {
		return inc, 0, nil
	}
	inc, n, err := r.store.KeyedIncident(ctx, key, since)
	if err == nil {
		b.opened[key] = inc
	}
	return inc, n, err
}

// follow records what the batch means for one fingerprint: the incident
// told it joined or recovered, or the problem's triage card.
func (r *Router) follow(ctx context.Context, b *batch, st *fpState) error {
	switch {
	case st.isNew:
		// The opening message says it all.
	case st.has:
		return r.tell(ctx, b, st)
	case st.warning:
		return r.card(ctx, b, st, true)
	case st.resolved > 0:
		return r.card(ctx, b, st, false)
	}
	return nil
}

// tell notes in the incident's timeline that a condition joined it or
// recovered, and owes the channel a notice, once per change: a repeat of
// a condition the incident was told about is only counted.
func (r *Router) tell(ctx context.Context, b *batch, st *fpState) error {
	if !st.lastRead {
		// It joined during this delivery: what is stored of it now
		// (another replica may have stored this very delivery a moment
		// ago) says whether the incident heard of it.
		stored, err := r.latest(ctx, st)
		if err != nil {
			return err
		}
		st.told = st.lastID != uuid.Nil && stored.IncidentID == st.inc.ID && stored.Status == string(alerts.Firing)
	}
	last := st.last
	if st.firing > 0 && !st.told && last.Status == alerts.Firing {
		noticeFor(b, st).add(noticeJoined, last, fmt.Sprintf("Alert firing: %s (%s)", last.Title, last.Source))
		return nil
	}
	if last.Status == alerts.Resolved && (st.told || st.firing > 0) {
		at := last.At.In(r.opts.Location).Format("15:04 MST")
		g := noticeFor(b, st)
		g.add(noticeResolved, last, fmt.Sprintf("Alert resolved at %s: %s", at, last.Title))
		return r.stillFiring(ctx, b, g)
	}
	return nil
}
