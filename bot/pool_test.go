package bot

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
)

func TestPoolSurvivesPanicsAndDrainsOnShutdown(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	p := NewPool(2, 16, time.Second, m, zap.NewNop())
	var done atomic.Int32
	if !p.Submit(func(context.Context) { panic("boom") }) {
		t.Fatal("submit refused")
	}
	for range 10 {
		p.Submit(func(context.Context) { done.Add(1) })
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if done.Load() != 10 {
		t.Fatalf("%d of 10 jobs ran after a panic", done.Load())
	}
	if got := testutil.ToFloat64(m.JobPanics); got != 1 {
		t.Fatalf("panics counted = %v", got)
	}
	if p.Submit(func(context.Context) {}) {
		t.Fatal("a closed pool accepted a job")
	}
}

func TestPoolRejectsWhenFull(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	p := NewPool(1, 1, time.Second, m, zap.NewNop())
	block := make(chan struct{})
	started := make(chan struct{})
	p.Submit(func(context.Context) { close(started); <-block })
	<-started
	if !p.Submit(func(context.Context) {}) {
		t.Fatal("queue of one refused its first job")
	}
	if p.Submit(func(context.Context) {}) {
		t.Fatal("full queue accepted a job")
	}
	close(block)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(m.JobsRejected); got != 1 {
		t.Fatalf("rejections counted = %v", got)
	}
}

func TestPoolShutdownTimeoutCancelsJobs(t *testing.T) {
	p := NewPool(1, 1, time.Minute, NewMetrics(prometheus.NewRegistry()), zap.NewNop())
	cancelled := make(chan struct{})
	started := make(chan struct{})
	p.Submit(func(ctx context.Context) { close(started); <-ctx.Done(); close(cancelled) })
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the shutdown deadline has already passed
	if err := p.Shutdown(ctx); err == nil {
		t.Fatal("want a timeout error")
	}
	<-cancelled
}
