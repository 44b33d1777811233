package main

import (
	"context"
	"errors"
	"io"
	"net/http"

	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/paging"
)

// outboxPerformer performs the outbox: pages through their providers,
// everything else in Slack. Pages have lanes of their own, so a provider
// that fails holds up neither Slack nor another provider.
type outboxPerformer struct {
	slack  incidents.Performer
	pager  *paging.Sender
	getenv func(string) string
}

func (p outboxPerformer) Perform(ctx context.Context, e incidents.Effect) (map[string]string, error) {
	if e.Kind != incidents.EffectPage {
		return p.slack.Perform(ctx, e)
	}
	ts, err := paging.ParseTargets("the page's target", e.Data["target"], p.getenv)
	if err != nil || len(ts) != 1 {
		// The settings changed since the page was decided (a routing
		// key unset): retrying will not help, people are told.
		return nil, &incidents.DeliveryError{Reason: "paging target not usable: " + errText(err), Permanent: true}
	}
	page := paging.Page{Action: e.Data["action"], DedupKey: e.Data["dedup_key"], Summary: e.Data["summary"],
		Severity: e.Data["severity"], Source: "incident-bot",
		Details: map[string]string{"incident": e.Data["incident"], "level": e.Data["level"], "status": e.Data["status"]}}
	if ch := e.Data["channel_id"]; ch != "" {
		// Opens the channel in whichever workspace the reader is signed in to.
		page.Link, page.LinkText = "https://slack.com/app_redirect?channel="+ch, "Incident channel in Slack"
	}
	res, err := p.pager.Send(ctx, ts[0], page)
	if err != nil {
		return nil, err
	}
	return map[string]string{"answer": res.Answer}, nil
}

func errText(err error) string {
	if err == nil {
		return "not one target"
	}
	return err.Error()
}

// pagerDutyWebhook takes PagerDuty's v3 webhooks: an acknowledgement of
// one of the bot's pages acknowledges its incident. It answers 2xx only
// once that is recorded (PagerDuty retries otherwise), and 401 to
// anything not signed with a configured secret.
type pagerDutyWebhook struct {
	svc     *incidents.Service
	secrets []string
	log     *zap.Logger
}

// maxWebhookBody bounds what is read of a webhook: PagerDuty's are a few KB.
const maxWebhookBody = 1 << 20

func (h pagerDutyWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(h.secrets) == 0 {
		http.Error(w, "PagerDuty webhooks are off: set PAGERDUTY_WEBHOOK_SECRET to the webhook subscription's signing secret", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if tooBig := new(http.MaxBytesError); errors.As(err, &tooBig) {
		http.Error(w, "the body is over 1 MB; PagerDuty's webhooks are a few KB", http.StatusRequestEntityTooLarge)
		return
	} else if err != nil {
		http.Error(w, "could not read the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := paging.VerifySignature(body, r.Header.Get("X-PagerDuty-Signature"), h.secrets...); err != nil {
		h.log.Warn("PagerDuty webhook refused", zap.String("remote", r.RemoteAddr), zap.Error(err))
		http.Error(w, "X-PagerDuty-Signature: "+err.Error()+" (PAGERDUTY_WEBHOOK_SECRET)", http.StatusUnauthorized)
		return
	}
	ack, err := paging.ParseWebhook(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, ours := incidents.IncidentOfDedupKey(ack.DedupKey)
	if ack.Type != "incident.acknowledged" || !ours {
		w.WriteHeader(http.StatusNoContent) // not about one of the bot's pages being taken
		return
	}
	_, err = h.svc.AcknowledgePage(r.Context(), id, "pagerduty:"+ack.EventID, ack.DedupKey, "PagerDuty", ack.By)
	switch {
	case err == nil, errors.Is(err, incidents.ErrDuplicate), errors.Is(err, incidents.ErrNotFound), incidents.ErrorCode(err) == incidents.ECONFLICT:
		// Recorded now or before; an incident gone or resolved needs nothing.
		w.WriteHeader(http.StatusNoContent)
	default:
		h.log.Error("could not record a PagerDuty acknowledgement", zap.String("incident_id", id.String()), zap.Error(err))
		http.Error(w, "could not record the acknowledgement; retry", http.StatusServiceUnavailable)
	}
}
