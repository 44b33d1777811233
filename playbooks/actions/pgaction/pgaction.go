// Package pgaction implements the PostgreSQL actions: the lock-wait tree,
// long transactions, connection use, missing grants for the application
// role, and ending the root blocker. Each run opens its own short-lived
// connection to the database the request names, through the environment
// variable the targets file gives (never the connection string itself).
package pgaction

import (
	"errors"
	"time"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// Defaults, overridable per runner in tests.
const (
	connectTimeout   = 5 * time.Second
	longTxMinAge     = time.Minute // pg.long_transactions threshold
	connWarnPercent  = 80          // pg.connections flags use above this
	cancelWait       = 3 * time.Second
	pollEvery        = 100 * time.Millisecond
	queryClip        = 200 // characters of query text shown
	maxListed        = 50  // rows listed in the findings
	appName          = "incident-bot"
	insufficientPriv = "<insufficient privilege>"
)

// Register adds the pg.* runners to reg. getenv resolves the environment
// variables the targets file names (os.Getenv in production).
func Register(reg *actions.Registry, getenv func(string) string) error {
	if reg == nil || getenv == nil {
		return errors.New("pgaction: Register needs a registry and a getenv function")
	}
	c := &connector{getenv: getenv, timeout: connectTimeout}
	runners := []struct {
		id  string
		run actions.Runner
	}{
		{"pg.blocking_tree", &blockingTree{c: c}},
		{"pg.long_transactions", &longTransactions{c: c, minAge: longTxMinAge}},
		{"pg.connections", &connections{c: c, warnPercent: connWarnPercent}},
		{"pg.missing_grants", &missingGrants{c: c}},
		{"pg.terminate_blocker", &terminateBlocker{c: c, wait: cancelWait, poll: pollEvery}},
	}
	for _, r := range runners {
		if err := reg.Register(r.id, r.run); err != nil {
			return err
		}
	}
	return nil
}
