package sns

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
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
	queries  atomic.Int64 // requests that carried a query string
}

func newCertServer(t *testing.T) *certServer {
	t.Helper()
	good, _ := keys(t)
	pemBytes := certPEM(t, good)
	cs := &certServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/cert.pem", func(w http.ResponseWriter, r *http.Request) { w.Write(pemBytes) })
	mux.HandleFunc("/other.pem", func(w http.ResponseWriter, r *http.Request) { w.Write(pemBytes) })
	// Any number of distinct certificate URLs, for the cache and rate bounds.
	mux.HandleFunc("/n/", func(w http.ResponseWriter, r *http.Request) { w.Write(pemBytes) })
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
		if r.URL.RawQuery != "" {
			cs.queries.Add(1)
		}
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
