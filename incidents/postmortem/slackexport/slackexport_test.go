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

	// Names: real_name (a postmortem names people), else display_name; users.json's missing user
	// U0FAKEUSER3 named from the message's user_profile; U0FAKEUSER2 is
	// nowhere, so it stays an ID (absent from the map).
	wantUsers := map[string]string{"U0FAKEUSER1": "Rita Ops", "U0FAKEBOT01": "opsbot", "U0FAKEUSER3": "Sam Dev"}
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
