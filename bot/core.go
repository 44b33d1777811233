package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
)

// core is what every part of the Slack side shares: the domain, the
// private answer to whoever asked (its chat.postEphemeral fallback is the
// only Slack call here), the renderer, the log and metrics, and the
// per-incident locks. There is one core per App; the features hold a
// pointer to it, so a lock taken by one feature holds against the others.
type core struct {
	svc    *incidents.Service
	reply  replier
	render Renderer
	log    *zap.Logger
	m      *Metrics
	locks  [64]sync.Mutex
	// transcript records incident channels as they happen (capture.go);
	// nil: nothing is recorded and drafts read the channel from Slack.
	transcript *incidents.Transcript
}

// fail tells the user why their request did not work. Domain errors are
// shown as they are; internal errors are logged once with a reference the
// user can quote.
func (c *core) fail(ctx context.Context, o Origin, err error) {
	code := incidents.ErrorCode(err)
	c.m.CommandErrors.WithLabelValues(code).Inc()
	msg := incidents.ErrorMessage(err)
	if code == incidents.EINTERNAL {
		ref := uuid.NewString()[:8]
		c.logFor(ctx).Error("command failed", zap.String("ref", ref), zap.String("user", o.User), zap.Error(err))
		msg = fmt.Sprintf("Something went wrong on my side (ref `%s`), and I may not have recorded it. Check `/incident status` before trying again.", ref)
	}
	rctx, cancel := detached(ctx)
	defer cancel()
	c.reply.ephemeral(rctx, o, ":warning: "+msg)
}

// lock serialises work on one incident within this process, so the topic
// and header are rendered from the latest state, never an older copy that
// finished its Slack calls late. It returns the unlock function.
func (c *core) lock(id uuid.UUID) func() {
	mu := &c.locks[id[0]%byte(len(c.locks))]
	mu.Lock()
	return mu.Unlock
}

// incidentHere finds the incident of the channel the command came from.
func (c *core) incidentHere(ctx context.Context, channel string) (incidents.Incident, error) {
	inc, err := c.svc.ByChannel(ctx, channel)
	if errors.Is(err, incidents.ErrNotFound) {
		return inc, incidents.Errorf(incidents.ENOTFOUND,
			"This channel is not an incident channel. Run the command inside the incident's channel, or `/incident list` to find it.")
	}
	return inc, err
}

// openModal opens a form for whoever typed or clicked; the features with
// forms call it with their own ViewsAPI, so their type says they open views.
func openModal(ctx context.Context, views ViewsAPI, o Origin, v slack.ModalViewRequest) error {
	if _, err := views.OpenViewContext(ctx, o.TriggerID, v); err != nil {
		return incidents.Errorf(incidents.EINVALID, "I could not open the form: %s", DescribeSlackError(SlackErrorCode(err)))
	}
	return nil
}

// key builds an idempotency key; an empty id gives no key rather than one
// shared by every request that lacks an id.
func key(prefix, id string) string {
	if id == "" {
		return ""
	}
	return prefix + id
}

// detached returns a context that outlives ctx's cancellation for a short
// while: recording what failed and telling the user must happen even when
// the job itself ran out of time or the bot is shutting down.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// ignoreDuplicate reports a change's outcome: a repeat of one already
// made (a redelivery, a job run again) is not an error.
func ignoreDuplicate(err error) error {
	if errors.Is(err, incidents.ErrDuplicate) {
		return nil
	}
	return err
}

func lastN(evs []incidents.Event, n int) []incidents.Event {
	if len(evs) > n {
		return evs[len(evs)-n:]
	}
	return evs
}

func zapIncident(inc incidents.Incident) zap.Field { return zap.String("incident_id", inc.ID.String()) }
