package incidents_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// performed records the effects a dispatcher attempted, in order; fail
// answers an attempt with an error when it returns one.
type performed struct {
	mu    sync.Mutex
	keys  []string
	delay time.Duration
	fail  func(e incidents.Effect) error
}

func (p *performed) Perform(_ context.Context, e incidents.Effect) (map[string]string, error) {
	time.Sleep(p.delay)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = append(p.keys, e.Key)
	if p.fail != nil {
		return nil, p.fail(e)
	}
	return nil, nil
}

func (p *performed) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.keys)
}

func newDispatcher(t *testing.T, st incidents.Store, p incidents.Performer) (*incidents.Service, *incidents.Dispatcher) {
	t.Helper()
	svc, err := incidents.NewService(incidents.ServiceOptions{Store: st, Policy: policy()})
	if err != nil {
		t.Fatal(err)
	}
	d, err := incidents.NewDispatcher(incidents.DispatcherOptions{Service: svc, Perform: p})
	if err != nil {
		t.Fatal(err)
	}
	svc.OnEffects(d.Wake)
	return svc, d
}

func owe(t *testing.T, svc *incidents.Service, lane string, keys ...string) {
	t.Helper()
	var effs []incidents.Effect
	for _, k := range keys {
		effs = append(effs, incidents.Effect{ID: uuid.New(), Key: k, Lane: lane, Kind: incidents.EffectTell,
			Data: map[string]string{"user": "U1", "text": k}})
	}
	if err := svc.AddEffects(context.Background(), effs); err != nil {
		t.Fatal(err)
	}
}

// shutdownMidClaim is a store whose first claim succeeds but whose answer
// comes back with an error, as when shutdown cancels the query for the
// next due time after the claim was made.
type shutdownMidClaim struct {
	incidents.Store
	once   sync.Once
	cancel context.CancelFunc
}

func (s *shutdownMidClaim) ClaimEffects(ctx context.Context, now time.Time, limit int) ([]incidents.Effect, time.Time, error) {
	effs, next, err := s.Store.ClaimEffects(ctx, now, limit)
	if err == nil && len(effs) > 0 {
		s.once.Do(func() { s.cancel(); err = context.Canceled })
	}
	return effs, next, err
}

// A claim answered with an error still hands over what it claimed: the
// effects are attempted, not left held until the claim lapses.
func TestShutdownDuringClaimLosesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st := &shutdownMidClaim{Store: sqliteStore(t, filepath.Join(t.TempDir(), "s.db")), cancel: cancel}
	p := &performed{}
	svc, d := newDispatcher(t, st, p)
	owe(t, svc, "lane-a", "first", "second")
	d.Run(ctx)
	dctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	d.Drain(dctx)
	if got := p.list(); !slices.Equal(got, []string{"first", "second"}) {
		t.Fatalf("performed %v, want [first second]", got)
	}
}

// Drain performs a lane to its end, one effect after the other, though
// each becomes due only when the one before it is settled.
func TestDrainFinishesLanes(t *testing.T) {
	p := &performed{delay: 20 * time.Millisecond}
	svc, d := newDispatcher(t, sqliteStore(t, filepath.Join(t.TempDir(), "s.db")), p)
	owe(t, svc, "lane-a", "a1", "a2", "a3")
	owe(t, svc, "lane-b", "b1", "b2")
	ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	d.Drain(ctx)
	got := p.list()
	if len(got) != 5 {
		t.Fatalf("performed %v, want all five", got)
	}
	a := slices.DeleteFunc(slices.Clone(got), func(k string) bool { return k[0] != 'a' })
	if !slices.Equal(a, []string{"a1", "a2", "a3"}) {
		t.Fatalf("lane a performed out of order: %v", got)
	}
}

// Drain waits for a retry that falls due before its deadline, and not
// for one that falls due after it.
func TestDrainWaitsForRetriesItHasTimeFor(t *testing.T) {
	soon := errors.New("soon")
	p := &performed{fail: func(e incidents.Effect) error {
		if e.Attempts > 1 {
			return nil
		}
		wait := 200 * time.Millisecond
		if e.Key == "late" {
			wait = time.Hour
		}
		return &incidents.DeliveryError{Reason: soon.Error(), RetryAfter: wait}
	}}
	svc, d := newDispatcher(t, sqliteStore(t, filepath.Join(t.TempDir(), "s.db")), p)
	owe(t, svc, "lane-a", "soon")
	owe(t, svc, "lane-b", "late")
	ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	start := time.Now()
	d.Drain(ctx)
	got := p.list()
	slices.Sort(got)
	if !slices.Equal(got, []string{"late", "soon", "soon"}) {
		t.Fatalf("performed %v, want soon twice and late once", got)
	}
	if ctx.Err() != nil {
		t.Fatalf("drain waited for the retry due in an hour (returned after %v)", time.Since(start))
	}
}

// stepper fails every attempt (or panics). Its failures ask to be tried
// again at once, so two hundred take no time.
type stepper struct {
	panic bool
	n     atomic.Int32
}

func (s *stepper) Perform(context.Context, incidents.Effect) (map[string]string, error) {
	s.n.Add(1)
	if s.panic {
		panic("bug")
	}
	return nil, &incidents.DeliveryError{Reason: "slack_webapi_platform_error", RetryAfter: time.Nanosecond}
}

// A step that panics is tried three times (a few seconds of backoff), one
// that keeps failing two hundred; then it is recorded as failed (people
// are told, a repair tries again) instead of being retried for ever.
func TestAttemptsAreBounded(t *testing.T) {
	for name, tc := range map[string]struct {
		panic    bool
		attempts int
		reason   string
	}{
		"panics": {true, 3, "internal error"},
		"fails":  {false, 200, "gave up after 200 attempts: slack_webapi_platform_error"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := sqliteStore(t, filepath.Join(t.TempDir(), "s.db"))
			p := &stepper{panic: tc.panic}
			svc, d := newDispatcher(t, st, p)
			owe(t, svc, "lane-a", "doomed")
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { d.Run(ctx); close(done) }()
			defer func() { stop(); <-done }()
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				recs, err := st.Effects(t.Context(), "lane-a")
				if err != nil || len(recs) != 1 {
					t.Fatalf("Effects = %+v, %v", recs, err)
				}
				if recs[0].State == incidents.EffectFailed {
					if recs[0].Attempts != tc.attempts || recs[0].LastError != tc.reason || int(p.n.Load()) != tc.attempts {
						t.Fatalf("failed after %d attempts (%d performed): %q; want %d: %q", recs[0].Attempts, p.n.Load(), recs[0].LastError, tc.attempts, tc.reason)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("still %s after %d attempts", recs[0].State, recs[0].Attempts)
				}
			}
		})
	}
}
