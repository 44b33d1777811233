package incidents

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"
)

// Runner drives a Scheduler: cron sweeps every second, and when a sweep
// sees a timer falling due before the next tick it sweeps again at that
// exact moment, so timers fire well under a second late. (cron's @every
// has one-second resolution: ticks alone would make a timer up to a
// second late.)
type Runner struct {
	sched *Scheduler
	clock Clock
	log   *zap.Logger

	ctx    context.Context // cancelled by Stop: sweeps in flight give up
	cancel context.CancelFunc

	sweeping sync.Mutex // one sweep at a time in this process

	mu      sync.Mutex
	wake    *time.Timer
	stopped bool
}

// NewRunner adds the every-second sweep to c; c's Start and Stop start
// and stop it.
func NewRunner(c *cron.Cron, sched *Scheduler, clock Clock, log *zap.Logger) (*Runner, error) {
	if c == nil || sched == nil {
		return nil, errors.New("incidents: a runner needs a cron and a scheduler")
	}
	if clock == nil {
		clock = SystemClock{}
	}
	if log == nil {
		log = zap.NewNop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{sched: sched, clock: clock, log: log, ctx: ctx, cancel: cancel}
	if _, err := c.AddFunc("@every 1s", r.Sweep); err != nil {
		return nil, err
	}
	return r, nil
}

// Start sweeps once at once, without waiting for cron's first tick:
// timers that fell due while the bot was down fire now. Call it after
// starting the cron.
func (r *Runner) Start() { go r.Sweep() }

// Sweep runs one sweep now, unless one is already running.
func (r *Runner) Sweep() {
	if !r.sweeping.TryLock() {
		return
	}
	defer r.sweeping.Unlock()
	if r.isStopped() {
		return
	}
	ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
	defer cancel()
	res, err := r.sched.Sweep(ctx, r.clock.Now())
	if err != nil {
		r.log.Warn("timer sweep had errors; the next one retries", zap.Error(err))
	}
	r.arm(res.Next, r.clock.Now()) // measured after the sweep, which took time
}

func (r *Runner) isStopped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped
}

// arm schedules an extra sweep for a timer due before the next tick.
func (r *Runner) arm(next, now time.Time) {
	d := next.Sub(now)
	if next.IsZero() || d >= time.Second {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	if r.wake != nil {
		r.wake.Stop()
	}
	r.wake = time.AfterFunc(max(d, 0), r.Sweep)
}

// Stop ends sweeping: no new sweep starts (stop the cron first), a
// pending extra sweep is cancelled, and a sweep in flight is told to give
// up and waited for until ctx ends.
func (r *Runner) Stop(ctx context.Context) {
	r.mu.Lock()
	r.stopped = true
	if r.wake != nil {
		r.wake.Stop()
	}
	r.mu.Unlock()
	r.cancel()
	done := make(chan struct{})
	go func() {
		r.sweeping.Lock() // wait for a sweep in flight
		r.sweeping.Unlock()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
