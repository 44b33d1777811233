package slacktest_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

// clock is a settable time source for trigger_id expiry.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// modal builds a view; Slack requires blocks, so one without any gets a section.
func modal(title string, blocks ...slack.Block) slack.ModalViewRequest {
	if len(blocks) == 0 {
		blocks = []slack.Block{section("Details")}
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "Open", false, false),
		Close:           slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		CallbackID:      "incident_open",
		PrivateMetadata: "C0FAKECHAN1",
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

func titleInput() slack.Block {
	return slack.NewInputBlock("title_block", slack.NewTextBlockObject(slack.PlainTextType, "Title", false, false), nil,
		slack.NewPlainTextInputBlockElement(nil, "title_input"))
}

func TestViewsOpenTriggerRules(t *testing.T) {
	clk := &clock{now: time.Date(2026, 1, 6, 10, 0, 0, 0, time.UTC)}
	s := newServer(t, slacktest.Options{Now: clk.Now})
	api := newAPI(s)

	trigger := s.SlashCommand(humanUser, "C0FAKECHAN1", "").TriggerID
	clk.Advance(2 * time.Second)
	v, err := api.OpenView(trigger, modal("Open incident", titleInput()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v.ID, "V") || v.Hash == "" || v.CallbackID != "incident_open" || v.RootViewID != v.ID || v.AppID != "A0FAKEAPP01" {
		t.Errorf("view = %+v", v.View)
	}
	views := s.Views()
	if len(views) != 1 || views[0].ID != v.ID || views[0].TriggerID != trigger || views[0].Title != "Open incident" || views[0].PrivateMetadata != "C0FAKECHAN1" || views[0].User != humanUser {
		t.Errorf("Views() = %+v", views)
	}

	_, err = api.OpenView(trigger, modal("Again"))
	wantSlackError(t, err, "exchanged_trigger_id")

	late := s.BlockAction(humanUser, "C0FAKECHAN1", "1.000001", "open", "x")["trigger_id"].(string)
	clk.Advance(3*time.Second + time.Millisecond)
	_, err = api.OpenView(late, modal("Late"))
	wantSlackError(t, err, "expired_trigger_id")

	_, err = api.OpenView("not-a-trigger", modal("Bad"))
	wantSlackError(t, err, "invalid_trigger_id")
	_, err = api.OpenView("1234567890123.1234567890.0123456789abcdef0123456789abcdef", modal("Unknown"))
	wantSlackError(t, err, "invalid_arguments")
}

func TestViewsOpenValidatesTheView(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	many := make([]slack.Block, 101)
	for i := range many {
		many[i] = slack.NewDividerBlock()
	}
	noSubmit := modal("Open incident", titleInput())
	noSubmit.Submit = nil
	for _, tc := range []struct {
		view slack.ModalViewRequest
		msg  string
	}{
		{modal("An incident title that is too long"), "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"},
		{modal("Open", many...), "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"},
		{noSubmit, "[ERROR] must provide a submit property when using input blocks [json-pointer:/view]"},
	} {
		trigger := s.SlashCommand(humanUser, "C0FAKECHAN1", "").TriggerID
		_, err := api.OpenView(trigger, tc.view)
		var se slack.SlackErrorResponse
		if !errors.As(err, &se) || se.Err != "invalid_arguments" || !slices.Contains(se.ResponseMetadata.Messages, tc.msg) {
			t.Errorf("err = %v %+v, want invalid_arguments with %q", err, se.ResponseMetadata, tc.msg)
		}
		// A refused view leaves the trigger usable.
		if _, err := api.OpenView(trigger, modal("Fine")); err != nil {
			t.Errorf("trigger after refused view: %v", err)
		}
	}
}

func TestViewsUpdatePushAndSubmission(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	root, err := api.OpenView(s.SlashCommand(humanUser, "C0FAKECHAN1", "").TriggerID, modal("Open incident", titleInput()))
	if err != nil {
		t.Fatal(err)
	}

	updated, err := api.UpdateView(modal("Open incident (2)", titleInput()), "", root.Hash, root.ID)
	if err != nil || updated.ID != root.ID || updated.Hash == root.Hash || updated.Title.Text != "Open incident (2)" {
		t.Fatalf("update = %+v, %v", updated, err)
	}
	_, err = api.UpdateView(modal("Stale"), "", root.Hash, root.ID)
	wantSlackError(t, err, "hash_conflict")
	_, err = api.UpdateView(modal("Gone"), "", "", "V0MISSING01")
	wantSlackError(t, err, "not_found")

	// Pushes go on the user's open stack, at most three views deep.
	for i, want := range []string{"", "", "push_limit_reached"} {
		trigger := s.BlockAction(humanUser, "C0FAKECHAN1", "1.000001", "more", "x")["trigger_id"].(string)
		pushed, err := api.PushView(trigger, modal("Step"))
		if got := slackError(err); got != want {
			t.Fatalf("push %d: %v, want %q", i, err, want)
		}
		if want == "" && (pushed.RootViewID != root.ID || pushed.PreviousViewID == "") {
			t.Errorf("pushed = %+v", pushed.View)
		}
	}

	// The submission carries the stored view with the user's input, and decodes in slack-go.
	p := s.ViewSubmission(humanUser, root.ID, "", "", map[string]map[string]any{
		"title_block": {"title_input": map[string]any{"type": "plain_text_input", "value": "web 5xx"}},
	})
	raw, _ := json.Marshal(p)
	var cb slack.InteractionCallback
	if err := json.Unmarshal(raw, &cb); err != nil {
		t.Fatal(err)
	}
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.ID != root.ID || cb.View.CallbackID != "incident_open" ||
		cb.View.PrivateMetadata != "C0FAKECHAN1" || cb.View.State.Values["title_block"]["title_input"].Value != "web 5xx" ||
		cb.TriggerID == "" || cb.User.ID != humanUser {
		t.Errorf("submission = %+v", cb)
	}
}

func TestViewsCallsAreJSONWithBearerToken(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	if _, err := newAPI(s).OpenView(s.SlashCommand(humanUser, "C0FAKECHAN1", "").TriggerID, modal("Open incident")); err != nil {
		t.Fatal(err)
	}
	calls := s.Calls()
	c := calls[len(calls)-1]
	if c.Method != "views.open" || c.ContentType != "application/json" || c.Status != 200 ||
		!strings.HasPrefix(c.Args.Get("view"), `{"type":"modal"`) || c.Args.Get("trigger_id") == "" {
		t.Errorf("call = %+v", c)
	}
}
