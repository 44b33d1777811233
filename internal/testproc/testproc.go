// Package testproc runs a service binary a test needs (Alertmanager,
// Prometheus) on loopback: started, waited for until ready, killed by
// its PID when the test ends, its log shown when the test failed.
package testproc

import (
	"bytes"
	"net"
	"net/http"
	"os/exec"
	"testing"
	"time"
)

// FreeAddr is a loopback address nothing listens on now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Start runs bin with args and waits until readyURL answers 200, for at
// most patience; name is what the log and failures call it.
func Start(t testing.TB, name, bin string, args []string, readyURL string, patience time.Duration) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s log:\n%s", name, logs.String())
		}
	})
	deadline := time.Now().Add(patience)
	for {
		resp, err := http.Get(readyURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %s: %v\n%s", name, patience, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
