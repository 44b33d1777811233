package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/alerts"
	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/playbooks"
)

// AlertOptions configure how alerts become incidents.
type AlertOptions struct {
	// Window: a critical alert whose runbook matches an incident this
	// router opened less than Window ago joins it instead of opening
	// another (default 30m).
	Window time.Duration
	// Severity of incidents opened from alerts (default sev2).
	Severity incidents.Severity
	// Pace is the least time between two messages in one channel
	// (default 1s, Slack's per-channel rate).
	Pace time.Duration
	// MaxLines bounds one grouped notice; the rest are counted.
	MaxLines int
	// TriageChannel receives the triage cards of warning alerts.
	TriageChannel string
}

// AlertRouter turns alerts into incidents (alerts.Sink). Decisions,
// storage and the Slack effects they imply all happen in Receive, so the
// sender's 2xx means every alert is stored and every notice, card and
// incident set-up it implies is owed in the outbox; the dispatcher then
// posts them, grouped and paced, so a storm of thousands of alerts is a
// bounded number of messages.
type AlertRouter struct {
	app  *App
	opts AlertOptions

	mu sync.Mutex // serialises decisions: two alerts of one condition open one incident
	// opened remembers, per playbook, the incident this router last
	// opened, for the same-playbook window.
	opened map[string]openedIncident
	// told remembers which fingerprints each incident has been told
	// about, so repeats are counted, not reposted.
	told map[uuid.UUID]map[string]bool
	// carded remembers when each warning fingerprint got a triage card.
	carded map[string]time.Time
}

type openedIncident struct {
	id uuid.UUID
	at time.Time
}

// NewAlertRouter returns a router posting through a.
func (a *App) NewAlertRouter(opts AlertOptions) *AlertRouter {
	if opts.Window <= 0 {
		opts.Window = 30 * time.Minute
	}
	if opts.Severity == 0 {
		opts.Severity = incidents.Sev2
	}
	if opts.MaxLines <= 0 {
		opts.MaxLines = 10
	}
	a.triageChannel = opts.TriageChannel
	a.maxNoticeLines = opts.MaxLines
	return &AlertRouter{app: a, opts: opts, opened: map[string]openedIncident{}, told: map[uuid.UUID]map[string]bool{}, carded: map[string]time.Time{}}
}

// fpState is what one batch decided for one fingerprint.
type fpState struct {
	inc      incidents.Incident
	has      bool
	isNew    bool
	first    alerts.Alert
	last     alerts.Alert
	firstID  uuid.UUID
	firing   int
	resolved int
	warning  bool
}

// Receive decides and stores; see AlertRouter.
func (r *AlertRouter) Receive(ctx context.Context, as []alerts.Alert) error {
	// A sender hanging up must not cut a decision in half (an incident
	// declared, its alerts not stored).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	store := r.app.svc.Store()
	now := r.app.svc.Now()
	states := map[string]*fpState{}
	var order []string
	recs := make([]incidents.AlertRecord, len(as))
	for i, al := range as {
		rec := incidents.AlertRecord{ID: deliveryID(al), ReceivedAt: now, Source: al.Source, Fingerprint: al.Fingerprint, Status: string(al.Status),
			Severity: string(al.Severity), Title: al.Title, Text: al.Text, Labels: al.Labels, Links: al.Links, At: al.At}
		st := states[al.Fingerprint]
		if st == nil {
			st = &fpState{first: al, firstID: rec.ID}
			inc, err := store.AlertIncident(ctx, al.Fingerprint)
			switch {
			case err == nil:
				st.inc, st.has = inc, true
			case !errors.Is(err, incidents.ErrNotFound):
				return err
			}
			states[al.Fingerprint] = st
			order = append(order, al.Fingerprint)
		}
		st.last = al
		if al.Status == alerts.Firing && al.Severity == alerts.Critical && !st.has {
			if err := r.open(ctx, st, al, now); err != nil {
				return err
			}
		}
		switch {
		case al.Status == alerts.Resolved:
			st.resolved++
		case al.Severity == alerts.Warning && !st.has:
			st.warning = true
		default:
			st.firing++
		}
		if st.has {
			rec.IncidentID = st.inc.ID
		}
		recs[i] = rec
	}
	var effs []incidents.Effect
	notices := map[uuid.UUID]*noticeGroup{}
	for _, fp := range order {
		effs = append(effs, r.follow(ctx, fp, states[fp], notices)...)
	}
	for _, g := range notices {
		effs = append(effs, g.effect(r.opts.MaxLines))
	}
	return r.app.svc.RecordAlerts(ctx, recs, effs)
}

// maxMemory bounds each of the router's in-memory maps; past it the
// oldest knowledge is dropped (at worst a notice or card repeats once).
const maxMemory = 5000

// prune keeps the router's memory bounded whatever senders do.
func (r *AlertRouter) prune() {
	if len(r.told) > maxMemory {
		r.told = map[uuid.UUID]map[string]bool{}
	}
	if len(r.carded) > maxMemory {
		cut := r.app.svc.Now().Add(-triageWindow)
		for fp, at := range r.carded {
			if at.Before(cut) {
				delete(r.carded, fp)
			}
		}
		if len(r.carded) > maxMemory {
			r.carded = map[string]time.Time{}
		}
	}
}

// deliveryNS namespaces record IDs derived from senders' delivery IDs.
var deliveryNS = uuid.MustParse("6f1c3f0e-2b0a-4d8e-9a51-5b7f0c2d9e41")

// deliveryID makes a redelivered alert (same sender delivery ID) the same
// record, which the store then keeps once.
func deliveryID(al alerts.Alert) uuid.UUID {
	if al.DeliveryID == "" {
		return uuid.New()
	}
	return uuid.NewSHA1(deliveryNS, []byte(al.DeliveryID))
}

// open finds the incident a new critical alert belongs to — one opened
// for the same runbook within the window — or declares one, its set-up
// owed in the same transaction.
func (r *AlertRouter) open(ctx context.Context, st *fpState, al alerts.Alert, now time.Time) error {
	a := r.app
	var pb *playbooks.Playbook
	if a.catalog != nil {
		rk := a.catalog.Match(playbooks.Query{Text: al.Title + "\n" + al.Text, Labels: al.Labels}, candidatesShown)
		if best, ok := rk.Best(); ok {
			pb = best.Playbook
		}
	}
	if pb != nil {
		if o, ok := r.opened[pb.ID]; ok && now.Sub(o.at) < r.opts.Window {
			if inc, err := a.svc.Store().Get(ctx, o.id); err == nil && inc.Status != incidents.StatusResolved {
				st.inc, st.has = inc, true
				return nil
			}
		}
	}
	opening := alertEvent(al, fmt.Sprintf("Opened from alert: %s (%s)", al.Title, al.Source))
	inc, created, err := a.svc.Declare(ctx, incidents.Declaration{
		Title: clipRunes(al.Title, incidents.MaxTitleLen), Description: alertDescription(al), Severity: r.opts.Severity,
		Reporter: a.botUser, Source: "alert (" + al.Source + ")", Key: "alert:" + al.Fingerprint + ":" + al.At.Format(time.RFC3339Nano),
		Opening: &opening, Runbook: incidents.RunbookQuery{Text: al.Title + "\n" + al.Text, Labels: al.Labels},
	})
	if err != nil {
		return fmt.Errorf("open an incident for alert %q: %w", al.Title, err)
	}
	// Not created: the same occurrence was declared before (a retried
	// delivery, another replica); its set-up is owed already.
	st.inc, st.has, st.isNew = inc, true, true
	if created {
		a.m.Declared.WithLabelValues(inc.Severity.String()).Inc()
	}
	if pb != nil {
		r.opened[pb.ID] = openedIncident{inc.ID, now}
	}
	return nil
}

// alertEvent is the timeline event of an alert, with what the channel
// shows of it.
func alertEvent(al alerts.Alert, text string) incidents.Event {
	data := alertData(al)
	data["status"] = string(al.Status)
	return incidents.Event{At: al.At, Actor: incidents.ActorBot, Kind: incidents.EventAlert, Text: text, Data: data}
}

// alertData keeps an alert's fields in an effect's or event's data.
func alertData(al alerts.Alert) map[string]string {
	return map[string]string{"source": al.Source, "fingerprint": al.Fingerprint, "at": al.At.Format(time.RFC3339),
		"title": al.Title, "text": clipRunes(al.Text, 1500), "links": strings.Join(al.Links, "\n")}
}

// follow records what the batch means for one fingerprint and returns
// the effects it owes.
func (r *AlertRouter) follow(ctx context.Context, fp string, st *fpState, notices map[uuid.UUID]*noticeGroup) []incidents.Effect {
	a := r.app
	log := a.log.With(zap.String("fingerprint", fp))
	switch {
	case st.isNew:
		r.prune()
		r.told[st.inc.ID] = map[string]bool{fp: true}
		log.Info("alert opened an incident", zap.Int64("incident", st.inc.Number))
	case st.has:
		seen := r.told[st.inc.ID]
		if seen == nil {
			seen = map[string]bool{}
			r.told[st.inc.ID] = seen
		}
		if st.firing > 0 && !seen[fp] {
			seen[fp] = true
			r.audit(ctx, st.inc, fmt.Sprintf("Alert firing: %s (%s)", st.last.Title, st.last.Source), st.last)
			noticeFor(notices, st).add("joined", st.last)
		}
		if st.resolved > 0 {
			delete(seen, fp)
			at := st.last.At.In(a.render.Location).Format("15:04")
			r.audit(ctx, st.inc, fmt.Sprintf("Alert resolved at %s: %s", at, st.last.Title), st.last)
			noticeFor(notices, st).add("resolved", st.last)
		}
	case st.warning:
		return r.card(ctx, fp, st, log)
	default:
		log.Info("alert stored without an incident", zap.String("status", string(st.last.Status)))
	}
	return nil
}

// card owes a warning's triage card, unless it had one, or a person's
// decision, in the last day.
func (r *AlertRouter) card(ctx context.Context, fp string, st *fpState, log *zap.Logger) []incidents.Effect {
	a := r.app
	now := a.svc.Now()
	if at, ok := r.carded[fp]; ok && now.Sub(at) < triageWindow {
		return nil // counted in the store, not reposted
	}
	// A person's recent decision (also from before a restart) stands:
	// a dismissed or monitored warning is counted, not carded again.
	if t, err := a.svc.Store().LastTriage(ctx, fp); err == nil && now.Sub(t.At) < triageWindow {
		log.Info("warning alert counted: triaged recently", zap.String("decision", t.Decision))
		return nil
	}
	if r.opts.TriageChannel == "" {
		log.Warn("warning alert stored; no ALERT_TRIAGE_CHANNEL or INCIDENTS_CHANNEL to ask about it", zap.String("title", st.last.Title))
		return nil
	}
	r.prune()
	r.carded[fp] = now
	return []incidents.Effect{{Key: "triage:" + st.firstID.String(), Lane: "triage:" + fp, Kind: incidents.EffectTriage, Data: alertData(st.first)}}
}

func (r *AlertRouter) audit(ctx context.Context, inc incidents.Incident, text string, al alerts.Alert) {
	ev := alertEvent(al, text)
	if _, err := r.app.svc.Audit(ctx, inc.ID, incidents.ActorBot, incidents.EventAlert, text, ev.Data); err != nil {
		r.app.log.Error("could not record an alert in the timeline", zap.String("incident_id", inc.ID.String()), zap.Error(err))
	}
}

// alertDescription is the description of an incident an alert opened:
// its text and labels.
func alertDescription(al alerts.Alert) string {
	var b strings.Builder
	b.WriteString(clipRunes(al.Text, 1500))
	keys := make([]string, 0, len(al.Labels))
	for k := range al.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if b.Len() > 2500 {
			break
		}
		fmt.Fprintf(&b, "\n%s=%s", k, al.Labels[k])
	}
	return clipRunes(strings.TrimSpace(b.String()), incidents.MaxDescriptionLen)
}

// ReadAlertChannels makes r read the messages integrations post in
// channels (Slack channel IDs) as alerts.
func (a *App) ReadAlertChannels(r *AlertRouter, channels []string) {
	a.alertRouter = r
	a.alertChannels = map[string]bool{}
	for _, c := range channels {
		a.alertChannels[c] = true
	}
}

func (a *App) isAlertChannel(ch string) bool { return a.alertRouter != nil && a.alertChannels[ch] }

// alertMessage reads an integration's message in an alert channel. People
// talking in the channel, the bot itself, edits, deletions and thread
// replies are not alerts.
func (a *App) alertMessage(ctx context.Context, m *slackevents.MessageEvent) error {
	if m.BotID == "" && m.SubType != "bot_message" {
		return nil
	}
	if m.User == a.botUser || (m.ThreadTimeStamp != "" && m.ThreadTimeStamp != m.TimeStamp) || (m.SubType != "" && m.SubType != "bot_message") {
		return nil
	}
	cm := alerts.ChatMessage{Channel: m.Channel, Sender: m.Username, Text: m.Text, At: tsTime(m.TimeStamp)}
	if cm.Sender == "" {
		cm.Sender = m.BotID
	}
	var attachments []slack.Attachment
	if m.Message != nil {
		attachments = m.Message.Attachments
	}
	for _, at := range attachments {
		if cm.Title == "" {
			cm.Title = at.Title
		}
		if cm.Color == "" {
			cm.Color = at.Color
		}
		text := at.Text
		if strings.TrimSpace(text) == "" {
			text = at.Fallback
		}
		cm.Text = strings.TrimSpace(cm.Text + "\n" + text)
	}
	al, err := alerts.FromChat(cm, a.svc.Now())
	if err != nil {
		a.log.Debug("alert channel message is not an alert", zap.String("channel", m.Channel), zap.String("reason", err.Error()))
		return nil
	}
	al.DeliveryID = "slack:" + m.Channel + ":" + m.TimeStamp
	// The message's job is retried (durably) until the store takes it.
	return a.alertRouter.Receive(ctx, []alerts.Alert{al})
}
