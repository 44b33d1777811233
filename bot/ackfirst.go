package bot

import (
	"sync"
	"time"
)

// ackFirst puts acknowledgements before work. While envelopes wait to be
// stored and acknowledged, a worker waits (up to maxDefer) before starting
// its next job: on a busy machine the jobs would otherwise take the CPU
// the acknowledgements wait for, and while a job is durable and can wait
// a moment, an acknowledgement has Slack's 3 seconds. The bound keeps
// jobs moving under an endless flood.
type ackFirst struct {
	mu      sync.Mutex
	waiting int           // envelopes received and not yet acknowledged
	quiet   chan struct{} // closed while waiting is zero
}

// maxDefer is the longest a worker puts off its next job for the intake.
const maxDefer = 50 * time.Millisecond

func newAckFirst() *ackFirst {
	q := make(chan struct{})
	close(q)
	return &ackFirst{quiet: q}
}

// arrive counts an envelope received.
func (a *ackFirst) arrive() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.waiting == 0 {
		a.quiet = make(chan struct{})
	}
	a.waiting++
}

// acked counts n envelopes acknowledged (or answered as not recorded).
func (a *ackFirst) acked(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.waiting -= n
	if a.waiting == 0 {
		close(a.quiet)
	}
}

// yield waits until no envelope waits, or maxDefer.
func (a *ackFirst) yield() {
	a.mu.Lock()
	q := a.quiet
	a.mu.Unlock()
	select {
	case <-q:
		return
	default:
	}
	t := time.NewTimer(maxDefer)
	defer t.Stop()
	select {
	case <-q:
	case <-t.C:
	}
}
