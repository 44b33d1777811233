package slackexport

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents/postmortem"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// message is a decoded export message: the neutral message plus what Read
// needs from the export to finish it.
type message struct {
	postmortem.Message
	pinnedTo    []string // channel IDs ("pinned_to"), when the export carries it
	profileName string   // the author's name from the inline "user_profile"
}

// rawMessage is one entry of a day file (only the fields the reader uses;
// the rest — blocks, replies, reply_users, root, … — is ignored).
type rawMessage struct {
	Type       string `json:"type"`
	Subtype    string `json:"subtype"`
	TS         string `json:"ts"`
	User       string `json:"user"`
	BotID      string `json:"bot_id"`
	Username   string `json:"username"` // an integration's name ("Uptime Robot")
	BotProfile *struct {
		Name string `json:"name"`
	} `json:"bot_profile"`
	Text     string `json:"text"`
	ThreadTS string `json:"thread_ts"`
	// Edited is {"user","ts"} on an edited message; only its presence
	// matters (the export's "text" is already the latest).
	Edited    json.RawMessage `json:"edited"`
	PinnedTo  []string        `json:"pinned_to"`
	Reactions []struct {
		Name  string   `json:"name"` // "+1::skin-tone-2" for skin-toned emoji
		Users []string `json:"users"`
	} `json:"reactions"`
	Files []rawFile `json:"files"`
	// File is the single file of the legacy "file_share" subtype.
	File        *rawFile `json:"file"`
	Attachments []struct {
		Fallback string `json:"fallback"`
		Text     string `json:"text"`
		Color    string `json:"color"`
	} `json:"attachments"`
	UserProfile *struct {
		DisplayName string `json:"display_name"`
		RealName    string `json:"real_name"`
		Name        string `json:"name"`
	} `json:"user_profile"`
}

type rawFile struct {
	Name       string `json:"name"`
	Title      string `json:"title"`
	Permalink  string `json:"permalink"`
	URLPrivate string `json:"url_private"`
	// Mode "tombstone" is a deleted file, "hidden_by_limit" one hidden
	// by the free plan's limit: neither carries a usable file.
	Mode string `json:"mode"`
}

// decodeDay decodes one day file (name is its path in the export, for
// errors). Messages are returned in file order.
func decodeDay(name string, data []byte) ([]message, error) {
	var raws []rawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, jsonError(name, data, err)
	}
	msgs := make([]message, 0, len(raws))
	for i, r := range raws {
		m, err := convert(r)
		if err != nil {
			return nil, &FileError{File: name, Index: i, Err: err}
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

func convert(r rawMessage) (message, error) {
	at, err := parseTS(r.TS)
	if err != nil {
		return message{}, err
	}
	m := message{Message: postmortem.Message{
		TS:       r.TS,
		At:       at,
		User:     r.User,
		BotID:    r.BotID,
		Subtype:  r.Subtype,
		Text:     r.Text,
		ThreadTS: r.ThreadTS,
		Edited:   len(r.Edited) > 0 && !bytes.Equal(bytes.TrimSpace(r.Edited), []byte("null")),
		Name:     r.Username,
	}, pinnedTo: r.PinnedTo}
	if m.Name == "" && r.BotProfile != nil {
		m.Name = r.BotProfile.Name
	}
	for _, a := range r.Attachments {
		if m.Color == "" {
			m.Color = a.Color
		}
	}
	if m.Text == "" {
		// Integrations often post attachments only; their fallback is
		// the plain-text rendering.
		var parts []string
		for _, a := range r.Attachments {
			if t := firstNonEmpty(a.Fallback, a.Text); t != "" {
				parts = append(parts, t)
			}
		}
		m.Text = strings.Join(parts, "\n")
	}
	for _, re := range r.Reactions {
		if re.Name == "" {
			continue
		}
		m.Reactions = append(m.Reactions, postmortem.Reaction{Name: re.Name, Users: slices.Clone(re.Users)})
	}
	files := r.Files
	if len(files) == 0 && r.File != nil {
		files = []rawFile{*r.File}
	}
	for _, f := range files {
		if f.Mode == "tombstone" || f.Mode == "hidden_by_limit" {
			continue
		}
		pf := postmortem.File{Name: firstNonEmpty(f.Name, f.Title), URL: firstNonEmpty(f.Permalink, f.URLPrivate)}
		if pf.Name == "" && pf.URL == "" {
			continue
		}
		m.Files = append(m.Files, pf)
	}
	if p := r.UserProfile; p != nil {
		m.profileName = firstNonEmpty(p.RealName, p.DisplayName, p.Name)
	}
	return m, nil
}

// parseTS parses a message's ts; see txt.SlackTS.
func parseTS(ts string) (time.Time, error) { return txt.SlackTS(ts) }

// sortMessages orders by time, then ts (so equal ts end up adjacent).
func sortMessages(msgs []message) {
	slices.SortStableFunc(msgs, func(a, b message) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.TS, b.TS)
	})
}

// jsonError locates a JSON error in data.
func jsonError(name string, data []byte, err error) error {
	fe := &FileError{File: name, Index: -1, Err: err}
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off >= 0 {
		off = min(off, int64(len(data)))
		fe.Offset = off
		fe.Line, fe.Column = lineCol(data, off)
	}
	return fe
}

// lineCol is the 1-based line and column of the byte at off-1 (the last
// byte read when a JSON error was found at offset off).
func lineCol(data []byte, off int64) (line, col int) {
	pos := int(max(off-1, 0))
	pos = min(pos, len(data))
	before := data[:pos]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = pos - bytes.LastIndexByte(before, '\n')
	return line, col
}
