package incidents_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/postgres"
	"github.com/incident-bot/incident-bot/internal/testpg"
)

// fill creates n open incidents whose timers fall due at due(i).
func fill(b *testing.B, st incidents.Store, n int, due func(i int) time.Time) {
	b.Helper()
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				inc := incidents.Incident{ID: uuid.New(), Title: "load", Severity: 2, Status: incidents.StatusInvestigating,
					Commander: "U1", Reporter: "U1", DeclaredAt: t0, UpdatedAt: t0, LastStatusUpdateAt: t0, RemindAt: due(i)}
				ev := incidents.Event{ID: uuid.New(), IncidentID: inc.ID, At: t0, Actor: "U1", Kind: incidents.EventDeclared, Text: "x"}
				if _, err := st.Create(context.Background(), inc, []incidents.Event{ev}, ""); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSweepNothingDue10k: 10,000 open incidents, none due. Reports
// this process's CPU per sweep (for PostgreSQL the server's share is in its
// own process and not counted). Target: under 5 ms of CPU.
func BenchmarkSweepNothingDue10k(b *testing.B) {
	stores := map[string]func(b *testing.B) incidents.Store{
		"sqlite": func(b *testing.B) incidents.Store {
			return sqliteStore(b, filepath.Join(b.TempDir(), "s.db"))
		},
		"postgres": func(b *testing.B) incidents.Store {
			st, err := postgres.New(context.Background(), postgres.Options{URL: testpg.URL(b)})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return st
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			st := stores[name](b)
			fill(b, st, 10_000, func(i int) time.Time { return t0.Add(time.Hour + time.Duration(i)*time.Second) })
			svc, _ := incidents.NewService(incidents.ServiceOptions{Store: st, Policy: policy()})
			sched, _ := incidents.NewScheduler(svc, &recorder{}, nil)
			start := cpuTime()
			n := 0
			for b.Loop() {
				n++
				res, err := sched.Sweep(context.Background(), t0)
				if err != nil || res.Fired != 0 || res.Next.IsZero() {
					b.Fatalf("sweep: %+v %v", res, err)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(n)/1e6, "cpu-ms/op")
		})
	}
}

// BenchmarkTimerLateness runs the real runner (cron every second plus the
// precise wake-up) on the wall clock: 200 incidents whose reminders fall
// due at random moments over the next 4 seconds. Reports how late they
// fired. Target: p99 under 1 second.
func BenchmarkTimerLateness(b *testing.B) {
	st := sqliteStore(b, filepath.Join(b.TempDir(), "s.db"))
	const n = 200
	var lat []time.Duration
	for b.Loop() {
		start := time.Now().UTC().Add(500 * time.Millisecond)
		due := make([]time.Time, n)
		rng := rand.New(rand.NewPCG(7, 11))
		for i := range due {
			due[i] = start.Add(time.Duration(rng.Int64N(int64(4 * time.Second))))
		}
		fill(b, st, n, func(i int) time.Time { return due[i] })
		rec := &lateness{due: map[string]time.Time{}}
		svc, _ := incidents.NewService(incidents.ServiceOptions{Store: st, Policy: incidents.Policy{Default: incidents.Rules{UpdateInterval: time.Hour}}})
		sched, _ := incidents.NewScheduler(svc, rec, nil)
		c := cron.New()
		runner, err := incidents.NewRunner(c, sched, nil, zap.NewNop())
		if err != nil {
			b.Fatal(err)
		}
		c.Start()
		runner.Start()
		for rec.count() < n {
			if time.Since(start) > 20*time.Second {
				b.Fatalf("only %d of %d fired", rec.count(), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
		<-c.Stop().Done()
		runner.Stop(context.Background())
		lat = append(lat, rec.lat...)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(0, "ns/op")
}

// lateness records how long after its due time each reminder arrived.
type lateness struct {
	mu  sync.Mutex
	due map[string]time.Time
	lat []time.Duration
}

func (l *lateness) Remind(_ context.Context, inc incidents.Incident, ev incidents.Event) error {
	due, _ := time.Parse(time.RFC3339Nano, ev.Data["due"])
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lat = append(l.lat, time.Since(due))
	return nil
}

func (l *lateness) Escalate(context.Context, incidents.Incident, int, incidents.Level, incidents.Event) error {
	return nil
}

func (l *lateness) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lat)
}
