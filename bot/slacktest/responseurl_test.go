package slacktest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

func TestResponseURLActsOnTheInteraction(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ch := s.AddChannel("ops", humanUser, botUser)
	_, ts, err := api.PostMessage(ch, slack.MsgOptionText("Approve deploy?", false))
	if err != nil {
		t.Fatal(err)
	}
	hookURL := s.BlockAction(humanUser, ch, ts, "approve", "yes")["response_url"].(string)

	// Ephemeral by default, then in the channel, then replacing and deleting the original.
	if _, _, err := api.PostMessage("", slack.MsgOptionResponseURL(hookURL, ""), slack.MsgOptionText("noted", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage("", slack.MsgOptionResponseURL(hookURL, slack.ResponseTypeInChannel), slack.MsgOptionText("rita approved", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage("", slack.MsgOptionReplaceOriginal(hookURL), slack.MsgOptionText("Approved by rita", false)); err != nil {
		t.Fatal(err)
	}
	msgs := posts(s.Messages(ch))
	if len(msgs) != 3 || msgs[0].Text != "Approved by rita" || !msgs[0].Edited ||
		!msgs[1].Ephemeral || msgs[1].For != humanUser || msgs[2].Ephemeral || msgs[2].Text != "rita approved" {
		t.Fatalf("messages = %+v", msgs)
	}
	if _, _, err := api.PostMessage("", slack.MsgOptionDeleteOriginal(hookURL)); err != nil {
		t.Fatal(err)
	}
	if msgs := posts(s.Messages(ch)); len(msgs) != 2 || msgs[0].TS == ts {
		t.Errorf("after delete_original = %+v", msgs)
	}

	posts := s.ResponseURLPosts()
	if len(posts) != 4 || posts[1].ResponseType != "in_channel" || !posts[2].ReplaceOriginal || !posts[3].DeleteOriginal ||
		posts[0].Status != http.StatusOK || !strings.HasPrefix(posts[0].URL, "/response/") {
		t.Errorf("posts = %+v", posts)
	}
}

func TestResponseURLRefusals(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	hookURL := s.SlashCommand(humanUser, "ops", "").ResponseURL
	post := func(url, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, out := do(t, req)
		return resp.StatusCode, out
	}
	for _, tc := range []struct {
		url, body string
		status    int
		reply     string
	}{
		{hookURL, `{"text":"ok then"}`, 200, "ok"},
		{hookURL, `{"response_type":"ephemeral"}`, 400, "no_text"},
		{hookURL, `{"text":`, 400, "invalid_payload"},
		{hookURL[:strings.LastIndex(hookURL, "/")+1] + "unknown", `{"text":"x"}`, 404, "no_service"},
	} {
		if status, reply := post(tc.url, tc.body); status != tc.status || reply != tc.reply {
			t.Errorf("%s: %d %q, want %d %q", tc.body, status, reply, tc.status, tc.reply)
		}
	}
}
