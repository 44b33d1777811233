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

	mu       sync.Mutex
	wake     *time.Timer
	stopped  bool
	sweeping bool          // one sweep at a time in this process
	again    bool          // a sweep was asked for while one ran: run another
	idle     chan struct{} // closed when no sweep runs
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
	idle := make(chan struct{})
	close(idle)
	r := &Runner{sched: sched, clock: clock, log: log, ctx: ctx, cancel: cancel, idle: idle}
	if _, err := c.AddFunc("@every 1s", r.Sweep); err != nil {
		return nil, err
	}
	return r, nil
}

// Start sweeps once at once, without waiting for cron's first tick:
// timers that fell due while the bot was down fire now. Call it after
// starting the cron.
func (r *Runner) Start() { go r.Sweep() }

// Sweep runs a sweep now. If one is already running, it runs another as
// soon as that one ends instead: a wake-up that arrives mid-sweep (a timer
// due at once, armed by that very sweep) is never lost.
func (r *Runner) Sweep() {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	if r.sweeping {
		r.again = true
		r.mu.Unlock()
		return
	}
	r.sweeping, r.idle = true, make(chan struct{})
	r.mu.Unlock()
	for r.sweepOnce() {
	}
}

// sweepOnce sweeps and arms the next wake-up, and reports whether another
// sweep was asked for meanwhile; when not, the runner is idle again.
func (r *Runner) sweepOnce() bool {
	ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
	res, err := r.sched.Sweep(ctx, r.clock.Now())
	cancel()
	if err != nil && r.ctx.Err() == nil {
		r.log.Warn("timer sweep had errors; the next one retries", zap.Error(err))
	}
	r.arm(res.Next, r.clock.Now()) // measured after the sweep, which took time
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.again && !r.stopped {
		r.again = false
		return true
	}
	r.sweeping = false
	close(r.idle)
	return false
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
	idle := r.idle
	r.mu.Unlock()
	r.cancel()
	select {
	case <-idle:
	case <-ctx.Done():
	}
}
