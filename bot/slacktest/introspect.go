package slacktest

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Channel is a snapshot of a conversation as the fake holds it.
type Channel struct {
	ID        string
	Name      string // empty for a DM
	Topic     string
	Purpose   string
	IsPrivate bool
	IsIM      bool // a direct message between the bot and one user
	Creator   string
	Members   []string
	Created   time.Time
}

// Message is a snapshot of a posted message. Ephemeral messages are kept too, marked and
// addressed (For) to the one user who saw them.
type Message struct {
	TS        string
	Channel   string
	User      string
	Text      string
	Blocks    json.RawMessage
	ThreadTS  string
	Edited    bool
	Ephemeral bool
	For       string
}

// View is a snapshot of a modal the app opened (or pushed), in its latest state.
type View struct {
	ID              string
	TriggerID       string
	CallbackID      string
	Title           string
	PrivateMetadata string
	User            string          // who the modal was opened for
	JSON            json.RawMessage // the view object as Slack returned it to the app
}

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
// if its user ID is among members. It panics on a name Slack would refuse or that is taken:
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
// its ts; threadTS makes it a reply. Users need not be members, as with Slack's own clients the
// test decides what happened. It panics if the channel does not exist.
func (s *Server) AddMessage(channel, user, text, threadTS string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.store.findChannel(channel)
	if c == nil {
		panic(fmt.Sprintf("slacktest: AddMessage: no channel %q", channel))
	}
	s.store.lookupUser(user)
	m := &message{Message: Message{TS: s.store.nextTS(s.now()), Channel: c.id, User: user, Text: text, ThreadTS: threadTS}}
	c.messages = append(c.messages, m)
	return m.TS
}

// Channel looks a channel up by ID, name or "#name".
func (s *Server) Channel(idOrName string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.store.findChannel(idOrName)
	if c == nil {
		return Channel{}, false
	}
	return c.exported(), true
}

// Messages returns a channel's messages in posting order, ephemeral ones included.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.store.findChannel(channelID)
	if c == nil {
		return nil
	}
	out := make([]Message, 0, len(c.messages))
	for _, m := range c.messages {
		out = append(out, m.exported())
	}
	return out
}

// Views returns every modal opened or pushed so far, in that order, each in its latest state.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.store.viewIDs))
	for _, id := range s.store.viewIDs {
		out = append(out, s.store.views[id].exported())
	}
	return out
}

// ResponseURLPosts returns every post made to a response_url, accepted or not, in order.
func (s *Server) ResponseURLPosts() []ResponsePost {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.store.posts)
	for i := range out {
		out[i].Body = slices.Clone(out[i].Body)
	}
	return out
}
