package actions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A connection string the targets file names but the environment lacks
// is reported by name at start-up, never by value.
func TestCheckEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "targets.yaml")
	if err := os.WriteFile(path, []byte("region: eu-west-2\ndatabases:\n  main: {url_env: MAIN_DATABASE_URL, admin_url_env: MAIN_ADMIN_URL}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tg, err := LoadTargets(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MAIN_DATABASE_URL": "postgres://u:secret@db/main"}
	err = tg.CheckEnv(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "MAIN_ADMIN_URL") || strings.Contains(err.Error(), "MAIN_DATABASE_URL") || strings.Contains(err.Error(), "secret") {
		t.Errorf("CheckEnv = %v; want MAIN_ADMIN_URL named as unset, and no value", err)
	}
	env["MAIN_ADMIN_URL"] = "postgres://a@db/main"
	if err := tg.CheckEnv(func(k string) string { return env[k] }); err != nil {
		t.Errorf("CheckEnv with both set = %v", err)
	}
}
