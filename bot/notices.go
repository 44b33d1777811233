package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/alerts"
	"github.com/incident-bot/incident-bot/incidents"
)

// noticeGroup gathers one batch's alert notices for one incident into one
// message: a storm of alerts joining an incident is one post, not many.
type noticeGroup struct {
	inc   incidents.Incident
	key   string
	items []noticeItem
}

type noticeItem struct {
	What   string    `json:"what"` // "joined" or "resolved"
	Title  string    `json:"title"`
	Source string    `json:"source"`
	At     time.Time `json:"at"`
}

// noticeFor is the group of st's incident, made on first use; its key
// comes from the first alert's record, so a retried delivery owes the
// same notice, not a second one.
func noticeFor(groups map[uuid.UUID]*noticeGroup, st *fpState) *noticeGroup {
	g := groups[st.inc.ID]
	if g == nil {
		g = &noticeGroup{inc: st.inc, key: "notice:" + st.firstID.String()}
		groups[st.inc.ID] = g
	}
	return g
}

func (g *noticeGroup) add(what string, al alerts.Alert) {
	g.items = append(g.items, noticeItem{What: what, Title: al.Title, Source: al.Source, At: al.At})
}

// effect is the group's notice; it keeps at most max items and counts the
// rest (all are in the timeline).
func (g *noticeGroup) effect(max int) incidents.Effect {
	items, more := g.items, 0
	if len(items) > max {
		items, more = items[:max], len(items)-max
	}
	raw, _ := json.Marshal(items) // strings and times only: cannot fail
	return incidents.Effect{Key: g.key, IncidentID: g.inc.ID, Kind: incidents.EffectNotice,
		Data: map[string]string{"items": string(raw), "more": fmt.Sprint(more)}}
}

// Notice draws a group of alert notices.
func (r Renderer) Notice(data map[string]string) string {
	var items []noticeItem
	_ = json.Unmarshal([]byte(data["items"]), &items) // written by effect; a bad one shows nothing
	lines := make([]string, 0, len(items)+1)
	for _, it := range items {
		if it.What == "resolved" {
			lines = append(lines, fmt.Sprintf(":white_check_mark: *%s* is back to OK at %s — resolve the incident? `/incident resolve <what fixed it>`",
				Escape(it.Title), it.At.In(r.Location).Format("15:04")))
			continue
		}
		lines = append(lines, fmt.Sprintf(":rotating_light: Alert joined this incident: *%s* (%s)", Escape(it.Title), Escape(it.Source)))
	}
	if more := data["more"]; more != "" && more != "0" {
		lines = append(lines, fmt.Sprintf("…and %s more alert notices (all in the timeline).", Escape(more)))
	}
	return strings.Join(lines, "\n")
}
