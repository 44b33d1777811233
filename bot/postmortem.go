package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/postmortem"
	"github.com/incident-bot/incident-bot/playbooks"
)

// Buttons on the resolution message; the value is the incident ID.
const (
	ActionPostmortem = "incident_postmortem"
	ActionAddItem    = "incident_action_item"
)

// historyPage is how many messages one history or replies call asks for.
const historyPage = 200

// postmortemDesk owns the postmortem draft: it reads the incident's whole
// channel (threads included) and who wrote in it, assembles the draft
// with incidents/postmortem, uploads it and keeps the channel's bookmark
// pointing at the latest one; it also takes the action items meant for
// the draft. Its Slack calls: HistoryAPI (conversations.history and
// .replies, users.info), FilesAPI (files upload, info and delete,
// bookmarks.add and .edit) and ViewsAPI (the action item form).
type postmortemDesk struct {
	*core
	api      postmortemAPI
	botUser  string // its own messages are not the team's words
	catalog  *playbooks.Catalog
	keyEmoji string        // marks a key event (KEY_EMOJI)
	gap      time.Duration // silences longer than this are marked
	auto     bool          // a resolution assembles the draft at once

	namesMu sync.Mutex
	names   map[string]string // user ID → display name, for drafts
}

// postmortemAPI is the slice of Slack the postmortem desk uses.
type postmortemAPI interface {
	HistoryAPI
	FilesAPI
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
// its whole channel (threads included), uploads it to the channel as a
// Markdown file and bookmarks it; a re-run replaces the previous draft.
func (p *postmortemDesk) Postmortem(ctx context.Context, o Origin) error {
	inc, err := p.incidentHere(ctx, o.Channel)
	if err != nil {
		return err
	}
	in := postmortem.Inputs{Record: p.svc, Source: slackHistory{p}, Names: p.userName}
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
	// The lock keeps two runs from each replacing the same previous draft
	// and leaving two bookmarks behind; the previous draft is read under it.
	defer p.lock(inc.ID)()
	evs, err := p.svc.Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	md := prep.Draft.Markdown()
	fileID, bookmarkID, err := p.publishDraft(ctx, prep.Incident, md, fmt.Sprintf(":memo: Postmortem draft for %s, from %d messages and %d recorded events. Fill in the `???`s.",
		inc.Ref(), len(ch.Messages), len(prep.Events)), lastPostmortem(evs))
	if err != nil {
		return err
	}
	data := map[string]string{"file_id": fileID, "bookmark_id": bookmarkID, "messages": strconv.Itoa(len(ch.Messages))}
	if _, err := p.svc.Audit(ctx, inc.ID, o.User, incidents.EventPostmortem, "Postmortem draft posted", data); err != nil {
		// The draft is in the channel, but the next run would not know to
		// replace it: say so rather than pretend all is well.
		p.logFor(ctx).Error("could not record the postmortem draft", zap.Error(err))
		return fmt.Errorf("the draft is posted but could not be recorded (a re-run will add another): %w", err)
	}
	return nil
}

// publishDraft uploads the draft to the incident channel and points the
// channel's bookmark at it; the previous draft (prev) goes only once the
// bookmark points at the new one, so it never leads to a deleted file.
func (p *postmortemDesk) publishDraft(ctx context.Context, inc incidents.Incident, md, comment string, prev map[string]string) (fileID, bookmarkID string, err error) {
	name := fmt.Sprintf("postmortem-incident-%d.md", inc.Number)
	file, err := p.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Channel: inc.ChannelID, Filename: name, Title: "Postmortem draft " + inc.Ref(), FileSize: len(md), Reader: strings.NewReader(md),
		InitialComment: comment,
	})
	if err != nil {
		return "", "", incidents.Errorf(incidents.EINVALID, "I could not upload the draft: %s", DescribeSlackError(SlackErrorCode(err)))
	}
	link := ""
	if info, _, _, err := p.api.GetFileInfoContext(ctx, file.ID, 0, 0); err == nil {
		link = info.Permalink
	} else {
		p.logFor(ctx).Warn("could not read the draft's link; the bookmark is not moved to it",
			zap.String("file_id", file.ID), zap.String("slack_error", SlackErrorCode(err)))
	}
	bookmarkID = prev["bookmark_id"]
	moved := false
	if link != "" {
		bookmarkID, moved = p.bookmark(ctx, inc, bookmarkID, link)
	}
	if old := prev["file_id"]; old != "" && old != file.ID && (moved || prev["bookmark_id"] == "") {
		if err := p.api.DeleteFileContext(ctx, old); err != nil {
			p.logFor(ctx).Warn("could not delete the previous draft", zap.String("file_id", old), zap.String("slack_error", SlackErrorCode(err)))
		}
	}
	return file.ID, bookmarkID, nil
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

// slackHistory reads an incident channel from Slack (postmortem.Source).
type slackHistory struct{ p *postmortemDesk }

func (h slackHistory) Channel(ctx context.Context, inc incidents.Incident) (postmortem.Channel, error) {
	ch, err := h.p.readChannel(ctx, inc)
	if err != nil {
		return ch, incidents.Errorf(incidents.EINVALID, "I could not read the channel history: %s", DescribeSlackError(SlackErrorCode(err)))
	}
	return ch, nil
}

// readChannel reads the whole channel, threads included, page by page
// (the client waits out rate limits).
func (p *postmortemDesk) readChannel(ctx context.Context, inc incidents.Incident) (postmortem.Channel, error) {
	ch := postmortem.Channel{ID: inc.ChannelID, Name: inc.ChannelName, Users: map[string]string{}, BotUserIDs: []string{p.botUser}}
	// A reply "also sent to the channel" comes back from both history and
	// replies: keep it once.
	seen := map[string]bool{}
	add := func(m postmortem.Message) {
		if !seen[m.TS] {
			seen[m.TS] = true
			ch.Messages = append(ch.Messages, m)
		}
	}
	cursor := ""
	for {
		page, err := p.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: inc.ChannelID, Cursor: cursor, Limit: historyPage})
		if err != nil {
			return ch, err
		}
		for _, m := range page.Messages {
			add(fromSlack(m))
			if m.ReplyCount > 0 {
				replies, err := p.replies(ctx, inc.ChannelID, m.Timestamp)
				if err != nil {
					return ch, err
				}
				for _, r := range replies {
					add(r)
				}
			}
		}
		if !page.HasMore || page.ResponseMetaData.NextCursor == "" {
			break
		}
		cursor = page.ResponseMetaData.NextCursor
	}
	return ch, nil
}

// replies reads a thread's replies (the parent is already in history).
func (p *postmortemDesk) replies(ctx context.Context, channel, ts string) ([]postmortem.Message, error) {
	var out []postmortem.Message
	cursor := ""
	for {
		msgs, more, next, err := p.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: channel, Timestamp: ts, Cursor: cursor, Limit: historyPage})
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if m.Timestamp != ts {
				out = append(out, fromSlack(m))
			}
		}
		if !more || next == "" {
			return out, nil
		}
		cursor = next
	}
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

// fromSlack converts a Web API message. Alert bots often post only
// attachments: their fallback text stands in, so the alert is not lost.
func fromSlack(m slack.Message) postmortem.Message {
	pm := postmortem.Message{TS: m.Timestamp, At: tsTime(m.Timestamp), User: m.User, BotID: m.BotID, Subtype: m.SubType,
		Text: m.Text, ThreadTS: m.ThreadTimestamp, Edited: m.Edited != nil, Pinned: len(m.PinnedTo) > 0, Name: m.Username}
	if pm.Name == "" && m.BotProfile != nil {
		pm.Name = m.BotProfile.Name
	}
	for _, at := range m.Attachments {
		if pm.Color == "" {
			pm.Color = at.Color
		}
	}
	if strings.TrimSpace(pm.Text) == "" {
		var parts []string
		for _, at := range m.Attachments {
			t := at.Fallback
			if t == "" {
				t = strings.TrimSpace(at.Title + " " + at.Text)
			}
			if t != "" {
				parts = append(parts, t)
			}
		}
		pm.Text = strings.Join(parts, "\n")
	}
	for _, r := range m.Reactions {
		pm.Reactions = append(pm.Reactions, postmortem.Reaction{Name: r.Name, Users: r.Users})
	}
	for _, f := range m.Files {
		pm.Files = append(pm.Files, postmortem.File{Name: f.Name, URL: f.Permalink})
	}
	return pm
}

// tsTime reads a Slack ts ("1767693900.000200") as a time.
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, _ := strconv.ParseInt(sec, 10, 64)
	us, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(s, us*1000).UTC()
}
