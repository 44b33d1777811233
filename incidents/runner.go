package incidents

import (
	"context"
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

	sweeping sync.Mutex // one sweep at a time in this process

	mu      sync.Mutex
	wake    *time.Timer
	stopped bool
}

// NewRunner adds the every-second sweep to c; c's Start and Stop start
// and stop it.
func NewRunner(c *cron.Cron, sched *Scheduler, clock Clock, log *zap.Logger) (*Runner, error) {
	if clock == nil {
		clock = SystemClock{}
	}
	r := &Runner{sched: sched, clock: clock, log: log}
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
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := r.clock.Now()
	res, err := r.sched.Sweep(ctx, now)
	if err != nil {
		r.log.Warn("timer sweep failed; the next one retries", zap.Error(err))
		return
	}
	r.arm(res.Next, now)
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

// Stop cancels a pending extra sweep; stop the cron too. A sweep in
// progress finishes (Stop waits for it).
func (r *Runner) Stop() {
	r.mu.Lock()
	r.stopped = true
	if r.wake != nil {
		r.wake.Stop()
	}
	r.mu.Unlock()
	r.sweeping.Lock() // wait for a sweep in flight
	r.sweeping.Unlock()
}
