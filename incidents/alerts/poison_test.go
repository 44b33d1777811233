package alerts

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// A NUL as JSON carries it, and a byte that is not UTF-8 (which
// encoding/json turns into U+FFFD itself; the non-JSON inputs do not).
const (
	nul = `\u0000`
	bad = "\xff"
)

// stringFields is every string an alert carries to the store.
func stringFields(a Alert) []string {
	fs := []string{a.Source, a.Fingerprint, string(a.Status), string(a.Severity), a.Title, a.Text, a.DeliveryID}
	for k, v := range a.Labels {
		fs = append(fs, k, v)
	}
	return append(fs, a.Links...)
}

func unstorable(s string) bool { return !utf8.ValidString(s) || strings.Contains(s, "\x00") }

// poisoned parses input that carries NUL and non-UTF-8 bytes into every
// field the sender controls, once per sender format.
var poisoned = map[string]func(t *testing.T) ([]Alert, error){
	"alertmanager": func(t *testing.T) ([]Alert, error) {
		return ParseAlertmanager([]byte(`{"version":"4","alerts":[{"status":"firing","fingerprint":"fp`+nul+bad+`",
			"labels":{"alertname":"Disk`+nul+`Full","sever`+nul+`ity":"critical","instance":"db`+bad+nul+`"},
			"annotations":{"summary":"disk`+nul+`full","description":"`+bad+nul+`","runbook_url":"https://runbooks.example.org/`+nul+`"},
			"generatorURL":"https://prometheus.example.org/`+bad+`"}]}`), now)
	},
	"webhook": func(t *testing.T) ([]Alert, error) {
		return ParseWebhook([]byte(`{"title":"Queue`+nul+`backlog`+bad+`","text":"orders `+bad+nul+`","severity":"critical",
			"fingerprint":"orders`+nul+`","labels":{"k`+nul+`":"v`+nul+bad+`"},"links":["https://grafana.example.org/`+nul+`"]}`), now)
	},
	"uptimerobot": func(t *testing.T) ([]Alert, error) {
		a, err := ParseUptimeRobot([]byte(`{"monitorID":"79`+nul+`8","monitorURL":"https://api.example.org/`+nul+`",
			"monitorFriendlyName":"API`+nul+bad+`","alertType":"1","alertDetails":"`+bad+`timeout`+nul+`"}`), now)
		return []Alert{a}, err
	},
	"sns cloudwatch": func(t *testing.T) ([]Alert, error) {
		msg := strings.NewReplacer(`"AlarmName":"web-cpu-high"`, `"AlarmName":"web`+nul+`cpu`+bad+`"`,
			`"Threshold Crossed`, `"Threshold`+nul+bad, `"name":"ServiceName"`, `"name":"Service`+nul+`"`,
		).Replace(string(fixture(t, "cloudwatch_alarm_message.json")))
		a, err := ParseSNSMessage("ALARM: web\x00cpu"+bad, msg, "arn:aws:sns:us-east-1:1:ops\x00", now)
		return []Alert{a}, err
	},
	"sns aws health": func(t *testing.T) ([]Alert, error) {
		msg := strings.ReplaceAll(string(fixture(t, "aws_health_retirement.json")), "i-0abcd1234ef567890", "i-0abcd"+nul+bad)
		a, err := ParseSNSMessage("", msg, "arn:aws:sns:us-east-1:1:health", now)
		return []Alert{a}, err
	},
	"sns other text": func(t *testing.T) ([]Alert, error) {
		a, err := ParseSNSMessage("Backup\x00 failed"+bad, "pg_dump\x00 failed: "+bad+" disk full", "arn:aws:sns:us-east-1:1:ops", now)
		return []Alert{a}, err
	},
	"chat": func(t *testing.T) ([]Alert, error) {
		a, err := FromChat(ChatMessage{Channel: "C0\x00ALERTS", Sender: "bot" + bad, Title: "Monitor is DOWN: API\x00" + bad,
			Text: "timeout " + bad + "\x00 <https://status.example.org/\x00|status>"}, now)
		return []Alert{a}, err
	},
}

// The store cannot hold NUL or invalid UTF-8 and would refuse the whole
// batch for ever; every parser's output holds neither, says it replaced
// something, and replaces the same way every time.
func TestPoisonedInputIsStorable(t *testing.T) {
	for name, parse := range poisoned {
		t.Run(name, func(t *testing.T) {
			as, err := parse(t)
			if err != nil {
				t.Fatal(err)
			}
			checkAlerts(t, as)
			for _, a := range as {
				if !strings.Contains(a.Text, "(incident-bot replaced ") {
					t.Errorf("no note of the replacement in the text %q", a.Text)
				}
				if !strings.Contains(a.Title+a.Text, "\uFFFD") {
					t.Errorf("nothing shows where characters were replaced: %+v", a)
				}
			}
			again, _ := parse(t)
			if !reflect.DeepEqual(as, again) {
				t.Errorf("the same input parsed differently:\n%+v\n%+v", as, again)
			}
		})
	}
}

func TestReplacementCountAndFingerprint(t *testing.T) {
	a, err := ParseSNSMessage("Backup\x00 failed"+bad, "pg_dump\x00 failed: "+bad+" disk full", "arn:aws:sns:us-east-1:1:ops", now)
	if err != nil {
		t.Fatal(err)
	}
	// Two in the subject (the title) and two in the message (the text).
	if a.Title != "Backup\uFFFD failed\uFFFD" || !strings.HasSuffix(a.Text, "(incident-bot replaced 4 characters the store cannot hold with \uFFFD)") {
		t.Errorf("title %q, text %q", a.Title, a.Text)
	}
	hooks, err := ParseWebhook([]byte(`[{"title":"a","severity":"warning","fingerprint":"x`+nul+`y"},{"title":"a","severity":"warning","fingerprint":"x`+nul+`y","status":"resolved"}]`), now)
	if err != nil {
		t.Fatal(err)
	}
	if hooks[0].Fingerprint != "webhook:x\uFFFDy" || hooks[1].Fingerprint != hooks[0].Fingerprint {
		t.Errorf("fingerprints %q and %q, want both webhook:x\uFFFDy", hooks[0].Fingerprint, hooks[1].Fingerprint)
	}
	if one, _ := ParseWebhook([]byte(`{"title":"a","severity":"warning","labels":{"k":"v"}}`), now); strings.Contains(one[0].Text, "incident-bot") {
		t.Errorf("a clean alert got a note: %q", one[0].Text)
	}
}

// Replacing grows text (U+FFFD is three bytes) and the note adds more; the
// bounds still hold, and the note survives clipping.
func TestPoisonedInputStaysBounded(t *testing.T) {
	long := strings.Repeat(nul, maxText) + strings.Repeat("x", maxText)
	as, err := ParseWebhook([]byte(`{"title":"`+strings.Repeat(nul, maxTitle)+`","text":"`+long+`","severity":"warning","labels":{"k":"`+strings.Repeat(nul, maxLabel)+`"}}`), now)
	if err != nil {
		t.Fatal(err)
	}
	checkAlerts(t, as)
	if a := as[0]; !strings.HasSuffix(a.Text, "the store cannot hold with \uFFFD)") || len(a.Labels["k"]) > maxLabel+len("…") {
		t.Errorf("text ends %q, label is %d bytes", a.Text[len(a.Text)-80:], len(a.Labels["k"]))
	}
}

// When a replaced label key collides with another, the key the sender
// wrote storable keeps its value, and between two replaced keys the first
// in byte order wins, whatever the map order.
func TestLabelKeyCollision(t *testing.T) {
	for range 20 {
		as, err := ParseWebhook([]byte(`{"title":"t","severity":"warning","labels":{"k\uFFFD":"clean","k`+nul+`":"nul"}}`), now)
		if err != nil {
			t.Fatal(err)
		}
		if got := as[0].Labels["k\uFFFD"]; got != "clean" || len(as[0].Labels) != 1 {
			t.Fatalf("labels = %q, want only k\uFFFD=clean", as[0].Labels)
		}
		a := Alert{Source: "test", Title: "t", Labels: map[string]string{"k" + bad: "bad", "k\x00": "nul"}}
		a.normalise(now)
		if got := a.Labels["k\uFFFD"]; got != "nul" || len(a.Labels) != 1 {
			t.Fatalf("labels = %q, want only k\uFFFD=nul", a.Labels)
		}
	}
}
