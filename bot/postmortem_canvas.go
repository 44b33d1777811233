package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
)

// canvas offers the draft as the incident channel's canvas besides the
// file: the first run creates it (conversations.canvases.create), a re-run
// replaces the content of the same canvas (canvases.edit), and one that
// was deleted is created again. A workspace that refuses canvases (its
// plan or settings, a missing scope, any error) leaves the file alone:
// the canvas ID to keep (the previous one on a failed edit, so the next
// run edits it again) and where the draft is, for the reply.
func (p *postmortemDesk) canvas(ctx context.Context, inc incidents.Incident, md, prevID string) (id, where string) {
	content := slack.DocumentContent{Type: "markdown", Markdown: md}
	var err error
	if prevID != "" {
		err = p.api.EditCanvasContext(ctx, slack.EditCanvasParams{
			CanvasID: prevID, Changes: []slack.CanvasChange{{Operation: "replace", DocumentContent: content}},
		})
		if err == nil {
			return prevID, "It is in the channel canvas too"
		}
		if SlackErrorCode(err) != "canvas_not_found" {
			return prevID, p.canvasRefusal(ctx, inc, err)
		}
	}
	id, err = p.api.CreateChannelCanvasContext(ctx, inc.ChannelID, content)
	if err != nil {
		return "", p.canvasRefusal(ctx, inc, err)
	}
	return id, "It is in the channel canvas too"
}

// canvasRefusal logs why there is no canvas, at warn level the first
// time only (a workspace without canvases refuses every run), and says it
// for the reply.
func (p *postmortemDesk) canvasRefusal(ctx context.Context, inc incidents.Incident, err error) string {
	code := SlackErrorCode(err)
	log := p.logFor(ctx).Debug
	if p.canvasRefused.CompareAndSwap(false, true) {
		log = p.logFor(ctx).Warn
	}
	log("the postmortem draft is posted as a file only: no canvas", zapIncident(inc), zap.String("slack_error", code))
	return fmt.Sprintf("Shared as a file (canvases are not available: %s)", DescribeSlackError(code))
}
