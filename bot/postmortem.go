package bot

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/graphs"
	"github.com/incident-bot/incident-bot/incidents/postmortem"
	"github.com/incident-bot/incident-bot/playbooks"
)

// Buttons on the resolution message; the value is the incident ID.
const (
	ActionPostmortem = "incident_postmortem"
	ActionAddItem    = "incident_action_item"
)

// postmortemDesk owns the postmortem draft: it reads the incident's whole
// channel (threads included) as recorded while it happened, what the bot
// did not hear from Slack's history, and who wrote in it; assembles the draft
// with incidents/postmortem, uploads it and keeps the channel's bookmark
// pointing at the latest one; it also takes the action items meant for
// the draft. Its Slack calls: HistoryAPI (conversations.history and
// .replies, users.info), FilesAPI (files upload, info and delete,
// bookmarks.add and .edit), CanvasesAPI (the channel canvas) and ViewsAPI
// (the action item form). The draft comes with its timeline chart
// (postmortem_chart.go).
type postmortemDesk struct {
	*core
	api      postmortemAPI
	botUser  string // its own messages are not the team's words
	catalog  *playbooks.Catalog
	changes  postmortem.Changes // CloudTrail; nil without a targets file
	keyEmoji string             // marks a key event (KEY_EMOJI)
	gap      time.Duration      // silences longer than this are marked
	auto     bool               // a resolution assembles the draft at once

	namesMu sync.Mutex
	names   map[string]string // user ID → display name, for drafts

	canvasRefused atomic.Bool // a refused canvas was logged at warn level once

	draw func(graphs.Chart) ([]byte, error) // draws the timeline chart; nil: graphs.Render
}

// postmortemAPI is the slice of Slack the postmortem desk uses.
type postmortemAPI interface {
	HistoryAPI
	FilesAPI
	CanvasesAPI
	ViewsAPI
}

// onResolved assembles the draft when a resolution should bring it
// (POSTMORTEM_ON_RESOLVE); a failure is told to whoever resolved, and the
// resolution stands.
func (p *postmortemDesk) onResolved(ctx context.Context, o Origin, inc incidents.Incident) {
	if !p.auto || inc.ChannelID == "" {
		return
	}
	po := Origin{User: o.User, Channel: inc.ChannelID, ResponseURL: o.ResponseURL}
	if err := p.Postmortem(ctx, po); err != nil {
		p.fail(ctx, po, err)
	}
}

// itemForm opens the form for an action item (the resolution message's
// button).
func (p *postmortemDesk) itemForm(ctx context.Context, b button) error {
	return openModal(ctx, p.api, b.o, ActionItemModal(b.inc, b.meta))
}

// addItem records a submitted action item, for the draft.
func (p *postmortemDesk) addItem(ctx context.Context, o Origin, id uuid.UUID, text, owner string) error {
	data := map[string]string{"text": text, "owner": owner}
	if _, err := p.svc.Audit(ctx, id, o.User, incidents.EventActionItem, "Action item: "+text, data); err != nil {
		return err
	}
	p.reply.ephemeral(ctx, o, ":memo: Action item recorded; it will be in the postmortem draft.")
	return nil
}

// Postmortem assembles the incident's postmortem draft from its record and
// its whole channel (threads included) as recorded while it happened
// (backfill.go), uploads it to the channel as a Markdown file, with the
// timeline chart it links, and bookmarks it, and offers it as the
// channel's canvas where the workspace allows canvases; a re-run replaces
// the previous draft and chart.
func (p *postmortemDesk) Postmortem(ctx context.Context, o Origin) error {
	inc, err := p.incidentHere(ctx, o.Channel)
	if err != nil {
		return err
	}
	in := postmortem.Inputs{Record: p.svc, Source: p.source(), Names: p.userName, Changes: p.changes, Now: p.svc.Now}
	if p.catalog != nil {
		in.Runbooks = p.catalog.Causes
	}
	// Reading a long channel takes a while and changes nothing: it runs
	// before the lock, so buttons and commands in the incident stay quick.
	prep, err := postmortem.Prepare(ctx, in, inc.ID, postmortem.Options{Location: p.render.Location, KeyEmoji: p.keyEmoji, GapAfter: p.gap})
	if err != nil {
		return err
	}
	ch := prep.Channel
	p.logFor(ctx).Info("postmortem channel read", zapIncident(inc), zap.Int("messages", len(ch.Messages)),
		zap.Int("history_calls", ch.HistoryCalls), zap.String("history_missing", ch.HistoryMissing))
	png, alt := p.chartImage(ctx, inc, &prep.Draft) // drawing changes nothing either
	// The lock keeps two runs from each replacing the same previous draft
	// and leaving two bookmarks behind; the previous draft is read under it.
	defer p.lock(inc.ID)()
	evs, err := p.svc.Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	chartID := p.stageChart(ctx, prep.Incident, png, alt, &prep.Draft)
	md := prep.Draft.Markdown()
	from := fmt.Sprintf("%d messages and %d recorded events", len(ch.Messages), len(prep.Events))
	if n := len(prep.Changes); n > 0 {
		from = fmt.Sprintf("%d messages, %d recorded events and %d AWS changes", len(ch.Messages), len(prep.Events), n)
	}
	prev := lastPostmortem(evs)
	canvasID, where := p.canvas(ctx, prep.Incident, canvasMarkdown(prep.Draft, md), prev["canvas_id"])
	comment := fmt.Sprintf(":memo: Postmortem draft for %s, from %s%s. Fill in the `???`s. %s.", inc.Ref(), from, historyNote(ch), where)
	fileID, bookmarkID, err := p.publishDraft(ctx, prep.Incident, md, comment, prev, chartID)
	if err != nil && chartID != "" {
		// Sharing the two together failed: the draft goes alone, saying
		// so, rather than not at all. The staged chart stays unseen.
		p.logFor(ctx).Warn("could not share the timeline chart with the draft; the draft goes alone", zapIncident(inc), zap.String("slack_error", SlackErrorCode(err)))
		prep.Draft.ChartLink, prep.Draft.ChartMissing, chartID = "", "it could not be shared with the draft", ""
		md = prep.Draft.Markdown()
		fileID, bookmarkID, err = p.publishDraft(ctx, prep.Incident, md, comment, prev, "")
	}
	if err != nil {
		return err // a staged chart stays unseen: its upload was never completed
	}
	data := map[string]string{"file_id": fileID, "bookmark_id": bookmarkID, "canvas_id": canvasID, "chart_file_id": chartID,
		"messages": strconv.Itoa(len(ch.Messages))}
	if _, err := p.svc.Audit(ctx, inc.ID, o.User, incidents.EventPostmortem, "Postmortem draft posted", data); err != nil {
		// The draft is in the channel, but the next run would not know to
		// replace it: say so rather than pretend all is well.
		p.logFor(ctx).Error("could not record the postmortem draft", zap.Error(err))
		return fmt.Errorf("the draft is posted but could not be recorded (a re-run will add another): %w", err)
	}
	return nil
}

// publishDraft uploads the draft to the incident channel, with its staged
// chart (chartID), and points the channel's bookmark at it; the previous
// draft (prev) goes only once the bookmark points at the new one, so it
// never leads to a deleted file, and its chart goes with it.
func (p *postmortemDesk) publishDraft(ctx context.Context, inc incidents.Incident, md, comment string, prev map[string]string, chartID string) (fileID, bookmarkID string, err error) {
	id, err := p.uploadDraft(ctx, inc, md, comment, chartID)
	if err != nil {
		return "", "", incidents.Errorf(incidents.EINVALID, "I could not upload the draft: %s", DescribeSlackError(SlackErrorCode(err)))
	}
	link := ""
	if info, _, _, err := p.api.GetFileInfoContext(ctx, id, 0, 0); err == nil {
		link = info.Permalink
	} else {
		p.logFor(ctx).Warn("could not read the draft's link; the bookmark is not moved to it",
			zap.String("file_id", id), zap.String("slack_error", SlackErrorCode(err)))
	}
	bookmarkID = prev["bookmark_id"]
	moved := false
	if link != "" {
		bookmarkID, moved = p.bookmark(ctx, inc, bookmarkID, link)
	}
	if moved || prev["bookmark_id"] == "" {
		p.deleteFile(ctx, "previous draft", prev["file_id"], id)
		// The previous chart is linked by the previous draft only: kept
		// while that is (the bookmark could not move), gone with it.
		p.deleteFile(ctx, "previous chart", prev["chart_file_id"], chartID)
	}
	return id, bookmarkID, nil
}

// bookmark points the channel's "Postmortem draft" bookmark at link,
// creating it the first time (or again, if someone removed it); it
// returns the bookmark's ID and whether it now points at link.
func (p *postmortemDesk) bookmark(ctx context.Context, inc incidents.Incident, id, link string) (string, bool) {
	if id != "" {
		if _, err := p.api.EditBookmarkContext(ctx, inc.ChannelID, id, slack.EditBookmarkParameters{Link: link}); err == nil {
			return id, true
		}
	}
	bm, err := p.api.AddBookmarkContext(ctx, inc.ChannelID, slack.AddBookmarkParameters{Title: "Postmortem draft", Type: "link", Link: link})
	if err != nil {
		p.logFor(ctx).Warn("could not bookmark the draft", zap.String("slack_error", SlackErrorCode(err)))
		return id, false
	}
	return bm.ID, true
}

func lastPostmortem(evs []incidents.Event) map[string]string {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == incidents.EventPostmortem {
			return evs[i].Data
		}
	}
	return map[string]string{}
}

// userName is the person's real name (a postmortem names people, not
// handles), marked when deactivated, cached; on failure the ID stays.
func (p *postmortemDesk) userName(ctx context.Context, id string) string {
	p.namesMu.Lock()
	n, ok := p.names[id]
	p.namesMu.Unlock()
	if ok {
		return n
	}
	u, err := p.api.GetUserInfoContext(ctx, id)
	if err != nil {
		return ""
	}
	n = u.RealName
	for _, alt := range []string{u.Profile.RealName, u.Profile.DisplayName, u.Name} {
		if n == "" {
			n = alt
		}
	}
	if u.Deleted && !u.IsBot {
		n += " (deactivated)"
	}
	p.namesMu.Lock()
	p.names[id] = n
	p.namesMu.Unlock()
	return n
}
