package sns

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestParseFixtures(t *testing.T) {
	n, err := Parse(readFixture(t, "sns_cloudwatch_alarm.json"))
	if err != nil {
		t.Fatalf("notification fixture: %v", err)
	}
	if n.Type != "Notification" || n.MessageID != "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324" ||
		n.TopicArn != "arn:aws:sns:us-east-1:123456789012:ops-alerts" ||
		!strings.HasPrefix(n.Subject, `ALARM: "web-cpu-high"`) ||
		!strings.HasPrefix(n.Message, `{"AlarmName":"web-cpu-high"`) ||
		n.SignatureVersion != "1" || !strings.HasSuffix(n.SigningCertURL, ".pem") ||
		!strings.HasPrefix(n.UnsubscribeURL, "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe") {
		t.Errorf("notification fixture decoded wrongly: %+v", n)
	}

	c, err := Parse(readFixture(t, "sns_subscription_confirmation.json"))
	if err != nil {
		t.Fatalf("confirmation fixture: %v", err)
	}
	if c.Type != "SubscriptionConfirmation" || !strings.HasPrefix(c.Token, "2336412f") ||
		!strings.HasPrefix(c.SubscribeURL, "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription") ||
		!strings.Contains(c.Message, "\nTo confirm") {
		t.Errorf("confirmation fixture decoded wrongly: %+v", c)
	}

}

func mutate(t *testing.T, fixture string, f func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readFixture(t, fixture), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"empty", "", "empty"},
		{"blank", " \n\t", "empty"},
		{"null", "null", "not a JSON object"},
		{"array", `[{"Type":"Notification"}]`, "not a JSON object"},
		{"string", `"Notification"`, "not a JSON object"},
		{"truncated", `{"Type":"Notification"`, "invalid JSON"},
		{"trailing data", `{"Type":"Notification"} {}`, "invalid JSON"},
		{"wrong field type", `{"Type":"Notification","MessageId":7}`, "invalid JSON"},
		{"no Type", `{}`, `missing "Type"`},
		{"unknown Type", `{"Type":"Foo"}`, `unknown Type "Foo"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.body))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse(%q) = %v, want error containing %q", c.body, err, c.want)
			}
		})
	}

	required := map[string][]string{
		"sns_cloudwatch_alarm.json":          {"MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL"},
		"sns_subscription_confirmation.json": {"MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL", "Token", "SubscribeURL"},
	}
	for fixture, fields := range required {
		for _, field := range fields {
			for _, how := range []string{"absent", "blank"} {
				body := mutate(t, fixture, func(m map[string]any) {
					if how == "absent" {
						delete(m, field)
					} else {
						m[field] = ""
					}
				})
				_, err := Parse(body)
				want := fmt.Sprintf("missing %q", field)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s with %s %s: Parse = %v, want %q", fixture, how, field, err, want)
				}
			}
		}
	}

	// Optional fields really are optional.
	for _, field := range []string{"Subject", "UnsubscribeURL"} {
		body := mutate(t, "sns_cloudwatch_alarm.json", func(m map[string]any) { delete(m, field) })
		if _, err := Parse(body); err != nil {
			t.Errorf("notification without %s: %v", field, err)
		}
	}
	// UnsubscribeConfirmation has the same shape as SubscriptionConfirmation.
	body := mutate(t, "sns_subscription_confirmation.json", func(m map[string]any) { m["Type"] = "UnsubscribeConfirmation" })
	if _, err := Parse(body); err != nil {
		t.Errorf("UnsubscribeConfirmation: %v", err)
	}
	body = mutate(t, "sns_subscription_confirmation.json", func(m map[string]any) {
		m["Type"] = "UnsubscribeConfirmation"
		delete(m, "Token")
	})
	if _, err := Parse(body); err == nil || !strings.Contains(err.Error(), `missing "Token"`) {
		t.Errorf("UnsubscribeConfirmation without Token: %v", err)
	}
	// SNS adds fields such as MessageAttributes; they must not break parsing.
	body = mutate(t, "sns_cloudwatch_alarm.json", func(m map[string]any) {
		m["MessageAttributes"] = map[string]any{"k": map[string]any{"Type": "String", "Value": "v"}}
	})
	if _, err := Parse(body); err != nil {
		t.Errorf("extra fields: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(readFixture(f, "sns_cloudwatch_alarm.json"))
	f.Add(readFixture(f, "sns_subscription_confirmation.json"))
	f.Add([]byte(`{"Type":"UnsubscribeConfirmation"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"Type":"Notification","MessageId":"a","TopicArn":"b","Message":"c","Timestamp":"d","SignatureVersion":"1","Signature":"e","SigningCertURL":"f"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := Parse(body)
		if err != nil {
			return
		}
		required := []string{e.MessageID, e.TopicArn, e.Message, e.Timestamp, e.SignatureVersion, e.Signature, e.SigningCertURL}
		switch e.Type {
		case "Notification":
		case "SubscriptionConfirmation", "UnsubscribeConfirmation":
			required = append(required, e.Token, e.SubscribeURL)
		default:
			t.Fatalf("accepted Type %q", e.Type)
		}
		for i, v := range required {
			if v == "" {
				t.Fatalf("accepted %+v with required field #%d empty", e, i)
			}
		}
	})
}
