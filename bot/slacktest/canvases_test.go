package slacktest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

func TestCanvases(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ch := s.AddChannel("inc-1", botUser)
	outside := s.AddChannel("general", humanUser)
	md := func(text string) slack.DocumentContent {
		return slack.DocumentContent{Type: "markdown", Markdown: text}
	}

	id, err := api.CreateChannelCanvas(ch, md("# Draft 1"))
	if err != nil || !strings.HasPrefix(id, "F") {
		t.Fatalf("create = %q, %v", id, err)
	}
	_, err = api.CreateChannelCanvas(ch, md("# again"))
	wantSlackError(t, err, "channel_canvas_already_exists")
	_, err = api.CreateChannelCanvas(outside, md("x"))
	wantSlackError(t, err, "not_in_channel")
	s.FailNext("conversations.canvases.create", "canvas_disabled_user_team")
	_, err = api.CreateChannelCanvas(outside, md("x"))
	wantSlackError(t, err, "canvas_disabled_user_team")

	if err := api.EditCanvas(slack.EditCanvasParams{CanvasID: id, Changes: []slack.CanvasChange{{Operation: "replace", DocumentContent: md("# Draft 2")}}}); err != nil {
		t.Fatal(err)
	}
	// The same call as a JSON body, the token in the Authorization header.
	body := `{"canvas_id":"` + id + `","changes":[{"operation":"insert_at_end","document_content":{"type":"markdown","markdown":"\nmore"}}]}`
	req, _ := http.NewRequest(http.MethodPost, s.APIURL()+"canvases.edit", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer xoxb-test")
	if _, got := do(t, req); got != `{"ok":true}` {
		t.Errorf("JSON edit = %s", got)
	}
	err = api.EditCanvas(slack.EditCanvasParams{CanvasID: "F0MISSING01", Changes: []slack.CanvasChange{{Operation: "replace", DocumentContent: md("x")}}})
	wantSlackError(t, err, "canvas_not_found")
	err = api.EditCanvas(slack.EditCanvasParams{CanvasID: id, Changes: []slack.CanvasChange{{Operation: "replace", SectionID: "temp:C:AAA", DocumentContent: md("x")}}})
	wantSlackError(t, err, "canvas_editing_failed")

	got := s.Canvases()
	if len(got) != 1 || got[0].ID != id || got[0].Channel != ch || got[0].Markdown != "# Draft 2\nmore" || len(got[0].Edits) != 2 ||
		got[0].Edits[0] != (slacktest.CanvasChange{Operation: "replace", Markdown: "# Draft 2"}) {
		t.Errorf("Canvases = %+v", got)
	}
	if len(s.Files()) != 0 {
		t.Errorf("a canvas is listed as an uploaded file: %+v", s.Files())
	}
}
