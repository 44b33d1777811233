package slacktest

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits from Slack's reference. Violations are reported the way Slack reports them:
// one "[ERROR] ... [json-pointer:/path]" line per problem in response_metadata.messages.
const (
	maxMessageBlocks = 50
	maxViewBlocks    = 100
	maxSectionText   = 3000
	maxSectionFields = 10
	maxFieldText     = 2000
	maxHeaderText    = 150
	maxActionsItems  = 25
	maxContextItems  = 10
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxOptions       = 100
	maxCheckOptions  = 10 // checkboxes and radio_buttons
	maxOverflowOpts  = 5
	maxOptionText    = 75
	maxOptionValue   = 150
	maxPlaceholder   = 150
	maxConfirmTitle  = 100
	maxConfirmText   = 300
	maxConfirmButton = 30
	maxContextText   = 2000
	maxInputLabel    = 2000
	maxID            = 255 // block_id, action_id, callback_id, external_id
)

var messageBlockTypes = map[string]bool{
	"section": true, "divider": true, "image": true, "actions": true, "context": true,
	"header": true, "input": true, "rich_text": true, "file": true, "video": true,
	"markdown": true, "table": true,
}

var modalBlockTypes = map[string]bool{
	"section": true, "divider": true, "image": true, "actions": true, "context": true,
	"header": true, "input": true, "rich_text": true, "video": true,
}

// checkMessageBlocks validates chat.* blocks: JSON that is not an array of objects is
// invalid_blocks_format; an array that breaks Block Kit's rules is invalid_blocks.
func checkMessageBlocks(raw string) (json.RawMessage, *apiError) {
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return nil, fail("invalid_blocks_format")
	}
	if msgs := checkBlockList(blocks, "/blocks", maxMessageBlocks, messageBlockTypes); len(msgs) > 0 {
		return nil, &apiError{code: "invalid_blocks", messages: msgs}
	}
	list := make([]any, len(blocks))
	for i, b := range blocks {
		list[i] = b
	}
	fillBlockIDs(list)
	out, _ := marshal(list)
	return out, nil
}

// checker collects problems under a json-pointer prefix.
type checker struct{ msgs []string }

func (c *checker) add(ptr, format string, a ...any) {
	c.msgs = append(c.msgs, fmt.Sprintf("[ERROR] "+format+" [json-pointer:%s]", append(a, ptr)...))
}

func (c *checker) maxLen(ptr, s string, limit int) {
	if utf8.RuneCountInString(s) > limit {
		c.add(ptr, "must be less than %d characters", limit+1)
	}
}

func (c *checker) count(ptr string, items []any, least, most int) {
	switch {
	case len(items) < least:
		c.add(ptr, "must provide at least %d items", least)
	case len(items) > most:
		c.add(ptr, "no more than %d items allowed", most)
	}
}

func checkBlockList(blocks []map[string]any, ptr string, most int, allowed map[string]bool) []string {
	var c checker
	if len(blocks) > most {
		c.add(ptr, "no more than %d items allowed", most)
		return c.msgs
	}
	seen := map[string]bool{}
	for i, b := range blocks {
		p := fmt.Sprintf("%s/%d", ptr, i)
		if id, ok := b["block_id"].(string); ok {
			c.maxLen(p+"/block_id", id, maxID)
			if seen[id] {
				c.add(p+"/block_id", "duplicate block_id %q", id)
			}
			seen[id] = true
		}
		c.block(p, b, allowed)
	}
	return c.msgs
}

func (c *checker) block(p string, b map[string]any, allowed map[string]bool) {
	typ, _ := b["type"].(string)
	switch {
	case typ == "":
		c.add(p, "missing required field: type")
		return
	case !allowed[typ]:
		c.add(p+"/type", "unsupported block type: %s", typ)
		return
	}
	switch typ {
	case "section":
		text, hasText := b["text"].(map[string]any)
		fields, hasFields := b["fields"].([]any)
		if !hasText && !hasFields {
			c.add(p, "must provide either text or fields")
		}
		if hasText {
			c.textObject(p+"/text", text, maxSectionText, false)
		}
		if hasFields {
			c.count(p+"/fields", fields, 1, maxSectionFields)
			for i, f := range fields {
				fo, _ := f.(map[string]any)
				c.textObject(fmt.Sprintf("%s/fields/%d", p, i), fo, maxFieldText, false)
			}
		}
		if acc, ok := b["accessory"].(map[string]any); ok {
			c.element(p+"/accessory", acc)
		}
	case "header":
		text, _ := b["text"].(map[string]any)
		c.textObject(p+"/text", text, maxHeaderText, true)
	case "actions":
		c.elements(p, b, maxActionsItems)
	case "context":
		items, _ := b["elements"].([]any)
		c.count(p+"/elements", items, 1, maxContextItems)
		for i, it := range items {
			if t, ok := it.(map[string]any); ok && t["type"] != "image" {
				c.textObject(fmt.Sprintf("%s/elements/%d", p, i), t, maxContextText, false)
			}
		}
	case "input":
		label, _ := b["label"].(map[string]any)
		c.textObject(p+"/label", label, maxInputLabel, true)
		el, ok := b["element"].(map[string]any)
		if !ok {
			c.add(p, "missing required field: element")
		} else {
			c.element(p+"/element", el)
		}
	}
}

func (c *checker) elements(p string, b map[string]any, most int) {
	items, _ := b["elements"].([]any)
	c.count(p+"/elements", items, 1, most)
	for i, it := range items {
		el, _ := it.(map[string]any)
		c.element(fmt.Sprintf("%s/elements/%d", p, i), el)
	}
}

// element checks the interactive elements the bot uses; others pass with their type checked.
func (c *checker) element(p string, el map[string]any) {
	typ, _ := el["type"].(string)
	if typ == "" {
		c.add(p, "missing required field: type")
		return
	}
	if id, ok := el["action_id"].(string); ok {
		c.maxLen(p+"/action_id", id, maxID)
	}
	if cf, ok := el["confirm"].(map[string]any); ok {
		c.confirm(p+"/confirm", cf)
	}
	if ph, ok := el["placeholder"].(map[string]any); ok {
		c.textObject(p+"/placeholder", ph, maxPlaceholder, true)
	}
	switch typ {
	case "button":
		text, _ := el["text"].(map[string]any)
		c.textObject(p+"/text", text, maxButtonText, true)
		if v, ok := el["value"].(string); ok {
			c.maxLen(p+"/value", v, maxButtonValue)
		}
		if st, ok := el["style"].(string); ok && st != "primary" && st != "danger" {
			c.add(p+"/style", "must be one of: primary, danger")
		}
	case "static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes":
		if _, grouped := el["option_groups"]; grouped {
			return
		}
		opts, _ := el["options"].([]any)
		most, plainOnly := maxOptions, true
		switch typ {
		case "checkboxes", "radio_buttons":
			most, plainOnly = maxCheckOptions, false // these options may be mrkdwn
		case "overflow":
			most = maxOverflowOpts
		}
		c.count(p+"/options", opts, 1, most)
		values := map[string]bool{}
		for i, o := range opts {
			opt, _ := o.(map[string]any)
			c.option(fmt.Sprintf("%s/options/%d", p, i), opt, plainOnly)
			if v, _ := opt["value"].(string); v != "" {
				values[v] = true
			}
		}
		// initial options must be among the options, as Slack checks.
		inits, _ := el["initial_options"].([]any)
		if io, ok := el["initial_option"]; ok {
			inits = append(inits, io)
		}
		for i, o := range inits {
			opt, _ := o.(map[string]any)
			if v, _ := opt["value"].(string); !values[v] {
				c.add(fmt.Sprintf("%s/initial_options/%d", p, i), "initial option must exactly match one of the options")
			}
		}
	}
}

// option checks a composition option object.
func (c *checker) option(p string, opt map[string]any, plainOnly bool) {
	text, _ := opt["text"].(map[string]any)
	c.textObject(p+"/text", text, maxOptionText, plainOnly)
	v, _ := opt["value"].(string)
	if v == "" {
		c.add(p+"/value", "must be more than 0 characters")
	}
	c.maxLen(p+"/value", v, maxOptionValue)
	if d, ok := opt["description"].(map[string]any); ok {
		c.textObject(p+"/description", d, maxOptionText, true)
	}
}

// confirm checks a confirmation dialog object.
func (c *checker) confirm(p string, cf map[string]any) {
	for _, f := range []struct {
		key   string
		limit int
	}{{"title", maxConfirmTitle}, {"text", maxConfirmText}, {"confirm", maxConfirmButton}, {"deny", maxConfirmButton}} {
		t, _ := cf[f.key].(map[string]any)
		c.textObject(p+"/"+f.key, t, f.limit, f.key != "text")
	}
}

// textObject checks a composition text object; plainOnly is for fields Slack requires to be
// plain_text (headers, labels, buttons, modal titles).
func (c *checker) textObject(p string, t map[string]any, limit int, plainOnly bool) {
	if t == nil {
		c.add(p, "must be a text object")
		return
	}
	typ, _ := t["type"].(string)
	switch {
	case typ == "plain_text":
	case typ == "mrkdwn" && !plainOnly:
	case plainOnly:
		c.add(p+"/type", "must be one of: plain_text")
	default:
		c.add(p+"/type", "must be one of: plain_text, mrkdwn")
	}
	text, _ := t["text"].(string)
	if text == "" {
		c.add(p+"/text", "must be more than 0 characters")
	}
	c.maxLen(p+"/text", text, limit)
}
