package bot

import "sync"

// recent remembers the last n envelope IDs, so an envelope Slack delivers
// twice (a retry, a reconnect race) runs once. The durable guard against a
// second incident is the store's idempotency key; this one is for
// everything else and costs no I/O.
type recent struct {
	mu   sync.Mutex
	set  map[string]struct{}
	ring []string
	next int
}

func newRecent(n int) *recent {
	return &recent{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add records id and reports whether it was new. Empty IDs are always new.
func (r *recent) add(id string) bool {
	if id == "" {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.set[id]; ok {
		return false
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.set, old)
	}
	r.ring[r.next] = id
	r.next = (r.next + 1) % len(r.ring)
	r.set[id] = struct{}{}
	return true
}
