package slacktest_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

// TestFixtureHistoryAndReplies builds the channel the history and replies samples describe and
// gets the samples back, values and all (the cursor aside, which names another message).
func TestFixtureHistoryAndReplies(t *testing.T) {
	clk := &clock{now: micros(1767689000_000000)}
	s := newServer(t, slacktest.Options{BotUserID: "U0FAKEBOT01", Now: clk.Now})
	ch := s.AddChannel("ops", "U0FAKEBOT01")
	clk.Advance(1000*time.Second + 100*time.Microsecond) // 1767690000.000100
	if _, err := newAPI(s).InviteUsersToConversation(ch, "U0FAKEUSER2"); err != nil {
		t.Fatal(err)
	}
	parent := s.AddMessage(ch, "U0FAKEUSER1", "web is throwing 5xx after the 10:00 deploy", "", slacktest.At(micros(1767693900_000200)))
	s.AddReply(ch, parent, "U0FAKEUSER2", "rolling back now", slacktest.At(micros(1767693960_000300)))
	s.AddBotMessage(ch, "B0FAKEBOT01", "Rollback of web to v41 completed", slacktest.InThread(parent), slacktest.At(micros(1767694020_000400)))

	auth := url.Values{"token": {"xoxb-test"}, "channel": {ch}}
	first := cloneValues(auth)
	first.Set("limit", "2")
	_, body := postForm(t, s, "conversations.history", first, nil)
	assertSubset(t, "slack_conversations_history_page", body, "response_metadata.next_cursor")
	var page struct {
		Messages []struct{ TS, User string }
		Meta     struct {
			NextCursor string `json:"next_cursor"`
		} `json:"response_metadata"`
	}
	_ = json.Unmarshal([]byte(body), &page)
	raw, _ := base64.StdEncoding.DecodeString(page.Meta.NextCursor)
	if string(raw) != "next_ts:1767689000000000" {
		t.Errorf("next_cursor %q decodes to %q, want the next page's first ts like the sample's", page.Meta.NextCursor, raw)
	}
	second := cloneValues(first)
	second.Set("cursor", page.Meta.NextCursor)
	_, body = postForm(t, s, "conversations.history", second, nil)
	_ = json.Unmarshal([]byte(body), &page)
	if len(page.Messages) != 1 || page.Messages[0].User != "U0FAKEBOT01" || !strings.Contains(body, `"has_more":false`) || page.Meta.NextCursor != "" {
		t.Errorf("second page = %s", body)
	}

	replies := cloneValues(auth)
	replies.Set("ts", parent)
	_, body = postForm(t, s, "conversations.replies", replies, nil)
	assertSubset(t, "slack_conversations_replies", body)
}

func TestFixtureFileUpload(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	ch := s.AddChannel("ops", botUser)
	content := "# Timeline\n10:00 deploy\n"
	_, body := postForm(t, s, "files.getUploadURLExternal", url.Values{"token": {"xoxb-test"}, "filename": {"incident-timeline.md"}, "length": {strconv.Itoa(len(content))}}, nil)
	assertShape(t, "slack_files_getUploadURLExternal", jsonObject(t, body))
	var got struct {
		UploadURL string `json:"upload_url"`
		FileID    string `json:"file_id"`
	}
	_ = json.Unmarshal([]byte(body), &got)
	if !strings.HasPrefix(got.UploadURL, strings.TrimSuffix(s.APIURL(), "/api/")+"/upload/") || !strings.HasPrefix(got.FileID, "F") {
		t.Errorf("answer = %s", body)
	}

	// Raw bytes are as good as a multipart form.
	req, _ := http.NewRequest(http.MethodPost, got.UploadURL, strings.NewReader(content))
	resp, text := do(t, req)
	if resp.StatusCode != http.StatusOK || text != fmt.Sprintf("OK - %d", len(content)) {
		t.Errorf("upload: %d %q", resp.StatusCode, text)
	}

	files, _ := json.Marshal([]map[string]string{{"id": got.FileID, "title": "incident-timeline.md"}})
	_, body = postForm(t, s, "files.completeUploadExternal", url.Values{"token": {"xoxb-test"}, "files": {string(files)}, "channel_id": {ch}}, nil)
	assertSubset(t, "slack_files_completeUploadExternal", strings.ReplaceAll(body, got.FileID, "F0FAKEFILE1"))
}

func jsonObject(t *testing.T, body string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v in %q", err, body)
	}
	return v
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
