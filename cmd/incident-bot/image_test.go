package main

import (
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// What the runtime image (distroless static, nonroot) holds besides the
// binary, copied from this machine: CA certificates, the zone database,
// the users, and a /data the nonroot user owns.
const (
	nonroot   = 65532
	caBundle  = "/etc/ssl/certs/ca-certificates.crt"
	zoneinfo  = "/usr/share/zoneinfo"
	imageBin  = "/usr/local/bin/incident-bot"
	passwdTxt = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	groupTxt  = "root:x:0:\nnonroot:x:65532:\n"
)

// imageRoot lays out, in a fresh directory, the file system the image
// gives the binary, and returns it.
func imageRoot(t *testing.T, bin string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil { // the nonroot user walks it
		t.Fatal(err)
	}
	copyFile(t, bin, filepath.Join(root, imageBin), 0o755)
	copyFile(t, caBundle, filepath.Join(root, caBundle), 0o644)
	copyTree(t, zoneinfo, filepath.Join(root, zoneinfo))
	for name, text := range map[string]string{"/etc/passwd": passwdTxt, "/etc/group": groupTxt} {
		writeFile(t, filepath.Join(root, name), text)
	}
	for dir, mode := range map[string]os.FileMode{"/data": 0o755, "/tmp": 0o1777} {
		if err := os.MkdirAll(filepath.Join(root, dir), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(filepath.Join(root, "/data"), nonroot, nonroot); err != nil {
		t.Fatal(err)
	}
	return root
}

// The binary as the image runs it: built with the Dockerfile's flags,
// alone in a root holding only what the runtime image has, as uid 65532,
// with the image's environment. It answers /healthz and /readyz, creates
// the embedded store in /data, and reads DISPLAY_TIMEZONE from the zone
// database it was given.
func TestImageRuntime(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chroot into an image-like root and drop to uid 65532 (scripts/test in CI runs as root)")
	}
	d := readDockerfile(t)
	root := imageRoot(t, buildBinary(t))
	h := newHarness(t, "sqlite", nil) // the fake Slack, on loopback
	h.stop()
	addr := freeAddr(t)
	cmd := exec.Command(imageBin, "serve")
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: nonroot, Gid: nonroot}}
	for k, v := range d.runEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "HTTP_ADDR="+addr, "DISPLAY_TIMEZONE=Europe/London",
		"SLACK_APP_TOKEN="+h.env["SLACK_APP_TOKEN"], "SLACK_BOT_TOKEN="+h.env["SLACK_BOT_TOKEN"], "SLACK_API_URL="+h.env["SLACK_API_URL"])
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start in the image root: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for _, path := range []string{"/healthz", "/readyz"} {
		deadline := time.Now().Add(20 * time.Second)
		for !answers(addr, path) {
			if time.Now().After(deadline) {
				t.Fatalf("%s never answered 200; logs:\n%s", path, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	st, err := os.Stat(filepath.Join(root, d.runEnv["SQLITE_PATH"]))
	if err != nil {
		t.Fatalf("the embedded store is not in /data: %v; logs:\n%s", err, logs.String())
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || sys.Uid != nonroot {
		t.Errorf("the store belongs to uid %v, want %d", st.Sys(), nonroot)
	}
	if strings.Contains(logs.String(), "DISPLAY_TIMEZONE") {
		t.Errorf("the zone database was not usable:\n%s", logs.String())
	}
}

func answers(addr, path string) bool {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Skipf("this machine has no %s to give the image root: %v", from, err)
	}
	defer src.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies the files under from; links to files are copied as
// files, links to directories (zoneinfo's posix/, right/) are left out.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(from, p)
		copyFile(t, p, filepath.Join(to, rel), 0o644)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
