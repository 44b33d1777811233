package bot

import (
	"os"
	"reflect"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The manifest must ask for exactly the scopes the code uses: no more
// (admins refuse greedy apps), no fewer (calls fail with missing_scope).
func TestManifestScopesMatchCode(t *testing.T) {
	api := reflect.TypeFor[API]()
	for i := range api.NumMethod() {
		if _, ok := methodScopes[api.Method(i).Name]; !ok {
			t.Errorf("API method %s has no entry in methodScopes", api.Method(i).Name)
		}
	}
	for name := range methodScopes {
		if _, ok := api.MethodByName(name); !ok {
			t.Errorf("methodScopes lists %s, which API does not have", name)
		}
	}
	raw, err := os.ReadFile("../deploy/slack/manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			SlashCommands []struct {
				Command      string `yaml:"command"`
				ShouldEscape bool   `yaml:"should_escape"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Interactivity struct {
				IsEnabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
			Events     struct {
				Bot []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	got, want := slices.Sorted(slices.Values(m.OAuth.Scopes.Bot)), slices.Sorted(slices.Values(RequiredScopes()))
	if !slices.Equal(got, want) {
		t.Errorf("manifest bot scopes = %v, code needs %v", got, want)
	}
	if !m.Settings.SocketMode || !m.Settings.Interactivity.IsEnabled {
		t.Errorf("manifest must enable socket mode and interactivity")
	}
	// Alert channels are read from message events (ALERT_CHANNELS);
	// incident channels are recorded from messages, pins and reactions.
	if got := slices.Sorted(slices.Values(m.Settings.Events.Bot)); !slices.Equal(got, BotEvents()) {
		t.Errorf("manifest bot events = %v, code reads %v", got, BotEvents())
	}
	// should_escape makes Slack send mentions as <@U…|name>, which the
	// commander command relies on.
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/incident" || !m.Features.SlashCommands[0].ShouldEscape {
		t.Errorf("manifest must declare /incident with should_escape: true, got %+v", m.Features.SlashCommands)
	}
}
