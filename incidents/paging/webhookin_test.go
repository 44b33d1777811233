package paging

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents/paging/pagertest"
)

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"event":{"id":"01BRB6ZP4M6T8ZG4X6BP63ZB9O"}}`)
	good := pagertest.Sign(body, "new-secret")
	old := pagertest.Sign(body, "old-secret")
	for _, c := range []struct {
		name    string
		body    []byte
		header  string
		secrets []string
		want    error
	}{
		{"good", body, good, []string{"new-secret"}, nil},
		{"uppercase hex", body, "v1=" + strings.ToUpper(strings.TrimPrefix(good, "v1=")), []string{"new-secret"}, nil},
		{"wrong secret", body, good, []string{"other-secret"}, ErrSignatureMismatch},
		{"body changed", []byte(`{"event":{"id":"01BRB6ZP4M6T8ZG4X6BP63ZB9P"}}`), good, []string{"new-secret"}, ErrSignatureMismatch},
		// PagerDuty rotating its secret: both signatures are sent.
		{"rotation, old configured", body, good + "," + old, []string{"old-secret"}, nil},
		{"rotation, new configured", body, old + ", " + good, []string{"new-secret"}, nil},
		// The bot rotating: it accepts either while PagerDuty catches up.
		{"bot accepts two", body, old, []string{"new-secret", "old-secret"}, nil},
		{"missing header", body, "", []string{"new-secret"}, ErrNoSignature},
		{"blank header", body, "  ", []string{"new-secret"}, ErrNoSignature},
		{"no v1", body, "v2=" + strings.TrimPrefix(good, "v1="), []string{"new-secret"}, ErrSignatureMismatch},
		{"not hex", body, "v1=zz" + good[5:], []string{"new-secret"}, ErrSignatureMismatch},
		{"truncated", body, good[:40], []string{"new-secret"}, ErrSignatureMismatch},
		{"garbage", body, ",,,=,v1", []string{"new-secret"}, ErrSignatureMismatch},
		{"no secret configured", body, good, nil, ErrNoSecret},
		// An empty secret would accept what anyone can sign.
		{"empty secret", body, pagertest.Sign(body, ""), []string{""}, ErrNoSecret},
		{"empty secret among others", body, pagertest.Sign(body, ""), []string{"", "new-secret"}, ErrSignatureMismatch},
	} {
		err := VerifySignature(c.body, c.header, c.secrets...)
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := VerifySignature(body, ""); err == nil || ErrNoSignature.Error() != "no X-PagerDuty-Signature header" || ErrSignatureMismatch.Error() != "signature does not match" {
		t.Errorf("messages: %v, %v, %v", err, ErrNoSignature, ErrSignatureMismatch)
	}
}

func TestParseWebhookSample(t *testing.T) {
	body, err := os.ReadFile("testdata/incident_acknowledged.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	want := Ack{
		EventID: "01BRB6ZP4M6T8ZG4X6BP63ZB9O", Type: "incident.acknowledged",
		At: time.Date(2020, 10, 2, 18, 45, 22, 169e6, time.UTC), By: "Tenex Engineer",
		DedupKey: "incident-12-level-1", Incident: "https://acme.pagerduty.com/incidents/PGR0VU2",
	}
	if !got.At.Equal(want.At) {
		t.Errorf("At %v, want %v", got.At, want.At)
	}
	got.At = want.At
	if got != want {
		t.Errorf("ParseWebhook:\n %+v\nwant\n %+v", got, want)
	}

	// A note on an incident: which incident, but no key to match.
	body, err = os.ReadFile("testdata/incident_annotated.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err = ParseWebhook(body)
	if err != nil || got.Type != "incident.annotated" || got.DedupKey != "" || got.Incident != "https://acme.pagerduty.com/incidents/PGR0VU2" {
		t.Errorf("note: %+v, %v", got, err)
	}
}

func TestParseWebhookFromPagertest(t *testing.T) {
	for _, c := range []struct{ eventType, agent string }{
		{"incident.acknowledged", "Tenex Engineer"},
		{"incident.resolved", ""},
	} {
		got, err := ParseWebhook(pagertest.WebhookBody(c.eventType, "incident-7-level-2", c.agent))
		if err != nil {
			t.Fatal(err)
		}
		if got.Type != c.eventType || got.By != c.agent || got.DedupKey != "incident-7-level-2" || got.EventID == "" ||
			!strings.HasPrefix(got.Incident, "https://acme.pagerduty.com/incidents/") || time.Since(got.At) > time.Minute {
			t.Errorf("%s: %+v", c.eventType, got)
		}
	}
}

// The fake's webhooks arrive signed as PagerDuty signs them, and
// unsigned when asked.
func TestSendWebhookSigned(t *testing.T) {
	var sig string
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sig, body = r.Header.Get(SignatureHeader), readAll(t, r)
		if VerifySignature(body, sig, "whsec") != nil {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(srv.Close)
	if status, err := pagertest.SendWebhook(srv.URL, "whsec", "incident.acknowledged", "k", "Ann"); err != nil || status != 200 {
		t.Fatalf("signed: %d, %v", status, err)
	}
	if a, err := ParseWebhook(body); err != nil || a.DedupKey != "k" || a.By != "Ann" {
		t.Errorf("signed body: %+v, %v", a, err)
	}
	if status, err := pagertest.SendWebhook(srv.URL, "", "incident.acknowledged", "k", "Ann"); err != nil || status != 401 || sig != "" {
		t.Errorf("unsigned: %d, %v, header %q", status, err, sig)
	}
}

func readAll(t *testing.T, r *http.Request) []byte {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Error(err)
	}
	return b
}

func TestParseWebhookErrors(t *testing.T) {
	const at = `"occurred_at":"2020-10-02T18:45:22.169Z"`
	for _, c := range []struct{ body, want string }{
		{``, "the webhook body is empty"},
		{`  `, "the webhook body is empty"},
		{`not json`, "the webhook is not a PagerDuty v3 event: invalid character"},
		{`[1,2]`, "the webhook is not a PagerDuty v3 event: json: cannot unmarshal array"},
		{`{}`, "the webhook has no event"},
		{`{"event":null}`, "the webhook has no event"},
		{`{"event":{"event_type":"incident.acknowledged",` + at + `}}`, "the webhook event has no id"},
		{`{"event":{"id":"01X",` + at + `}}`, "the webhook event has no event_type"},
		{`{"event":{"id":"01X","event_type":"incident.resolved"}}`, "the webhook event has no occurred_at"},
		{`{"event":{"id":"01X","event_type":"incident.resolved","occurred_at":"yesterday"}}`, `the webhook event's occurred_at "yesterday" is not an ISO 8601 time`},
		{`{"event":{"id":"01X","event_type":"incident.resolved","resource_type":"incident",` + at + `}}`, "the incident.resolved event has no data"},
		{`{"event":{"id":7}}`, "the webhook is not a PagerDuty v3 event: json: cannot unmarshal number"},
	} {
		_, err := ParseWebhook([]byte(c.body))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("ParseWebhook(%s) = %v; want %q", c.body, err, c.want)
		}
	}
	// Not about an incident (PagerDuty's ping): read, with nothing to match.
	a, err := ParseWebhook([]byte(`{"event":{"id":"01X","event_type":"pagey.ping","resource_type":"pagey",` + at + `,"agent":null,"data":{"message":"Hello from your friend Pagey!","type":"ping"}}}`))
	if err != nil || a.Type != "pagey.ping" || a.DedupKey != "" || a.By != "" {
		t.Errorf("ping: %+v, %v", a, err)
	}
	// Without html_url, the incident's number.
	a, err = ParseWebhook([]byte(`{"event":{"id":"01X","event_type":"incident.triggered","resource_type":"incident",` + at + `,"data":{"type":"incident","number":2,"incident_key":"k"}}}`))
	if err != nil || a.Incident != "PagerDuty incident #2" || a.DedupKey != "k" {
		t.Errorf("no html_url: %+v, %v", a, err)
	}
}

func FuzzParseWebhook(f *testing.F) {
	for _, name := range []string{"testdata/incident_acknowledged.json", "testdata/incident_annotated.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(pagertest.WebhookBody("incident.resolved", "k", ""))
	f.Add([]byte(`{"event":{"id":"x","event_type":"t","occurred_at":"2020-10-02T18:45:22Z","data":{"type":"incident","number":"7"}}}`))
	f.Add([]byte(`{"event":{"id":"x","event_type":"t","occurred_at":"2020-10-02T18:45:22Z","data":{"incident":null}}}`))
	f.Add([]byte(`{"event":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseWebhook(body)
		if err == nil && (a.EventID == "" || a.Type == "") {
			t.Errorf("accepted without id or type: %+v", a)
		}
	})
}
