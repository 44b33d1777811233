package slacktest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

func viewMethods() map[string]method {
	return map[string]method{
		"views.open":   {handle: viewsOpen},
		"views.update": {handle: viewsUpdate},
		"views.push":   {handle: viewsPush},
	}
}

const (
	maxViewBytes      = 250 << 10 // view_too_large
	maxViewButtonText = 24        // title, submit and close
	maxPrivateMeta    = 3000
	maxViewStack      = 3 // push_limit_reached: a modal stack holds at most three views
)

// view is a modal the app opened or pushed; obj is the view object as Slack returns it.
type view struct {
	id, hash, user, triggerID string
	rootID, previousID        string
	obj                       map[string]any
}

func (v *view) exported() View {
	str := func(k string) string { s, _ := v.obj[k].(string); return s }
	title := ""
	if t, ok := v.obj["title"].(map[string]any); ok {
		title, _ = t["text"].(string)
	}
	raw, _ := marshal(v.obj)
	return View{
		ID: v.id, TriggerID: v.triggerID, CallbackID: str("callback_id"), Title: title,
		PrivateMetadata: str("private_metadata"), User: v.user, JSON: raw,
	}
}

func viewsOpen(s *Server, req *request) (map[string]any, *apiError) {
	t, err := s.checkTrigger(req.args.Get("trigger_id"))
	if err != nil {
		return nil, err
	}
	obj, err := s.parseView(req.args.Get("view"), nil)
	if err != nil {
		return nil, err
	}
	t.used = true
	v := s.addView(obj, t, "", "")
	s.store.stacks[t.user] = []string{v.id}
	return map[string]any{"view": v.obj}, nil
}

func viewsPush(s *Server, req *request) (map[string]any, *apiError) {
	t, err := s.checkTrigger(req.args.Get("trigger_id"))
	if err != nil {
		return nil, err
	}
	obj, err := s.parseView(req.args.Get("view"), nil)
	if err != nil {
		return nil, err
	}
	stack := s.store.stacks[t.user]
	switch {
	case len(stack) == 0:
		return nil, fail("not_found") // nothing open to push onto
	case len(stack) >= maxViewStack:
		return nil, fail("push_limit_reached")
	}
	t.used = true
	v := s.addView(obj, t, stack[0], stack[len(stack)-1])
	s.store.stacks[t.user] = append(stack, v.id)
	return map[string]any{"view": v.obj}, nil
}

func viewsUpdate(s *Server, req *request) (map[string]any, *apiError) {
	var v *view
	switch id, ext := req.args.Get("view_id"), req.args.Get("external_id"); {
	case id != "":
		v = s.store.views[id]
	case ext != "":
		v = s.viewByExternalID(ext)
	default:
		return nil, invalidArguments("[ERROR] missing required field: view_id [json-pointer:/view_id]")
	}
	if v == nil {
		return nil, fail("not_found")
	}
	if h := req.args.Get("hash"); h != "" && h != v.hash {
		return nil, fail("hash_conflict")
	}
	obj, err := s.parseView(req.args.Get("view"), v)
	if err != nil {
		return nil, err
	}
	s.fillView(v, obj)
	return map[string]any{"view": v.obj}, nil
}

func (s *Server) viewByExternalID(ext string) *view {
	for _, id := range s.store.viewIDs {
		if v := s.store.views[id]; v.obj["external_id"] == ext {
			return v
		}
	}
	return nil
}

// parseView decodes and validates a view argument; self is the view being updated, if any.
func (s *Server) parseView(raw string, self *view) (map[string]any, *apiError) {
	if raw == "" {
		return nil, invalidArguments("[ERROR] missing required field: view [json-pointer:/view]")
	}
	if len(raw) > maxViewBytes {
		return nil, fail("view_too_large")
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(raw), &obj); err != nil {
		return nil, invalidArguments("[ERROR] must be an object [json-pointer:/view]")
	}
	if msgs := checkView(obj); len(msgs) > 0 {
		return nil, invalidArguments(msgs...)
	}
	if ext, _ := obj["external_id"].(string); ext != "" {
		if other := s.viewByExternalID(ext); other != nil && other != self {
			return nil, fail("duplicate_external_id")
		}
	}
	return obj, nil
}

// checkView applies the modal rules: type modal, a plain_text title, title/submit/close of at most
// 24 characters, at most 100 valid blocks, a submit button when there are inputs.
func checkView(v map[string]any) []string {
	var c checker
	if typ, _ := v["type"].(string); typ != "modal" {
		c.add("/view/type", "must be one of: modal")
	}
	if title, ok := v["title"].(map[string]any); ok {
		c.textObject("/view/title", title, maxViewButtonText, true)
	} else {
		c.add("/view", "missing required field: title")
	}
	for _, k := range []string{"submit", "close"} {
		if t, ok := v[k].(map[string]any); ok {
			c.textObject("/view/"+k, t, maxViewButtonText, true)
		}
	}
	for k, limit := range map[string]int{"callback_id": maxID, "external_id": maxID, "private_metadata": maxPrivateMeta} {
		if str, ok := v[k].(string); ok {
			c.maxLen("/view/"+k, str, limit)
		}
	}
	raw, ok := v["blocks"].([]any)
	if !ok {
		c.add("/view", "missing required field: blocks")
		return c.msgs
	}
	blocks := make([]map[string]any, 0, len(raw))
	hasInput := false
	for i, b := range raw {
		bm, ok := b.(map[string]any)
		if !ok {
			c.add(fmt.Sprintf("/view/blocks/%d", i), "must be an object")
			continue
		}
		hasInput = hasInput || bm["type"] == "input"
		blocks = append(blocks, bm)
	}
	c.msgs = append(c.msgs, checkBlockList(blocks, "/view/blocks", maxViewBlocks, modalBlockTypes)...)
	if _, hasSubmit := v["submit"]; hasInput && !hasSubmit {
		c.add("/view", "must provide a submit property when using input blocks")
	}
	return c.msgs
}

func (s *Server) addView(obj map[string]any, t *trigger, rootID, previousID string) *view {
	v := &view{id: s.store.newID("V"), user: t.user, triggerID: t.id, rootID: rootID, previousID: previousID}
	if v.rootID == "" {
		v.rootID = v.id
	}
	s.fillView(v, obj)
	s.store.views[v.id] = v
	s.store.viewIDs = append(s.store.viewIDs, v.id)
	return v
}

// fillView turns the app's view into the object Slack answers with: IDs, a fresh hash, empty
// state, block_ids filled in, and the optional fields present with their defaults.
func (s *Server) fillView(v *view, in map[string]any) {
	v.hash = fmt.Sprintf("%d.%s", s.now().Unix(), randomHex(4))
	blocks, _ := in["blocks"].([]any)
	blocks = slices.Clone(blocks)
	fillBlockIDs(blocks)
	str := func(k string) string { x, _ := in[k].(string); return x }
	flag := func(k string) bool { x, _ := in[k].(bool); return x }
	var previous any
	if v.previousID != "" {
		previous = v.previousID
	}
	v.obj = map[string]any{
		"id": v.id, "team_id": s.opts.TeamID, "type": "modal",
		"title": in["title"], "submit": in["submit"], "close": in["close"], "blocks": blocks,
		"private_metadata": str("private_metadata"), "callback_id": str("callback_id"),
		"external_id": str("external_id"), "state": map[string]any{"values": map[string]any{}},
		"hash": v.hash, "clear_on_close": flag("clear_on_close"), "notify_on_close": flag("notify_on_close"),
		"root_view_id": v.rootID, "previous_view_id": previous, "app_id": s.opts.AppID,
		"app_installed_team_id": s.opts.TeamID, "bot_id": s.botID,
	}
}

// fillBlockIDs gives every block without a block_id one, and every element without an action_id
// one, as Slack does before storing a view or message (interaction payloads always carry both).
func fillBlockIDs(blocks []any) {
	for i, b := range blocks {
		bm, ok := b.(map[string]any)
		if !ok {
			continue
		}
		bm = maps.Clone(bm)
		blocks[i] = bm
		if _, ok := bm["block_id"]; !ok {
			bm["block_id"] = randomHex(3)[:5]
		}
		fill := func(el any) any {
			em, ok := el.(map[string]any)
			if !ok {
				return el
			}
			if t := em["type"]; t == "image" || t == "plain_text" || t == "mrkdwn" {
				return el // not interactive: no action_id
			}
			em = maps.Clone(em)
			if _, ok := em["action_id"]; !ok {
				em["action_id"] = randomHex(3)[:5]
			}
			return em
		}
		if els, ok := bm["elements"].([]any); ok && bm["type"] == "actions" {
			els = slices.Clone(els)
			for j := range els {
				els[j] = fill(els[j])
			}
			bm["elements"] = els
		}
		for _, k := range []string{"accessory", "element"} {
			if el, ok := bm[k]; ok {
				bm[k] = fill(el)
			}
		}
	}
}
