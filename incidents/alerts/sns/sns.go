// Package sns receives Amazon SNS HTTP(S) subscription deliveries.
//
// The endpoint SNS posts to is public, so nothing in a delivery is trusted
// until its signature has been checked against a certificate fetched over
// HTTPS from an Amazon SNS host. Only then may the caller act on it, for
// example by visiting SubscribeURL to confirm a subscription.
package sns

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// ErrForged marks a message that must not be believed: its signature does
// not match, it names a certificate outside Amazon SNS, or it uses a
// signature scheme this package does not know. Callers answer 403 rather
// than 5xx so SNS (or whoever sent it) does not keep retrying.
var ErrForged = errors.New("sns: message failed authenticity check")

const (
	typeNotification             = "Notification"
	typeSubscriptionConfirmation = "SubscriptionConfirmation"
	typeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// Envelope is an SNS HTTP message (Notification, SubscriptionConfirmation,
// UnsubscribeConfirmation).
type Envelope struct {
	Type             string `json:"Type"`
	MessageID        string `json:"MessageId"`
	Token            string `json:"Token"`
	TopicArn         string `json:"TopicArn"`
	Subject          string `json:"Subject"`
	Message          string `json:"Message"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
	SubscribeURL     string `json:"SubscribeURL"`
	UnsubscribeURL   string `json:"UnsubscribeURL"`
}

var (
	notificationFields = []string{"MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL"}
	confirmationFields = append(append([]string(nil), notificationFields...), "Token", "SubscribeURL")
)

func (e *Envelope) field(name string) string {
	switch name {
	case "MessageId":
		return e.MessageID
	case "TopicArn":
		return e.TopicArn
	case "Message":
		return e.Message
	case "Timestamp":
		return e.Timestamp
	case "SignatureVersion":
		return e.SignatureVersion
	case "Signature":
		return e.Signature
	case "SigningCertURL":
		return e.SigningCertURL
	case "Token":
		return e.Token
	case "SubscribeURL":
		return e.SubscribeURL
	}
	return ""
}

// Parse decodes an SNS HTTP request body. It rejects anything that is not a
// complete message of a known Type, so later stages never have to guess
// whether an empty field was absent or intentionally blank. Parse does not
// check the signature; use Verifier.Verify for that.
func Parse(body []byte) (Envelope, error) {
	// json.Unmarshal accepts null into a struct without complaint, which
	// would surface later as a confusing "missing Type".
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return Envelope{}, errors.New("sns: the body is empty")
	}
	if trimmed[0] != '{' {
		return Envelope{}, errors.New("sns: the body is not a JSON object")
	}
	var e Envelope
	if err := json.Unmarshal(body, &e); err != nil {
		return Envelope{}, fmt.Errorf("sns: invalid JSON: %w", err)
	}
	var required []string
	switch e.Type {
	case "":
		return Envelope{}, errors.New(`sns: missing "Type"`)
	case typeNotification:
		required = notificationFields
	case typeSubscriptionConfirmation, typeUnsubscribeConfirmation:
		required = confirmationFields
	default:
		return Envelope{}, fmt.Errorf("sns: unknown Type %q", e.Type)
	}
	for _, name := range required {
		if e.field(name) == "" {
			return Envelope{}, fmt.Errorf("sns: missing %q", name)
		}
	}
	return e, nil
}

// stringToSign builds the canonical text SNS signs. The key order and the
// per-Type key sets come from the AWS documentation; any deviation makes
// every genuine message fail, so it is pinned by a literal test.
func stringToSign(e Envelope) ([]byte, error) {
	var b bytes.Buffer
	add := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('\n')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	switch e.Type {
	case typeNotification:
		add("Message", e.Message)
		add("MessageId", e.MessageID)
		if e.Subject != "" {
			add("Subject", e.Subject)
		}
		add("Timestamp", e.Timestamp)
		add("TopicArn", e.TopicArn)
		add("Type", e.Type)
	case typeSubscriptionConfirmation, typeUnsubscribeConfirmation:
		add("Message", e.Message)
		add("MessageId", e.MessageID)
		add("SubscribeURL", e.SubscribeURL)
		add("Timestamp", e.Timestamp)
		add("Token", e.Token)
		add("TopicArn", e.TopicArn)
		add("Type", e.Type)
	default:
		return nil, fmt.Errorf("%w: unknown Type %q", ErrForged, e.Type)
	}
	return b.Bytes(), nil
}

var snsHostRE = regexp.MustCompile(`^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

// IsSNSHost reports whether host is a regional Amazon SNS endpoint, such as
// sns.us-east-1.amazonaws.com or sns.cn-north-1.amazonaws.com.cn. A port,
// if present, is ignored, and the comparison is case-insensitive because
// DNS names are.
func IsSNSHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return snsHostRE.MatchString(strings.ToLower(host))
}

// Verifier checks SNS message signatures. The zero value is ready to use
// and is safe for concurrent use. It caches signing certificates by host
// and path, and bounds how often it downloads one (fetchBurst, then one
// per fetchEvery), so forged messages cannot make it download at will.
type Verifier struct {
	// Client fetches signing certificates. nil means a client with a 10 s
	// timeout. Redirects are never followed, whatever the client says,
	// because a redirect would lead away from the host that was vetted.
	Client *http.Client
	// AllowHost reports whether a SigningCertURL or SubscribeURL host
	// (lowercased, without port) is trusted. nil means IsSNSHost.
	AllowHost func(host string) bool

	mu       sync.Mutex
	certs    map[string]*cachedCert // by certKey
	order    []string               // keys of certs, oldest first, for eviction
	inflight map[string]*certFetch
	budget   tokenBucket
	now      func() time.Time // tests stop the clock; nil means time.Now
}

// Verify checks that e was signed by Amazon SNS. Errors wrapping ErrForged
// mean the message is not authentic; other errors (a failed certificate
// download, or ErrTooManyFetches) say nothing about authenticity and may
// be retried.
func (v *Verifier) Verify(ctx context.Context, e Envelope) error {
	var hash crypto.Hash
	switch e.SignatureVersion {
	case "1":
		hash = crypto.SHA1
	case "2":
		hash = crypto.SHA256
	default:
		return fmt.Errorf("%w: unsupported SignatureVersion %q", ErrForged, e.SignatureVersion)
	}
	msg, err := stringToSign(e)
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(e.Signature)
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("%w: Signature is not base64", ErrForged)
	}
	// The URL is vetted before any network access so a forged message
	// cannot make the server fetch from an address of the sender's choosing.
	certURL, err := v.checkURL(e.SigningCertURL, "SigningCertURL")
	if err != nil {
		return err
	}
	cert := certKey(certURL)
	if !strings.HasSuffix(cert, ".pem") {
		return fmt.Errorf("%w: SigningCertURL %q is not a .pem file", ErrForged, e.SigningCertURL)
	}
	key, err := v.publicKey(ctx, cert)
	if err != nil {
		return err
	}
	var digest []byte
	if hash == crypto.SHA1 {
		d := sha1.Sum(msg)
		digest = d[:]
	} else {
		d := sha256.Sum256(msg)
		digest = d[:]
	}
	if err := rsa.VerifyPKCS1v15(key, hash, digest, sig); err != nil {
		return fmt.Errorf("%w: signature does not match", ErrForged)
	}
	v.markProven(cert)
	return nil
}

// CheckSubscribeURL reports whether raw is safe to visit to confirm or
// cancel a subscription: https on a trusted host. Without this check a
// message could steer the server into requesting internal addresses.
func (v *Verifier) CheckSubscribeURL(raw string) error {
	_, err := v.checkURL(raw, "SubscribeURL")
	return err
}

func (v *Verifier) checkURL(raw, field string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a URL", ErrForged, field)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("%w: %s %q is not https", ErrForged, field, raw)
	}
	// Userinfo has no place in SNS URLs and is a classic way to make a URL
	// look like it points somewhere it does not.
	if u.User != nil {
		return nil, fmt.Errorf("%w: %s %q carries credentials", ErrForged, field, raw)
	}
	host := strings.ToLower(u.Hostname())
	allow := v.AllowHost
	if allow == nil {
		allow = IsSNSHost
	}
	if host == "" || !allow(host) {
		return nil, fmt.Errorf("%w: %s host %q is not trusted", ErrForged, field, host)
	}
	return u, nil
}
