package slacktest

import (
	"encoding/json"
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
// addressed (For) to the one user who saw them; so are the channel_join messages Slack posts
// when someone joins a channel.
type Message struct {
	TS      string
	Channel string
	User    string // empty for a message of a bot that has no user (AddBotMessage)
	// Subtype is Slack's: "bot_message" (the app's own posts and AddBotMessage),
	// "channel_join", "thread_broadcast", or empty for a person's message.
	Subtype   string
	BotID     string // set on bot messages
	Text      string
	Blocks    json.RawMessage
	ThreadTS  string // set on replies: the parent's ts
	Edited    bool
	Ephemeral bool
	For       string
	Files     []string  // IDs of the files shared with the message
	Metadata  *Metadata // message metadata the app posted with it; nil for none
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

// Messages returns a channel's messages in posting order, ephemeral ones and channel_join
// messages included.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.store.findChannel(channelID)
	if c == nil {
		return nil
	}
	out := make([]Message, 0, len(c.messages))
	for _, m := range c.messages {
		e := m.exported()
		e.Subtype, e.BotID = s.kindOf(m)
		out = append(out, e)
	}
	return out
}

// UploadedFile is a snapshot of a file: one the app uploaded and completed with
// files.completeUploadExternal, or one a test added with AddFile.
type UploadedFile struct {
	ID      string
	Name    string // the filename given to files.getUploadURLExternal
	Title   string // the title given on completion, else the name
	Content []byte
	Channel string   // the first conversation it was shared in; empty if it was not shared
	User    string   // who uploaded it (the bot user for uploads)
	Shares  []string // every conversation it was shared in
}

// Files returns the completed files in the order they were created. Uploads that were never
// completed are left out, as Slack aborts them.
func (s *Server) Files() []UploadedFile {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []UploadedFile
	for _, id := range s.store.fileIDs {
		f := s.store.files[id]
		if !f.complete || f.deleted {
			continue
		}
		u := UploadedFile{ID: f.id, Name: f.name, Title: f.title, Content: slices.Clone(f.content), User: f.user, Shares: slices.Clone(f.channels)}
		if len(f.channels) > 0 {
			u.Channel = f.channels[0]
		}
		out = append(out, u)
	}
	return out
}

// Bookmark is a snapshot of a channel bookmark.
type Bookmark struct {
	ID    string
	Title string
	Type  string // "link"
	Link  string
	Emoji string
}

// Bookmarks returns a channel's (ID or name) bookmarks in their order.
func (s *Server) Bookmarks(channel string) []Bookmark {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.store.findChannel(channel)
	if c == nil {
		return nil
	}
	out := make([]Bookmark, 0, len(c.bookmarks))
	for _, b := range c.bookmarks {
		out = append(out, Bookmark{ID: b.id, Title: b.title, Type: b.typ, Link: b.link, Emoji: b.emoji})
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

// DirectMessages returns the messages of the bot's direct conversation
// with a user, in posting order (none when there is none yet).
func (s *Server) DirectMessages(userID string) []Message {
	s.mu.Lock()
	id := ""
	for _, c := range s.store.channels {
		if c.im && c.imUser == userID {
			id = c.id
		}
	}
	s.mu.Unlock()
	if id == "" {
		return nil
	}
	return s.Messages(id)
}

// Channels lists every channel but direct conversations, in creation order.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Channel
	for _, id := range s.store.chanIDs {
		if c := s.store.channels[id]; c != nil && !c.im {
			out = append(out, c.exported())
		}
	}
	return out
}
