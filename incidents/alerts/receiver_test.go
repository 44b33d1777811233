package alerts_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/incident-bot/incident-bot/incidents/alerts"
	"github.com/incident-bot/incident-bot/incidents/alerts/sns/snstest"
)

const topic = "arn:aws:sns:us-east-1:123456789012:ops-alerts"

type memSink struct {
	mu   sync.Mutex
	got  []alerts.Alert
	fail error
}

func (s *memSink) Receive(_ context.Context, as []alerts.Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.got = append(s.got, as...)
	return nil
}

func (s *memSink) all() []alerts.Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]alerts.Alert(nil), s.got...)
}

func setup(t *testing.T) (*httptest.Server, *memSink, *snstest.Server) {
	fake := snstest.New(t)
	sink := &memSink{}
	r := &alerts.Receiver{Sink: sink, Secret: "s3cret", SNS: fake.Verifier(), Topics: []string{topic}, MaxBody: 64 << 10}
	mux := http.NewServeMux()
	r.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, sink, fake
}

func post(t *testing.T, url, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	msg, _ := out["error"].(string)
	if msg == "" {
		msg, _ = out["message"].(string)
	}
	return resp.StatusCode, msg
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A real-shape CloudWatch alarm inside a signed SNS envelope is stored;
// forgeries get 403 and store nothing.
func TestSNSReceiver(t *testing.T) {
	srv, sink, fake := setup(t)
	alarm, err := os.ReadFile("testdata/cloudwatch_alarm_message.json")
	if err != nil {
		t.Fatal(err)
	}
	env := fake.Notification(topic, `ALARM: "web-cpu-high" in US East (N. Virginia)`, string(alarm))
	if code, msg := post(t, srv.URL+alerts.PathSNS, jsonOf(t, env), map[string]string{"x-amz-sns-message-type": "Notification", "Content-Type": "text/plain; charset=UTF-8"}); code != 200 {
		t.Fatalf("genuine: %d %s", code, msg)
	}
	got := sink.all()
	if len(got) != 1 || got[0].Source != alerts.SourceCloudWatch || got[0].Fingerprint != "cloudwatch:arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-cpu-high" {
		t.Fatalf("stored %+v", got)
	}

	forged := env
	forged.Message = strings.Replace(forged.Message, "web-cpu-high", "db-down", -1)
	if code, msg := post(t, srv.URL+alerts.PathSNS, jsonOf(t, forged), nil); code != 403 || !strings.Contains(msg, "signature") {
		t.Errorf("tampered: %d %s", code, msg)
	}
	evil := env
	evil.SigningCertURL = "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem"
	if code, msg := post(t, srv.URL+alerts.PathSNS, jsonOf(t, evil), nil); code != 403 || !strings.Contains(msg, "not trusted") {
		t.Errorf("foreign certificate host: %d %s", code, msg)
	}
	other := fake.Notification("arn:aws:sns:us-east-1:999999999999:someone-else", "hi", "spam")
	if code, msg := post(t, srv.URL+alerts.PathSNS, jsonOf(t, other), nil); code != 403 || !strings.Contains(msg, "ALERT_SNS_TOPICS") {
		t.Errorf("other topic: %d %s", code, msg)
	}
	stale := env
	stale.Timestamp = time.Now().Add(-3 * time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
	stale = fake.Sign(stale, "2")
	if code, msg := post(t, srv.URL+alerts.PathSNS, jsonOf(t, stale), nil); code != 403 || !strings.Contains(msg, "replay") {
		t.Errorf("replayed old message: %d %s", code, msg)
	}
	// SNS redelivering the same message: stored once.
	if code, _ := post(t, srv.URL+alerts.PathSNS, jsonOf(t, env), nil); code != 200 {
		t.Errorf("redelivery: %d", code)
	}
	if got := sink.all(); len(got) != 2 || got[1].DeliveryID != got[0].DeliveryID || got[0].DeliveryID == "" {
		t.Errorf("redelivery should carry the same delivery ID: %+v", got)
	}
	if code, msg := post(t, srv.URL+alerts.PathSNS, `{"Type":"Notification"`, nil); code != 400 || msg == "" {
		t.Errorf("bad JSON: %d %s", code, msg)
	}
	if n := len(sink.all()); n != 2 {
		t.Errorf("forgeries stored: %d alerts, want the genuine one and its redelivery", n)
	}

	// A subscription is confirmed by visiting its SubscribeURL, once.
	if code, msg := post(t, srv.URL+alerts.PathSNS, jsonOf(t, fake.Confirmation(topic)), nil); code != 200 || fake.Confirmed() != 1 {
		t.Errorf("confirmation: %d %s, confirmed %d", code, msg, fake.Confirmed())
	}
	conf := fake.Confirmation(topic)
	conf.SubscribeURL = "https://attacker.example/?Action=ConfirmSubscription&Token=x"
	conf = fake.Sign(conf, "1")
	if code, _ := post(t, srv.URL+alerts.PathSNS, jsonOf(t, conf), nil); code < 400 || fake.Confirmed() != 1 {
		t.Errorf("SubscribeURL off SNS was visited or accepted: %d, confirmed %d", code, fake.Confirmed())
	}

	// When the store fails, the sender is told to retry.
	sink.mu.Lock()
	sink.fail = errors.New("disk full")
	sink.mu.Unlock()
	if code, _ := post(t, srv.URL+alerts.PathSNS, jsonOf(t, fake.Notification(topic, "x", string(alarm))), nil); code != 503 {
		t.Errorf("store failure: %d, want 503", code)
	}
}

func TestSecretReceivers(t *testing.T) {
	srv, sink, _ := setup(t)
	am, _ := os.ReadFile("testdata/alertmanager_webhook.json")
	ur, _ := os.ReadFile("testdata/uptimerobot_webhook.json")
	ok := map[string]string{alerts.SecretHeader: "s3cret"}
	for _, c := range []struct {
		name, path, body string
		hdr              map[string]string
		code             int
		want             string
	}{
		{"alertmanager", alerts.PathAlertmanager, string(am), map[string]string{"Authorization": "Bearer s3cret"}, 200, ""},
		{"uptimerobot", alerts.PathUptimeRobot, string(ur), ok, 200, ""},
		{"webhook", alerts.PathWebhook, `{"title":"Queue backlog","severity":"critical"}`, ok, 200, ""},
		{"no secret", alerts.PathWebhook, `{"title":"x","severity":"critical"}`, nil, 401, "secret"},
		{"wrong secret", alerts.PathAlertmanager, string(am), map[string]string{alerts.SecretHeader: "s3cre"}, 401, "secret"},
		{"bad JSON", alerts.PathAlertmanager, `{"version":"4",`, ok, 400, "invalid JSON"},
		{"bad field", alerts.PathWebhook, `{"title":"x","severity":"urgent-ish"}`, ok, 400, `"severity"`},
		{"too big", alerts.PathWebhook, `{"title":"` + strings.Repeat("x", 70<<10) + `","severity":"warning"}`, ok, 413, "larger than"},
	} {
		code, msg := post(t, srv.URL+c.path, c.body, c.hdr)
		if code != c.code || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %d %q, want %d mentioning %q", c.name, code, msg, c.code, c.want)
		}
	}
	if n := len(sink.all()); n != 4 {
		t.Errorf("stored %d alerts, want 4 (2 Alertmanager, 1 Uptime Robot, 1 webhook)", n)
	}
	resp, err := http.Get(srv.URL + alerts.PathWebhook)
	if err != nil || resp.StatusCode != 405 {
		t.Errorf("GET: %v %v", resp.StatusCode, err)
	}

	off := &alerts.Receiver{Sink: sink}
	offMux := http.NewServeMux()
	off.Register(offMux)
	rec0 := httptest.NewRecorder()
	offMux.ServeHTTP(rec0, httptest.NewRequest(http.MethodPost, alerts.PathSNS, strings.NewReader(`{"Type":"SubscriptionConfirmation","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:1:x","Message":"m","Timestamp":"t","SignatureVersion":"1","Signature":"c2ln","SigningCertURL":"https://sns.us-east-1.amazonaws.com/x.pem","Token":"t","SubscribeURL":"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"}`)))
	if rec0.Code != 403 || !strings.Contains(rec0.Body.String(), "ALERT_SNS_TOPICS") {
		t.Errorf("SNS without topics configured: %d %s", rec0.Code, rec0.Body.String())
	}
	mux := http.NewServeMux()
	off.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, alerts.PathWebhook, strings.NewReader(`{}`)))
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "ALERT_WEBHOOK_SECRET") {
		t.Errorf("without a secret configured: %d %s", rec.Code, rec.Body.String())
	}
}

// Forged SNS messages that vary the certificate URL are answered as the
// verifier classifies them — 403 for a forgery, 503 for a certificate that
// could not be downloaded (missing, or over the download budget), which
// SNS retries — and a genuine message is still stored during the flood.
func TestSNSForgedCertURLFlood(t *testing.T) {
	srv, sink, fake := setup(t)
	genuine := fake.Notification(topic, "ALARM", "web-cpu-high")
	for i := range 30 {
		f := genuine
		f.Message = "db down"
		want := http.StatusForbidden
		f.SigningCertURL += fmt.Sprintf("?v=%d", i)
		if i%2 == 1 {
			want = http.StatusServiceUnavailable
			f.SigningCertURL = strings.Replace(genuine.SigningCertURL, ".pem", fmt.Sprintf("-%d.pem", i), 1)
		}
		if code, msg := post(t, srv.URL+alerts.PathSNS, jsonOf(t, f), nil); code != want {
			t.Errorf("forgery %d (%s): %d %s, want %d", i, f.SigningCertURL, code, msg, want)
		}
		if i%10 == 9 {
			if code, msg := post(t, srv.URL+alerts.PathSNS, jsonOf(t, fake.Notification(topic, "ALARM", "x")), nil); code != 200 {
				t.Errorf("genuine during the flood: %d %s", code, msg)
			}
		}
	}
	if n := len(sink.all()); n != 3 {
		t.Errorf("stored %d alerts, want the 3 genuine ones", n)
	}
}

// A signed SNS message carrying NUL (SNS relays what was published) is
// stored with U+FFFD in its place, delivery ID included, instead of
// making the store refuse it on every retry.
func TestSNSPoisonedMessageIsStored(t *testing.T) {
	srv, sink, fake := setup(t)
	env := fake.Notification(topic, "Backup\x00 failed", "pg_dump\x00 failed")
	env.MessageID += "\x00"
	env = fake.Sign(env, "2")
	for range 2 { // a redelivery keeps the same delivery ID
		if code, msg := post(t, srv.URL+alerts.PathSNS, jsonOf(t, env), nil); code != 200 {
			t.Fatalf("%d %s", code, msg)
		}
	}
	got := sink.all()
	if len(got) != 2 || got[0].DeliveryID != got[1].DeliveryID {
		t.Fatalf("stored %+v", got)
	}
	a := got[0]
	for _, s := range []string{a.Title, a.Text, a.DeliveryID, a.Fingerprint} {
		if strings.Contains(s, "\x00") || !utf8.ValidString(s) {
			t.Errorf("unstorable field %q", s)
		}
	}
	if a.DeliveryID != "sns:"+strings.TrimSuffix(env.MessageID, "\x00")+"\uFFFD" || !strings.Contains(a.Text, "incident-bot replaced") {
		t.Errorf("delivery ID %q, text %q", a.DeliveryID, a.Text)
	}
}
