package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/incident-bot/incident-bot/incidents"
)

func mustClaim(t *testing.T, s incidents.Store, key string) bool {
	t.Helper()
	ok, err := s.Claim(t.Context(), key)
	if err != nil {
		t.Fatalf("Claim(%q): %v", key, err)
	}
	return ok
}

func testClaimOnce(t *testing.T, s incidents.Store) {
	if !mustClaim(t, s, "digest/2025-03-14") {
		t.Fatal("first Claim = false, want true")
	}
	for i := range 2 {
		if mustClaim(t, s, "digest/2025-03-14") {
			t.Errorf("Claim %d of a claimed key = true, want false", i+2)
		}
	}
}

func testClaimKeysIndependent(t *testing.T, s incidents.Store) {
	if !mustClaim(t, s, "digest/2025-03-14") {
		t.Fatal("Claim of the first key = false, want true")
	}
	if !mustClaim(t, s, "digest/2025-03-15") {
		t.Error("Claim of another key = false, want true")
	}
	// Keys are compared exactly.
	if !mustClaim(t, s, "Digest/2025-03-14") {
		t.Error("Claim of a key differing in case = false, want true")
	}
	// Claims live apart from the idempotency keys of Create and UpdateOnce.
	mustCreate(t, s, newIncident("keyed", base()), "shared-key")
	if !mustClaim(t, s, "shared-key") {
		t.Error("Claim of a key Create used = false, want true")
	}
	if _, err := s.Create(t.Context(), newIncident("keyed again", base()), incidents.Change{Events: nil}, "shared-key"); !errors.Is(err, incidents.ErrDuplicate) {
		t.Errorf("Create with its used key after a Claim of it: err = %v, want ErrDuplicate", err)
	}
}

func testClaimEmptyKey(t *testing.T, s incidents.Store) {
	for i := range 2 {
		ok, err := s.Claim(t.Context(), "")
		if incidents.ErrorCode(err) != incidents.EINVALID {
			t.Errorf("Claim %d of the empty key = %v, %v; want an %s error", i+1, ok, err, incidents.EINVALID)
		}
		if ok {
			t.Errorf("Claim %d of the empty key = true", i+1)
		}
	}
}

func testClaimConcurrent(t *testing.T, s incidents.Store) {
	const n = 20
	won := make([]bool, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			won[i], errs[i] = s.Claim(t.Context(), "digest/racy")
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i := range n {
		switch {
		case errs[i] != nil:
			t.Errorf("claimer %d: %v", i, errs[i])
		case won[i] && winner >= 0:
			t.Errorf("claimers %d and %d both claimed the key", winner, i)
		case won[i]:
			winner = i
		}
	}
	if winner < 0 && !t.Failed() {
		t.Error("no claimer claimed the key")
	}
	if mustClaim(t, s, "digest/racy") {
		t.Error("Claim after the race = true, want false")
	}
}
