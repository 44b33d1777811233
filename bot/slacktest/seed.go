package slacktest

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Seeding: what tests put in the fake before the app sees it.

// AddUser registers a user with a proper name; users.info and payloads then use it.
func (s *Server) AddUser(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store.addUser(&user{id: id, name: name})
}

// AddUsergroup creates a user group (ID like S0123ABCD) with members, for
// usergroups.users.list.
func (s *Server) AddUsergroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store.groups[id] = append([]string{}, members...)
}

// AddChannel creates a pre-existing public channel and returns its ID. The bot is a member only
// if its user ID is among members. Each member joins with a channel_join message, at the server
// clock's now. It panics on a name Slack would refuse or that is taken:
// that is a mistake in the test, not a behaviour under test.
func (s *Server) AddChannel(name string, members ...string) string {
	return s.addChannel(name, false, members)
}

// AddPrivateChannel is AddChannel for a private channel; the bot cannot see it unless it is a
// member.
func (s *Server) AddPrivateChannel(name string, members ...string) string {
	return s.addChannel(name, true, members)
}

func (s *Server) addChannel(name string, private bool, members []string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code := s.checkChannelNameLocked(name); code != "" {
		panic(fmt.Sprintf("slacktest: AddChannel(%q): %s", name, code))
	}
	for _, m := range members {
		s.store.lookupUser(m)
	}
	creator := s.opts.BotUserID
	if len(members) > 0 {
		creator = members[0]
	}
	return s.store.addChannel(name, private, creator, s.now(), members).id
}

// AddMessage stores a message a user (not the bot) posted in a channel (ID or name) and returns
// its ts; threadTS makes it a reply (AddReply checks the thread exists, AddMessage does not).
// Users need not be members, as with Slack's own clients the test decides what happened. It
// panics if the channel does not exist. Options: At, Broadcast.
func (s *Server) AddMessage(channel, user, text, threadTS string, opts ...MessageOption) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel("AddMessage", channel)
	s.store.lookupUser(user)
	o := messageOptions{threadTS: threadTS}
	return s.addLocked(c, Message{User: user, Text: text}, o.apply(opts))
}

// AddReply stores a user's reply in the thread under threadTS (a reply's ts means its thread)
// and returns its ts. It panics if the channel or the message does not exist. Options: At,
// Broadcast.
func (s *Server) AddReply(channel, threadTS, user, text string, opts ...MessageOption) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel("AddReply", channel)
	s.store.lookupUser(user)
	o := messageOptions{threadTS: s.mustMessage("AddReply", c, threadTS).TS}
	return s.addLocked(c, Message{User: user, Text: text}, o.apply(opts))
}

// AddBotMessage stores a message posted by a bot (bot ID like "B0123ABCD") and returns its ts.
// Slack shows it with subtype bot_message, the bot_id and no user; with the app's own bot ID it
// is a message of the app's bot user, like the ones it posts with chat.postMessage. Options:
// At, InThread, Broadcast.
func (s *Server) AddBotMessage(channel, botID, text string, opts ...MessageOption) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel("AddBotMessage", channel)
	m := Message{Subtype: "bot_message", BotID: botID, Text: text}
	if botID == s.botID {
		m = Message{User: s.opts.BotUserID, Text: text}
	}
	return s.addLocked(c, m, messageOptions{}.apply(opts))
}

// AddFile stores a message in which user shares a file called name (content empty; title the
// name) and returns the message's ts; Files lists the file. Options: At, InThread, Broadcast.
func (s *Server) AddFile(channel, user, name string, opts ...MessageOption) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChannel("AddFile", channel)
	s.store.lookupUser(user)
	o := messageOptions{}.apply(opts)
	at := s.now()
	if !o.at.IsZero() {
		at = o.at
	}
	f := s.store.addFile(name, user, 0, at)
	f.title, f.complete = name, true
	f.channels = []string{c.id}
	return s.addLocked(c, Message{User: user, Files: []string{f.id}}, o)
}

// EditMessage changes a message's text as its author would, so Slack marks it edited. It panics
// if the message does not exist.
func (s *Server) EditMessage(channel, ts, newText string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage("EditMessage", s.mustChannel("EditMessage", channel), ts)
	m.Text = newText
	s.store.markEdited(m, s.authorOf(m), s.now())
}

// Pin pins a message to its channel (pinned_to, pins.list, pin_count); pinning twice is a no-op.
// The pin is credited to the message's author. It panics if the message does not exist.
func (s *Server) Pin(channel, ts string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage("Pin", s.mustChannel("Pin", channel), ts)
	if !m.pinned {
		m.pinned, m.pinnedBy, m.pinnedAt = true, s.authorOf(m), s.now()
	}
}

// React adds user's emoji reaction (":eyes:" or "eyes") to a message; reacting twice with the
// same emoji is a no-op, as in Slack's client. It panics if the message does not exist.
func (s *Server) React(channel, ts, user, emoji string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage("React", s.mustChannel("React", channel), ts)
	s.store.lookupUser(user)
	name := strings.Trim(emoji, ":")
	for _, r := range m.reactions {
		if r.name == name {
			if !slices.Contains(r.users, user) {
				r.users = append(r.users, user)
			}
			return
		}
	}
	m.reactions = append(m.reactions, &reaction{name: name, users: []string{user}})
}

// MessageOption adjusts a message a test adds with AddMessage, AddReply, AddBotMessage or AddFile.
type MessageOption func(*messageOptions)

type messageOptions struct {
	at        time.Time
	threadTS  string
	broadcast bool
}

func (o messageOptions) apply(opts []MessageOption) messageOptions {
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// At posts the message at t instead of the server clock's now, so tests can build channels
// spanning days. Its ts is t (moved on by microseconds if taken); history and replies order by
// ts, Messages keeps the order of posting.
func At(t time.Time) MessageOption { return func(o *messageOptions) { o.at = t } }

// InThread posts the message as a reply in the thread under threadTS (AddBotMessage, AddFile).
func InThread(threadTS string) MessageOption {
	return func(o *messageOptions) { o.threadTS = threadTS }
}

// Broadcast makes a reply also appear in the channel (subtype thread_broadcast), like a reply
// sent with "Also send to channel".
func Broadcast() MessageOption { return func(o *messageOptions) { o.broadcast = true } }

func (s *Server) mustChannel(helper, channel string) *channel {
	c := s.store.findChannel(channel)
	if c == nil {
		panic(fmt.Sprintf("slacktest: %s: no channel %q", helper, channel))
	}
	return c
}

func (s *Server) mustMessage(helper string, c *channel, ts string) *message {
	m := c.findMessage(ts)
	if m == nil {
		panic(fmt.Sprintf("slacktest: %s: no message %s in %s", helper, ts, c.id))
	}
	return m
}

// addLocked stores a message a test added, at the options' time or now.
func (s *Server) addLocked(c *channel, msg Message, o messageOptions) string {
	msg.Channel, msg.ThreadTS = c.id, o.threadTS
	if parent := c.findMessage(o.threadTS); parent != nil && parent.isReply() {
		msg.ThreadTS = parent.ThreadTS // a reply's ts means its thread
	}
	if o.at.IsZero() {
		msg.TS = s.store.nextTS(s.now())
	} else {
		msg.TS = s.store.tsAt(o.at)
	}
	if o.broadcast && msg.ThreadTS != "" {
		msg.Subtype = "thread_broadcast"
	}
	c.messages = append(c.messages, &message{Message: msg})
	return msg.TS
}

// authorOf is who Slack credits with a message: its user, or its bot.
func (s *Server) authorOf(m *message) string {
	if m.User != "" {
		return m.User
	}
	return m.BotID
}
