package paging

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SignatureHeader is the header PagerDuty signs v3 webhooks in.
const SignatureHeader = "X-PagerDuty-Signature"

// Errors of VerifySignature.
var (
	ErrNoSignature       = errors.New("no X-PagerDuty-Signature header")
	ErrSignatureMismatch = errors.New("signature does not match")
	ErrNoSecret          = errors.New("no PagerDuty webhook secret is configured")
)

// VerifySignature checks header, the X-PagerDuty-Signature of a v3
// webhook, against the raw body: nil when any of its v1= signatures (one
// per secret PagerDuty holds, several while a secret is being rotated)
// is the HMAC-SHA256 of body under any of secrets. Empty secrets are
// ignored: an HMAC under an empty key is one anybody can compute.
func VerifySignature(body []byte, header string, secrets ...string) error {
	var macs [][]byte
	for _, s := range secrets {
		if s != "" {
			m := hmac.New(sha256.New, []byte(s))
			m.Write(body)
			macs = append(macs, m.Sum(nil))
		}
	}
	if len(macs) == 0 {
		return ErrNoSecret
	}
	if strings.TrimSpace(header) == "" {
		return ErrNoSignature
	}
	found := false
	for sig := range strings.SplitSeq(header, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(sig), "v1=")
		if !ok {
			continue // another version: a later scheme, not ours to judge
		}
		got, err := hex.DecodeString(v)
		if err != nil || len(got) != sha256.Size {
			continue
		}
		found = true
		for _, want := range macs {
			if hmac.Equal(got, want) { // constant time
				return nil
			}
		}
	}
	if !found {
		return fmt.Errorf("%w: the header has no v1= signature", ErrSignatureMismatch)
	}
	return ErrSignatureMismatch
}

// Ack is what a PagerDuty v3 webhook says happened to an incident.
type Ack struct {
	EventID  string    // the webhook event's id: redeliveries repeat it
	Type     string    // "incident.acknowledged", "incident.resolved", …
	At       time.Time // when it happened
	By       string    // the agent's summary ("Tenex Engineer"); empty when none is named
	DedupKey string    // data.incident_key: the dedup_key the bot sent; empty for other incidents and events
	Incident string    // data.html_url, or "PagerDuty incident #2"
}

// v3 webhook JSON, only the parts read. Pointers tell missing from empty.
type v3Webhook struct {
	Event *struct {
		ID           string  `json:"id"`
		EventType    string  `json:"event_type"`
		ResourceType string  `json:"resource_type"`
		OccurredAt   string  `json:"occurred_at"`
		Agent        *v3Ref  `json:"agent"`
		Data         *v3Data `json:"data"`
	} `json:"event"`
}

type v3Ref struct {
	HTMLURL string `json:"html_url"`
	Summary string `json:"summary"`
}

type v3Data struct {
	Type        string      `json:"type"`
	HTMLURL     string      `json:"html_url"`
	Number      json.Number `json:"number"`
	IncidentKey string      `json:"incident_key"`
	Incident    *v3Ref      `json:"incident"` // on incident_note, incident_responder, …
}

// ParseWebhook reads a PagerDuty v3 webhook (after VerifySignature). It
// needs the event's id, type and time; the rest is read when present. For
// an incident the bot did not create (or an event about something other
// than an incident) DedupKey is empty: the caller answers 2xx and ignores
// it, as PagerDuty disables subscriptions that keep failing.
func ParseWebhook(body []byte) (Ack, error) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return Ack{}, errors.New("the webhook body is empty")
	}
	var w v3Webhook
	if err := json.Unmarshal(body, &w); err != nil {
		return Ack{}, fmt.Errorf("the webhook is not a PagerDuty v3 event: %w", err)
	}
	e := w.Event
	switch {
	case e == nil:
		return Ack{}, errors.New("the webhook has no event")
	case e.ID == "":
		return Ack{}, errors.New("the webhook event has no id")
	case e.EventType == "":
		return Ack{}, errors.New("the webhook event has no event_type")
	case e.OccurredAt == "":
		return Ack{}, errors.New("the webhook event has no occurred_at")
	}
	at, err := time.Parse(time.RFC3339Nano, e.OccurredAt)
	if err != nil {
		return Ack{}, fmt.Errorf("the webhook event's occurred_at %q is not an ISO 8601 time", e.OccurredAt)
	}
	a := Ack{EventID: e.ID, Type: e.EventType, At: at}
	if e.Agent != nil {
		a.By = e.Agent.Summary
	}
	if e.ResourceType == "incident" && e.Data == nil {
		return Ack{}, fmt.Errorf("the %s event has no data", e.EventType)
	}
	if d := e.Data; d != nil {
		a.DedupKey, a.Incident = d.incident()
	}
	return a, nil
}

// incident reads the dedup key and a link to the incident from data: an
// incident itself, or something that refers to one.
func (d *v3Data) incident() (key, link string) {
	switch {
	case d.Type == "incident":
		key, link = d.IncidentKey, d.HTMLURL
		if link == "" && d.Number != "" {
			link = "PagerDuty incident #" + d.Number.String()
		}
	case d.Incident != nil:
		link = d.Incident.HTMLURL
		if link == "" {
			link = d.Incident.Summary
		}
	}
	return key, link
}
