package incidents

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Performer does one effect: the bot's Slack side. It returns what the
// effect produced (a message ts, a channel ID) or an error; a
// *DeliveryError says whether and when to try again.
type Performer interface {
	Perform(ctx context.Context, e Effect) (map[string]string, error)
}

// DeliveryError says why an attempt at an effect did not succeed and
// what to do about it. Other errors are retried with backoff.
type DeliveryError struct {
	Code       string        // the other side's error code ("restricted_action"), when it gave one
	Reason     string        // for the timeline and the people told
	Permanent  bool          // retrying cannot help: record it and tell people
	Quiet      bool          // permanent, and follows from a failure people were told about
	RetryAfter time.Duration // the other side asked to wait this long
	Uncertain  bool          // the attempt may have taken effect (no answer came)
}

func (e *DeliveryError) Error() string { return e.Reason }

// DispatcherOptions configures NewDispatcher.
type DispatcherOptions struct {
	Service *Service
	Perform Performer
	Clock   Clock
	Log     *zap.Logger
	// Workers is how many effects are performed at once (default 8); the
	// effects of one lane are performed one at a time whatever this is.
	Workers int
	// Timeout bounds one attempt (default 2 minutes).
	Timeout time.Duration
	// Poll is how often the outbox is looked at without a wake-up, for
	// effects other replicas added (default 1s).
	Poll time.Duration
}

// Dispatcher performs the outbox: it claims due effects (heads of their
// lanes), performs them, and records each outcome — done, retry later
// (with backoff, or when Slack says), or failed for good.
type Dispatcher struct {
	opts DispatcherOptions
	wake chan struct{} // new effects were added: coalesced
	next chan struct{} // an attempt ended: its lane's next effect goes at once
	slot chan struct{}
	busy sync.WaitGroup
}

// NewDispatcher validates opts.
func NewDispatcher(opts DispatcherOptions) (*Dispatcher, error) {
	if opts.Service == nil || opts.Perform == nil {
		return nil, errors.New("incidents: a dispatcher needs a service and a performer")
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	return &Dispatcher{opts: opts, wake: make(chan struct{}, 1), next: make(chan struct{}, 1), slot: make(chan struct{}, opts.Workers)}, nil
}

// Wake makes the dispatcher look at the outbox now.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// coalesce is how long a wake-up for new effects waits for the next
// ones: a burst of changes (a thousand updates, an alert storm) is claimed
// in a few queries, not one query per change. The end of an attempt does
// not wait: its lane's next effect (the header after the channel) goes at
// once.
const coalesce = 5 * time.Millisecond

// again makes the dispatcher claim at once: an attempt ended.
func (d *Dispatcher) again() {
	select {
	case d.next <- struct{}{}:
	default:
	}
}

// Run performs effects until ctx ends, then waits for the attempts in
// flight (each bounded by Timeout) so their outcomes are recorded.
func (d *Dispatcher) Run(ctx context.Context) {
	defer d.busy.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		_, next := d.claim(ctx)
		wait := d.opts.Poll
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(d.opts.Clock.Now()), 0))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-d.next:
		case <-d.wake:
			if !sleepCtx(ctx, coalesce) {
				return
			}
		case <-timer.C:
		}
	}
}

// sleepCtx waits d, or less if ctx ends first (then false).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Drain performs what is owed until nothing is due within ctx's deadline
// or ctx ends, then waits for the attempts in flight: a graceful stop
// finishes what it owes instead of leaving it for the next start. Call it
// after Run returned.
func (d *Dispatcher) Drain(ctx context.Context) {
	defer d.wait(ctx)
	for ctx.Err() == nil {
		// Counted before the claim: an attempt that ends during the claim
		// may have made its lane's next effect due, so only a claim that
		// began with nothing in flight may conclude there is nothing left.
		inflight := len(d.slot)
		n, next := d.claim(ctx)
		wait := 50 * time.Millisecond
		if n == 0 && inflight == 0 {
			if next.IsZero() || !d.dueWithin(ctx, next) {
				return
			}
			wait = max(next.Sub(d.opts.Clock.Now()), time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-d.next:
		case <-d.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// wait waits for the attempts in flight, but not past ctx: one that is
// still going then is left to its claim, which lapses (or ends with the
// process) and hands it on.
func (d *Dispatcher) wait(ctx context.Context) {
	done := make(chan struct{})
	go func() { d.busy.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// dueWithin reports whether an effect due at next can still be attempted
// before ctx's deadline, leaving a second for the attempt.
func (d *Dispatcher) dueWithin(ctx context.Context, next time.Time) bool {
	deadline, ok := ctx.Deadline()
	if !ok {
		return !next.After(d.opts.Clock.Now())
	}
	return next.Sub(d.opts.Clock.Now())+time.Second < time.Until(deadline)
}

// claim starts as many due effects as there are free workers; it returns
// how many, and when the next waiting one falls due. The claim itself is
// not cut short by shutdown: a claim the store made but whose answer was
// dropped would leave its effects unattempted until the lease lapses.
func (d *Dispatcher) claim(ctx context.Context) (int, time.Time) {
	free := cap(d.slot) - len(d.slot)
	if free == 0 || ctx.Err() != nil {
		return 0, time.Time{}
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), claimTimeout)
	defer cancel()
	effs, next, err := d.opts.Service.store.ClaimEffects(cctx, d.opts.Clock.Now(), free)
	if err != nil {
		d.opts.Log.Warn("could not read the outbox; trying again", zap.Error(err))
	}
	for _, e := range effs {
		d.slot <- struct{}{}
		d.busy.Add(1)
		go func() {
			defer func() { <-d.slot; d.busy.Done(); d.again() }()
			d.attempt(ctx, e)
		}()
	}
	return len(effs), next
}

// claimTimeout bounds one claim: a store that does not answer is asked
// again rather than waited on.
const claimTimeout = 10 * time.Second

// Attempts are bounded: a step that panics again at its maxPanics-th
// attempt is a bug that retrying will not fix, and one that fails this
// often has had hours.
// Both are then recorded as failed and people are told; a repair
// (/incident repair) tries again.
const (
	maxPanics   = 3
	maxAttempts = 200
)

// attempt performs one effect and records the outcome. The attempt is not
// cut short by shutdown: a Slack call half made is worse than one made.
func (d *Dispatcher) attempt(ctx context.Context, e Effect) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.Timeout)
	res, err := d.perform(actx, e)
	cancel()
	log := d.opts.Log.With(zap.String("effect", e.Key), zap.String("kind", string(e.Kind)), zap.Int("attempt", e.Attempts))
	var de *DeliveryError
	if err != nil && !errors.As(err, &de) {
		de = &DeliveryError{Reason: err.Error()}
	}
	if de != nil && !de.Permanent && e.Attempts >= maxAttempts {
		de = &DeliveryError{Code: de.Code, Reason: fmt.Sprintf("gave up after %d attempts: %s", e.Attempts, de.Reason), Permanent: true}
	}
	// The outcome is recorded with time of its own: the attempt may have
	// used all of its.
	record := func(ctx context.Context) error {
		switch {
		case err == nil:
			return d.opts.Service.EffectDone(ctx, e, res)
		case de.Permanent:
			return d.opts.Service.EffectFailed(ctx, e, *de)
		default:
			at, uncertain := d.retryAt(e, err)
			return d.opts.Service.EffectRetry(ctx, e, at, err.Error(), uncertain)
		}
	}
	switch {
	case err == nil:
	case de.Permanent:
		log.Warn("effect failed for good", zap.String("reason", de.Reason))
	default:
		log.Info("effect will be retried", zap.Error(err))
	}
	if err := d.settle(ctx, record); err != nil {
		// The claim stays with this process until it lapses (or the
		// process restarts); the effect is then tried again, and its key
		// keeps a repeat harmless.
		log.Error("could not record an effect's outcome", zap.Error(err))
	}
}

// settle runs record a few times over a few seconds, for a store that is
// briefly away.
func (d *Dispatcher) settle(ctx context.Context, record func(context.Context) error) error {
	wait := 100 * time.Millisecond
	for try := 1; ; try++ {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		err := record(sctx)
		cancel()
		if err == nil || try == 5 {
			return err
		}
		time.Sleep(wait)
		wait *= 2
	}
}

// panicked is the reason recorded for an attempt that panicked.
const panicked = "internal error"

// perform calls the performer, turning a panic into a retry, and into a
// failure once it has happened again and again.
func (d *Dispatcher) perform(ctx context.Context, e Effect) (res map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			d.opts.Log.Error("effect panicked", zap.String("effect", e.Key), zap.Any("panic", r), zap.Stack("stack"))
			// Failed for good when it panicked the time before too and
			// has been tried maxPanics times.
			err = &DeliveryError{Reason: panicked, Uncertain: true, Permanent: e.Attempts >= maxPanics && e.LastError == panicked}
		}
	}()
	return d.opts.Perform.Perform(ctx, e)
}

// retryAt is when to try again: when the other side said, else with
// exponential backoff from one second up to a minute, with jitter so
// replicas do not retry in step.
func (d *Dispatcher) retryAt(e Effect, err error) (time.Time, bool) {
	now := d.opts.Clock.Now()
	var de *DeliveryError
	if errors.As(err, &de) && de.RetryAfter > 0 {
		return now.Add(de.RetryAfter), de.Uncertain
	}
	wait := min(time.Second<<min(max(e.Attempts-1, 0), 6), time.Minute)
	wait += time.Duration(rand.Int64N(int64(wait/5) + 1))
	return now.Add(wait), de != nil && de.Uncertain
}
