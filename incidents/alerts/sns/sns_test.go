package sns

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestStringToSign(t *testing.T) {
	n := notification("u", "ALARM")
	got, err := stringToSign(n)
	if err != nil {
		t.Fatal(err)
	}
	want := "Message\n" + n.Message + "\nMessageId\n" + n.MessageID + "\nSubject\nALARM\nTimestamp\n" +
		n.Timestamp + "\nTopicArn\n" + n.TopicArn + "\nType\nNotification\n"
	if string(got) != want {
		t.Errorf("notification:\n got %q\nwant %q", got, want)
	}

	n.Subject = ""
	got, _ = stringToSign(n)
	if strings.Contains(string(got), "Subject") {
		t.Errorf("empty Subject must be left out: %q", got)
	}

	c := confirmation("u", "SubscriptionConfirmation")
	got, err = stringToSign(c)
	if err != nil {
		t.Fatal(err)
	}
	want = "Message\n" + c.Message + "\nMessageId\n" + c.MessageID + "\nSubscribeURL\n" + c.SubscribeURL +
		"\nTimestamp\n" + c.Timestamp + "\nToken\n" + c.Token + "\nTopicArn\n" + c.TopicArn +
		"\nType\nSubscriptionConfirmation\n"
	if string(got) != want {
		t.Errorf("confirmation:\n got %q\nwant %q", got, want)
	}
}

func TestVerifyGenuine(t *testing.T) {
	cs := newCertServer(t)
	good, _ := keys(t)
	v := cs.verifier()
	cert := cs.url("/cert.pem")

	fixture, err := Parse(readFixture(t, "sns_cloudwatch_alarm.json"))
	if err != nil {
		t.Fatal(err)
	}
	fixture.SigningCertURL = cert

	cases := map[string]Envelope{
		"v1 with subject":            sign(t, good, notification(cert, "ALARM: web-cpu-high"), "1"),
		"v2 with subject":            sign(t, good, notification(cert, "ALARM: web-cpu-high"), "2"),
		"v1 without subject":         sign(t, good, notification(cert, ""), "1"),
		"v2 without subject":         sign(t, good, notification(cert, ""), "2"),
		"v1 subscription":            sign(t, good, confirmation(cert, "SubscriptionConfirmation"), "1"),
		"v2 subscription":            sign(t, good, confirmation(cert, "SubscriptionConfirmation"), "2"),
		"v2 unsubscribe":             sign(t, good, confirmation(cert, "UnsubscribeConfirmation"), "2"),
		"cloudwatch fixture re-sign": sign(t, good, fixture, "1"),
	}
	for name, e := range cases {
		t.Run(name, func(t *testing.T) {
			if err := v.Verify(context.Background(), e); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestVerifyForged(t *testing.T) {
	cs := newCertServer(t)
	good, evil := keys(t)
	cert := cs.url("/cert.pem")

	tampered := func(f func(*Envelope), e Envelope) Envelope { f(&e); return e }
	signedN := sign(t, good, notification(cert, ""), "2")
	signedS := sign(t, good, notification(cert, "ALARM"), "1")
	signedC := sign(t, good, confirmation(cert, "SubscriptionConfirmation"), "2")

	cases := map[string]Envelope{
		"tampered message":       tampered(func(e *Envelope) { e.Message += " " }, signedN),
		"tampered topic":         tampered(func(e *Envelope) { e.TopicArn += "x" }, signedN),
		"added subject":          tampered(func(e *Envelope) { e.Subject = "OK" }, signedN),
		"removed subject":        tampered(func(e *Envelope) { e.Subject = "" }, signedS),
		"tampered subscribe url": tampered(func(e *Envelope) { e.SubscribeURL = "https://sns.us-east-1.amazonaws.com/?x" }, signedC),
		"tampered type":          tampered(func(e *Envelope) { e.Type = "UnsubscribeConfirmation" }, signedC),
		"wrong key":              sign(t, evil, notification(cert, "ALARM"), "2"),
		"v1 signature as v2":     tampered(func(e *Envelope) { e.SignatureVersion = "2" }, signedS),
		"version 3":              tampered(func(e *Envelope) { e.SignatureVersion = "3" }, signedN),
		"empty version":          tampered(func(e *Envelope) { e.SignatureVersion = "" }, signedN),
		"signature not base64":   tampered(func(e *Envelope) { e.Signature = "!!not base64!!" }, signedN),
		"empty signature":        tampered(func(e *Envelope) { e.Signature = "" }, signedN),
		"unknown type":           tampered(func(e *Envelope) { e.Type = "Foo" }, signedN),
	}
	for name, e := range cases {
		t.Run(name, func(t *testing.T) {
			err := cs.verifier().Verify(context.Background(), e)
			if !errors.Is(err, ErrForged) {
				t.Fatalf("Verify = %v, want ErrForged", err)
			}
		})
	}
}

func TestVerifyUntrustedCertURLNeverFetched(t *testing.T) {
	cs := newCertServer(t)
	good, _ := keys(t)
	local := &Verifier{Client: cs.client(), AllowHost: func(h string) bool { return h == "127.0.0.1" }}
	byDefault := &Verifier{Client: cs.client()} // AllowHost nil: only SNS hosts

	cases := []struct {
		name string
		v    *Verifier
		url  string
	}{
		{"non-SNS host", byDefault, "https://evil.example.com/x.pem"},
		{"SNS name as subdomain", byDefault, "https://sns.us-east-1.amazonaws.com.evil.com/x.pem"},
		{"test server under default policy", byDefault, cs.url("/cert.pem")},
		{"http scheme", local, strings.Replace(cs.url("/cert.pem"), "https://", "http://", 1)},
		{"http scheme on SNS host", byDefault, "http://sns.us-east-1.amazonaws.com/x.pem"},
		{"not a .pem path", local, cs.url("/cert.pem.txt")},
		{"userinfo", local, strings.Replace(cs.url("/cert.pem"), "https://", "https://sns.us-east-1.amazonaws.com@", 1)},
		{"empty", local, ""},
		{"relative", local, "/cert.pem"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := sign(t, good, notification(c.url, "ALARM"), "2")
			err := c.v.Verify(context.Background(), e)
			if !errors.Is(err, ErrForged) {
				t.Fatalf("Verify(%q) = %v, want ErrForged", c.url, err)
			}
		})
	}
	if n := cs.attempts.Load(); n != 0 {
		t.Errorf("client attempted %d requests, want 0", n)
	}
	if n := cs.hits.Load(); n != 0 {
		t.Errorf("test server saw %d requests, want 0", n)
	}
}

func TestVerifyCertFetchFailures(t *testing.T) {
	good, _ := keys(t)
	for _, path := range []string{"/missing.pem", "/big.pem", "/garbage.pem", "/redirect.pem"} {
		t.Run(path, func(t *testing.T) {
			cs := newCertServer(t)
			v := cs.verifier()
			err := v.Verify(context.Background(), sign(t, good, notification(cs.url(path), ""), "2"))
			if err == nil {
				t.Fatal("Verify succeeded")
			}
			if errors.Is(err, ErrForged) {
				t.Errorf("a download failure says nothing about authenticity, got %v", err)
			}
			// The redirect target serves a valid certificate; following it
			// would have produced a second hit and a success.
			if n := cs.hits.Load(); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
			if len(v.certs) != 0 {
				t.Errorf("failed fetch was cached: %v", v.certs)
			}
		})
	}
}

func TestVerifyCanceledContext(t *testing.T) {
	cs := newCertServer(t)
	good, _ := keys(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := cs.verifier().Verify(ctx, sign(t, good, notification(cs.url("/cert.pem"), ""), "2"))
	if err == nil || errors.Is(err, ErrForged) {
		t.Fatalf("Verify = %v, want a non-forgery error", err)
	}
}

func TestIsSNSHost(t *testing.T) {
	cases := map[string]bool{
		"sns.us-east-1.amazonaws.com":          true,
		"sns.eu-central-2.amazonaws.com":       true,
		"sns.us-gov-west-1.amazonaws.com":      true,
		"sns.cn-north-1.amazonaws.com.cn":      true,
		"SNS.US-EAST-1.AMAZONAWS.COM":          true,
		"sns.us-east-1.amazonaws.com:443":      true,
		"":                                     false,
		"evil.example.com":                     false,
		"sns.amazonaws.com":                    false,
		"sns..amazonaws.com":                   false,
		"sqs.us-east-1.amazonaws.com":          false,
		"xsns.us-east-1.amazonaws.com":         false,
		"sns.us-east-1.amazonaws.com.evil.com": false,
		"sns.us-east-1.amazonaws.com.":         false,
		"sns.us-east-1.amazonaws.com\n":        false,
		"sns.us-east-1.amazonaws.co":           false,
		"sns.us-east-1.evilamazonaws.com":      false,
		"sns.us_east_1.amazonaws.com":          false,
		"sns.a.b.amazonaws.com":                false,
		"evil.com/sns.us-east-1.amazonaws.com": false,
		"sns.us-east-1.amazonaws.com.cn.evil":  false,
		"127.0.0.1":                            false,
	}
	for host, want := range cases {
		if got := IsSNSHost(host); got != want {
			t.Errorf("IsSNSHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestCheckSubscribeURL(t *testing.T) {
	var v Verifier
	fixture, err := Parse(readFixture(t, "sns_subscription_confirmation.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{
		fixture.SubscribeURL: true,
		"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t": true,
		"https://sns.cn-northwest-1.amazonaws.com.cn/?Action=ConfirmSubscription": true,
		"HTTPS://SNS.US-EAST-1.AMAZONAWS.COM/":                                    true,
		"":                                                                        false,
		"://bad":                                                                  false,
		"http://sns.us-east-1.amazonaws.com/":                                     false,
		"ftp://sns.us-east-1.amazonaws.com/":                                      false,
		"//sns.us-east-1.amazonaws.com/":                                          false,
		"https:sns.us-east-1.amazonaws.com":                                       false,
		"https://evil.example.com/":                                               false,
		"https://169.254.169.254/latest/":                                         false,
		"https://sns.us-east-1.amazonaws.com.evil.com/?Action=ConfirmSubscription": false,
		"https://user:pw@sns.us-east-1.amazonaws.com/":                             false,
		"https://sns.us-east-1.amazonaws.com%2f@evil.com/":                         false,
		`https://evil.com\@sns.us-east-1.amazonaws.com/`:                           false,
	}
	for raw, want := range cases {
		err := v.CheckSubscribeURL(raw)
		if want && err != nil {
			t.Errorf("CheckSubscribeURL(%q) = %v, want nil", raw, err)
		}
		if !want && !errors.Is(err, ErrForged) {
			t.Errorf("CheckSubscribeURL(%q) = %v, want ErrForged", raw, err)
		}
	}

	local := Verifier{AllowHost: func(h string) bool { return h == "127.0.0.1" }}
	if err := local.CheckSubscribeURL("https://127.0.0.1:8443/confirm"); err != nil {
		t.Errorf("AllowHost not consulted: %v", err)
	}
	if err := local.CheckSubscribeURL("https://sns.us-east-1.amazonaws.com/"); err == nil {
		t.Error("AllowHost must replace, not extend, the default policy")
	}
}
