package alerting

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/alerts"
)

// What a notice line says of an alert.
const (
	noticeJoined   = "joined"
	noticeResolved = "resolved"
)

// noticeGroup gathers one batch's alert notices for one incident into one
// message: a storm of alerts joining an incident is one post, not many.
type noticeGroup struct {
	inc    incidents.Incident
	items  []NoticeItem
	fps    []string          // the items' conditions, for the key
	events []incidents.Event // the timeline's lines for them
	// still lists what of the incident still fires, once a line says
	// something recovered (nil: not asked).
	still []string
}

// NoticeItem is one line of a notice.
type NoticeItem struct {
	What        string    `json:"what"` // "joined" or "resolved"
	Title       string    `json:"title"`
	Source      string    `json:"source"`
	At          time.Time `json:"at"`
	Fingerprint string    `json:"fp,omitempty"`
}

// noticeFor is the group of st's incident, made on first use.
func noticeFor(b *batch, st *fpState) *noticeGroup {
	g := b.notices[st.inc.ID]
	if g == nil {
		g = &noticeGroup{inc: st.inc}
		b.notices[st.inc.ID] = g
	}
	return g
}

func (g *noticeGroup) add(what string, al alerts.Alert, event string) {
	g.items = append(g.items, NoticeItem{What: what, Title: al.Title, Source: al.Source, At: al.At, Fingerprint: al.Fingerprint})
	g.fps = append(g.fps, al.Fingerprint)
	ev := Event(al, event)
	ev.At = time.Time{} // when the incident heard it; when it fired is in Data
	g.events = append(g.events, ev)
}

// key names the notice by the changes it tells — each condition, and when
// its sender says it changed: a retried delivery, or the same alerts at
// another replica, owe the same notice, told once.
func (g *noticeGroup) key() string {
	h := sha256.New()
	for i, it := range g.items {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", it.What, g.fps[i], it.At.Format(time.RFC3339Nano))
	}
	return "notice:" + g.inc.ID.String() + ":" + hex.EncodeToString(h.Sum(nil))[:24]
}

// tell records the group's lines in the incident's timeline with its
// notice, in one change.
func (r *Router) tellAll(ctx context.Context, b *batch) error {
	for _, g := range b.notices {
		if err := r.svc.Tell(ctx, g.inc.ID, g.key(), g.events, g.effect(r.opts.MaxLines)); err != nil {
			return fmt.Errorf("tell incident %s: %w", g.inc.Ref(), err)
		}
	}
	r.opts.Metrics.noticesQueued(len(b.notices))
	return nil
}

// stillFiring fills what of g's incident still fires once this batch is
// stored: the store's view, with this batch's alerts applied.
func (r *Router) stillFiring(ctx context.Context, b *batch, g *noticeGroup) error {
	if g.still != nil {
		return nil
	}
	stored, err := r.store.StillFiring(ctx, g.inc.ID)
	if err != nil {
		return err
	}
	firing := map[string]string{}
	for _, a := range stored {
		firing[a.Fingerprint] = a.Title
	}
	for fp, st := range b.states {
		if !st.has || st.inc.ID != g.inc.ID {
			continue
		}
		if st.last.Status == alerts.Resolved {
			delete(firing, fp)
		} else {
			firing[fp] = st.last.Title
		}
	}
	g.still = []string{}
	for _, title := range firing {
		g.still = append(g.still, title)
	}
	sort.Strings(g.still)
	return nil
}

// effect is the group's notice; it keeps at most max items and counts the
// rest (all are in the timeline).
func (g *noticeGroup) effect(max int) incidents.Effect {
	items, more := g.items, 0
	if len(items) > max {
		items, more = items[:max], len(items)-max
	}
	raw, _ := json.Marshal(items) // strings and times only: cannot fail
	data := map[string]string{"items": string(raw), "more": strconv.Itoa(more)}
	if g.still != nil {
		still, _ := json.Marshal(g.still[:min(len(g.still), max)])
		data["still_firing"], data["still_firing_count"] = string(still), strconv.Itoa(len(g.still))
	}
	return incidents.Effect{Key: g.key(), IncidentID: g.inc.ID, Kind: incidents.EffectNotice, Data: data}
}

// Notice is what a notice effect says.
type Notice struct {
	Items []NoticeItem
	More  int // lines left out (all are in the timeline)
	// StillFiring names what of the incident still fires, when a line
	// says something recovered; StillFiringCount counts all of it.
	StillFiring      []string
	StillFiringCount int
	AskedStill       bool // the notice knows what still fires
}

// ReadNotice reads a notice effect's data; bad data reads as nothing.
func ReadNotice(data map[string]string) Notice {
	var n Notice
	_ = json.Unmarshal([]byte(data["items"]), &n.Items)
	n.More, _ = strconv.Atoi(data["more"])
	if s, ok := data["still_firing"]; ok {
		n.AskedStill = true
		_ = json.Unmarshal([]byte(s), &n.StillFiring)
		n.StillFiringCount, _ = strconv.Atoi(data["still_firing_count"])
	}
	return n
}

// FiringNow is what of an incident fires as the store has it now, less
// the conditions a notice says recovered: drawn when the notice is
// posted, it also counts recoveries another replica stored meanwhile.
func (r *Router) FiringNow(ctx context.Context, id uuid.UUID, n Notice) (titles []string, err error) {
	stored, err := r.store.StillFiring(ctx, id)
	if err != nil {
		return nil, err
	}
	recovered := map[string]bool{}
	for _, it := range n.Items {
		if it.What == noticeResolved {
			recovered[it.Fingerprint] = true
		}
	}
	for _, a := range stored {
		if !recovered[a.Fingerprint] {
			titles = append(titles, a.Title)
		}
	}
	sort.Strings(titles)
	return titles, nil
}
