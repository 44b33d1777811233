package slacktest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

// The testdata/*.json files are copies of the project's wire-format samples (shared/fixtures),
// written from Slack's documentation. These tests hold the fake to them: every field a sample
// has, the fake's frame or body has too, with the same kind of JSON value.

func loadFixture(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// sameShape reports the paths where got lacks a field of want or holds another kind of value.
// Arrays are compared by their first element; a null in want matches any value (but the key must
// be there).
func sameShape(path string, want, got any) []string {
	if want == nil {
		return nil
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want object, got %T", path, got)}
		}
		var diffs []string
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				diffs = append(diffs, path+"."+k+": missing")
				continue
			}
			diffs = append(diffs, sameShape(path+"."+k, w[k], gv)...)
		}
		return diffs
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want array, got %T", path, got)}
		}
		if len(w) == 0 || len(g) == 0 {
			return nil
		}
		return sameShape(path+"[0]", w[0], g[0])
	default:
		if reflect.TypeOf(want) != reflect.TypeOf(got) {
			return []string{fmt.Sprintf("%s: want %T, got %T", path, want, got)}
		}
		return nil
	}
}

func assertShape(t *testing.T, fixture string, got any) {
	t.Helper()
	var g any
	raw, _ := json.Marshal(got)
	_ = json.Unmarshal(raw, &g)
	for _, d := range sameShape(fixture, loadFixture(t, fixture), g) {
		t.Error(d)
	}
}

// rawSocket opens a Socket Mode connection the way any client would and returns it with the
// apps.connections.open answer.
func rawSocket(t *testing.T, s *slacktest.Server) (*websocket.Conn, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.APIURL()+"apps.connections.open", nil)
	req.Header.Set("Authorization", "Bearer xapp-test")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, body := do(t, req)
	var open map[string]any
	if err := json.Unmarshal([]byte(body), &open); err != nil {
		t.Fatal(err)
	}
	wsURL, _ := open["url"].(string)
	conn, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatalf("dial %q: %v", wsURL, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, open
}

func readFrame(t *testing.T, conn *websocket.Conn) map[string]any {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f map[string]any
	if err := conn.ReadJSON(&f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFixtureConnectionOpenAndHello(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	conn, open := rawSocket(t, s)
	assertShape(t, "apps_connections_open", open)
	u, err := url.Parse(open["url"].(string))
	if err != nil || u.Scheme != "ws" || u.Path != "/link/" || u.Query().Get("ticket") == "" || u.Query().Get("app_id") != "A0FAKEAPP01" {
		t.Errorf("url = %v (%v)", open["url"], err)
	}

	hello := readFrame(t, conn)
	assertShape(t, "socketmode_hello", hello)
	if hello["type"] != "hello" || hello["num_connections"] != 1.0 || hello["connection_info"].(map[string]any)["app_id"] != "A0FAKEAPP01" {
		t.Errorf("hello = %v", hello)
	}
}

func TestFixtureDisconnectFrames(t *testing.T) {
	for _, fixture := range []string{"socketmode_disconnect_refresh_requested", "socketmode_disconnect_warning", "socketmode_disconnect_link_disabled"} {
		t.Run(fixture, func(t *testing.T) {
			s := newServer(t, slacktest.Options{})
			conn, _ := rawSocket(t, s)
			readFrame(t, conn) // hello
			want := loadFixture(t, fixture)
			if err := s.Disconnect(want["reason"].(string)); err != nil {
				t.Fatal(err)
			}
			got := readFrame(t, conn)
			assertShape(t, fixture, got)
			if got["type"] != "disconnect" || got["reason"] != want["reason"] {
				t.Errorf("frame = %v", got)
			}
		})
	}
}

func TestFixtureEnvelopesAndAcks(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	ch := s.AddChannel("ops", humanUser, botUser)
	conn, _ := rawSocket(t, s)
	readFrame(t, conn) // hello

	// Slash command: the fixture's own envelope ID, acknowledged with the fixture's ack.
	ackFixture := loadFixture(t, "socketmode_slash_command_ack")
	id, err := s.SendEnvelope("slash_commands", s.SlashCommand(humanUser, ch, "open api-5xx sev2"), slacktest.WithEnvelopeID(ackFixture["envelope_id"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	frame := readFrame(t, conn)
	assertShape(t, "socketmode_slash_command", frame)
	if p := frame["payload"].(map[string]any); p["is_enterprise_install"] != "false" || frame["accepts_response_payload"] != true {
		t.Errorf("slash payload = %v", frame)
	}
	if err := conn.WriteJSON(ackFixture); err != nil {
		t.Fatal(err)
	}
	ack, err := s.WaitAck(timeout(t), id)
	if err != nil {
		t.Fatal(err)
	}
	wantPayload, _ := json.Marshal(ackFixture["payload"])
	var gotPayload any
	_ = json.Unmarshal(ack.Payload, &gotPayload)
	if g, _ := json.Marshal(gotPayload); string(g) != string(wantPayload) {
		t.Errorf("ack payload = %s, want %s", ack.Payload, wantPayload)
	}

	// Block action on a threaded bot message carrying the fixture's blocks.
	fixture := loadFixture(t, "socketmode_block_actions")
	blocks, _ := json.Marshal(fixture["payload"].(map[string]any)["message"].(map[string]any)["blocks"])
	root := s.AddMessage(ch, humanUser, "deploy thread", "")
	_, body := postForm(t, s, "chat.postMessage", url.Values{"token": {"xoxb-test"}, "channel": {ch}, "text": {"Deploy web v42 to prod?"}, "blocks": {string(blocks)}, "thread_ts": {root}}, nil)
	var posted struct{ TS string }
	_ = json.Unmarshal([]byte(body), &posted)
	if _, err := s.SendEnvelope("interactive", s.BlockAction(humanUser, ch, posted.TS, "deploy_approve", "deploy:web:v42")); err != nil {
		t.Fatal(err)
	}
	frame = readFrame(t, conn)
	assertShape(t, "socketmode_block_actions", frame)
	if frame["accepts_response_payload"] != false {
		t.Errorf("block_actions accepts_response_payload = %v", frame["accepts_response_payload"])
	}
	bare := loadFixture(t, "socketmode_block_actions_ack")
	bare["envelope_id"] = frame["envelope_id"]
	if err := conn.WriteJSON(bare); err != nil {
		t.Fatal(err)
	}
	if ack, err := s.WaitAck(timeout(t), frame["envelope_id"].(string)); err != nil || ack.Payload != nil {
		t.Errorf("bare ack = %+v, %v", ack, err)
	}

	// events_api envelopes always carry retry_attempt and retry_reason.
	event := loadFixture(t, "socketmode_events_api_app_mention")
	if _, err := s.SendEnvelope("events_api", event["payload"]); err != nil {
		t.Fatal(err)
	}
	assertShape(t, "socketmode_events_api_app_mention", readFrame(t, conn))
}

func TestFixtureErrorBodies(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	auth := url.Values{"token": {"xoxb-test"}}

	s.RateLimitNext("chat.postMessage", 1500*time.Millisecond)
	resp, body := postForm(t, s, "chat.postMessage", auth, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("429: status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	assertSameJSON(t, "slack_ratelimited_429_body", body)

	create := url.Values{"token": {"xoxb-test"}, "name": {"inc-42"}}
	postForm(t, s, "conversations.create", create, nil)
	_, body = postForm(t, s, "conversations.create", create, nil)
	assertSameJSON(t, "slack_conversations_create_name_taken", body)
}

func assertSameJSON(t *testing.T, fixture, body string) {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("%s: %v in %q", fixture, err, body)
	}
	if want := loadFixture(t, fixture); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: body %v, want %v", fixture, got, want)
	}
}

func TestSameShapeNoticesDifferences(t *testing.T) {
	want := map[string]any{"a": "x", "b": map[string]any{"c": 1.0}, "d": []any{map[string]any{"e": true}}, "n": nil}
	got := map[string]any{"a": false, "b": map[string]any{}, "d": []any{map[string]any{"e": "true"}}}
	if d := sameShape("v", want, got); len(d) != 4 {
		t.Fatalf("differences = %q, want 4", d)
	}
}

// The copies in testdata must not drift from the shared samples they were
// taken from (../../../shared/fixtures beside the repository, when present).
func TestFixtureCopiesMatchShared(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "fixtures")
	if _, err := os.Stat(shared); err != nil {
		t.Skip("shared fixtures not beside the repository")
	}
	copies, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, c := range copies {
		mine, _ := os.ReadFile(c)
		theirs, err := os.ReadFile(filepath.Join(shared, filepath.Base(c)))
		if err != nil {
			t.Errorf("%s has no shared original: %v", c, err)
			continue
		}
		if string(mine) != string(theirs) {
			t.Errorf("%s differs from the shared original; copy it again", c)
		}
	}
}

// assertSubset checks that body holds every field of the fixture with the same value (arrays
// element by element, same length), except at the paths in skip ("response_metadata.next_cursor").
func assertSubset(t *testing.T, fixture, body string, skip ...string) {
	t.Helper()
	var got any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("%s: %v in %q", fixture, err, body)
	}
	for _, d := range subset("", loadFixture(t, fixture), got, skip) {
		t.Errorf("%s: %s", fixture, d)
	}
}

func subset(path string, want, got any, skip []string) []string {
	if slices.Contains(skip, strings.TrimPrefix(path, ".")) {
		return nil
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want object, got %v", path, got)}
		}
		var diffs []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				diffs = append(diffs, path+"."+k+": missing")
				continue
			}
			diffs = append(diffs, subset(path+"."+k, wv, gv, skip)...)
		}
		return diffs
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: want %d elements, got %v", path, len(w), got)}
		}
		var diffs []string
		for i := range w {
			diffs = append(diffs, subset(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], skip)...)
		}
		return diffs
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: want %v, got %v", path, want, got)}
		}
		return nil
	}
}

func micros(us int64) time.Time { return time.UnixMicro(us) }
