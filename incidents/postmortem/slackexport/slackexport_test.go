package slackexport

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/incident-bot/incident-bot/incidents/postmortem"
)

const exportDir = "testdata/export"

// exportFS is testdata/export as a MapFS, with files replaced (nil data
// removes the file).
func exportFS(t testing.TB, replace map[string][]byte) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(exportDir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(os.DirFS(exportDir), p)
		m[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, data := range replace {
		if data == nil {
			delete(m, p)
			continue
		}
		m[p] = &fstest.MapFile{Data: data}
	}
	return m
}

// render is one line per message: the golden-ish view of a channel.
func render(ch postmortem.Channel) string {
	var b strings.Builder
	for _, m := range ch.Messages {
		var flags []string
		if m.Edited {
			flags = append(flags, "edited")
		}
		if m.Pinned {
			flags = append(flags, "pinned")
		}
		thread := ""
		switch {
		case m.ThreadTS == m.TS:
			thread = "parent"
		case m.ThreadTS != "":
			thread = "reply:" + m.ThreadTS
		}
		fmt.Fprintf(&b, "%s %s user=%s bot=%s sub=%s %s [%s] %q", m.TS, m.At.Format("01-02 15:04:05.000000"),
			m.User, m.BotID, m.Subtype, thread, strings.Join(flags, ","), m.Text)
		for _, r := range m.Reactions {
			fmt.Fprintf(&b, " :%s:%v", r.Name, r.Users)
		}
		for _, f := range m.Files {
			fmt.Fprintf(&b, " file(%s %s)", f.Name, f.URL)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

const golden = `1767690000.000100 01-06 09:00:00.000100 user=U0FAKEUSER2 bot= sub=channel_join  [] "<@U0FAKEUSER2> has joined the channel"
1767693900.000200 01-06 10:05:00.000200 user=U0FAKEUSER1 bot= sub= parent [] "web is throwing 5xx after the 10:00 deploy" :eyes:[U0FAKEUSER2]
1767693960.000300 01-06 10:06:00.000300 user=U0FAKEUSER2 bot= sub= reply:1767693900.000200 [edited] "rolling back now"
1767694020.000400 01-06 10:07:00.000400 user=U0FAKEBOT01 bot=B0FAKEBOT01 sub=bot_message reply:1767693900.000200 [] "Rollback of web to v41 completed"
1767694080.000500 01-06 10:08:00.000500 user=U0FAKEUSER2 bot= sub=thread_broadcast reply:1767693900.000200 [] "Resolved: web rolled back to v41"
1767772800.000100 01-07 08:00:00.000100 user=U0FAKEUSER3 bot= sub=channel_join  [] "<@U0FAKEUSER3> has joined the channel"
1767772860.000200 01-07 08:01:00.000200 user=U0FAKEUSER1 bot= sub= reply:1767693900.000200 [] "follow-up: root cause was a missing env var in v42"
1767773000.000300 01-07 08:03:20.000300 user=U0FAKEUSER1 bot= sub= parent [] "graphs from yesterday" :key:[U0FAKEUSER2 U0FAKEUSER3] :+1::skin-tone-2:[U0FAKEUSER3] file(5xx-graph.png https://fake-team.slack.com/files/U0FAKEUSER1/F0FAKEFILE1/5xx-graph.png)
1767773100.000400 01-07 08:05:00.000400 user=U0FAKEUSER2 bot= sub= reply:1767773000.000300 [edited] "the spike starts at 10:02, not 10:00"
1767773200.000500 01-07 08:06:40.000500 user=U0FAKEBOT01 bot=B0FAKEBOT01 sub= reply:1767773000.000300 [] "Postmortem draft ready: https://example.org/pm/42"
1767776400.000600 01-07 09:00:00.000600 user=U0FAKEUSER3 bot= sub=  [edited] "Action item: <@U0FAKEUSER2> add a deploy check for required env vars"
`

func TestReadExport(t *testing.T) {
	ch, err := Read(os.DirFS(exportDir), "ops")
	if err != nil {
		t.Fatal(err)
	}
	if ch.ID != "C0FAKECHAN1" || ch.Name != "ops" {
		t.Errorf("channel = %s %s", ch.ID, ch.Name)
	}
	if got := render(ch); got != golden {
		t.Errorf("messages:\n%s\nwant:\n%s", got, golden)
	}

	// Two days, in order.
	if n := len(ch.Messages); n != 11 {
		t.Fatalf("%d messages, want 11", n)
	}
	if !slices.IsSortedFunc(ch.Messages, func(a, b postmortem.Message) int { return a.At.Compare(b.At) }) {
		t.Error("messages not sorted by time")
	}
	if d0, d1 := ch.Messages[0].At.Format(time.DateOnly), ch.Messages[10].At.Format(time.DateOnly); d0 != "2026-01-06" || d1 != "2026-01-07" {
		t.Errorf("span %s..%s", d0, d1)
	}
	for _, m := range ch.Messages {
		if m.At.Location() != time.UTC {
			t.Errorf("%s: At in %v, want UTC", m.TS, m.At.Location())
		}
	}

	// The first thread spans both days: 3 replies on the 6th (one a
	// broadcast), one on the 7th.
	var replies []string
	for _, m := range ch.Messages {
		if m.ThreadTS == "1767693900.000200" && m.TS != m.ThreadTS {
			replies = append(replies, m.TS)
		}
	}
	if want := []string{"1767693960.000300", "1767694020.000400", "1767694080.000500", "1767772860.000200"}; !slices.Equal(replies, want) {
		t.Errorf("thread replies %v, want %v", replies, want)
	}

	// Names: display_name, else real_name; users.json's missing user
	// U0FAKEUSER3 named from the message's user_profile; U0FAKEUSER2 is
	// nowhere, so it stays an ID (absent from the map).
	wantUsers := map[string]string{"U0FAKEUSER1": "rita", "U0FAKEBOT01": "opsbot", "U0FAKEUSER3": "Sam Dev"}
	if !mapsEqual(ch.Users, wantUsers) {
		t.Errorf("users %v, want %v", ch.Users, wantUsers)
	}
	if !slices.Equal(ch.BotUserIDs, []string{"U0FAKEBOT01"}) {
		t.Errorf("bots %v", ch.BotUserIDs)
	}

	var edited, files, joins int
	for _, m := range ch.Messages {
		if m.Edited {
			edited++
		}
		files += len(m.Files)
		if m.Subtype == "channel_join" {
			joins++
		}
	}
	if edited != 3 || files != 1 || joins != 2 {
		t.Errorf("edited %d files %d joins %d, want 3 1 2", edited, files, joins)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestReadByIDOrHash(t *testing.T) {
	for _, name := range []string{"C0FAKECHAN1", "#ops"} {
		ch, err := Read(os.DirFS(exportDir), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ch.Name != "ops" || len(ch.Messages) != 11 {
			t.Errorf("%s: %s with %d messages", name, ch.Name, len(ch.Messages))
		}
	}
}

func TestReadZip(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for p, f := range exportFS(t, nil) {
		w, err := zw.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.Data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := Read(zr, "ops")
	if err != nil {
		t.Fatal(err)
	}
	if got := render(ch); got != golden {
		t.Errorf("from zip:\n%s", got)
	}
}

func TestPins(t *testing.T) {
	// channels.json "pins": id is the message ts; "created" has been a
	// string in some exports.
	channels := `[{"id":"C0FAKECHAN1","name":"ops","members":[],
	  "pins":[{"id":"1767773000.000300","type":"C","created":"1767773010","user":"U0FAKEUSER1","owner":"U0FAKEUSER1"}]}]`
	day := `[{"type":"message","user":"U0FAKEUSER2","text":"pinned via pinned_to","ts":"1767780000.000100","pinned_to":["C0FAKECHAN1"]}]`
	ch, err := Read(exportFS(t, map[string][]byte{"channels.json": []byte(channels), "ops/2026-01-08.json": []byte(day)}), "ops")
	if err != nil {
		t.Fatal(err)
	}
	var pinned []string
	for _, m := range ch.Messages {
		if m.Pinned {
			pinned = append(pinned, m.TS)
		}
	}
	if want := []string{"1767773000.000300", "1767780000.000100"}; !slices.Equal(pinned, want) {
		t.Errorf("pinned %v, want %v", pinned, want)
	}
}

func TestUnknownChannel(t *testing.T) {
	groups := `[{"id":"G0FAKEPRIV1","name":"inc-42-db"}]`
	_, err := Read(exportFS(t, map[string][]byte{"groups.json": []byte(groups)}), "inc-41")
	if !errors.Is(err, ErrUnknownChannel) {
		t.Fatalf("err = %v, want ErrUnknownChannel", err)
	}
	var uce *UnknownChannelError
	if !errors.As(err, &uce) || !slices.Equal(uce.Available, []string{"inc-42-db", "ops"}) {
		t.Fatalf("err = %#v", err)
	}
	if want := `no channel "inc-41" in the export (channels.json, groups.json); available: inc-42-db, ops`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
}

func TestPrivateChannelFromGroups(t *testing.T) {
	fsys := fstest.MapFS{
		"groups.json":               {Data: []byte(`[{"id":"G0FAKEPRIV1","name":"inc-42-db"}]`)},
		"inc-42-db/2026-01-06.json": {Data: []byte(`[{"type":"message","user":"U1","text":"hi","ts":"1767690000.000100"}]`)},
	}
	ch, err := Read(fsys, "inc-42-db")
	if err != nil {
		t.Fatal(err)
	}
	if ch.ID != "G0FAKEPRIV1" || len(ch.Messages) != 1 || len(ch.Users) != 0 {
		t.Errorf("%+v", ch)
	}
}

func TestMalformedDayFile(t *testing.T) {
	tests := []struct {
		name, data       string
		line, col, index int
		msg              string
	}{
		{"syntax", "[\n  {\"ts\": \"1767744000.000100\",}\n]", 2, 30, -1, "invalid character '}'"},
		{"truncated", "[\n  {\"ts\": \"1767744000.000100\"", 2, 28, -1, "unexpected end of JSON input"},
		{"empty", "", 1, 1, -1, "unexpected end of JSON input"},
		{"ts as number", "[\n\n  {\"ts\": 1767744000.0001}]", 3, 24, -1, "cannot unmarshal number"},
		{"object not array", `{"messages": []}`, 1, 1, -1, "cannot unmarshal object"},
		{"bad ts", `[{"ts":"1767744000.000100"},{"ts":"yesterday"}]`, 0, 0, 1, `ts "yesterday" is not <seconds>.<fraction>`},
		{"no ts", `[{"text":"hi"}]`, 0, 0, 0, `no "ts"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(exportFS(t, map[string][]byte{"ops/2026-01-07.json": []byte(tt.data)}), "ops")
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *FileError", err)
			}
			if fe.File != "ops/2026-01-07.json" || fe.Line != tt.line || fe.Column != tt.col || fe.Index != tt.index {
				t.Errorf("got %s:%d:%d index %d, want line %d col %d index %d (%v)", fe.File, fe.Line, fe.Column, fe.Index, tt.line, tt.col, tt.index, err)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), "ops/2026-01-07.json") {
				t.Errorf("error %q lacks %q", err, tt.msg)
			}
		})
	}
}

func TestMissingUsersJSON(t *testing.T) {
	ch, err := Read(exportFS(t, map[string][]byte{"users.json": nil}), "ops")
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Messages) != 11 || len(ch.BotUserIDs) != 0 {
		t.Errorf("%d messages, bots %v", len(ch.Messages), ch.BotUserIDs)
	}
	// Only the inline profiles name anyone; the rest stay IDs.
	if want := map[string]string{"U0FAKEUSER1": "rita", "U0FAKEUSER3": "Sam Dev"}; !mapsEqual(ch.Users, want) {
		t.Errorf("users %v, want %v", ch.Users, want)
	}
	// Without users.json the bot_message's bot has no user.
	if m := ch.Messages[3]; m.User != "" || m.BotID != "B0FAKEBOT01" {
		t.Errorf("bot message user=%q bot=%q", m.User, m.BotID)
	}
}

func TestOrgUsersJSON(t *testing.T) {
	users, _ := os.ReadFile(exportDir + "/users.json")
	ch, err := Read(exportFS(t, map[string][]byte{"users.json": nil, "org_users.json": users}), "ops")
	if err != nil {
		t.Fatal(err)
	}
	if ch.Users["U0FAKEBOT01"] != "opsbot" {
		t.Errorf("users %v", ch.Users)
	}
}

func TestMalformedUsersJSON(t *testing.T) {
	_, err := Read(exportFS(t, map[string][]byte{"users.json": []byte(`[{"id": "U1", "is_bot": "yes"}]`)}), "ops")
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != "users.json" || fe.Line != 1 || !strings.Contains(err.Error(), "is_bot") {
		t.Fatalf("err = %v", err)
	}
}

func TestNotAnExport(t *testing.T) {
	_, err := Read(fstest.MapFS{"ops/2026-01-06.json": {Data: []byte("[]")}}, "ops")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "channels.json") {
		t.Fatalf("err = %v", err)
	}
}

func TestNoFolder(t *testing.T) {
	channels := `[{"id":"C0FAKECHAN1","name":"ops"},{"id":"C0FAKECHAN2","name":"quiet"}]`
	_, err := Read(exportFS(t, map[string][]byte{"channels.json": []byte(channels)}), "quiet")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "quiet/") {
		t.Fatalf("err = %v", err)
	}
}

func TestFolderByID(t *testing.T) {
	fsys := fstest.MapFS{
		"channels.json":               {Data: []byte(`[{"id":"C0FAKECHAN1","name":"ops"}]`)},
		"C0FAKECHAN1/2026-01-06.json": {Data: []byte(`[{"type":"message","user":"U1","text":"hi","ts":"1767690000.000100"}]`)},
	}
	ch, err := Read(fsys, "ops")
	if err != nil || len(ch.Messages) != 1 {
		t.Fatalf("%v %+v", err, ch)
	}
}

func TestOrderDedupeAndOtherFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"channels.json": {Data: []byte(`[{"id":"C1","name":"ops"}]`)},
		// out of order within a file; the 06th's last message again on the 07th
		"ops/2026-01-07.json": {Data: []byte(`[
			{"ts":"1767772800.000200","text":"c"},
			{"ts":"1767694080.000500","text":"b"},
			{"ts":"1767772800.000100","text":"c0"}]`)},
		"ops/2026-01-06.json":         {Data: []byte(`[{"ts":"1767694080.000500","text":"b"},{"ts":"1767690000.9","text":"a"}]`)},
		"ops/attachments/F1-x.png":    {Data: []byte("png")},
		"ops/notes.txt":               {Data: []byte("{")},
		"ops/2026-13-01.json":         {Data: []byte("{")},
		"ops/2026-01-08.json.partial": {Data: []byte("{")},
	}
	ch, err := Read(fsys, "ops")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range ch.Messages {
		texts = append(texts, m.Text)
	}
	if want := []string{"a", "b", "c0", "c"}; !slices.Equal(texts, want) {
		t.Errorf("texts %v, want %v", texts, want)
	}
	if got := ch.Messages[0].At; !got.Equal(time.Unix(1767690000, 900_000_000)) {
		t.Errorf("short fraction: %v", got)
	}
}

func TestFilesAndAttachments(t *testing.T) {
	day := `[
	 {"type":"message","subtype":"file_share","user":"U1","text":"<@U1> uploaded a file","ts":"1767690000.000100",
	  "file":{"name":"legacy.log","title":"legacy log","url_private":"https://files.slack.com/files-pri/T1-F1/legacy.log"}},
	 {"type":"message","user":"U1","text":"","ts":"1767690001.000100",
	  "files":[{"id":"F2","mode":"tombstone"},{"id":"F3","mode":"hidden_by_limit","name":"old.png"},
	           {"title":"only a title","permalink":"https://t.slack.com/files/U1/F4/x"}]},
	 {"type":"message","subtype":"bot_message","bot_id":"B9","username":"alertmanager","text":"","ts":"1767690002.000100",
	  "attachments":[{"fallback":"[FIRING:1] HighErrorRate","text":"*Alert:* high"},{"text":"second"},{"color":"f00"}]},
	 {"type":"message","user":"U1","text":"x","ts":"1767690003.000100","edited":null,"reactions":[{"name":"","users":["U2"]},{"name":"key"}]}
	]`
	fsys := fstest.MapFS{
		"channels.json":       {Data: []byte(`[{"id":"C1","name":"ops"}]`)},
		"ops/2026-01-06.json": {Data: []byte(day)},
	}
	ch, err := Read(fsys, "ops")
	if err != nil {
		t.Fatal(err)
	}
	m := ch.Messages
	if len(m[0].Files) != 1 || m[0].Files[0] != (postmortem.File{Name: "legacy.log", URL: "https://files.slack.com/files-pri/T1-F1/legacy.log"}) {
		t.Errorf("legacy file: %+v", m[0].Files)
	}
	if len(m[1].Files) != 1 || m[1].Files[0] != (postmortem.File{Name: "only a title", URL: "https://t.slack.com/files/U1/F4/x"}) {
		t.Errorf("files: %+v", m[1].Files)
	}
	if m[2].Text != "[FIRING:1] HighErrorRate\nsecond" || m[2].User != "" || m[2].BotID != "B9" {
		t.Errorf("bot: %+v", m[2])
	}
	if m[3].Edited || len(m[3].Reactions) != 1 || m[3].Reactions[0].Name != "key" {
		t.Errorf("edited null / reactions: %+v", m[3])
	}
}

func TestParseTS(t *testing.T) {
	good := map[string]time.Time{
		"1767693900.000200": time.Unix(1767693900, 200_000),
		"1767693900":        time.Unix(1767693900, 0),
		"0.000001":          time.Unix(0, 1000),
		"1.123456789":       time.Unix(1, 123456789),
	}
	for ts, want := range good {
		got, err := parseTS(ts)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTS(%q) = %v, %v; want %v", ts, got, err, want)
		}
	}
	for _, ts := range []string{"", ".", "1.", ".5", "-1.0", "+1.0", "1e9", "1.2.3", "1767693900.0000000001", " 1.0", "99999999999999.0", "253402300800.0", "١٢.٣"} {
		if _, err := parseTS(ts); err == nil {
			t.Errorf("parseTS(%q) accepted", ts)
		}
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\ncd\n")
	for _, tt := range []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {1, 1, 1}, {2, 1, 2}, {3, 1, 3}, {4, 2, 1}, {6, 2, 3}, {99, 3, 1}} {
		if l, c := lineCol(data, tt.off); l != tt.line || c != tt.col {
			t.Errorf("lineCol(%d) = %d:%d, want %d:%d", tt.off, l, c, tt.line, tt.col)
		}
	}
}
