package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Pool runs jobs on a fixed number of workers fed by a bounded queue. The
// socket loop only ever calls Submit, which never blocks, so acks are never
// held up by slow Slack or database work.
type Pool struct {
	jobs    chan func(context.Context)
	m       *Metrics
	log     *zap.Logger
	timeout time.Duration

	ctx    context.Context // parent of every job's context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.RWMutex
	closed bool
}

// NewPool starts workers that each run one job at a time, each job under
// its own timeout. workers and queue are at least 1.
func NewPool(workers, queue int, jobTimeout time.Duration, m *Metrics, log *zap.Logger) *Pool {
	workers, queue = max(workers, 1), max(queue, 1)
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pool{jobs: make(chan func(context.Context), queue), m: m, log: log, timeout: jobTimeout, ctx: ctx, cancel: cancel}
	for range workers {
		p.wg.Go(p.work)
	}
	return p
}

func (p *Pool) work() {
	for job := range p.jobs {
		p.m.QueueDepth.Set(float64(len(p.jobs)))
		p.run(job)
	}
}

// run isolates one job: a panic is logged and counted, and the worker
// (and the bot) carries on with the next job.
func (p *Pool) run(job func(context.Context)) {
	ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			p.m.JobPanics.Inc()
			p.log.Error("job panicked", zap.Any("panic", r), zap.Stack("stack"))
		}
	}()
	job(ctx)
}

// Submit queues job; false means the queue is full or the pool is shutting
// down, and the caller must tell the user instead.
func (p *Pool) Submit(job func(context.Context)) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return false
	}
	select {
	case p.jobs <- job:
		p.m.QueueDepth.Set(float64(len(p.jobs)))
		return true
	default:
		p.m.JobsRejected.Inc()
		return false
	}
}

// Shutdown stops taking jobs and waits for queued and running ones to
// finish. If ctx ends first, running jobs are cancelled and an error says
// so.
func (p *Pool) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.jobs)
	}
	p.mu.Unlock()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		p.cancel()
		return nil
	case <-ctx.Done():
		p.cancel()
		<-done
		return errors.New("shutdown timed out; in-flight work was cancelled")
	}
}
