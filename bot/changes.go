package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/postmortem"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// changesDesk answers /incident changes: who changed what in AWS lately,
// as CloudTrail recorded it — the "??:?? manual changes?" a responder
// otherwise asks around for. It reads through the same port as the
// postmortem draft and posts the list in the incident channel (only to
// the asker elsewhere). Its Slack call: chat.postMessage (MessagesAPI),
// besides the shared private replies.
type changesDesk struct {
	*core
	api     MessagesAPI
	changes postmortem.Changes // nil without a targets file
}

// Rows in one message: the rest are counted, and the draft has them all.
const (
	maxChangeRows  = 40
	maxChangesText = 12000
)

// list reads the changes of the last window and shows them.
func (d *changesDesk) list(ctx context.Context, o Origin, window time.Duration) error {
	if d.changes == nil {
		return incidents.Errorf(incidents.EINVALID, "Changes are read from CloudTrail in the accounts and regions a targets file names, and no targets file is configured (`TARGETS_FILE`, see deploy/targets.example.yaml).")
	}
	inc, err := d.incidentHere(ctx, o.Channel)
	inChannel := err == nil
	if err != nil && incidents.ErrorCode(err) != incidents.ENOTFOUND {
		return err
	}
	to := d.svc.Now()
	from := to.Add(-window)
	cs, err := d.changes.Changes(ctx, from, to)
	if err != nil && len(cs) == 0 {
		return incidents.Errorf(incidents.EINVALID, "I could not read CloudTrail: %s", txt.Clip(err.Error(), 1500))
	}
	missing := ""
	if err != nil {
		missing = err.Error()
	}
	text := d.render.Changes(cs, from, to, o.User, missing)
	if !inChannel {
		d.reply.ephemeral(ctx, o, text)
		return nil
	}
	if _, _, err := d.api.PostMessageContext(ctx, inc.ChannelID, slack.MsgOptionText(text, false), slack.MsgOptionDisableLinkUnfurl()); err != nil {
		d.logFor(ctx).Warn("could not post the changes; telling the asker instead", zapIncident(inc), zap.String("slack_error", SlackErrorCode(err)))
		d.reply.ephemeral(ctx, o, text)
	}
	return nil
}

// Changes draws the changes between from and to, newest first, each row
// escaped: "• 14:05 PutBucketPolicy on site-bucket — rita (role OpsAdmin),
// in the console — event". missing says what could not be read.
func (r Renderer) Changes(cs []postmortem.Change, from, to time.Time, asker, missing string) string {
	span := r.changesClock(from, from, to) + "–" + r.changesClock(to, from, to)
	var b strings.Builder
	switch console := countConsole(cs); {
	case len(cs) == 0:
		fmt.Fprintf(&b, ":mag: No AWS changes in the last %s (%s), asked by %s.", windowText(to.Sub(from)), span, mention(asker))
	default:
		fmt.Fprintf(&b, ":mag: *AWS changes in the last %s* (%s, newest first), asked by %s: %d, %d in the console.",
			windowText(to.Sub(from)), span, mention(asker), len(cs), console)
	}
	shown := 0
	for i := len(cs) - 1; i >= 0 && shown < maxChangeRows; i-- {
		row := "\n• " + r.changeRow(cs[i], from, to)
		if b.Len()+len(row) > maxChangesText {
			break
		}
		b.WriteString(row)
		shown++
	}
	if left := len(cs) - shown; left > 0 {
		fmt.Fprintf(&b, "\n…and %d older ones not shown (CloudTrail's event history has them all).", left)
	}
	if missing != "" {
		b.WriteString("\n:warning: Not everything could be read: " + Escape(txt.Clip(missing, 600)))
	}
	return b.String()
}

// changeRow is one change: when, what, who and how, and its event.
func (r Renderer) changeRow(c postmortem.Change, from, to time.Time) string {
	how := "by an API call"
	switch {
	case c.Console:
		how = "*in the console*"
	case c.Agent != "":
		how = "from " + Escape(c.Agent)
	}
	row := fmt.Sprintf("`%s` %s — %s, %s", r.changesClock(c.At, from, to), Escape(c.What), Escape(c.Who), how)
	if c.Failed != "" {
		row += " — _failed: " + Escape(c.Failed) + "_"
	}
	if l := link(c.Link); strings.HasPrefix(l, "<") {
		row += " — " + strings.TrimSuffix(l, ">") + "|event>"
	}
	return row
}

// changesClock is a time in the display zone, with the day when the
// window spans more than one.
func (r Renderer) changesClock(t, from, to time.Time) string {
	if from.In(r.Location).YearDay() != to.In(r.Location).YearDay() {
		return t.In(r.Location).Format("Mon 15:04")
	}
	return t.In(r.Location).Format("15:04")
}

func countConsole(cs []postmortem.Change) int {
	n := 0
	for _, c := range cs {
		if c.Console {
			n++
		}
	}
	return n
}
