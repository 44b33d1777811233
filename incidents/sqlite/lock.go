package sqlite

import (
	"context"
	"fmt"

	"github.com/incident-bot/incident-bot/incidents"
)

// TryLock takes a named lock in this process: the embedded store serves a
// single replica, so that is every holder there can be.
func (s *Store) TryLock(_ context.Context, name string) (func(), error) {
	s.lockMu.Lock()
	defer s.lockMu.Unlock()
	if s.locks[name] {
		return nil, fmt.Errorf("lock %s: %w", name, incidents.ErrLocked)
	}
	s.locks[name] = true
	return func() {
		s.lockMu.Lock()
		delete(s.locks, name)
		s.lockMu.Unlock()
	}, nil
}
