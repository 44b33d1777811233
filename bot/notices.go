package bot

import (
	"fmt"
	"strings"

	"github.com/incident-bot/incident-bot/incidents/alerting"
)

// Notice draws a group of alert notices. A recovery asks to resolve the
// incident only when nothing of it still fires; otherwise it says what
// does.
func (r Renderer) Notice(n alerting.Notice) string {
	lines := make([]string, 0, len(n.Items)+2)
	recovered := false
	for _, it := range n.Items {
		if it.What == "resolved" {
			recovered = true
			lines = append(lines, fmt.Sprintf(":white_check_mark: *%s* is back to OK at %s", Escape(it.Title), it.At.In(r.Location).Format("15:04 MST")))
			continue
		}
		lines = append(lines, fmt.Sprintf(":rotating_light: Alert joined this incident: *%s* (%s)", Escape(it.Title), Escape(it.Source)))
	}
	if n.More > 0 {
		lines = append(lines, fmt.Sprintf("…and %d more alert notices (all in the timeline).", n.More))
	}
	switch {
	case !recovered || !n.AskedStill:
	case n.StillFiringCount == 0:
		lines = append(lines, "No alert of this incident is firing any more — resolve it? `/incident resolve <what fixed it>`")
	default:
		names := make([]string, len(n.StillFiring))
		for i, t := range n.StillFiring {
			names[i] = "*" + Escape(t) + "*"
		}
		more := ""
		if extra := n.StillFiringCount - len(names); extra > 0 {
			more = fmt.Sprintf(" and %d more", extra)
		}
		lines = append(lines, fmt.Sprintf("Still firing: %s%s.", strings.Join(names, ", "), more))
	}
	return strings.Join(lines, "\n")
}
