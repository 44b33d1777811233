package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/postmortem"
)

// EventPostmortem records a posted draft: its file and bookmark, so the
// next run replaces them instead of adding more. EventActionItem is an
// action item added with the resolution message's button.
const (
	EventPostmortem incidents.EventKind = "postmortem_posted"
	EventActionItem incidents.EventKind = "action_item"
)

// Buttons on the resolution message; the value is the incident ID.
const (
	ActionPostmortem = "incident_postmortem"
	ActionAddItem    = "incident_action_item"
)

// historyPage is how many messages one history or replies call asks for.
const historyPage = 200

// Postmortem assembles the incident's postmortem draft from its record and
// its whole channel (threads included), uploads it to the channel as a
// Markdown file and bookmarks it; a re-run replaces the previous draft.
func (a *App) Postmortem(ctx context.Context, o Origin) error {
	inc, err := a.incidentHere(ctx, o.Channel)
	if err != nil {
		return err
	}
	defer a.lock(inc.ID)()
	evs, err := a.svc.Store().Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	ch, err := a.readChannel(ctx, inc)
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "I could not read the channel history: %s", DescribeSlackError(SlackErrorCode(err)))
	}
	opts := postmortem.Options{Location: a.render.Location, KeyEmoji: a.keyEmoji}
	if a.catalog != nil {
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i].Kind == incidents.EventRunbookPosted || evs[i].Kind == incidents.EventRunbookSwitched {
				if pb, ok := a.catalog.Get(evs[i].Data["playbook"]); ok {
					opts.Runbook, opts.LikelyCauses = pb.Title, pb.Causes
				}
				break
			}
		}
	}
	md := postmortem.Assemble(inc, evs, &ch, opts).Markdown()
	name := fmt.Sprintf("postmortem-incident-%d.md", inc.Number)
	file, err := a.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Channel: inc.ChannelID, Filename: name, Title: "Postmortem draft " + inc.Ref(), FileSize: len(md), Reader: strings.NewReader(md),
		InitialComment: fmt.Sprintf(":memo: Postmortem draft for %s, from %d messages and %d recorded events. Fill in the `???`s.", inc.Ref(), len(ch.Messages), len(evs)),
	})
	if err != nil {
		return incidents.Errorf(incidents.EINVALID, "I could not upload the draft: %s", DescribeSlackError(SlackErrorCode(err)))
	}
	prev := lastPostmortem(evs)
	link := ""
	if info, _, _, err := a.api.GetFileInfoContext(ctx, file.ID, 0, 0); err == nil {
		link = info.Permalink
	}
	bookmarkID := prev["bookmark_id"]
	if link != "" {
		bookmarkID = a.bookmark(ctx, inc, bookmarkID, link)
	}
	if old := prev["file_id"]; old != "" && old != file.ID {
		if err := a.api.DeleteFileContext(ctx, old); err != nil {
			a.log.Warn("could not delete the previous draft", zap.String("file_id", old), zap.String("slack_error", SlackErrorCode(err)))
		}
	}
	data := map[string]string{"file_id": file.ID, "bookmark_id": bookmarkID, "messages": strconv.Itoa(len(ch.Messages))}
	if err := a.svc.Audit(ctx, inc.ID, o.User, EventPostmortem, "Postmortem draft posted", data); err != nil {
		a.log.Error("could not record the postmortem draft", zap.Error(err))
	}
	return nil
}

// bookmark points the channel's "Postmortem draft" bookmark at link,
// creating it the first time; it returns the bookmark's ID.
func (a *App) bookmark(ctx context.Context, inc incidents.Incident, id, link string) string {
	if id != "" {
		if _, err := a.api.EditBookmarkContext(ctx, inc.ChannelID, id, slack.EditBookmarkParameters{Link: link}); err == nil {
			return id
		}
	}
	bm, err := a.api.AddBookmarkContext(ctx, inc.ChannelID, slack.AddBookmarkParameters{Title: "Postmortem draft", Type: "link", Link: link})
	if err != nil {
		a.log.Warn("could not bookmark the draft", zap.String("slack_error", SlackErrorCode(err)))
		return id
	}
	return bm.ID
}

func lastPostmortem(evs []incidents.Event) map[string]string {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == EventPostmortem {
			return evs[i].Data
		}
	}
	return map[string]string{}
}

// readChannel reads the whole channel, threads included, page by page
// (the client waits out rate limits), and names its people.
func (a *App) readChannel(ctx context.Context, inc incidents.Incident) (postmortem.Channel, error) {
	ch := postmortem.Channel{ID: inc.ChannelID, Name: inc.ChannelName, Users: map[string]string{}, BotUserIDs: []string{a.botUser}}
	cursor := ""
	for {
		page, err := a.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: inc.ChannelID, Cursor: cursor, Limit: historyPage})
		if err != nil {
			return ch, err
		}
		for _, m := range page.Messages {
			ch.Messages = append(ch.Messages, fromSlack(m))
			if m.ReplyCount > 0 {
				replies, err := a.replies(ctx, inc.ChannelID, m.Timestamp)
				if err != nil {
					return ch, err
				}
				ch.Messages = append(ch.Messages, replies...)
			}
		}
		if !page.HasMore || page.ResponseMetaData.NextCursor == "" {
			break
		}
		cursor = page.ResponseMetaData.NextCursor
	}
	for _, m := range ch.Messages {
		if _, ok := ch.Users[m.User]; !ok && m.User != "" {
			ch.Users[m.User] = a.userName(ctx, m.User)
		}
	}
	return ch, nil
}

// replies reads a thread's replies (the parent is already in history).
func (a *App) replies(ctx context.Context, channel, ts string) ([]postmortem.Message, error) {
	var out []postmortem.Message
	cursor := ""
	for {
		msgs, more, next, err := a.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: channel, Timestamp: ts, Cursor: cursor, Limit: historyPage})
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

// userName is the person's display name, cached; on failure the ID stays.
func (a *App) userName(ctx context.Context, id string) string {
	a.namesMu.Lock()
	n, ok := a.names[id]
	a.namesMu.Unlock()
	if ok {
		return n
	}
	u, err := a.api.GetUserInfoContext(ctx, id)
	if err != nil {
		return ""
	}
	n = u.Profile.DisplayName
	if n == "" {
		n = u.RealName
	}
	if n == "" {
		n = u.Name
	}
	a.namesMu.Lock()
	a.names[id] = n
	a.namesMu.Unlock()
	return n
}

// fromSlack converts a Web API message.
func fromSlack(m slack.Message) postmortem.Message {
	pm := postmortem.Message{TS: m.Timestamp, At: tsTime(m.Timestamp), User: m.User, BotID: m.BotID, Subtype: m.SubType,
		Text: m.Text, ThreadTS: m.ThreadTimestamp, Edited: m.Edited != nil, Pinned: len(m.PinnedTo) > 0}
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
