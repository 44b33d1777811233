package slackexport

import (
	"errors"
	"os"
	"testing"
	"testing/fstest"
)

func addSeeds(f *testing.F) {
	for _, p := range []string{exportDir + "/ops/2026-01-06.json", exportDir + "/ops/2026-01-07.json"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "[]", "null", "{}", "[null]", "[{}]", `[{"ts":"1.5"}]`, `[{"ts":"1767690000.000100","edited":true}]`,
		`[{"ts":"1767690000.000100","file":null,"files":[{"mode":"tombstone"}],"attachments":[{"fallback":"x"}]}]`,
		`[{"ts":"1767690000.000100","reactions":[{"name":"key","users":null}],"pinned_to":["C1"],"user_profile":{"name":"n"}}]`,
		"[\n{\"ts\": 1}]", `[{"ts":"99999999999999999999.9"}]`, "\xff[", `[{"ts":"1.2"},]`,
	} {
		f.Add([]byte(s))
	}
}

// FuzzReadDayFile: the day-file decoder never panics, succeeds only with
// usable messages, and locates its JSON errors inside the input.
func FuzzReadDayFile(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, err := decodeDay("ops/2026-01-06.json", data)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a *FileError", err, err)
			}
			if fe.Offset < 0 || fe.Offset > int64(len(data)) || fe.Line < 0 || fe.Column < 0 || fe.Index < -1 {
				t.Fatalf("bad location %+v for %d bytes", fe, len(data))
			}
			_ = err.Error()
			return
		}
		for _, m := range msgs {
			at, err := parseTS(m.TS)
			if err != nil || !at.Equal(m.At) {
				t.Fatalf("message %q at %v: %v", m.TS, m.At, err)
			}
		}
		sortMessages(msgs)
	})
}

// FuzzRead: the whole reader over an export whose three files are
// arbitrary never panics.
func FuzzRead(f *testing.F) {
	channels, _ := os.ReadFile(exportDir + "/channels.json")
	users, _ := os.ReadFile(exportDir + "/users.json")
	day, _ := os.ReadFile(exportDir + "/ops/2026-01-06.json")
	f.Add(channels, users, day)
	f.Add([]byte(`[{"id":"C1","name":"ops","pins":[{"id":"1.0"}]}]`), []byte(`[{"id":"U1","is_bot":true,"profile":{"bot_id":"B1"}}]`),
		[]byte(`[{"ts":"1.0","bot_id":"B1"},{"ts":"1.0"}]`))
	f.Add([]byte(`[{"id":"C1","name":"../x"}]`), []byte(`null`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, channels, users, day []byte) {
		fsys := fstest.MapFS{
			"channels.json":       {Data: channels},
			"users.json":          {Data: users},
			"ops/2026-01-06.json": {Data: day},
		}
		ch, err := Read(fsys, "ops")
		if err != nil {
			_ = err.Error()
			return
		}
		for i := 1; i < len(ch.Messages); i++ {
			if ch.Messages[i].At.Before(ch.Messages[i-1].At) || ch.Messages[i].TS == ch.Messages[i-1].TS {
				t.Fatalf("messages %d and %d out of order or duplicated", i-1, i)
			}
		}
	})
}
