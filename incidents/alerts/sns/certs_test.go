package sns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/incident-bot/incident-bot/internal/testclock"
)

// newFakeClock stands still until told, so the rate bound is tested
// without waiting.
func newFakeClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 1, 6, 10, 0, 0, 0, time.UTC))
}

// Variants of one certificate URL share one cache entry and one download,
// and what is downloaded carries no query.
func TestVerifyCertURLVariantsShareOneDownload(t *testing.T) {
	cs := newCertServer(t)
	good, evil := keys(t)
	v := cs.verifier()
	v.now = newFakeClock().Now // no refill: a second download would be refused
	for i := range 50 {
		e := sign(t, evil, notification(cs.url(fmt.Sprintf("/cert.pem?n=%d", i)), ""), "2")
		if err := v.Verify(context.Background(), e); !errors.Is(err, ErrForged) {
			t.Fatalf("forgery %d: %v, want ErrForged", i, err)
		}
	}
	for _, u := range []string{"/cert.pem", "/cert.pem?n=1", "/cert.pem#f", "/cert.pem?", "/x/../cert.pem", "//cert.pem", "/%63ert.pem"} {
		if err := v.Verify(context.Background(), sign(t, good, notification(cs.url(u), ""), "2")); err != nil {
			t.Errorf("genuine with SigningCertURL %s: %v", u, err)
		}
	}
	if n := cs.hits.Load(); n != 1 {
		t.Errorf("certificate downloaded %d times, want 1", n)
	}
	if n := cs.queries.Load(); n != 0 {
		t.Errorf("%d downloads carried the message's query string", n)
	}
}

// Downloads are a token bucket: fetchBurst at once, then one per
// fetchEvery. A refused download is a retryable error, not a forgery, and
// a cached certificate is never refused.
func TestVerifyDownloadsAreRateBound(t *testing.T) {
	cs := newCertServer(t)
	good, _ := keys(t)
	v := cs.verifier()
	clock := newFakeClock()
	v.now = clock.Now
	verify := func(path string) error {
		return v.Verify(context.Background(), sign(t, good, notification(cs.url(path), ""), "2"))
	}
	if err := verify("/cert.pem"); err != nil {
		t.Fatal(err)
	}
	var refused int
	for i := range 40 {
		switch err := verify(fmt.Sprintf("/n/%d.pem", i)); {
		case err == nil:
		case errors.Is(err, ErrTooManyFetches) && !errors.Is(err, ErrForged):
			refused++
		default:
			t.Fatalf("download %d: %v", i, err)
		}
	}
	if n := cs.hits.Load(); n != fetchBurst || refused != 40-(fetchBurst-1) {
		t.Fatalf("%d downloads, %d refused; want %d and %d", n, refused, fetchBurst, 40-(fetchBurst-1))
	}
	if err := verify("/cert.pem"); err != nil {
		t.Errorf("cached certificate with the bucket empty: %v", err)
	}
	clock.Advance(fetchEvery)
	if err := verify("/n/100.pem"); err != nil {
		t.Errorf("after one interval: %v", err)
	}
	if err := verify("/n/101.pem"); !errors.Is(err, ErrTooManyFetches) {
		t.Errorf("second download in the interval: %v, want ErrTooManyFetches", err)
	}
	if n := cs.hits.Load(); n != fetchBurst+1 {
		t.Errorf("%d downloads, want %d", n, fetchBurst+1)
	}
}

// Forgers can make the verifier download real but unrelated certificates;
// those must not evict one that has verified a genuine message.
func TestVerifyProvenCertificateOutlivesFlood(t *testing.T) {
	cs := newCertServer(t)
	good, evil := keys(t)
	v := cs.verifier()
	clock := newFakeClock()
	v.now = clock.Now
	if err := v.Verify(context.Background(), sign(t, good, notification(cs.url("/cert.pem"), ""), "2")); err != nil {
		t.Fatal(err)
	}
	for i := range 3 * maxCachedCerts {
		clock.Advance(fetchEvery)
		e := sign(t, evil, notification(cs.url(fmt.Sprintf("/n/%d.pem", i)), ""), "2")
		if err := v.Verify(context.Background(), e); !errors.Is(err, ErrForged) {
			t.Fatalf("forgery %d: %v", i, err)
		}
	}
	before := cs.hits.Load()
	if err := v.Verify(context.Background(), sign(t, good, notification(cs.url("/cert.pem"), ""), "2")); err != nil {
		t.Fatal(err)
	}
	if cs.hits.Load() != before || len(v.certs) != maxCachedCerts {
		t.Errorf("the proven certificate was evicted (%d downloads after the flood, %d cached)", cs.hits.Load()-before, len(v.certs))
	}
}

// roundTripFunc lets a test stand in for the network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Concurrent messages naming one uncached certificate share a download,
// so a burst of genuine deliveries spends one token, not one each. The
// bubble lets the test see the others waiting while the download is held.
func TestVerifyConcurrentMissesShareDownload(t *testing.T) {
	good, _ := keys(t)
	pemBytes := certPEM(t, good)
	envs := make([]Envelope, 3*fetchBurst)
	for i := range envs {
		envs[i] = sign(t, good, notification("https://127.0.0.1/cert.pem", fmt.Sprint(i)), "2")
	}
	synctest.Test(t, func(t *testing.T) {
		var downloads atomic.Int64
		release := make(chan struct{})
		v := &Verifier{AllowHost: func(h string) bool { return h == "127.0.0.1" }, now: newFakeClock().Now}
		v.Client = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			downloads.Add(1)
			<-release
			return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(pemBytes)), Request: r}, nil
		})}
		// One token left and a stopped clock: a second download would be
		// refused, so a miss that did not wait would fail.
		v.budget = tokenBucket{tokens: 1, last: v.now()}

		errs := make(chan error, len(envs))
		var wg sync.WaitGroup
		wg.Go(func() { errs <- v.Verify(context.Background(), envs[0]) })
		synctest.Wait() // the first is mid-download
		for _, e := range envs[1:] {
			wg.Go(func() { errs <- v.Verify(context.Background(), e) })
		}
		synctest.Wait() // the rest have either failed or joined it
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if n := downloads.Load(); n != 1 {
			t.Errorf("%d downloads, want 1", n)
		}
	})
}

func TestVerifyCachesCertificate(t *testing.T) {
	cs := newCertServer(t)
	good, evil := keys(t)
	v := cs.verifier()
	cert := cs.url("/cert.pem")
	for i, e := range []Envelope{
		sign(t, good, notification(cert, "one"), "1"),
		sign(t, good, notification(cert, "two"), "2"),
		sign(t, good, confirmation(cert, "SubscriptionConfirmation"), "2"),
	} {
		if err := v.Verify(context.Background(), e); err != nil {
			t.Fatalf("Verify #%d: %v", i, err)
		}
	}
	// A forgery against a cached certificate must still be caught.
	if err := v.Verify(context.Background(), sign(t, evil, notification(cert, ""), "2")); !errors.Is(err, ErrForged) {
		t.Fatalf("forgery with cached cert: %v", err)
	}
	if n := cs.hits.Load(); n != 1 {
		t.Errorf("certificate fetched %d times, want 1", n)
	}
	if err := v.Verify(context.Background(), sign(t, good, notification(cs.url("/other.pem"), ""), "2")); err != nil {
		t.Fatal(err)
	}
	if n := cs.hits.Load(); n != 2 {
		t.Errorf("a different URL must be fetched on its own: %d fetches, want 2", n)
	}
}

func TestVerifyCacheIsBounded(t *testing.T) {
	cs := newCertServer(t)
	good, _ := keys(t)
	v := cs.verifier()
	// The clock moves a full interval per message, so the rate bound never
	// refuses a download: this test is about the cache alone.
	clock := newFakeClock()
	v.now = clock.Now
	urlN := func(i int) string { return cs.url(fmt.Sprintf("/n/%d.pem", i)) }
	verify := func(i int) {
		t.Helper()
		clock.Advance(fetchEvery)
		if err := v.Verify(context.Background(), sign(t, good, notification(urlN(i), ""), "2")); err != nil {
			t.Fatalf("Verify %d: %v", i, err)
		}
	}
	const n = maxCachedCerts + 4
	for i := 0; i < n; i++ {
		verify(i)
	}
	if len(v.certs) != maxCachedCerts || len(v.order) != maxCachedCerts {
		t.Fatalf("cache holds %d certs (%d ordered), want %d", len(v.certs), len(v.order), maxCachedCerts)
	}
	verify(n - 1) // most recent: still cached
	if got := cs.hits.Load(); got != n {
		t.Errorf("fetches = %d, want %d", got, n)
	}
	verify(0) // oldest: evicted, so fetched again
	if got := cs.hits.Load(); got != n+1 {
		t.Errorf("fetches = %d, want %d", got, n+1)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	cs := newCertServer(t)
	good, evil := keys(t)
	v := cs.verifier()
	ok := sign(t, good, notification(cs.url("/cert.pem"), "x"), "2")
	bad := sign(t, evil, notification(cs.url("/cert.pem"), "x"), "2")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); errs <- v.Verify(context.Background(), ok) }()
		go func() {
			defer wg.Done()
			if err := v.Verify(context.Background(), bad); !errors.Is(err, ErrForged) {
				errs <- fmt.Errorf("forgery: %v", err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
