package slacktest

import (
	"encoding/json"
	"slices"
	"strings"
)

// canvasMethods keep channel canvases: one per channel, markdown only.
func canvasMethods() map[string]method {
	return map[string]method{
		"conversations.canvases.create": {handle: conversationsCanvasesCreate},
		"canvases.edit":                 {handle: canvasesEdit},
	}
}

type canvas struct {
	id, channel, title string
	markdown           string
	edits              []CanvasChange
}

// CanvasChange is one change a canvases.edit call applied.
type CanvasChange struct {
	Operation string // "replace", "insert_at_start" or "insert_at_end"
	Markdown  string
}

// Canvas is a snapshot of a channel canvas.
type Canvas struct {
	ID       string // "F…": Slack's canvases are files
	Channel  string
	Title    string
	Markdown string         // the content after every edit
	Edits    []CanvasChange // the changes canvases.edit applied, in order
}

type documentContent struct {
	Type     string `json:"type"`
	Markdown string `json:"markdown"`
}

// readContent checks a document_content: a JSON object of type "markdown".
func readContent(raw string) (string, *apiError) {
	var dc documentContent
	if err := json.Unmarshal([]byte(raw), &dc); err != nil {
		return "", invalidArguments("[ERROR] document_content must be a JSON object")
	}
	if dc.Type != "markdown" {
		return "", invalidArguments("[ERROR] document_content.type must be markdown")
	}
	return dc.Markdown, nil
}

// conversationsCanvasesCreate makes the channel's canvas; the bot must be in the channel, and a
// channel has at most one (channel_canvas_already_exists).
func conversationsCanvasesCreate(s *Server, req *request) (map[string]any, *apiError) {
	id := req.args.Get("channel_id")
	if id == "" {
		return nil, invalidArguments("[ERROR] missing required field: channel_id")
	}
	c, err := s.visibleChannel(id)
	if err != nil {
		return nil, err
	}
	if !c.isMember(s.opts.BotUserID) {
		return nil, fail("not_in_channel")
	}
	if c.canvas != "" {
		return nil, fail("channel_canvas_already_exists")
	}
	md := ""
	if raw := req.args.Get("document_content"); raw != "" {
		if md, err = readContent(raw); err != nil {
			return nil, err
		}
	}
	cv := &canvas{id: s.store.newID("F"), channel: c.id, title: req.args.Get("title"), markdown: md}
	s.store.canvases[cv.id] = cv
	c.canvas = cv.id
	return map[string]any{"canvas_id": cv.id}, nil
}

// canvasesEdit applies changes to a canvas: replace (the whole canvas; the fake has no sections,
// so a section_id is canvas_editing_failed), insert_at_start and insert_at_end.
func canvasesEdit(s *Server, req *request) (map[string]any, *apiError) {
	id := req.args.Get("canvas_id")
	if id == "" {
		return nil, invalidArguments("[ERROR] missing required field: canvas_id")
	}
	cv, ok := s.store.canvases[id]
	if !ok {
		return nil, fail("canvas_not_found")
	}
	var changes []struct {
		Operation       string          `json:"operation"`
		SectionID       string          `json:"section_id"`
		DocumentContent json.RawMessage `json:"document_content"`
	}
	if err := json.Unmarshal([]byte(req.args.Get("changes")), &changes); err != nil || len(changes) == 0 {
		return nil, invalidArguments("[ERROR] changes must be a non-empty JSON array")
	}
	md, applied := cv.markdown, make([]CanvasChange, 0, len(changes))
	for _, ch := range changes {
		text, aerr := readContent(string(ch.DocumentContent))
		if aerr != nil {
			return nil, aerr
		}
		switch {
		case ch.SectionID != "":
			return nil, fail("canvas_editing_failed")
		case ch.Operation == "replace":
			md = text
		case ch.Operation == "insert_at_start":
			md = text + md
		case ch.Operation == "insert_at_end":
			md += text
		default:
			return nil, invalidArguments("[ERROR] unsupported operation: " + ch.Operation)
		}
		applied = append(applied, CanvasChange{Operation: ch.Operation, Markdown: text})
	}
	cv.markdown, cv.edits = md, append(cv.edits, applied...)
	return map[string]any{}, nil
}

// Canvases returns every canvas, in the order they were created (IDs are handed out in order).
func (s *Server) Canvases() []Canvas {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Canvas, 0, len(s.store.canvases))
	for _, cv := range s.store.canvases {
		out = append(out, Canvas{ID: cv.id, Channel: cv.channel, Title: cv.title, Markdown: cv.markdown, Edits: slices.Clone(cv.edits)})
	}
	slices.SortFunc(out, func(a, b Canvas) int { return strings.Compare(a.ID, b.ID) })
	return out
}
