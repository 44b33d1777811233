package sns

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Keys are generated once: RSA generation dominates the run time otherwise.
var (
	keysOnce         sync.Once
	goodKey, evilKey *rsa.PrivateKey
)

func keys(t *testing.T) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if goodKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if evilKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return goodKey, evilKey
}

func certPEM(t *testing.T, key *rsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// countingTransport counts every request the verifier's client attempts,
// whatever the host, so tests can prove no fetch was even tried.
type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

type certServer struct {
	srv      *httptest.Server
	hits     atomic.Int64 // requests that reached the server
	attempts atomic.Int64 // requests the client tried to send anywhere
}

func newCertServer(t *testing.T) *certServer {
	t.Helper()
	good, _ := keys(t)
	pemBytes := certPEM(t, good)
	cs := &certServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/cert.pem", func(w http.ResponseWriter, r *http.Request) { w.Write(pemBytes) })
	mux.HandleFunc("/other.pem", func(w http.ResponseWriter, r *http.Request) { w.Write(pemBytes) })
	mux.HandleFunc("/big.pem", func(w http.ResponseWriter, r *http.Request) {
		// A valid certificate followed by padding: only the size limit
		// can reject it.
		w.Write(pemBytes)
		w.Write([]byte(strings.Repeat("#", 100<<10)))
	})
	mux.HandleFunc("/garbage.pem", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("not a certificate")) })
	mux.HandleFunc("/redirect.pem", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/cert.pem", http.StatusFound)
	})
	cs.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(cs.srv.Close)
	return cs
}

func (cs *certServer) url(path string) string { return cs.srv.URL + path }

func (cs *certServer) client() *http.Client {
	c := cs.srv.Client()
	c.Transport = countingTransport{next: c.Transport, n: &cs.attempts}
	return c
}

// verifier trusts the local test server the way the default trusts SNS.
func (cs *certServer) verifier() *Verifier {
	return &Verifier{Client: cs.client(), AllowHost: func(h string) bool { return h == "127.0.0.1" }}
}

// canonical is written independently of stringToSign, straight from the
// AWS documentation, so a bug in one is not mirrored in the other.
func canonical(e Envelope) string {
	var keys []string
	if e.Type == "Notification" {
		keys = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	} else {
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	vals := map[string]string{
		"Message": e.Message, "MessageId": e.MessageID, "Subject": e.Subject, "Timestamp": e.Timestamp,
		"TopicArn": e.TopicArn, "Type": e.Type, "SubscribeURL": e.SubscribeURL, "Token": e.Token,
	}
	var s string
	for _, k := range keys {
		if k == "Subject" && vals[k] == "" {
			continue
		}
		s += k + "\n" + vals[k] + "\n"
	}
	return s
}

func sign(t *testing.T, key *rsa.PrivateKey, e Envelope, version string) Envelope {
	t.Helper()
	e.SignatureVersion = version
	msg := []byte(canonical(e))
	var (
		h      crypto.Hash
		digest []byte
	)
	switch version {
	case "1":
		d := sha1.Sum(msg)
		h, digest = crypto.SHA1, d[:]
	default:
		d := sha256.Sum256(msg)
		h, digest = crypto.SHA256, d[:]
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, digest)
	if err != nil {
		t.Fatal(err)
	}
	e.Signature = base64.StdEncoding.EncodeToString(sig)
	return e
}

func notification(certURL, subject string) Envelope {
	return Envelope{
		Type:           "Notification",
		MessageID:      "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicArn:       "arn:aws:sns:us-east-1:123456789012:ops-alerts",
		Subject:        subject,
		Message:        `{"AlarmName":"web-cpu-high","NewStateValue":"ALARM"}`,
		Timestamp:      "2026-01-06T10:04:12.468Z",
		SigningCertURL: certURL,
		UnsubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
	}
}

func confirmation(certURL, typ string) Envelope {
	return Envelope{
		Type:           typ,
		MessageID:      "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		Token:          "2336412f37fb",
		TopicArn:       "arn:aws:sns:us-east-1:123456789012:ops-alerts",
		Message:        "You have chosen to subscribe to the topic.\nTo confirm, visit the SubscribeURL.",
		SubscribeURL:   "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f37fb",
		Timestamp:      "2026-01-05T09:00:00.000Z",
		SigningCertURL: certURL,
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

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

func TestVerifyCachesCertificate(t *testing.T) {
	cs := newCertServer(t)
	good, evil := keys(t)
	v := cs.verifier()
	cert := cs.url("/cert.pem")
	for i, e := range []Envelope{
		sign(t, good, notification(cert, "one"), "1"),
		sign(t, good, notification(cert, "two"), "2"),
		sign(t, good, confirmation(cert, "SubscriptionConfirmation"), "2"),
	} {
		if err := v.Verify(context.Background(), e); err != nil {
			t.Fatalf("Verify #%d: %v", i, err)
		}
	}
	// A forgery against a cached certificate must still be caught.
	if err := v.Verify(context.Background(), sign(t, evil, notification(cert, ""), "2")); !errors.Is(err, ErrForged) {
		t.Fatalf("forgery with cached cert: %v", err)
	}
	if n := cs.hits.Load(); n != 1 {
		t.Errorf("certificate fetched %d times, want 1", n)
	}
	if err := v.Verify(context.Background(), sign(t, good, notification(cs.url("/other.pem"), ""), "2")); err != nil {
		t.Fatal(err)
	}
	if n := cs.hits.Load(); n != 2 {
		t.Errorf("a different URL must be fetched on its own: %d fetches, want 2", n)
	}
}

func TestVerifyCacheIsBounded(t *testing.T) {
	cs := newCertServer(t)
	good, _ := keys(t)
	v := cs.verifier()
	urlN := func(i int) string { return cs.url(fmt.Sprintf("/cert.pem?n=%d", i)) }
	verify := func(i int) {
		t.Helper()
		if err := v.Verify(context.Background(), sign(t, good, notification(urlN(i), ""), "2")); err != nil {
			t.Fatalf("Verify %d: %v", i, err)
		}
	}
	const n = maxCachedCerts + 4
	for i := 0; i < n; i++ {
		verify(i)
	}
	if len(v.certs) != maxCachedCerts || len(v.order) != maxCachedCerts {
		t.Fatalf("cache holds %d certs (%d ordered), want %d", len(v.certs), len(v.order), maxCachedCerts)
	}
	verify(n - 1) // most recent: still cached
	if got := cs.hits.Load(); got != n {
		t.Errorf("fetches = %d, want %d", got, n)
	}
	verify(0) // oldest: evicted, so fetched again
	if got := cs.hits.Load(); got != n+1 {
		t.Errorf("fetches = %d, want %d", got, n+1)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	cs := newCertServer(t)
	good, evil := keys(t)
	v := cs.verifier()
	ok := sign(t, good, notification(cs.url("/cert.pem"), "x"), "2")
	bad := sign(t, evil, notification(cs.url("/cert.pem"), "x"), "2")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); errs <- v.Verify(context.Background(), ok) }()
		go func() {
			defer wg.Done()
			if err := v.Verify(context.Background(), bad); !errors.Is(err, ErrForged) {
				errs <- fmt.Errorf("forgery: %v", err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
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
