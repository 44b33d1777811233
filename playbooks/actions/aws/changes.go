package aws

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

const (
	// MaxWindowChanges bounds what Changes keeps: the newest. A window
	// with more is an account where something else went on, and the
	// rows could not be read anyway.
	MaxWindowChanges = 2000
	// lookupPages bounds the reading per lookup: 5,000 events (50 a
	// page, reads included; EC2 and SSM record far more reads than
	// writes), 50 s of one account and region's rate on their own.
	lookupPages = 100
	// readBudget bounds a whole read: a postmortem or a command waits
	// for it, and a partial answer says what it left out.
	readBudget = 60 * time.Second
)

// Changes reads the writes CloudTrail recorded between from and to for
// the services the targets file's `changes` names (by default the ones
// an incident usually touches), in every region the file names and in
// us-east-1 (where global services are recorded), in every account it
// reaches: the bot's own, and each role_arn's. Changes made in one
// account and region are read at two calls a second, as CloudTrail
// allows; the newest MaxWindowChanges are kept.
//
// A lookup that fails is reported in the error; what the others found
// is still returned.
func (c *Clients) Changes(ctx context.Context, t *actions.Targets, from, to time.Time) (ChangeReport, error) {
	if t == nil {
		return ChangeReport{}, errors.New("changes need a targets file naming the accounts and regions")
	}
	if !from.Before(to) {
		return ChangeReport{}, fmt.Errorf("the window %s to %s is empty", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return c.readChanges(ctx, targetLookups(t), window{start: from, end: to},
		readLimits{changes: MaxWindowChanges, pages: lookupPages, budget: readBudget})
}

// targetLookups are the lookups for a targets file: every service in
// every region of every account, global services in us-east-1 only.
func targetLookups(t *actions.Targets) []lookup {
	var out []lookup
	for _, acct := range t.Accounts() {
		for _, region := range t.Regions() {
			for _, svc := range t.ChangeServices() {
				if svc.Global && region != actions.GlobalRegion {
					continue
				}
				out = append(out, lookup{role: acct.RoleARN, account: acct.ID, region: region, svc: svc})
			}
		}
	}
	return out
}
