package slacktest_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

func TestUploadFileThroughSlackGo(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ctx := timeout(t)
	ch := s.AddChannel("inc-1", botUser, humanUser)
	parent := s.AddMessage(ch, humanUser, "timeline please", "")
	content := "# Timeline\n09:55 deploy v42\n10:02 rollback\n"

	sum, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: "timeline.md", FileSize: len(content), Reader: strings.NewReader(content),
		Title: "Incident timeline", Channel: ch, InitialComment: "Here is the timeline",
	})
	if err != nil || !strings.HasPrefix(sum.ID, "F") || sum.Title != "Incident timeline" {
		t.Fatalf("upload = %+v, %v", sum, err)
	}
	// Into a thread, with the Content form slack-go also offers.
	if _, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: "notes.txt", FileSize: 5, Content: "hello", Channel: ch, ThreadTimestamp: parent,
	}); err != nil {
		t.Fatal(err)
	}
	// Not shared anywhere: a private file.
	if _, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "private.csv", FileSize: 3, Content: "a,b"}); err != nil {
		t.Fatal(err)
	}

	files := s.Files()
	if len(files) != 3 {
		t.Fatalf("files = %+v", files)
	}
	f := files[0]
	if f.ID != sum.ID || f.Name != "timeline.md" || f.Title != "Incident timeline" || string(f.Content) != content || f.Channel != ch || f.User != botUser {
		t.Errorf("file = %+v", f)
	}
	if files[1].Title != "notes.txt" || string(files[1].Content) != "hello" || files[2].Channel != "" || len(files[2].Shares) != 0 {
		t.Errorf("other files = %+v", files[1:])
	}

	// The share is a message in the channel's history; the threaded one is a reply.
	resp, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch, Limit: 1})
	if err != nil || len(resp.Messages) != 1 {
		t.Fatalf("history = %+v %v", resp, err)
	}
	m := resp.Messages[0]
	if m.Text != "Here is the timeline" || len(m.Files) != 1 || m.Files[0].ID != sum.ID || m.Files[0].Name != "timeline.md" ||
		m.Files[0].Title != "Incident timeline" || m.Files[0].Size != len(content) || m.Files[0].Mimetype != "text/markdown" ||
		!slices.Equal(m.Files[0].Channels, []string{ch}) || m.User != botUser {
		t.Errorf("shared message = %+v, file %+v", m.Msg, m.Files)
	}
	replies, _, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: parent})
	if err != nil || len(replies) != 2 || len(replies[1].Files) != 1 || replies[1].Files[0].Name != "notes.txt" {
		t.Errorf("replies = %+v %v", replies, err)
	}

	// url_private_download serves the bytes to the bot token.
	var buf bytes.Buffer
	if err := api.GetFileContext(ctx, m.Files[0].URLPrivateDownload, &buf); err != nil || buf.String() != content {
		t.Errorf("download = %q %v", buf.String(), err)
	}
	req, _ := http.NewRequest(http.MethodGet, m.Files[0].URLPrivate, nil)
	if resp, _ := do(t, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("download without the token: %d", resp.StatusCode)
	}
}

func TestUploadFileErrors(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ctx := timeout(t)
	mine := s.AddChannel("inc-1", botUser)
	notMine := s.AddChannel("ops", humanUser)
	hidden := s.AddPrivateChannel("secret", humanUser)

	// The bytes must add up to the announced length.
	_, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "a.txt", FileSize: 10, Content: "short", Channel: mine})
	var sce slack.StatusCodeError
	if !errors.As(err, &sce) || sce.Code != http.StatusBadRequest {
		t.Errorf("length mismatch: %v, want the upload refused with 400", err)
	}

	upload := func(name, content string) *slack.GetUploadURLExternalResponse {
		t.Helper()
		u, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: name, FileSize: len(content)})
		if err != nil {
			t.Fatal(err)
		}
		if err := api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: u.UploadURL, Content: content, Filename: name}); err != nil {
			t.Fatal(err)
		}
		return u
	}
	complete := func(id, channel string) error {
		_, err := api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: id}}, Channel: channel})
		return err
	}

	never, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "never.txt", FileSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	wantSlackError(t, complete(never.FileID, mine), "file_not_found")
	wantSlackError(t, complete("F0NOSUCH001", mine), "file_not_found")
	u := upload("x.txt", "abc")
	wantSlackError(t, complete(u.FileID, notMine), "not_in_channel")
	wantSlackError(t, complete(u.FileID, hidden), "channel_not_found")
	wantSlackError(t, complete(u.FileID, "C0MISSING01"), "channel_not_found")
	if err := complete(u.FileID, mine); err != nil {
		t.Fatal(err)
	}
	wantSlackError(t, complete(u.FileID, mine), "file_not_found") // completed once
	req, _ := http.NewRequest(http.MethodPost, u.UploadURL, strings.NewReader("abc"))
	if resp, _ := do(t, req); resp.StatusCode != http.StatusNotFound {
		t.Errorf("upload URL after completion: %d", resp.StatusCode)
	}

	u, err = api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "y.txt", FileSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodGet, u.UploadURL, nil)
	if resp, _ := do(t, req); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET upload URL: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodPost, u.UploadURL, strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nabc\r\n--b--\r\n"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	if resp, _ := do(t, req); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("multipart without a file: %d", resp.StatusCode)
	}

	auth := func(kv ...string) url.Values {
		v := url.Values{"token": {"xoxb-test"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, tc := range []struct {
		method string
		form   url.Values
		code   string
	}{
		{"files.getUploadURLExternal", auth("length", "3"), "invalid_arguments"},
		{"files.getUploadURLExternal", auth("filename", "a.txt"), "invalid_arguments"},
		{"files.getUploadURLExternal", auth("filename", "a.txt", "length", "abc"), "invalid_arguments"},
		{"files.getUploadURLExternal", auth("filename", "a.txt", "length", "0"), "missing_argument"},
		{"files.getUploadURLExternal", auth("filename", "a.png", "length", "3", "alt_txt", strings.Repeat("x", 1001)), "alt_txt_too_large"},
		{"files.getUploadURLExternal", auth("filename", "a.py", "length", "2000000", "snippet_type", "python"), "snippet_too_large"},
		{"files.completeUploadExternal", auth(), "invalid_arguments"},
		{"files.completeUploadExternal", auth("files", "[]"), "invalid_arguments"},
		{"files.completeUploadExternal", auth("files", "F0123"), "invalid_arguments"},
	} {
		_, body := postForm(t, s, tc.method, tc.form, nil)
		if !strings.Contains(body, `"error":"`+tc.code+`"`) {
			t.Errorf("%s %v: %s, want %s", tc.method, tc.form, body, tc.code)
		}
	}
	if n := len(s.Files()); n != 1 {
		t.Errorf("files = %+v, want only the completed one", s.Files())
	}
}

func TestFilesInfoAndDelete(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	api := newAPI(s)
	ctx := timeout(t)
	ch := s.AddChannel("inc-2", botUser)
	sum, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "pm.md", FileSize: 2, Content: "# ", Channel: ch})
	if err != nil {
		t.Fatal(err)
	}
	f, _, _, err := api.GetFileInfoContext(ctx, sum.ID, 0, 0)
	if err != nil || f.Name != "pm.md" || !strings.Contains(f.Permalink, sum.ID) {
		t.Fatalf("info = %+v, %v", f, err)
	}
	if err := api.DeleteFileContext(ctx, sum.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.GetFileInfoContext(ctx, sum.ID, 0, 0); slackError(err) != "file_not_found" {
		t.Fatalf("info after delete: %v", err)
	}
	if err := api.DeleteFileContext(ctx, sum.ID); slackError(err) != "file_not_found" {
		t.Fatalf("second delete: %v", err)
	}
	if len(s.Files()) != 0 {
		t.Fatalf("deleted file still listed: %+v", s.Files())
	}
}
