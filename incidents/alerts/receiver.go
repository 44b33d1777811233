package alerts

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents/alerts/sns"
)

// Sink takes parsed alerts. It returns once they are stored, so that a
// 2xx to the sender means nothing is lost; an error makes the sender
// retry (5xx).
type Sink interface {
	Receive(ctx context.Context, alerts []Alert) error
}

// DefaultMaxBody bounds a request body: real alert payloads are a few
// kilobytes, an Alertmanager group of hundreds of alerts well under this.
const DefaultMaxBody = 1 << 20

// SecretHeader carries the shared secret for the non-SNS receivers
// (Authorization: Bearer <secret> is accepted too, for Alertmanager's
// http_config.authorization).
const SecretHeader = "X-Alert-Secret"

// Receiver serves the alert endpoints on the bot's HTTP listener.
type Receiver struct {
	Sink Sink
	// Secret is required by the Alertmanager, Uptime Robot and generic
	// receivers; empty switches them off.
	Secret string
	// SNS verifies SNS signatures and subscription URLs.
	SNS *sns.Verifier
	// Topics are the only SNS topic ARNs accepted: a valid signature
	// proves a message came from SNS, not from your topic — anyone can
	// subscribe this URL to their own topic. With none, the SNS receiver
	// is off.
	Topics []string
	// MaxBody bounds request bodies (default DefaultMaxBody).
	MaxBody int64
	Log     *zap.Logger
	Now     func() time.Time
	// Metrics count what came in and what was refused (nil: not counted).
	Metrics *ReceiverMetrics

	once   sync.Once
	defSNS *sns.Verifier // when SNS is nil: one, so its certificate cache lasts
}

// MaxSNSAge bounds how old a signed SNS message may be: a captured
// message replayed later is refused. SNS's own retries end well before.
const MaxSNSAge = 2 * time.Hour

// Paths of the receivers.
const (
	PathSNS          = "/alerts/sns"
	PathAlertmanager = "/alerts/alertmanager"
	PathUptimeRobot  = "/alerts/uptimerobot"
	PathWebhook      = "/alerts/webhook"
)

// Register adds the receivers to mux.
func (r *Receiver) Register(mux *http.ServeMux) {
	mux.HandleFunc(PathSNS, r.serveSNS)
	mux.HandleFunc(PathAlertmanager, r.withSecret(func(b []byte, now time.Time) ([]Alert, error) { return ParseAlertmanager(b, now) }))
	mux.HandleFunc(PathUptimeRobot, r.withSecret(func(b []byte, now time.Time) ([]Alert, error) {
		a, err := ParseUptimeRobot(b, now)
		return []Alert{a}, err
	}))
	mux.HandleFunc(PathWebhook, r.withSecret(ParseWebhook))
}

func (r *Receiver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Receiver) log() *zap.Logger {
	if r.Log != nil {
		return r.Log
	}
	return zap.NewNop()
}

// body reads a POST body within the limit, answering the failure itself.
func (r *Receiver) body(w http.ResponseWriter, req *http.Request) ([]byte, bool) {
	if !postOnly(w, req) {
		return nil, false
	}
	limit := r.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			r.refuse(w, req, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", limit))
		} else {
			r.refuse(w, req, http.StatusBadRequest, "unreadable", "could not read the body: "+err.Error())
		}
		return nil, false
	}
	return b, true
}

func postOnly(w http.ResponseWriter, req *http.Request) bool {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, "alerts are sent with POST")
		return false
	}
	return true
}

func (r *Receiver) withSecret(parse func([]byte, time.Time) ([]Alert, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		if !postOnly(w, req) {
			return
		}
		if r.Secret == "" {
			r.refuse(w, req, http.StatusForbidden, "receiver_off", "this receiver is off: set ALERT_WEBHOOK_SECRET on the bot and send it as Authorization: Bearer <secret> (Alertmanager's http_config.authorization.credentials) or in the "+SecretHeader+" header")
			return
		}
		got := req.Header.Get(SecretHeader)
		if got == "" {
			got, _ = strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		}
		// Constant time, so the secret cannot be guessed byte by byte.
		if subtle.ConstantTimeCompare([]byte(got), []byte(r.Secret)) != 1 {
			reason := "wrong_secret"
			if got == "" {
				reason = "no_secret"
			}
			r.refuse(w, req, http.StatusUnauthorized, reason, "missing or wrong secret: send ALERT_WEBHOOK_SECRET as Authorization: Bearer <secret> (Alertmanager: http_config.authorization.credentials) or in the "+SecretHeader+" header")
			return
		}
		b, ok := r.body(w, req)
		if !ok {
			return
		}
		as, err := parse(b, r.now())
		if err != nil {
			r.refuse(w, req, http.StatusBadRequest, "unreadable", err.Error())
			return
		}
		r.deliver(w, req, as)
	}
}

func (r *Receiver) deliver(w http.ResponseWriter, req *http.Request, as []Alert) {
	if err := r.Sink.Receive(req.Context(), as); err != nil {
		r.log().Error("could not store alerts", zap.Int("alerts", len(as)), zap.Error(err))
		r.Metrics.rejected("store_unavailable", http.StatusServiceUnavailable)
		reply(w, http.StatusServiceUnavailable, "the alerts could not be stored; retry")
		return
	}
	for _, a := range as {
		r.Metrics.received(a)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "alerts": len(as)})
}

func (r *Receiver) serveSNS(w http.ResponseWriter, req *http.Request) {
	b, ok := r.body(w, req)
	if !ok {
		return
	}
	env, err := sns.Parse(b)
	if err != nil {
		r.refuse(w, req, http.StatusBadRequest, "unreadable", err.Error())
		return
	}
	if len(r.Topics) == 0 {
		r.refuse(w, req, http.StatusForbidden, "receiver_off", "the SNS receiver is off: set ALERT_SNS_TOPICS to the topic ARNs whose messages this bot accepts")
		return
	}
	if !slices.Contains(r.Topics, env.TopicArn) {
		r.refuse(w, req, http.StatusForbidden, "unknown_topic", "topic "+env.TopicArn+" is not one this bot accepts (ALERT_SNS_TOPICS)")
		return
	}
	v := r.SNS
	if v == nil {
		r.once.Do(func() { r.defSNS = &sns.Verifier{} })
		v = r.defSNS
	}
	if err := v.Verify(req.Context(), env); err != nil {
		if errors.Is(err, sns.ErrForged) {
			r.refuse(w, req, http.StatusForbidden, "forged", err.Error())
			return
		}
		// Could not fetch the certificate: SNS retries a 5xx.
		reply(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	switch env.Type {
	case "SubscriptionConfirmation":
		if err := r.confirm(req.Context(), v, env.SubscribeURL); err != nil {
			r.log().Error("could not confirm the SNS subscription", zap.String("topic", env.TopicArn), zap.Error(err))
			reply(w, http.StatusBadGateway, "could not confirm the subscription: "+err.Error())
			return
		}
		r.log().Info("SNS subscription confirmed", zap.String("topic", env.TopicArn))
		reply(w, http.StatusOK, "subscription confirmed")
	case "UnsubscribeConfirmation":
		r.log().Warn("SNS subscription ended", zap.String("topic", env.TopicArn))
		reply(w, http.StatusOK, "noted")
	default:
		sent, err := time.Parse(time.RFC3339, env.Timestamp)
		if err != nil || r.now().Sub(sent) > MaxSNSAge {
			r.refuse(w, req, http.StatusForbidden, "stale", "the message is older than "+MaxSNSAge.String()+" (or has no valid Timestamp): refused as a possible replay")
			return
		}
		a, err := ParseSNSMessage(env.Subject, env.Message, env.TopicArn, r.now())
		if err != nil {
			r.refuse(w, req, http.StatusBadRequest, "unreadable", err.Error())
			return
		}
		// SNS redelivers with the same MessageId: the alert is stored once.
		a.setDeliveryID("sns:" + env.MessageID)
		r.deliver(w, req, []Alert{a})
	}
}

// confirm visits the SubscribeURL, only on an SNS host.
func (r *Receiver) confirm(ctx context.Context, v *sns.Verifier, raw string) error {
	if err := v.CheckSubscribeURL(raw); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return err
	}
	// Never follow a redirect: it would lead away from the vetted host.
	client := http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if v.Client != nil {
		client.Transport = v.Client.Transport
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("SNS answered %s", resp.Status)
	}
	return nil
}

func reply(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	key := "error"
	if code < 300 {
		key = "message"
	}
	json.NewEncoder(w).Encode(map[string]any{"ok": code < 300, key: msg})
}
