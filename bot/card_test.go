package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
	"github.com/incident-bot/incident-bot/playbooks"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

var actionsLookup = actions.Lookup

// Every built-in playbook renders as a card Slack accepts: the fake Slack
// checks Block Kit's limits (blocks per message, text lengths, button and
// option text, options per select and checkbox group, confirm dialogs) the
// way chat.postMessage does. Done boxes and the switch select are filled
// in, as on a card in use.
func TestEveryPlaybookCardFitsBlockKit(t *testing.T) {
	c, err := playbooks.Load("")
	if err != nil {
		t.Fatal(err)
	}
	fs := slacktest.New(slacktest.Options{})
	defer fs.Close()
	ch := fs.AddChannel("cards")
	api := slack.New("xoxb-test", slack.OptionAPIURL(fs.APIURL()))
	r := Renderer{Location: time.UTC}
	overdue := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // every card shows its overdue warning
	for _, pb := range c.List() {
		done := map[int]bool{}
		for i := range pb.Checks {
			done[i] = i%2 == 0
		}
		var candidates []string
		for _, other := range c.List()[:5] {
			candidates = append(candidates, other.ID)
		}
		for _, static := range []bool{false, true} {
			text, blocks := r.RunbookCard(Card{Playbook: pb, Why: "Matched: " + strings.Repeat("term \"x\" (+1.0), ", 5),
				Done: done, Candidates: candidates, All: c.List(), Now: overdue, Static: static})
			if _, _, err := api.PostMessageContext(context.Background(), ch, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
				var se slack.SlackErrorResponse
				if ok := asSlackError(err, &se); ok {
					t.Errorf("%s (static=%v): %s %v", pb.ID, static, se.Err, se.ResponseMetadata.Messages)
				} else {
					t.Errorf("%s: %v", pb.ID, err)
				}
			}
		}
	}
	if got := len(fs.Messages(ch)); got != 2*len(c.List()) {
		t.Fatalf("%d cards accepted of %d", got, 2*len(c.List()))
	}
}

func asSlackError(err error, se *slack.SlackErrorResponse) bool {
	e, ok := err.(slack.SlackErrorResponse)
	if ok {
		*se = e
	}
	return ok
}

func TestCardShowsOverdueReview(t *testing.T) {
	c, err := playbooks.Load("")
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := c.Get("redis-unreachable")
	r := Renderer{Location: time.UTC}
	render := func(now time.Time) string {
		_, blocks := r.RunbookCard(Card{Playbook: pb, All: c.List(), Now: now})
		raw, _ := slack.Blocks{BlockSet: blocks}.MarshalJSON()
		return string(raw)
	}
	if s := render(pb.ReviewDue().AddDate(0, 0, 1)); !strings.Contains(s, "Review overdue") || !strings.Contains(s, pb.ReviewDue().Format(time.DateOnly)) {
		t.Errorf("overdue card lacks the warning: %s", s)
	}
	if s := render(pb.ReviewDue().AddDate(0, 0, -1)); strings.Contains(s, "Review overdue") {
		t.Errorf("card in date says overdue")
	}
}

// Buttons of actions that change production are red and ask first;
// read-only ones are plain and run at once.
func TestMutatingButtonsAreDangerousAndConfirmed(t *testing.T) {
	c, err := playbooks.Load("")
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := c.Get("db-lock-contention") // has read-only and mutating actions
	_, blocks := Renderer{Location: time.UTC}.RunbookCard(Card{Playbook: pb, All: c.List(), Now: time.Now()})
	seen := map[bool]int{}
	for _, b := range blocks {
		ab, ok := b.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for _, el := range ab.Elements.ElementSet {
			btn, ok := el.(*slack.ButtonBlockElement)
			if !ok {
				continue
			}
			_, id, _ := strings.Cut(btn.Value, "|")
			spec, _ := actionsLookup(id)
			seen[spec.Mutates]++
			if spec.Mutates != (btn.Style == slack.StyleDanger) || spec.Mutates != (btn.Confirm != nil) {
				t.Errorf("%s: mutates=%v style=%q confirm=%v", id, spec.Mutates, btn.Style, btn.Confirm != nil)
			}
		}
	}
	if seen[true] == 0 || seen[false] == 0 {
		t.Fatalf("card lacks one kind of button: %v", seen)
	}
}
