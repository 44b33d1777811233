package bot

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
)

// InboxOptions configures NewInbox.
type InboxOptions struct {
	Store   incidents.Inbox
	App     *App
	Logger  *zap.Logger
	Metrics *Metrics
	Workers int           // jobs run at once (default 8)
	Timeout time.Duration // one attempt at a job (default 2 minutes)
	// MaxAttempts bounds the attempts at a job whose work fails for the
	// bot's own reasons (default 7: about two minutes of backoff from
	// RetryBase, default 1s); then the person who asked is told.
	MaxAttempts int
	RetryBase   time.Duration
	// Sweep is how often jobs nobody holds are looked for (default 1s).
	Sweep time.Duration
	// Now is the clock jobs are claimed by (default time.Now).
	Now func() time.Time
}

// Inbox makes every envelope that asks for work durable before it is
// acknowledged: the intake writes each batch of arriving envelopes in one
// transaction, and only then acks them. Workers run the jobs; a job a
// crash interrupted is claimed again (by this process at its next start,
// or at once by another replica); a job that keeps failing ends with a
// message to the person who asked.
type Inbox struct {
	opts    InboxOptions
	intake  chan intakeItem
	work    chan incidents.Job
	settled chan incidents.Settlement
	wg      sync.WaitGroup

	// held are the jobs this process has in memory, from when they are
	// handed to the workers until their outcome is written: the sweep
	// claims again this process's own jobs held over a minute (one it
	// lost track of), and skips these.
	mu   sync.Mutex
	held map[uuid.UUID]bool

	first *ackFirst
}

// intakeItem is an envelope waiting to be stored, and what to do then.
type intakeItem struct {
	job   incidents.Job
	start time.Time
	ack   func(stored bool) // acknowledge (or answer the failure)
}

// maxIntakeWait bounds how long an envelope waits for the store before
// the ack answers that it could not be recorded: Slack gives 3 s.
const maxIntakeWait = 2 * time.Second

// NewInbox validates opts.
func NewInbox(opts InboxOptions) (*Inbox, error) {
	if opts.Store == nil || opts.App == nil || opts.Metrics == nil {
		return nil, errors.New("bot: an inbox needs a store, an app and metrics")
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 7
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = time.Second
	}
	if opts.Sweep <= 0 {
		opts.Sweep = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Inbox{opts: opts, intake: make(chan intakeItem, 4096), work: make(chan incidents.Job, 4096),
		settled: make(chan incidents.Settlement, 4096), held: map[uuid.UUID]bool{}, first: newAckFirst()}, nil
}

// accept queues an envelope for storing; ack runs once it is stored (or
// could not be). It never blocks the socket loop: with the intake full,
// the envelope is answered as not recorded.
func (ib *Inbox) accept(req *socketmode.Request, start time.Time, ack func(stored bool)) {
	job := incidents.Job{ID: uuid.New(), Key: jobKey(req), Kind: req.Type, Payload: append(json.RawMessage(nil), req.Payload...),
		Received: time.Now(), Attempts: 1}
	ib.first.arrive()
	select {
	case ib.intake <- intakeItem{job: job, start: start, ack: ack}:
	default:
		ack(false)
		ib.first.acked(1)
	}
}

// jobKey is what makes a redelivery recognisable: the envelope's ID, or
// for an event the event's own ID, which stays the same whatever envelope
// carries it again.
func jobKey(req *socketmode.Request) string {
	if req.Type == socketmode.RequestTypeEventsAPI {
		var ev struct {
			EventID string `json:"event_id"`
		}
		if json.Unmarshal(req.Payload, &ev) == nil && ev.EventID != "" {
			return "event:" + ev.EventID
		}
	}
	return "envelope:" + req.EnvelopeID
}

// Run stores and runs jobs until ctx ends, then lets the jobs in flight
// finish (each bounded by Timeout).
func (ib *Inbox) Run(ctx context.Context) {
	var workers sync.WaitGroup
	for range ib.opts.Workers {
		workers.Go(func() { ib.worker(ctx) })
	}
	ib.wg.Go(func() { ib.sweep(ctx) })
	settled := make(chan struct{})
	go func() { ib.settle(context.WithoutCancel(ctx)); close(settled) }()
	ib.takeIn(ctx)
	ib.wg.Wait()
	workers.Wait()
	// The workers are done: record the last outcomes, then stop.
	close(ib.settled)
	<-settled
}

// takeIn writes arriving envelopes in batches: whatever arrived while the
// last batch was written goes in the next, in one transaction.
func (ib *Inbox) takeIn(ctx context.Context) {
	for {
		var batch []intakeItem
		select {
		case <-ctx.Done():
			return
		case it := <-ib.intake:
			batch = append(batch, it)
		}
	more:
		for len(batch) < 256 {
			select {
			case it := <-ib.intake:
				batch = append(batch, it)
			default:
				break more
			}
		}
		ib.store(ctx, batch)
	}
}

// store writes a batch, retrying a store that is briefly away for as long
// as the first envelope's ack can wait, then acks each envelope and hands
// new jobs to the workers.
func (ib *Inbox) store(ctx context.Context, batch []intakeItem) {
	jobs := make([]incidents.Job, len(batch))
	for i, it := range batch {
		jobs[i] = it.job
	}
	deadline := batch[0].start.Add(maxIntakeWait)
	var (
		added []bool
		err   error
	)
	for {
		wctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
		added, err = ib.opts.Store.AddJobs(wctx, jobs)
		cancel()
		if err == nil || time.Now().Add(50*time.Millisecond).After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		ib.opts.Logger.Error("could not record envelopes; answering that nothing was done", zap.Int("envelopes", len(batch)), zap.Error(err))
	}
	defer ib.first.acked(len(batch))
	for i, it := range batch {
		it.ack(err == nil)
		if err != nil {
			continue
		}
		if !added[i] {
			ib.opts.Metrics.Duplicates.Inc()
			continue
		}
		ib.give(ctx, it.job)
	}
}

// give hands a stored job (with its ID, as stored) to a worker unless
// one has it already, or, with every worker busy and the queue full,
// releases it for the sweep.
func (ib *Inbox) give(ctx context.Context, j incidents.Job) {
	ib.mu.Lock()
	had := ib.held[j.ID]
	ib.held[j.ID] = true
	ib.mu.Unlock()
	if had {
		return
	}
	select {
	case ib.work <- j:
		ib.opts.Metrics.QueueDepth.Set(float64(len(ib.work)))
	default:
		ib.opts.Metrics.JobsRejected.Inc()
		// Should the release not be written, the job is still this
		// process's, and the sweep's recheck finds it in a minute.
		release := []incidents.Settlement{{ID: j.ID, Outcome: incidents.Release}}
		if err := ib.opts.Store.SettleJobs(context.WithoutCancel(ctx), release); err != nil {
			ib.opts.Logger.Warn("could not release a job; it is taken up again within a minute", zap.Error(err))
		}
		ib.forget(release)
	}
}

// forget drops settled jobs from those held in memory.
func (ib *Inbox) forget(ss []incidents.Settlement) {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	for _, s := range ss {
		delete(ib.held, s.ID)
	}
}

// sweep claims jobs nobody alive holds — those a crash interrupted, those
// released while the queue was full, retries falling due — every Sweep.
func (ib *Inbox) sweep(ctx context.Context) {
	tick := time.NewTicker(ib.opts.Sweep)
	defer tick.Stop()
	for {
		free := cap(ib.work) - len(ib.work)
		if free > 0 {
			jobs, err := ib.opts.Store.ClaimJobs(ctx, ib.opts.Now(), min(free, 256))
			if err != nil && ctx.Err() == nil {
				ib.opts.Logger.Warn("could not read the inbox; trying again", zap.Error(err))
			}
			for _, j := range jobs {
				ib.give(ctx, j)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (ib *Inbox) worker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-ib.work:
			ib.opts.Metrics.QueueDepth.Set(float64(len(ib.work)))
			ib.first.yield()
			ib.runJob(ctx, j)
		}
	}
}
