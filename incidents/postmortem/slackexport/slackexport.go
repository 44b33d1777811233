// Package slackexport reads one channel of a Slack workspace export (the
// unzipped folder, or any fs.FS over it such as a *zip.Reader) into the
// neutral postmortem.Channel.
//
// The export's layout: channels.json (public channels) and, for "all
// channels" exports, groups.json (private channels) list the
// conversations; users.json (org_users.json on Enterprise Grid) lists the
// members; each conversation has a folder, named after the channel, holding
// one YYYY-MM-DD.json file per day with activity, each a JSON array of
// message objects as the Web API returns them. Thread replies are ordinary
// entries (thread_ts, parent_user_id) in the day file of their own date;
// edits are already applied to "text" and marked by "edited"; files are
// links ("permalink", "url_private"), never contents.
package slackexport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents/postmortem"
)

// ErrUnknownChannel is matched (errors.Is) by an *UnknownChannelError.
var ErrUnknownChannel = errors.New("unknown channel")

// UnknownChannelError: the channel is in neither channels.json nor
// groups.json.
type UnknownChannelError struct {
	Channel   string
	Available []string // channel names in the export, sorted
}

func (e *UnknownChannelError) Error() string {
	avail := "none"
	if len(e.Available) > 0 {
		avail = strings.Join(e.Available, ", ")
	}
	return fmt.Sprintf("slackexport: no channel %q in the export (channels.json, groups.json); available: %s", e.Channel, avail)
}

func (e *UnknownChannelError) Is(target error) bool { return target == ErrUnknownChannel }

// FileError is an export file that cannot be read or decoded, or a message
// in it that cannot be used. Offset, Line and Column locate JSON errors
// (Line and Column are 1-based; 0 when not known); Index is the message's
// position in a day file's array (-1 when not about one message).
type FileError struct {
	File   string // path inside the export, e.g. "ops/2026-01-06.json"
	Offset int64
	Line   int
	Column int
	Index  int
	Err    error
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString("slackexport: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d (byte %d)", e.Line, e.Column, e.Offset)
	}
	if e.Index >= 0 {
		fmt.Fprintf(&b, ": message %d", e.Index)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *FileError) Unwrap() error { return e.Err }

// Read reads channel — a name from channels.json or groups.json (a leading
// '#' is ignored) or a channel ID — from the export in fsys.
//
// Messages come from every YYYY-MM-DD.json in the channel's folder,
// sorted by ts (duplicates dropped). Users maps every user in users.json
// to its display name (else real name, else name); users missing from it
// are named from the profile some messages carry, else stay IDs. Without
// users.json Read still works. BotUserIDs are users.json's is_bot users;
// a bot post with no user (subtype bot_message) gets the user of its bot
// when users.json tells it (profile.bot_id).
func Read(fsys fs.FS, channel string) (postmortem.Channel, error) {
	convs, err := readConversations(fsys)
	if err != nil {
		return postmortem.Channel{}, err
	}
	conv, ok := findConversation(convs, channel)
	if !ok {
		return postmortem.Channel{}, unknownChannel(convs, channel)
	}

	users, err := readUsers(fsys)
	if err != nil {
		return postmortem.Channel{}, err
	}

	dir, days, err := dayFiles(fsys, conv)
	if err != nil {
		return postmortem.Channel{}, err
	}

	ch := postmortem.Channel{ID: conv.ID, Name: conv.Name, Users: map[string]string{}}
	userOfBot := addUsers(&ch, users)

	all, err := readDays(fsys, dir, days)
	if err != nil {
		return postmortem.Channel{}, err
	}
	addMessages(&ch, all, conv, userOfBot)
	return ch, nil
}

// unknownChannel is the error for a channel not in convs, listing the
// export's channels (by name, else ID).
func unknownChannel(convs []conversation, channel string) error {
	names := make([]string, 0, len(convs))
	for _, c := range convs {
		if c.Name != "" {
			names = append(names, c.Name)
		} else {
			names = append(names, c.ID)
		}
	}
	sort.Strings(names)
	names = slices.Compact(names)
	return &UnknownChannelError{Channel: channel, Available: names}
}

// addUsers fills ch's Users and BotUserIDs from users and returns the
// user of each bot (by profile.bot_id).
func addUsers(ch *postmortem.Channel, users []user) map[string]string {
	userOfBot := map[string]string{}
	for _, u := range users {
		if u.ID == "" {
			continue
		}
		if n := u.displayName(); n != "" {
			ch.Users[u.ID] = n
		}
		if u.IsBot {
			ch.BotUserIDs = append(ch.BotUserIDs, u.ID)
			if u.Profile.BotID != "" {
				userOfBot[u.Profile.BotID] = u.ID
			}
		}
	}
	sort.Strings(ch.BotUserIDs)
	ch.BotUserIDs = slices.Compact(ch.BotUserIDs)
	return userOfBot
}

// readDays reads and decodes the day files in dir, returning their
// messages sorted by ts.
func readDays(fsys fs.FS, dir string, days []string) ([]message, error) {
	var all []message
	for _, day := range days {
		name := path.Join(dir, day)
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, &FileError{File: name, Index: -1, Err: err}
		}
		msgs, err := decodeDay(name, data)
		if err != nil {
			return nil, err
		}
		all = append(all, msgs...)
	}
	sortMessages(all)
	return all, nil
}

// addMessages sets ch's Messages from the sorted messages all, dropping
// duplicates, filling in bot users and pins, and naming unknown users from
// the profile their messages carry.
func addMessages(ch *postmortem.Channel, all []message, conv conversation, userOfBot map[string]string) {
	pinned := map[string]bool{}
	for _, p := range conv.Pins {
		if p.ID != "" {
			pinned[p.ID] = true
		}
	}

	ch.Messages = make([]postmortem.Message, 0, len(all))
	for i, m := range all {
		if i > 0 && m.Message.TS == all[i-1].Message.TS {
			continue // the same message in two day files
		}
		pm := m.Message
		if pm.User == "" && pm.BotID != "" {
			pm.User = userOfBot[pm.BotID]
		}
		if pinned[pm.TS] || slices.Contains(m.pinnedTo, conv.ID) {
			pm.Pinned = true
		}
		if pm.User != "" && m.profileName != "" {
			if _, known := ch.Users[pm.User]; !known {
				ch.Users[pm.User] = m.profileName
			}
		}
		ch.Messages = append(ch.Messages, pm)
	}
}

// conversation is an entry of channels.json or groups.json (only what the
// reader uses).
type conversation struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Pins are the channel's pinned items; ID is the pinned message's ts.
	// ("created" is a number or a string depending on the export's age,
	// so it is not decoded.)
	Pins []struct {
		ID string `json:"id"`
	} `json:"pins"`
}

// readConversations reads channels.json and groups.json, whichever exist.
func readConversations(fsys fs.FS) ([]conversation, error) {
	var all []conversation
	found := false
	for _, name := range []string{"channels.json", "groups.json"} {
		data, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, &FileError{File: name, Index: -1, Err: err}
		}
		found = true
		var convs []conversation
		if err := json.Unmarshal(data, &convs); err != nil {
			return nil, jsonError(name, data, err)
		}
		all = append(all, convs...)
	}
	if !found {
		return nil, &FileError{File: "channels.json", Index: -1,
			Err: fmt.Errorf("%w (nor groups.json): not the root of an unzipped Slack export", fs.ErrNotExist)}
	}
	return all, nil
}

func findConversation(convs []conversation, want string) (conversation, bool) {
	name := strings.TrimPrefix(want, "#")
	for _, c := range convs {
		if c.Name != "" && c.Name == name {
			return c, true
		}
	}
	for _, c := range convs {
		if c.ID != "" && c.ID == want {
			return c, true
		}
	}
	return conversation{}, false
}

type user struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	RealName string `json:"real_name"`
	IsBot    bool   `json:"is_bot"`
	Deleted  bool   `json:"deleted"`
	Profile  struct {
		DisplayName string `json:"display_name"`
		RealName    string `json:"real_name"`
		BotID       string `json:"bot_id"`
	} `json:"profile"`
}

// displayName is how a postmortem names the person: their real name (a
// postmortem's authors are people, not handles), marked when the account
// is deactivated.
func (u user) displayName() string {
	n := firstNonEmpty(u.Profile.RealName, u.RealName, u.Profile.DisplayName, u.Name)
	if u.Deleted && !u.IsBot {
		n += " (deactivated)"
	}
	return n
}

// readUsers reads users.json (org_users.json in an Enterprise Grid
// export). Neither existing is not an error: IDs then stay IDs.
func readUsers(fsys fs.FS) ([]user, error) {
	for _, name := range []string{"users.json", "org_users.json"} {
		data, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, &FileError{File: name, Index: -1, Err: err}
		}
		var users []user
		if err := json.Unmarshal(data, &users); err != nil {
			return nil, jsonError(name, data, err)
		}
		return users, nil
	}
	return nil, nil
}

// dayFiles finds the channel's folder (its name; else its ID, as for
// conversations without a name) and its day files, oldest first.
func dayFiles(fsys fs.FS, c conversation) (string, []string, error) {
	var tried []string
	for _, dir := range []string{c.Name, c.ID} {
		if dir == "" || !fs.ValidPath(dir) || dir == "." || slices.Contains(tried, dir) {
			continue
		}
		tried = append(tried, dir)
		entries, err := fs.ReadDir(fsys, dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", nil, &FileError{File: dir + "/", Index: -1, Err: err}
		}
		var days []string
		for _, e := range entries {
			if !e.IsDir() && isDayFile(e.Name()) {
				days = append(days, e.Name())
			}
		}
		sort.Strings(days)
		return dir, days, nil
	}
	return "", nil, &FileError{File: firstNonEmpty(c.Name, c.ID) + "/", Index: -1,
		Err: fmt.Errorf("channel %s (%s) has no folder in the export (%w): no messages in the exported date range?",
			c.Name, c.ID, fs.ErrNotExist)}
}

// isDayFile: YYYY-MM-DD.json with a real date.
func isDayFile(name string) bool {
	date, ok := strings.CutSuffix(name, ".json")
	if !ok || len(date) != len("2006-01-02") {
		return false
	}
	_, err := time.Parse(time.DateOnly, date)
	return err == nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
