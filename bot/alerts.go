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

// AlertRouter turns alerts into incidents (alerts.Sink). Decisions and
// storage happen in Receive, so the sender's 2xx means every alert is
// stored; Slack work happens afterwards in Run, grouped per channel and
// paced, so a storm of thousands of alerts is a bounded number of
// messages.
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
	// declared: incidents declared for a fingerprint whose alerts are
	// not stored yet; settingUp: incidents whose channel is queued.
	declared  map[string]uuid.UUID
	settingUp map[uuid.UUID]bool

	outMu   sync.Mutex
	setups  []func(context.Context)
	notices map[string][]string // channel → lines waiting
	wake    chan struct{}
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
	if opts.Pace <= 0 {
		opts.Pace = time.Second
	}
	if opts.MaxLines <= 0 {
		opts.MaxLines = 10
	}
	return &AlertRouter{app: a, opts: opts, opened: map[string]openedIncident{}, told: map[uuid.UUID]map[string]bool{}, carded: map[string]time.Time{},
		declared: map[string]uuid.UUID{}, settingUp: map[uuid.UUID]bool{},
		notices: map[string][]string{}, wake: make(chan struct{}, 1)}
}

// fpState is what one batch decided for one fingerprint.
type fpState struct {
	inc      incidents.Incident
	has      bool
	isNew    bool
	pb       *playbooks.Playbook
	why      string
	first    alerts.Alert
	last     alerts.Alert
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
		st := states[al.Fingerprint]
		if st == nil {
			st = &fpState{first: al}
			inc, err := store.AlertIncident(ctx, al.Fingerprint)
			switch {
			case err == nil:
				st.inc, st.has = inc, true
			case !errors.Is(err, incidents.ErrNotFound):
				return err
			default:
				// Declared by an earlier call whose alerts could not be
				// stored: the retry joins it instead of opening another.
				if id, ok := r.declared[al.Fingerprint]; ok {
					if inc, err := store.Get(ctx, id); err == nil && inc.Status.Open() {
						st.inc, st.has = inc, true
						st.isNew = inc.ChannelID == "" && !r.settingUp[inc.ID]
					}
				}
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
		recs[i] = incidents.AlertRecord{ID: deliveryID(al), ReceivedAt: now, Source: al.Source, Fingerprint: al.Fingerprint, Status: string(al.Status),
			Severity: string(al.Severity), Title: al.Title, Text: al.Text, Labels: al.Labels, Links: al.Links, At: al.At}
		if st.has {
			recs[i].IncidentID = st.inc.ID
		}
	}
	if err := store.AddAlerts(ctx, recs); err != nil {
		return err
	}
	for _, fp := range order {
		delete(r.declared, fp)
	}
	for _, fp := range order {
		r.follow(ctx, fp, states[fp])
	}
	r.kick()
	return nil
}

// maxMemory bounds each of the router's in-memory maps; past it the
// oldest knowledge is dropped (at worst a notice or card repeats once).
const maxMemory = 5000

// prune keeps the router's memory bounded whatever senders do.
func (r *AlertRouter) prune() {
	if len(r.told) > maxMemory {
		r.told = map[uuid.UUID]map[string]bool{}
	}
	if len(r.settingUp) > maxMemory {
		r.settingUp = map[uuid.UUID]bool{}
	}
	if len(r.declared) > maxMemory {
		r.declared = map[string]uuid.UUID{}
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
// for the same runbook within the window — or declares one.
func (r *AlertRouter) open(ctx context.Context, st *fpState, al alerts.Alert, now time.Time) error {
	a := r.app
	if a.catalog != nil {
		rk := a.catalog.Match(playbooks.Query{Text: al.Title + "\n" + al.Text, Labels: al.Labels}, candidatesShown)
		if best, ok := rk.Best(); ok {
			st.pb, st.why = best.Playbook, whyMatched(best)
		}
	}
	if st.pb != nil {
		if o, ok := r.opened[st.pb.ID]; ok && now.Sub(o.at) < r.opts.Window {
			if inc, err := a.svc.Store().Get(ctx, o.id); err == nil && inc.Status != incidents.StatusResolved {
				st.inc, st.has = inc, true
				return nil
			}
		}
	}
	inc, created, err := a.svc.Declare(ctx, incidents.Declaration{
		Title: clipRunes(al.Title, incidents.MaxTitleLen), Description: alertDescription(al), Severity: r.opts.Severity,
		Reporter: a.botUser, Source: "alert (" + al.Source + ")", Key: "alert:" + al.Fingerprint + ":" + al.At.Format(time.RFC3339Nano),
	})
	if err != nil {
		return fmt.Errorf("open an incident for alert %q: %w", al.Title, err)
	}
	// Not created: the same occurrence was declared before (a retry, or
	// another replica). It still needs its channel if it has none.
	st.inc, st.has, st.isNew = inc, true, created || (inc.ChannelID == "" && !r.settingUp[inc.ID])
	r.declared[al.Fingerprint] = inc.ID
	if st.pb != nil {
		r.opened[st.pb.ID] = openedIncident{inc.ID, now}
	}
	return nil
}

// follow records and queues what the batch means for one fingerprint.
func (r *AlertRouter) follow(ctx context.Context, fp string, st *fpState) {
	a := r.app
	log := a.log.With(zap.String("fingerprint", fp))
	switch {
	case st.isNew:
		inc, pb, why, al := st.inc, st.pb, st.why, st.first
		r.settingUp[inc.ID] = true
		r.prune()
		r.told[inc.ID] = map[string]bool{fp: true}
		r.audit(ctx, inc, fmt.Sprintf("Opened from alert: %s (%s)", al.Title, al.Source), al)
		r.queueSetup(func(ctx context.Context) {
			a.setup(ctx, Origin{}, inc, func(ctx context.Context, inc incidents.Incident, f *failures) {
				r.postAlertIntro(ctx, inc, al, f)
				if pb != nil {
					if err := a.postCard(ctx, inc, incidents.By{User: incidents.ActorBot}, pb, why, nil); err != nil {
						a.stepFailed(ctx, inc, "post the runbook card", err, f)
					}
				}
			})
		})
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
			r.notice(st.inc, fmt.Sprintf(":rotating_light: Alert joined this incident: *%s* (%s)", Escape(st.last.Title), st.last.Source))
		}
		if st.resolved > 0 {
			delete(seen, fp)
			at := st.last.At.In(a.render.Location).Format("15:04")
			r.audit(ctx, st.inc, fmt.Sprintf("Alert resolved at %s: %s", at, st.last.Title), st.last)
			r.notice(st.inc, fmt.Sprintf(":white_check_mark: *%s* is back to OK at %s — resolve the incident? `/incident resolve <what fixed it>`", Escape(st.last.Title), at))
		}
	case st.warning:
		now := a.svc.Now()
		if at, ok := r.carded[fp]; ok && now.Sub(at) < triageWindow {
			return // counted in the store, not reposted
		}
		// A person's recent decision (also from before a restart) stands:
		// a dismissed or monitored warning is counted, not carded again.
		if t, err := a.svc.Store().LastTriage(ctx, fp); err == nil && now.Sub(t.At) < triageWindow {
			log.Info("warning alert counted: triaged recently", zap.String("decision", t.Decision))
			return
		}
		if r.opts.TriageChannel == "" {
			log.Warn("warning alert stored; no ALERT_TRIAGE_CHANNEL or INCIDENTS_CHANNEL to ask about it", zap.String("title", st.last.Title))
			return
		}
		r.prune()
		r.carded[fp] = now
		al := st.first
		r.queueSetup(func(ctx context.Context) {
			text, blocks := a.render.TriageCard(al)
			if _, _, err := a.api.PostMessageContext(ctx, r.opts.TriageChannel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
				a.log.Warn("could not post a triage card", zap.String("slack_error", SlackErrorCode(err)))
			}
		})
	default:
		log.Info("alert stored without an incident", zap.String("status", string(st.last.Status)))
	}
}

func (r *AlertRouter) audit(ctx context.Context, inc incidents.Incident, text string, al alerts.Alert) {
	data := map[string]string{"source": al.Source, "fingerprint": al.Fingerprint, "status": string(al.Status), "at": al.At.Format(time.RFC3339)}
	if err := r.app.svc.Audit(ctx, inc.ID, incidents.ActorBot, incidents.EventAlert, text, data); err != nil {
		r.app.log.Error("could not record an alert in the timeline", zap.String("incident_id", inc.ID.String()), zap.Error(err))
	}
}

// postAlertIntro says, first thing in a channel opened by an alert, what
// fired and that someone must take command.
func (r *AlertRouter) postAlertIntro(ctx context.Context, inc incidents.Incident, al alerts.Alert, f *failures) {
	var b strings.Builder
	fmt.Fprintf(&b, ":rotating_light: Opened automatically from a %s alert at %s.\n*%s*", al.Source,
		al.At.In(r.app.render.Location).Format("15:04 MST"), Escape(al.Title))
	if al.Text != "" {
		fmt.Fprintf(&b, "\n%s", Escape(clipRunes(al.Text, 1500)))
	}
	for _, l := range al.Links {
		fmt.Fprintf(&b, "\n<%s>", l)
	}
	b.WriteString("\nWho is taking command? `/incident commander @you`")
	if _, _, err := r.app.api.PostMessageContext(ctx, inc.ChannelID, slack.MsgOptionText(b.String(), false)); err != nil {
		r.app.stepFailed(ctx, inc, "post the alert", err, f)
	}
}

func (r *AlertRouter) queueSetup(fn func(context.Context)) {
	r.outMu.Lock()
	r.setups = append(r.setups, fn)
	r.outMu.Unlock()
}

// notice queues a line for the incident's channel; lines are grouped.
func (r *AlertRouter) notice(inc incidents.Incident, line string) {
	ch := inc.ChannelID
	if ch == "" {
		// Not set up yet: its setup posts the alert; later lines wait for
		// the channel under the incident's ID and are re-read on send.
		ch = "incident:" + inc.ID.String()
	}
	r.outMu.Lock()
	r.notices[ch] = append(r.notices[ch], line)
	r.outMu.Unlock()
}

func (r *AlertRouter) kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run does the Slack work until ctx ends: new incidents' setup first,
// then at most one grouped message per channel per Pace.
func (r *AlertRouter) Run(ctx context.Context) {
	r.recover(ctx)
	last := map[string]time.Time{}
	timer := time.NewTimer(r.opts.Pace)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			r.finish()
			return
		case <-r.wake:
		case <-timer.C:
		}
		r.outMu.Lock()
		setups := r.setups
		r.setups = nil
		r.outMu.Unlock()
		for _, fn := range setups {
			// Started, a setup finishes even if shutdown begins.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			fn(sctx)
			cancel()
		}
		r.outMu.Lock()
		due := map[string][]string{}
		now := time.Now()
		if len(last) > maxMemory {
			last = map[string]time.Time{}
		}
		for ch, lines := range r.notices {
			if now.Sub(last[ch]) >= r.opts.Pace {
				due[ch] = lines
				delete(r.notices, ch)
			}
		}
		pending := len(r.notices) > 0
		r.outMu.Unlock()
		chans := make([]string, 0, len(due))
		for ch := range due {
			chans = append(chans, ch)
		}
		sort.Strings(chans)
		for _, ch := range chans {
			target := ch
			if id, ok := strings.CutPrefix(ch, "incident:"); ok {
				inc, err := r.app.svc.Store().Get(ctx, uuid.MustParse(id))
				if err != nil || inc.ChannelID == "" {
					continue // no channel: the lines are in the timeline
				}
				target = inc.ChannelID
			}
			last[ch] = time.Now()
			if _, _, err := r.app.api.PostMessageContext(ctx, target, slack.MsgOptionText(groupLines(due[ch], r.opts.MaxLines), false)); err != nil {
				r.app.log.Warn("could not post alert notices", zap.String("channel", target), zap.String("slack_error", SlackErrorCode(err)))
			}
		}
		if pending {
			timer.Reset(r.opts.Pace)
		} else {
			timer.Reset(time.Minute)
		}
	}
}

// recover sets up the incidents alerts opened whose setup a crash
// interrupted: open, reported by the bot, and without a channel.
func (r *AlertRouter) recover(ctx context.Context) {
	a := r.app
	list, err := a.svc.Store().List(ctx, incidents.ListFilter{OpenOnly: true})
	if err != nil {
		a.log.Warn("could not look for alert incidents left without a channel", zap.Error(err))
		return
	}
	for _, inc := range list {
		if inc.ChannelID != "" || inc.Reporter != a.botUser {
			continue
		}
		a.log.Info("setting up an incident an alert opened before a restart", zap.Int64("incident", inc.Number))
		r.mu.Lock()
		r.settingUp[inc.ID] = true
		r.mu.Unlock()
		inc := inc
		r.queueSetup(func(ctx context.Context) { a.setup(ctx, Origin{}, inc, a.suggestRunbook) })
	}
}

// finish runs the setups still queued at shutdown: an incident an alert
// opened must not be left without its channel. Notices are dropped; they
// are in the timeline.
func (r *AlertRouter) finish() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r.outMu.Lock()
	setups := r.setups
	r.setups = nil
	r.outMu.Unlock()
	for _, fn := range setups {
		fn(ctx)
	}
}

// groupLines joins lines, at most max, counting the rest.
func groupLines(lines []string, max int) string {
	if len(lines) <= max {
		return strings.Join(lines, "\n")
	}
	return strings.Join(lines[:max], "\n") + fmt.Sprintf("\n…and %d more alert notices (all in the timeline).", len(lines)-max)
}

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
func (a *App) alertMessage(ctx context.Context, m *slackevents.MessageEvent) {
	if m.BotID == "" && m.SubType != "bot_message" {
		return
	}
	if m.User == a.botUser || (m.ThreadTimeStamp != "" && m.ThreadTimeStamp != m.TimeStamp) || (m.SubType != "" && m.SubType != "bot_message") {
		return
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
		return
	}
	al.DeliveryID = "slack:" + m.Channel + ":" + m.TimeStamp
	// The event is acknowledged already and Slack will not resend it:
	// retry a store that is briefly away rather than lose the alert.
	for attempt := 1; ; attempt++ {
		err := a.alertRouter.Receive(ctx, []alerts.Alert{al})
		if err == nil {
			return
		}
		if attempt == 4 || ctx.Err() != nil {
			a.log.Error("could not store an alert from an alert channel", zap.String("channel", m.Channel), zap.String("ts", m.TimeStamp), zap.Error(err))
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt) * time.Second):
		}
	}
}
