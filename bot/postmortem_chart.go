package bot

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/graphs"
	"github.com/incident-bot/incident-bot/incidents/postmortem"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// The draft's timeline chart is shared in the same message as the draft,
// both files completed in one files.completeUploadExternal, and the draft
// links it by its file name: a link relative to the draft, which works
// wherever the two go together (saved from that message, committed side
// by side with the postmortem). A permalink would need the chart shared
// first, in a message of its own, and read back (files.info), before the
// draft could be written; for a while the chart would then be the
// channel's latest file, not the draft. The chart costs one
// files.getUploadURLExternal and the upload of its bytes, plus, on a
// re-run, the previous chart's files.delete.

// chartName names the chart's file after the draft's.
func chartName(inc incidents.Incident) string {
	return fmt.Sprintf("postmortem-incident-%d-timeline.png", inc.Number)
}

// chartImage draws the draft's timeline chart, with its alt text (what it
// shows, as text, cut to Slack's 1,000 characters). A chart that cannot
// be drawn is logged and the draft says why it has none: the chart never
// holds the draft up.
func (p *postmortemDesk) chartImage(ctx context.Context, inc incidents.Incident, d *postmortem.Draft) (png []byte, alt string) {
	c := d.Chart()
	png, err := p.drawChart(c)
	if err != nil {
		p.logFor(ctx).Warn("could not draw the postmortem's timeline chart; the draft goes without it", zapIncident(inc), zap.Error(err))
		d.ChartMissing = err.Error()
		return nil, ""
	}
	return png, txt.Clip(postmortem.ChartText(c), 1000)
}

// drawChart renders a chart with p.draw, graphs.Render by default. gonum
// panics on some inputs instead of failing; a panic here is a chart that
// could not be drawn, not a lost draft.
func (p *postmortemDesk) drawChart(c graphs.Chart) (png []byte, err error) {
	draw := p.draw
	if draw == nil {
		draw = graphs.Render
	}
	defer func() {
		if r := recover(); r != nil {
			png, err = nil, fmt.Errorf("drawing it failed: %v", r)
		}
	}()
	return draw(c)
}

// stageChart uploads the chart's bytes, not yet shared (publishDraft
// shares it with the draft), and has the draft link it by its file name.
// It returns the chart's file ID; "" when there is none: no chart, or
// the upload failed, which the draft then says.
func (p *postmortemDesk) stageChart(ctx context.Context, inc incidents.Incident, png []byte, alt string, d *postmortem.Draft) string {
	if png == nil {
		return ""
	}
	up := p.api
	name := chartName(inc)
	u, err := up.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: name, FileSize: len(png), AltTxt: alt})
	if err == nil {
		err = up.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: u.UploadURL, Reader: bytes.NewReader(png), Filename: name})
	}
	if err != nil {
		code := SlackErrorCode(err)
		p.logFor(ctx).Warn("could not upload the postmortem's timeline chart; the draft goes without it", zapIncident(inc), zap.String("slack_error", code))
		d.ChartMissing = "it could not be uploaded: " + ExplainSlackError(code)
		return ""
	}
	d.ChartLink = name
	return u.FileID
}

// uploadDraft shares the draft in the incident's channel, with the
// comment, and the staged chart (chartID, when there is one) in the same
// message: three calls either way, the upload of each file's bytes
// aside.
func (p *postmortemDesk) uploadDraft(ctx context.Context, inc incidents.Incident, md, comment, chartID string) (string, error) {
	name, title := fmt.Sprintf("postmortem-incident-%d.md", inc.Number), "Postmortem draft "+inc.Ref()
	up := p.api
	if chartID == "" {
		f, err := p.api.UploadFileContext(ctx, slack.UploadFileParameters{Channel: inc.ChannelID, Filename: name, Title: title,
			FileSize: len(md), Reader: strings.NewReader(md), InitialComment: comment})
		if err != nil {
			return "", err
		}
		return f.ID, nil
	}
	u, err := up.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: name, FileSize: len(md)})
	if err != nil {
		return "", err
	}
	if err := up.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: u.UploadURL, Reader: strings.NewReader(md), Filename: name}); err != nil {
		return "", err
	}
	_, err = up.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
		Files:   []slack.FileSummary{{ID: u.FileID, Title: title}, {ID: chartID, Title: "Timeline chart of the postmortem draft for " + inc.Ref()}},
		Channel: inc.ChannelID, InitialComment: comment,
	})
	if err != nil {
		return "", err
	}
	return u.FileID, nil
}

// canvasMarkdown is the draft as the channel canvas shows it. The canvas
// is not beside the chart's file, where a link relative to the draft
// would lead nowhere: the chart is named instead.
func canvasMarkdown(d postmortem.Draft, md string) string {
	if d.ChartLink == "" {
		return md
	}
	d.ChartNote = "The timeline chart is " + d.ChartLink + ", shared with the draft's file."
	d.ChartLink = ""
	return d.Markdown()
}

// deleteFile deletes a file the draft no longer uses (old, described by
// what), unless it is the one now in use.
func (p *postmortemDesk) deleteFile(ctx context.Context, what, old, current string) {
	if old == "" || old == current {
		return
	}
	if err := p.api.DeleteFileContext(ctx, old); err != nil {
		p.logFor(ctx).Warn("could not delete the "+what, zap.String("file_id", old), zap.String("slack_error", SlackErrorCode(err)))
	}
}
