package storeutil

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	fsys := fstest.MapFS{
		"migrations/0002_more.sql": {Data: []byte("ALTER TABLE t ADD b int;")},
		"migrations/0001_init.sql": {Data: []byte("CREATE TABLE t (a int);")},
		"migrations/README.md":     {Data: []byte("not a migration")},
		"elsewhere/0003_other.sql": {Data: []byte("outside the glob")},
	}
	ms, err := LoadMigrations(fsys, "migrations/*.sql")
	if err != nil {
		t.Fatalf("LoadMigrations: %v", err)
	}
	want := []Migration{
		{Version: 1, Name: "0001_init.sql", SQL: "CREATE TABLE t (a int);"},
		{Version: 2, Name: "0002_more.sql", SQL: "ALTER TABLE t ADD b int;"},
	}
	if len(ms) != len(want) {
		t.Fatalf("LoadMigrations = %+v, want %+v", ms, want)
	}
	for i := range want {
		if ms[i] != want[i] {
			t.Errorf("migration %d = %+v, want %+v", i, ms[i], want[i])
		}
	}
}

func TestLoadMigrationsRejects(t *testing.T) {
	sql := &fstest.MapFile{Data: []byte("SELECT 1;")}
	for _, tc := range []struct {
		name  string
		files []string
		want  string // in the error: the file at fault
	}{
		{"gap", []string{"0001_a.sql", "0003_c.sql"}, "0003_c.sql: expected version 2"},
		{"not from 1", []string{"0002_b.sql"}, "0002_b.sql: expected version 1"},
		{"repeated version", []string{"0001_a.sql", "0001_b.sql"}, "0001_b.sql: expected version 2"},
		{"no version", []string{"0001_a.sql", "init.sql"}, "init.sql: name must start with a version number"},
		{"letters in version", []string{"v1_init.sql"}, "v1_init.sql: name must start"},
		{"no separator", []string{"0001.sql"}, "0001.sql: name must start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tc.files {
				fsys["migrations/"+f] = sql
			}
			ms, err := LoadMigrations(fsys, "migrations/*.sql")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadMigrations(%q) = %v, %v; want an error with %q", tc.files, ms, err, tc.want)
			}
		})
	}
}

func TestLoadMigrationsBadGlob(t *testing.T) {
	if _, err := LoadMigrations(fstest.MapFS{}, "migrations/[.sql"); err == nil {
		t.Error("LoadMigrations with a malformed pattern succeeded; want an error")
	}
}
