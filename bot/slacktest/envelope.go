package slacktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

const (
	// connectWait is how long SendEnvelope waits for a client to (re)connect.
	connectWait = 5 * time.Second
	// disconnectGrace is how long after a disconnect frame the fake closes the socket itself if
	// the client has not gone by then.
	disconnectGrace = 5 * time.Second
)

var errNoConnection = errors.New("slacktest: no active Socket Mode connection")

// Ack is an acknowledgement the app sent back over Socket Mode.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage // the optional response payload; nil if the app sent none
	Latency    time.Duration   // from writing the envelope to reading the ack
}

type sentEnvelope struct {
	typ            string
	at             time.Time
	acceptsPayload bool
	payload        json.RawMessage
}

// envelopeFrame is the frame of socketmode_slash_command.json and friends, fields in order.
type envelopeFrame struct {
	EnvelopeID             string          `json:"envelope_id"`
	Type                   string          `json:"type"`
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	RetryAttempt           *int            `json:"retry_attempt,omitempty"`
	RetryReason            *string         `json:"retry_reason,omitempty"`
	Payload                json.RawMessage `json:"payload"`
}

// EnvelopeOption adjusts an envelope SendEnvelope sends.
type EnvelopeOption func(*envelopeFrame)

// WithEnvelopeID sets the envelope_id instead of a fresh UUID (e.g. to redeliver an envelope).
func WithEnvelopeID(id string) EnvelopeOption {
	return func(f *envelopeFrame) { f.EnvelopeID = id }
}

// RetryAttempt marks a redelivery, as Slack does for events_api envelopes it is retrying
// (reason e.g. "timeout").
func RetryAttempt(n int, reason string) EnvelopeOption {
	return func(f *envelopeFrame) { f.RetryAttempt, f.RetryReason = &n, &reason }
}

// AcceptsResponsePayload overrides accepts_response_payload. By default it is true for
// slash_commands and for view_submission and block_suggestion interactions, as in Slack.
func AcceptsResponsePayload(accepts bool) EnvelopeOption {
	return func(f *envelopeFrame) { f.AcceptsResponsePayload = accepts }
}

// SendEnvelope delivers a Socket Mode envelope ("slash_commands", "interactive" or "events_api")
// on the active connection, waiting up to 5s for one, and returns its envelope_id.
func (s *Server) SendEnvelope(typ string, payload any, opts ...EnvelopeOption) (string, error) {
	raw, err := marshalPayload(payload)
	if err != nil {
		return "", err
	}
	f := envelopeFrame{EnvelopeID: newUUID(), Type: typ, Payload: raw}
	switch typ {
	case "slash_commands":
		f.AcceptsResponsePayload = true
	case "interactive":
		var p struct{ Type string }
		_ = json.Unmarshal(raw, &p)
		f.AcceptsResponsePayload = p.Type == "view_submission" || p.Type == "block_suggestion"
	case "events_api":
		zero, none := 0, ""
		f.RetryAttempt, f.RetryReason = &zero, &none
	default:
		return "", fmt.Errorf("slacktest: unknown envelope type %q", typ)
	}
	for _, o := range opts {
		o(&f)
	}
	frame, err := marshal(f)
	if err != nil {
		return "", err
	}

	ctx, cancel := context.WithTimeout(context.Background(), connectWait)
	defer cancel()
	var c *wsConn
	if err := s.waitFor(ctx, func() bool { c = s.sock.active; return c != nil }); err != nil {
		return "", fmt.Errorf("%w to send a %s envelope on: %w", errNoConnection, typ, err)
	}
	s.mu.Lock()
	s.sock.sent[f.EnvelopeID] = sentEnvelope{typ: typ, at: time.Now(), acceptsPayload: f.AcceptsResponsePayload, payload: raw}
	s.mu.Unlock()
	if err := c.write(frame); err != nil {
		return "", fmt.Errorf("slacktest: write %s envelope: %w", typ, err)
	}
	return f.EnvelopeID, nil
}

func marshalPayload(payload any) (json.RawMessage, error) {
	switch p := payload.(type) {
	case json.RawMessage:
		if !json.Valid(p) {
			return nil, errors.New("slacktest: envelope payload is not valid JSON")
		}
		return p, nil
	case []byte:
		return marshalPayload(json.RawMessage(p))
	default:
		return marshal(payload)
	}
}

// recordAck stores an acknowledgement read from the socket. Like Slack, it shows a slash
// command's response payload to the user: ephemeral, or in the channel for "in_channel".
func (s *Server) recordAck(data []byte, at time.Time) {
	var in struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if json.Unmarshal(data, &in) != nil || in.EnvelopeID == "" {
		return // not an acknowledgement; Slack ignores it too
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ack := Ack{EnvelopeID: in.EnvelopeID, Payload: in.Payload}
	if sent, ok := s.sock.sent[in.EnvelopeID]; ok {
		ack.Latency = at.Sub(sent.at)
		if sent.typ == "slash_commands" && sent.acceptsPayload && len(in.Payload) > 0 {
			s.applySlashAckLocked(sent.payload, in.Payload)
		}
	}
	s.sock.acks = append(s.sock.acks, ack)
	s.notifyLocked()
}

func (s *Server) applySlashAckLocked(command, response json.RawMessage) {
	var cmd struct {
		ChannelID string `json:"channel_id"`
		UserID    string `json:"user_id"`
	}
	var body hookBody
	if json.Unmarshal(command, &cmd) != nil || json.Unmarshal(response, &body) != nil {
		return
	}
	var blocks json.RawMessage
	if len(body.Blocks) > 0 && string(body.Blocks) != "null" {
		var err *apiError
		if blocks, err = checkMessageBlocks(string(body.Blocks)); err != nil {
			return
		}
	}
	if body.Text == "" && !hasBlocks(blocks) {
		return // a bare acknowledgement
	}
	body.ReplaceOriginal, body.DeleteOriginal = false, false
	s.applyHookLocked(&hook{channel: cmd.ChannelID, user: cmd.UserID}, body, blocks)
}

// WaitAck blocks until the app acknowledges the envelope, or ctx ends.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	var ack Ack
	err := s.waitFor(ctx, func() bool {
		for _, a := range s.sock.acks {
			if a.EnvelopeID == envelopeID {
				ack = a
				return true
			}
		}
		return false
	})
	return ack, err
}

// Acks returns every acknowledgement received so far, in order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sock.acks)
}

// WaitConnected blocks until a client is connected and has been sent hello.
func (s *Server) WaitConnected(ctx context.Context) error {
	return s.waitFor(ctx, func() bool { return s.sock.active != nil })
}

// Connections counts the successful Socket Mode connections so far (reconnects included).
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sock.total
}

// Disconnect sends Slack's disconnect frame (reason "refresh_requested", "warning",
// "link_disabled", ...) on the active connection, which then takes no more envelopes. Like Slack,
// the fake closes the socket once the client has gone, or after a grace period.
func (s *Server) Disconnect(reason string) error {
	c := s.detachActive()
	if c == nil {
		return errNoConnection
	}
	f := disconnectFrame{Type: "disconnect", Reason: reason}
	f.DebugInfo.Host = c.host()
	err := c.writeJSON(f)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return err
	}
	s.bg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.bg.Done()
		t := time.NewTimer(disconnectGrace)
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
		case <-s.closing:
		}
		c.close()
	}()
	return err
}

// DropConnection simulates network loss: the TCP connection closes with no close frame.
func (s *Server) DropConnection() {
	if c := s.detachActive(); c != nil {
		_ = c.ws.NetConn().Close()
	}
}

// detachActive takes the active connection out of service at once, so that WaitConnected and
// SendEnvelope wait for the client's next connection. Like SendEnvelope it first waits briefly
// for a connection: a client can read hello a moment before the fake marks its connection
// active.
func (s *Server) detachActive() *wsConn {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if s.waitFor(ctx, func() bool { return s.sock.active != nil }) != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.sock.active
	s.sock.active = nil
	s.notifyLocked()
	return c
}
