package slacktest

import (
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
	views    map[string]*view    // by ID
	viewIDs  []string            // creation order
	stacks   map[string][]string // user ID → open modal stack, root first
	triggers map[string]*trigger
	hooks    map[string]*hook    // response_url token → context
	posts    []ResponsePost      // every post made to a response_url
	groups   map[string][]string // user group ID → member user IDs

	seq    int   // source of channel, view and DM IDs
	lastTS int64 // last message timestamp handed out, in microseconds
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
	messages       []*message
	imUser         string // for a DM: the human on the other side
}

// message is a stored message plus what the exported Message does not carry.
type message struct {
	Message
	editedTS string
}

// newID returns IDs shaped like Slack's: a type letter, then ten upper-case base-36 characters.
func (st *store) newID(prefix string) string {
	st.seq++
	n := strings.ToUpper(strconv.FormatInt(int64(st.seq), 36))
	return prefix + "0" + strings.Repeat("0", max(0, 9-len(n))) + n
}

// nextTS hands out message timestamps: Slack's "seconds.microseconds", strictly increasing
// because a channel's ts doubles as the message's ID.
func (st *store) nextTS(now time.Time) string {
	us := now.UnixMicro()
	if us <= st.lastTS {
		us = st.lastTS + 1
	}
	st.lastTS = us
	return fmt.Sprintf("%d.%06d", us/1_000_000, us%1_000_000)
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
		c.addMember(m)
	}
	st.channels[c.id] = c
	return c
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
