// Package snstest is a local stand-in for Amazon SNS at the network edge:
// it signs HTTP messages with its own certificate, serves that
// certificate over TLS as SNS does, and counts subscription confirmations.
// Its string-to-sign is written from the AWS documentation independently
// of package sns, so the two check each other.
package snstest

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
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents/alerts/sns"
)

// Server signs envelopes and serves its certificate and the confirmation
// endpoint.
type Server struct {
	srv       *httptest.Server
	key       *rsa.PrivateKey
	confirmed atomic.Int64
	fetches   atomic.Int64
}

const certPath = "/SimpleNotificationService-snstest.pem"

// New starts a Server; it stops with the test.
func New(t testing.TB) *Server {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns.snstest.amazonaws.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	s := &Server{key: key}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Any .pem request counts, served or not: what a flood costs is
		// the outbound request, whether or not a certificate came back.
		if strings.HasSuffix(r.URL.Path, ".pem") {
			s.fetches.Add(1)
		}
		switch {
		case r.URL.Path == certPath:
			w.Write(pemBytes)
		case r.URL.Query().Get("Action") == "ConfirmSubscription" && r.URL.Query().Get("Token") != "":
			s.confirmed.Add(1)
			fmt.Fprint(w, `<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>arn</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// Verifier trusts this server (and only it) as the SNS host.
func (s *Server) Verifier() *sns.Verifier {
	host := s.srv.Listener.Addr().String()
	host, _, _ = strings.Cut(host, ":")
	return &sns.Verifier{Client: s.srv.Client(), AllowHost: func(h string) bool { return h == host }}
}

// Confirmed is how many subscriptions were confirmed.
func (s *Server) Confirmed() int { return int(s.confirmed.Load()) }

// CertFetches is how many certificate (.pem) requests reached the server.
func (s *Server) CertFetches() int { return int(s.fetches.Load()) }

// Notification is a signed Notification carrying message on topic.
func (s *Server) Notification(topic, subject, message string) sns.Envelope {
	e := sns.Envelope{Type: "Notification", MessageID: fmt.Sprintf("msg-%d", time.Now().UnixNano()), TopicArn: topic,
		Subject: subject, Message: message, Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		UnsubscribeURL: s.srv.URL + "/?Action=Unsubscribe"}
	return s.Sign(e, "2")
}

// Confirmation is a signed SubscriptionConfirmation for topic.
func (s *Server) Confirmation(topic string) sns.Envelope {
	token := "token-" + fmt.Sprint(time.Now().UnixNano())
	e := sns.Envelope{Type: "SubscriptionConfirmation", MessageID: "confirm-1", TopicArn: topic, Token: token,
		Message:      "You have chosen to subscribe to the topic " + topic + ".",
		SubscribeURL: s.srv.URL + "/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(topic) + "&Token=" + token,
		Timestamp:    time.Now().UTC().Format("2006-01-02T15:04:05.000Z")}
	return s.Sign(e, "1")
}

// Sign signs e with SignatureVersion version ("1": SHA1, "2": SHA256).
func (s *Server) Sign(e sns.Envelope, version string) sns.Envelope {
	e.SignatureVersion, e.SigningCertURL = version, s.srv.URL+certPath
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	add("Message", e.Message)
	add("MessageId", e.MessageID)
	if e.Type == "Notification" {
		if e.Subject != "" {
			add("Subject", e.Subject)
		}
	} else {
		add("SubscribeURL", e.SubscribeURL)
	}
	add("Timestamp", e.Timestamp)
	if e.Type != "Notification" {
		add("Token", e.Token)
	}
	add("TopicArn", e.TopicArn)
	add("Type", e.Type)
	var sig []byte
	var err error
	if version == "1" {
		h := sha1.Sum([]byte(b.String()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA1, h[:])
	} else {
		h := sha256.Sum256([]byte(b.String()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, h[:])
	}
	if err != nil {
		panic(err)
	}
	e.Signature = base64.StdEncoding.EncodeToString(sig)
	return e
}
