package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/internal/testpg"
)

// built is the binary the process tests share: built once per run.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

// buildBinary compiles incident-bot with the Dockerfile's own go build
// flags and environment (readDockerfile), once for all the tests that run
// the real process.
func buildBinary(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "incident-bot-bin-"); built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "incident-bot")
		d := readDockerfile(t)
		cmd := exec.Command("go", append(append([]string{"build"}, d.flags...), "-o", built.path, ".")...)
		cmd.Env = append(os.Environ(), d.env...)
		built.out, built.err = cmd.CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("build: %v\n%s", built.err, built.out)
	}
	return built.path
}

// TestMain removes the shared binary after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// A real SIGTERM to the real binary: it finishes the declaration in flight
// and exits 0.
func TestSIGTERM(t *testing.T) {
	bin := buildBinary(t)
	h := newHarness(t, "sqlite", nil) // the fake Slack and settings
	h.stop()
	cmd, _, logs := h.startBinary(bin)
	h.slack.SetLatency(100 * time.Millisecond)
	h.slash(rita, h.general, "start sev2 Terminated mid-flight")
	h.eventually("work started", func() bool { return h.slack.CallCount("conversations.create") > 0 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("still running 20s after SIGTERM\n%s", logs.String())
	}
	if len(h.slack.Messages(h.announce)) != 1 {
		t.Fatalf("declaration in flight was not finished before exit\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) || strings.Contains(logs.String(), "SECRET") {
		t.Fatalf("unexpected logs:\n%s", logs.String())
	}
}

func TestMigrate(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"sqlite":   {"SQLITE_PATH": filepath.Join(t.TempDir(), "m.db")},
		"postgres": {"DATABASE_URL": testpg.URL(t)},
	} {
		t.Run(name, func(t *testing.T) {
			for range 2 { // the second run finds nothing to do
				var out, errb bytes.Buffer
				if code := run(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, &out, &errb); code != 0 {
					t.Fatalf("migrate exited %d: %s", code, errb.String())
				}
				if !strings.Contains(out.String(), "migrations applied") {
					t.Fatalf("output: %q", out.String())
				}
			}
		})
	}
}

// /readyz turns 503 when the socket is gone, and names the reason.
func TestReadyzFollowsSocket(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	h.slack.Close()
	h.eventually("not ready", func() bool {
		resp, err := http.Get("http://" + h.httpAddr + "/readyz")
		if err != nil {
			return false
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(string(body), "slack socket not connected")
	})
}
