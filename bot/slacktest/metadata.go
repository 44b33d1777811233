package slacktest

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
)

// Metadata is the message metadata an app posted with a message (chat.postMessage or chat.update
// with `metadata`).
type Metadata struct {
	EventType    string
	EventPayload json.RawMessage // the event_payload object as posted ({} when none was given)
}

func (m *Metadata) clone() *Metadata {
	if m == nil {
		return nil
	}
	return &Metadata{EventType: m.EventType, EventPayload: slices.Clone(m.EventPayload)}
}

// readMetadata reads the metadata argument of chat.postMessage and chat.update; nil without one.
// Not a JSON object is invalid_metadata_format; an object without a usable event_type, or whose
// event_payload is not an object, is invalid_metadata_schema (both codes are in Slack's
// chat.postMessage reference; which one Slack picks for which mistake is the fake's choice).
func readMetadata(args url.Values) (*Metadata, *apiError) {
	raw := args.Get("metadata")
	if raw == "" {
		return nil, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &fields); err != nil || fields == nil {
		return nil, fail("invalid_metadata_format")
	}
	var md Metadata
	if err := json.Unmarshal(fields["event_type"], &md.EventType); err != nil || !validEventType(md.EventType) {
		return nil, fail("invalid_metadata_schema")
	}
	payload := bytes.TrimSpace(fields["event_payload"])
	if len(payload) == 0 || string(payload) == "null" {
		payload = []byte("{}") // slack-go sends a nil EventPayload as null
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(payload, &obj) != nil {
		return nil, fail("invalid_metadata_schema")
	}
	var buf bytes.Buffer
	_ = json.Compact(&buf, payload)
	md.EventPayload = buf.Bytes()
	return &md, nil
}

// validEventType allows what Slack's metadata guide asks for: a non-empty name of letters, digits
// and underscores ("incident_opened").
func validEventType(t string) bool {
	if t == "" {
		return false
	}
	for _, r := range t {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// wireMetadata renders metadata as conversations.history and conversations.replies return it with
// include_all_metadata.
func wireMetadata(md *Metadata) map[string]any {
	return map[string]any{"event_type": md.EventType, "event_payload": md.EventPayload}
}
