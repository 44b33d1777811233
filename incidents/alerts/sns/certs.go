package sns

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// ErrTooManyFetches is returned when a certificate is not cached and the
// download budget is spent. Like a failed download it says nothing about
// authenticity, so SNS is asked to retry rather than told the message is
// forged.
var ErrTooManyFetches = errors.New("sns: too many signing certificate downloads; retry later")

const (
	// SNS signs with a handful of certificates (roughly one per region and
	// rotation), so a small cache holds the working set while still capping
	// memory if many distinct URLs are presented.
	maxCachedCerts = 16
	// Real SNS certificates are a couple of KiB; the cap stops a hostile or
	// broken response from being read into memory without end.
	maxCertBytes = 64 << 10
	fetchTimeout = 10 * time.Second

	// Anyone can post a message naming any certificate on an SNS host, so
	// downloads are a token bucket: enough at once for the few regions a
	// bot subscribes in, then one per fetchEvery. A genuine message that
	// finds the bucket empty is retried by SNS seconds later.
	fetchBurst = 5
	fetchEvery = time.Second
)

var defaultClient = &http.Client{Timeout: fetchTimeout}

// cachedCert is a downloaded key. proven marks one that has verified a
// genuine message: forgers can make the verifier download any real SNS
// certificate, and without this they could push out the one in use.
type cachedCert struct {
	key    *rsa.PublicKey
	proven bool
}

// certFetch is a download in progress; concurrent misses for the same
// certificate wait for it instead of each spending a token.
type certFetch struct {
	done chan struct{}
	key  *rsa.PublicKey
	err  error
}

// tokenBucket is a rate limiter small enough to keep its state under the
// Verifier's lock. The zero value is full.
type tokenBucket struct {
	tokens float64
	last   time.Time
}

func (b *tokenBucket) take(now time.Time) bool {
	if now.After(b.last) {
		b.tokens = min(fetchBurst, b.tokens+float64(now.Sub(b.last))/float64(fetchEvery))
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// certKey names the certificate u points at by host and path alone. The
// query and fragment are not part of it — real SigningCertURLs have
// neither — so varying them cannot make the verifier download again; the
// key is also the URL fetched, so what is cached is what was downloaded.
func certKey(u *url.URL) string {
	c := url.URL{Scheme: "https", Host: strings.ToLower(u.Host), Path: path.Clean("/" + u.Path)}
	return c.String()
}

func (v *Verifier) clock() time.Time {
	if v.now != nil {
		return v.now()
	}
	return time.Now()
}

func (v *Verifier) publicKey(ctx context.Context, certURL string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	if c, ok := v.certs[certURL]; ok {
		v.mu.Unlock()
		return c.key, nil
	}
	if f, ok := v.inflight[certURL]; ok {
		v.mu.Unlock()
		select {
		case <-f.done:
			return f.key, f.err
		case <-ctx.Done():
			return nil, fmt.Errorf("sns: waiting for signing certificate: %w", ctx.Err())
		}
	}
	if !v.budget.take(v.clock()) {
		v.mu.Unlock()
		return nil, ErrTooManyFetches
	}
	f := &certFetch{done: make(chan struct{})}
	if v.inflight == nil {
		v.inflight = make(map[string]*certFetch)
	}
	v.inflight[certURL] = f
	v.mu.Unlock()

	// The lock is not held across the download so one slow fetch does not
	// stall messages whose certificate is already cached.
	f.key, f.err = v.fetch(ctx, certURL)
	v.mu.Lock()
	delete(v.inflight, certURL)
	if f.err == nil {
		v.store(certURL, f.key)
	}
	v.mu.Unlock()
	close(f.done)
	return f.key, f.err
}

// store caches key, evicting the oldest unproven certificate first so a
// flood of real-but-unrelated certificates cannot evict one in use.
// v.mu must be held.
func (v *Verifier) store(certURL string, key *rsa.PublicKey) {
	if v.certs == nil {
		v.certs = make(map[string]*cachedCert)
	}
	if c, ok := v.certs[certURL]; ok {
		c.key = key
		return
	}
	if len(v.order) >= maxCachedCerts {
		victim := 0
		for i, k := range v.order {
			if !v.certs[k].proven {
				victim = i
				break
			}
		}
		delete(v.certs, v.order[victim])
		v.order = append(v.order[:victim], v.order[victim+1:]...)
	}
	v.order = append(v.order, certURL)
	v.certs[certURL] = &cachedCert{key: key}
}

func (v *Verifier) markProven(certURL string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if c, ok := v.certs[certURL]; ok {
		c.proven = true
	}
}

func (v *Verifier) fetch(ctx context.Context, certURL string) (*rsa.PublicKey, error) {
	base := v.Client
	if base == nil {
		base = defaultClient
	}
	client := *base
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	// A caller-supplied client may have no timeout; the request must not
	// hang the delivery handler regardless.
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, certURL, nil)
	if err != nil {
		return nil, fmt.Errorf("sns: signing certificate request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sns: fetch signing certificate: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("sns: fetch signing certificate %s: HTTP %d", certURL, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCertBytes+1))
	if err != nil {
		return nil, fmt.Errorf("sns: read signing certificate: %w", err)
	}
	if len(body) > maxCertBytes {
		return nil, fmt.Errorf("sns: signing certificate %s is larger than %d bytes", certURL, maxCertBytes)
	}
	return parseCert(body, certURL)
}

func parseCert(body []byte, certURL string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(body)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("sns: signing certificate %s is not a PEM certificate", certURL)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("sns: parse signing certificate: %w", err)
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("sns: signing certificate key is %T, not RSA", cert.PublicKey)
	}
	return key, nil
}
