package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

// BenchmarkDueNothing measures the scheduler's idle sweep: Due(now, 100)
// over n open incidents whose timers are all in the future. s must be
// empty; workers Creates run at once to fill it (1 for a store that
// serialises writes anyway). Filling is not timed.
func BenchmarkDueNothing(b *testing.B, s incidents.Store, n, workers int) {
	now := time.Now()
	ctx := b.Context()
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				inc := newIncident(fmt.Sprintf("pending %d", i), now.Add(-time.Hour))
				inc.RemindAt = now.Add(time.Hour + time.Duration(i)*time.Second)
				if i%2 == 0 {
					inc.EscalateAt = now.Add(30*time.Minute + time.Duration(i)*time.Second)
				}
				events := []incidents.Event{newEvent(inc, inc.DeclaredAt, incidents.EventDeclared, inc.Title)}
				if _, err := s.Create(ctx, inc, incidents.Change{Events: events}, ""); err != nil {
					errs <- fmt.Errorf("create %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}

	wantNext := us(now.Add(30 * time.Minute)) // incident 0's escalation
	ids, next, err := s.Due(ctx, now, 100)
	if err != nil {
		b.Fatalf("Due: %v", err)
	}
	if len(ids) != 0 || !next.Equal(wantNext) {
		b.Fatalf("Due = %d incidents, next %v; want none, next %v", len(ids), next, wantNext)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ids, _, err := s.Due(ctx, now, 100); err != nil || len(ids) != 0 {
			b.Fatalf("Due = %d incidents, %v", len(ids), err)
		}
	}
}
