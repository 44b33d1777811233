package slacktest

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// store is the workspace the fake pretends to be. Every method expects Server.mu to be held.
type store struct {
	users    map[string]*user
	channels map[string]*channel // by ID
	chanIDs  []string            // creation order, DMs included
	views    map[string]*view    // by ID
	viewIDs  []string            // creation order
	stacks   map[string][]string // user ID → open modal stack, root first
	triggers map[string]*trigger
	hooks    map[string]*hook    // response_url token → context
	posts    []ResponsePost      // every post made to a response_url
	groups   map[string][]string // user group ID → member user IDs
	files    map[string]*file    // by ID
	fileIDs  []string            // creation order
	uploads  map[string]string   // upload URL secret → file ID, until the upload is completed
	canvases map[string]*canvas  // by ID

	seq    int            // source of channel, view, DM, file and bookmark IDs
	lastTS int64          // last timestamp nextTS handed out, in microseconds
	usedTS map[int64]bool // every timestamp handed out, so none is handed out twice
}

func newStore() store {
	return store{
		users:    map[string]*user{},
		channels: map[string]*channel{},
		views:    map[string]*view{},
		stacks:   map[string][]string{},
		triggers: map[string]*trigger{},
		hooks:    map[string]*hook{},
		groups:   map[string][]string{},
		files:    map[string]*file{},
		uploads:  map[string]string{},
		canvases: map[string]*canvas{},
		usedTS:   map[int64]bool{},
	}
}

type user struct {
	id, name string
	isBot    bool
}

// textSetting is a channel topic or purpose, which Slack reports with who set it and when.
type textSetting struct {
	value, creator string
	lastSet        time.Time
}

type channel struct {
	id, name       string
	private, im    bool
	creator        string
	created        time.Time
	members        []string
	topic, purpose textSetting
	messages       []*message // in posting order; see byTS for Slack's order
	imUser         string     // for a DM: the human on the other side
	bookmarks      []*bookmark
	canvas         string // the channel canvas's ID, if it has one
}

// message is a stored message plus what the exported Message does not carry.
type message struct {
	Message
	editedTS, editedBy string
	pinned             bool
	pinnedBy           string
	pinnedAt           time.Time
	reactions          []*reaction // in the order they were first added
	inviter            string      // channel_join: who invited the user, if anyone
}

type reaction struct {
	name  string   // emoji name without colons
	users []string // in the order they reacted
}

// isReply reports whether m sits in a thread under another message (broadcast replies too).
func (m *message) isReply() bool { return m.ThreadTS != "" && m.ThreadTS != m.TS }

// newID returns IDs shaped like Slack's: a type letter, then ten upper-case base-36 characters.
func (st *store) newID(prefix string) string {
	st.seq++
	n := strings.ToUpper(strconv.FormatInt(int64(st.seq), 36))
	return prefix + "0" + strings.Repeat("0", max(0, 9-len(n))) + n
}

// nextTS hands out message timestamps: Slack's "seconds.microseconds", strictly increasing
// because a channel's ts doubles as the message's ID.
func (st *store) nextTS(now time.Time) string {
	us := max(now.UnixMicro(), st.lastTS+1)
	us = st.takeTS(us)
	st.lastTS = us
	return formatTS(us)
}

// tsAt hands out the timestamp of a message posted at t (a test's explicit time), moved on by
// a microsecond at a time while it is taken.
func (st *store) tsAt(t time.Time) string { return formatTS(st.takeTS(t.UnixMicro())) }

func (st *store) takeTS(us int64) int64 {
	for st.usedTS[us] {
		us++
	}
	st.usedTS[us] = true
	return us
}

// formatTS writes microseconds since the epoch as a Slack timestamp.
func formatTS(us int64) string { return fmt.Sprintf("%d.%06d", us/1_000_000, us%1_000_000) }

// parseTS reads a Slack timestamp ("1767693900.000200", or whole seconds) as microseconds;
// digits beyond the sixth decimal are ignored.
func parseTS(ts string) (int64, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	if sec == "" || !allDigits(sec) || !allDigits(frac) || len(sec) > 12 {
		return 0, false
	}
	s, _ := strconv.ParseInt(sec, 10, 64)
	frac = (frac + "000000")[:6]
	f, _ := strconv.ParseInt(frac, 10, 64)
	return s*1_000_000 + f, true
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// tsKey orders messages by timestamp; every stored ts parses.
func tsKey(m *message) int64 {
	us, _ := parseTS(m.TS)
	return us
}

func (st *store) addUser(u *user) { st.users[u.id] = u }

// lookupUser finds a user, creating one on first use for any plausible ID (see the package
// documentation); IDs starting with "UUNKNOWN" stay unknown so tests can provoke user_not_found.
func (st *store) lookupUser(id string) (*user, bool) {
	if u, ok := st.users[id]; ok {
		return u, true
	}
	if !(strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W")) || strings.HasPrefix(id, "UUNKNOWN") {
		return nil, false
	}
	u := &user{id: id, name: strings.ToLower(id)}
	st.users[id] = u
	return u, true
}

func (st *store) channelByName(name string) *channel {
	name = strings.TrimPrefix(name, "#")
	for _, c := range st.channels {
		if !c.im && c.name == name {
			return c
		}
	}
	return nil
}

// findChannel accepts an ID, a name or "#name", as the test helpers do.
func (st *store) findChannel(idOrName string) *channel {
	if c, ok := st.channels[idOrName]; ok {
		return c
	}
	return st.channelByName(idOrName)
}

func (st *store) addChannel(name string, private bool, creator string, now time.Time, members []string) *channel {
	c := &channel{
		id:      st.newID("C"),
		name:    name,
		private: private,
		creator: creator,
		created: now.Truncate(time.Second),
	}
	for _, m := range members {
		if !c.isMember(m) {
			c.addMember(m)
			st.addJoin(c, m, "", now)
		}
	}
	st.channels[c.id] = c
	st.chanIDs = append(st.chanIDs, c.id)
	return c
}

// addJoin records the channel_join message Slack posts when someone joins a channel (creating
// it included); inviter is set when they were invited.
func (st *store) addJoin(c *channel, userID, inviter string, now time.Time) {
	c.messages = append(c.messages, &message{Message: Message{
		TS: st.nextTS(now), Channel: c.id, User: userID, Subtype: "channel_join",
		Text: "<@" + userID + "> has joined the channel",
	}, inviter: inviter})
}

// markEdited records an edit of m by a user at now, or just after m was posted if a test
// posted it later than now (At).
func (st *store) markEdited(m *message, by string, now time.Time) {
	m.Edited, m.editedBy = true, by
	if posted := tsKey(m); now.UnixMicro() <= posted {
		m.editedTS = formatTS(st.takeTS(posted + 1))
	} else {
		m.editedTS = st.nextTS(now)
	}
}

// dm returns the bot's direct-message channel with a user, opening it on first use, as posting
// to a user ID does in Slack.
func (st *store) dm(bot, userID string, now time.Time) *channel {
	for _, c := range st.channels {
		if c.im && c.imUser == userID {
			return c
		}
	}
	c := &channel{id: st.newID("D"), im: true, imUser: userID, creator: bot, created: now.Truncate(time.Second)}
	c.members = []string{bot, userID}
	st.channels[c.id] = c
	st.chanIDs = append(st.chanIDs, c.id)
	return c
}

func (c *channel) isMember(userID string) bool { return slices.Contains(c.members, userID) }

func (c *channel) addMember(userID string) {
	if !c.isMember(userID) {
		c.members = append(c.members, userID)
	}
}

// findMessage returns the channel's visible (non-ephemeral) message with this ts.
func (c *channel) findMessage(ts string) *message {
	for _, m := range c.messages {
		if m.TS == ts && !m.Ephemeral {
			return m
		}
	}
	return nil
}

func (c *channel) deleteMessage(ts string) {
	c.messages = slices.DeleteFunc(c.messages, func(m *message) bool { return m.TS == ts && !m.Ephemeral })
}

// replies returns the visible replies in the thread under parentTS, oldest first.
func (c *channel) replies(parentTS string) []*message {
	var out []*message
	for _, m := range c.messages {
		if !m.Ephemeral && m.isReply() && m.ThreadTS == parentTS {
			out = append(out, m)
		}
	}
	byTS(out)
	return out
}

func (c *channel) pinCount() int {
	n := 0
	for _, m := range c.messages {
		if m.pinned && !m.Ephemeral {
			n++
		}
	}
	return n
}

// byTS sorts messages oldest first, the order of their timestamps (tests may post back in time).
func byTS(ms []*message) {
	slices.SortStableFunc(ms, func(a, b *message) int { return cmp.Compare(tsKey(a), tsKey(b)) })
}

func (c *channel) exported() Channel {
	return Channel{
		ID:        c.id,
		Name:      c.name,
		Topic:     c.topic.value,
		Purpose:   c.purpose.value,
		IsPrivate: c.private,
		IsIM:      c.im,
		Creator:   c.creator,
		Members:   slices.Clone(c.members),
		Created:   c.created,
	}
}

func (m *message) exported() Message {
	out := m.Message
	out.Blocks = slices.Clone(m.Blocks)
	out.Files = slices.Clone(m.Files)
	out.Metadata = m.Metadata.clone()
	return out
}

// randomHex returns n random bytes hex-encoded, for tickets, trigger IDs and URL secrets.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// newUUID returns a random (version 4) UUID, the shape of Slack's envelope IDs.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
