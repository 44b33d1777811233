package bot

import (
	"testing"
	"testing/synctest"
	"time"
)

// A worker about to start a job waits while envelopes wait for their
// acknowledgement, and goes on once they are acknowledged.
func TestWorkWaitsForAcks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newAckFirst()
		a.yield() // nothing waits: no wait
		a.arrive()
		a.arrive()
		done := make(chan struct{})
		go func() { a.yield(); close(done) }()
		for i := range 2 {
			synctest.Wait() // the worker is blocked, or has gone on
			select {
			case <-done:
				t.Fatalf("the worker went on with %d of 2 envelopes acknowledged", i)
			default:
			}
			a.acked(1)
		}
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Fatal("the worker still waits with every envelope acknowledged")
		}
	})
}

// An endless flood does not stop the work: a worker waits maxDefer at
// most.
func TestWorkWaitsForAcksOnlySoLong(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newAckFirst()
		a.arrive()
		start := time.Now()
		a.yield()
		if waited := time.Since(start); waited != maxDefer {
			t.Fatalf("waited %v with an envelope waiting, want %v", waited, maxDefer)
		}
	})
}
