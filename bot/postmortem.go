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
	in := postmortem.Inputs{Record: a.svc, Source: slackHistory{a}, Names: a.userName}
	if a.catalog != nil {
		in.Runbooks = a.catalog.Causes
	}
	// Reading a long channel takes a while and changes nothing: it runs
	// before the lock, so buttons and commands in the incident stay quick.
	p, err := postmortem.Prepare(ctx, in, inc.ID, postmortem.Options{Location: a.render.Location, KeyEmoji: a.keyEmoji, GapAfter: a.postmortemGap})
	if err != nil {
		return err
	}
	ch := p.Channel
	// The lock keeps two runs from each replacing the same previous draft
	// and leaving two bookmarks behind; the previous draft is read under it.
	defer a.lock(inc.ID)()
	evs, err := a.svc.Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	md := p.Draft.Markdown()
	fileID, bookmarkID, err := a.publishDraft(ctx, p.Incident, md, fmt.Sprintf(":memo: Postmortem draft for %s, from %d messages and %d recorded events. Fill in the `???`s.",
		inc.Ref(), len(ch.Messages), len(p.Events)), lastPostmortem(evs))
	if err != nil {
		return err
	}
	data := map[string]string{"file_id": fileID, "bookmark_id": bookmarkID, "messages": strconv.Itoa(len(ch.Messages))}
	if _, err := a.svc.Audit(ctx, inc.ID, o.User, incidents.EventPostmortem, "Postmortem draft posted", data); err != nil {
		// The draft is in the channel, but the next run would not know to
		// replace it: say so rather than pretend all is well.
		a.logFor(ctx).Error("could not record the postmortem draft", zap.Error(err))
		return fmt.Errorf("the draft is posted but could not be recorded (a re-run will add another): %w", err)
	}
	return nil
}

// publishDraft uploads the draft to the incident channel and points the
// channel's bookmark at it; the previous draft (prev) goes only once the
// bookmark points at the new one, so it never leads to a deleted file.
func (a *App) publishDraft(ctx context.Context, inc incidents.Incident, md, comment string, prev map[string]string) (fileID, bookmarkID string, err error) {
	name := fmt.Sprintf("postmortem-incident-%d.md", inc.Number)
	file, err := a.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Channel: inc.ChannelID, Filename: name, Title: "Postmortem draft " + inc.Ref(), FileSize: len(md), Reader: strings.NewReader(md),
		InitialComment: comment,
	})
	if err != nil {
		return "", "", incidents.Errorf(incidents.EINVALID, "I could not upload the draft: %s", DescribeSlackError(SlackErrorCode(err)))
	}
	link := ""
	if info, _, _, err := a.api.GetFileInfoContext(ctx, file.ID, 0, 0); err == nil {
		link = info.Permalink
	} else {
		a.logFor(ctx).Warn("could not read the draft's link; the bookmark is not moved to it",
			zap.String("file_id", file.ID), zap.String("slack_error", SlackErrorCode(err)))
	}
	bookmarkID = prev["bookmark_id"]
	moved := false
	if link != "" {
		bookmarkID, moved = a.bookmark(ctx, inc, bookmarkID, link)
	}
	if old := prev["file_id"]; old != "" && old != file.ID && (moved || prev["bookmark_id"] == "") {
		if err := a.api.DeleteFileContext(ctx, old); err != nil {
			a.logFor(ctx).Warn("could not delete the previous draft", zap.String("file_id", old), zap.String("slack_error", SlackErrorCode(err)))
		}
	}
	return file.ID, bookmarkID, nil
}

// bookmark points the channel's "Postmortem draft" bookmark at link,
// creating it the first time (or again, if someone removed it); it
// returns the bookmark's ID and whether it now points at link.
func (a *App) bookmark(ctx context.Context, inc incidents.Incident, id, link string) (string, bool) {
	if id != "" {
		if _, err := a.api.EditBookmarkContext(ctx, inc.ChannelID, id, slack.EditBookmarkParameters{Link: link}); err == nil {
			return id, true
		}
	}
	bm, err := a.api.AddBookmarkContext(ctx, inc.ChannelID, slack.AddBookmarkParameters{Title: "Postmortem draft", Type: "link", Link: link})
	if err != nil {
		a.logFor(ctx).Warn("could not bookmark the draft", zap.String("slack_error", SlackErrorCode(err)))
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

// readChannel reads the whole channel, threads included, page by page
// (the client waits out rate limits).
// slackHistory reads an incident channel from Slack (postmortem.Source).
type slackHistory struct{ a *App }

func (h slackHistory) Channel(ctx context.Context, inc incidents.Incident) (postmortem.Channel, error) {
	ch, err := h.a.readChannel(ctx, inc)
	if err != nil {
		return ch, incidents.Errorf(incidents.EINVALID, "I could not read the channel history: %s", DescribeSlackError(SlackErrorCode(err)))
	}
	return ch, nil
}

func (a *App) readChannel(ctx context.Context, inc incidents.Incident) (postmortem.Channel, error) {
	ch := postmortem.Channel{ID: inc.ChannelID, Name: inc.ChannelName, Users: map[string]string{}, BotUserIDs: []string{a.botUser}}
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
		page, err := a.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: inc.ChannelID, Cursor: cursor, Limit: historyPage})
		if err != nil {
			return ch, err
		}
		for _, m := range page.Messages {
			add(fromSlack(m))
			if m.ReplyCount > 0 {
				replies, err := a.replies(ctx, inc.ChannelID, m.Timestamp)
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

// fromSlack converts a Web API message. Alert bots often post only
// attachments: their fallback text stands in, so the alert is not lost.
func fromSlack(m slack.Message) postmortem.Message {
	pm := postmortem.Message{TS: m.Timestamp, At: tsTime(m.Timestamp), User: m.User, BotID: m.BotID, Subtype: m.SubType,
		Text: m.Text, ThreadTS: m.ThreadTimestamp, Edited: m.Edited != nil, Pinned: len(m.PinnedTo) > 0, Name: m.Username}
	if pm.Name == "" && m.BotProfile != nil {
		pm.Name = m.BotProfile.Name
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
