package slackexport

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/incident-bot/incident-bot/incidents/postmortem"
)

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
	if want := map[string]string{"U0FAKEUSER1": "Rita Ops", "U0FAKEUSER3": "Sam Dev"}; !mapsEqual(ch.Users, want) {
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
