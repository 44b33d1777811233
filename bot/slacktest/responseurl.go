package slacktest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// ResponsePost is one post an app made to a response_url.
type ResponsePost struct {
	URL             string // the path, "/response/<token>"
	Body            json.RawMessage
	ResponseType    string // "ephemeral" (Slack's default) or "in_channel"
	Text            string
	ReplaceOriginal bool
	DeleteOriginal  bool
	Status          int // HTTP status the fake answered with
}

// hook is what a response_url acts on: where the interaction happened, who made it, and for a
// block action the message it came from (which replace_original and delete_original change).
type hook struct {
	channel, user, messageTS string
}

// issueHook mints a response_url for an interaction payload.
func (s *Server) issueHook(channelID, userID, messageTS string) string {
	token := randomHex(16)
	s.store.hooks[token] = &hook{channel: channelID, user: userID, messageTS: messageTS}
	return s.base + "/response/" + token
}

// hookBody is the JSON a response_url accepts.
type hookBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

// serveResponseURL answers like Slack's hooks: 200 with the plain-text body "ok", or a 4xx status
// with the error as plain text (the incoming-webhook error codes).
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "invalid_method", http.StatusMethodNotAllowed)
		return
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))

	s.mu.Lock()
	status, reply := s.handleHookLocked(strings.TrimPrefix(r.URL.Path, "/response/"), raw)
	var body hookBody
	_ = json.Unmarshal(raw, &body)
	s.store.posts = append(s.store.posts, ResponsePost{
		URL: r.URL.Path, Body: raw, ResponseType: body.ResponseType, Text: body.Text,
		ReplaceOriginal: body.ReplaceOriginal, DeleteOriginal: body.DeleteOriginal, Status: status,
	})
	s.mu.Unlock()

	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, reply)
}

func (s *Server) handleHookLocked(token string, raw []byte) (int, string) {
	h, ok := s.store.hooks[token]
	if !ok {
		return http.StatusNotFound, "no_service"
	}
	var body hookBody
	if err := json.Unmarshal(raw, &body); err != nil {
		return http.StatusBadRequest, "invalid_payload"
	}
	var blocks json.RawMessage
	if len(body.Blocks) > 0 && string(body.Blocks) != "null" {
		var err *apiError
		if blocks, err = checkMessageBlocks(string(body.Blocks)); err != nil {
			return http.StatusBadRequest, err.code
		}
	}
	if body.Text == "" && !hasBlocks(blocks) && !body.DeleteOriginal {
		return http.StatusBadRequest, "no_text"
	}
	s.applyHookLocked(h, body, blocks)
	return http.StatusOK, "ok"
}

// applyHookLocked does what Slack does with a response: delete or replace the message the
// interaction came from, post in the channel, or show the user an ephemeral message.
func (s *Server) applyHookLocked(h *hook, body hookBody, blocks json.RawMessage) {
	c := s.store.channels[h.channel]
	if c == nil {
		return // the interaction happened somewhere the fake does not model
	}
	original := c.findMessage(h.messageTS)
	switch {
	case body.DeleteOriginal:
		if original != nil {
			c.deleteMessage(original.TS)
		}
	case body.ReplaceOriginal && original != nil:
		original.Text, original.Blocks = body.Text, blocks
		s.store.markEdited(original, s.opts.BotUserID, s.now())
	default:
		m := &message{Message: Message{
			TS: s.store.nextTS(s.now()), Channel: c.id, User: s.opts.BotUserID,
			Text: body.Text, Blocks: blocks, ThreadTS: body.ThreadTS,
		}}
		if body.ResponseType != "in_channel" {
			m.Ephemeral, m.For = true, h.user
		}
		c.messages = append(c.messages, m)
	}
}
