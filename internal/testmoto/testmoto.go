// Package testmoto points the AWS SDK at a moto_server for tests, so the
// AWS actions run against a server speaking the real wire protocols.
// scripts/test starts one. Tests share it (packages run in parallel), so
// they never reset it: they name their resources uniquely (Name).
package testmoto

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Environment variables read by Endpoint.
const (
	// EnvEndpoint is the moto_server URL, e.g. http://127.0.0.1:5000.
	EnvEndpoint = "TEST_AWS_ENDPOINT_URL"
	// EnvRequire=1 turns a missing server into a failure instead of a
	// skip, so CI cannot pass by silently skipping the AWS tests.
	EnvRequire = "INCIDENT_BOT_REQUIRE_SERVICES"
	// Region is the region tests use.
	Region = "us-east-1"
)

// Endpoint returns the moto_server URL and points the SDK's default
// configuration at it for the rest of the test (so the test cannot run
// in parallel). Without TEST_AWS_ENDPOINT_URL the test is skipped, or
// fails when INCIDENT_BOT_REQUIRE_SERVICES=1.
func Endpoint(t testing.TB) string {
	t.Helper()
	url := strings.TrimRight(os.Getenv(EnvEndpoint), "/")
	if url == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s is not set but %s=1: this test needs moto_server; run scripts/test, which starts one", EnvEndpoint, EnvRequire)
		}
		t.Skipf("needs moto_server: run scripts/test, or set %s to its URL", EnvEndpoint)
	}
	Use(t, url)
	return url
}

// Use points the SDK's default configuration at url (moto, or a test's
// own server for an operation moto lacks) with dummy credentials, and
// hides the developer's own AWS settings so nothing reaches real AWS.
func Use(t testing.TB, url string) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none") // a file that does not exist
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            url,
		"AWS_ACCESS_KEY_ID":           "testing",
		"AWS_SECRET_ACCESS_KEY":       "testing",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  Region,
		"AWS_DEFAULT_REGION":          Region,
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}

// Name returns prefix plus a random suffix, unique across tests and runs
// sharing one moto_server: lowercase letters and digits, starting with a
// letter when prefix does, valid in every AWS name the tests use.
func Name(prefix string) string {
	return prefix + "-" + strings.ToLower(rand.Text()[:10])
}
