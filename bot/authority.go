package bot

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/incident-bot/incident-bot/incidents"
)

var usergroupID = regexp.MustCompile(`^S[A-Z0-9]{2,30}$`)

// approvers answers "is this person an approver?" from the approver user
// groups (guardrails.approvers in the targets file). usergroups.users.list
// is Tier 2, so each group's members are kept for a minute.
type approvers struct {
	api    UserGroupsAPI
	groups []string

	mu    sync.Mutex
	cache map[string]membersAt
}

type membersAt struct {
	members []string
	at      time.Time
}

const approverTTL = time.Minute

// is reports whether user is in one of the groups. A group that cannot be
// read counts against, with the reason, so authority fails closed.
func (ap *approvers) is(ctx context.Context, user string) (bool, error) {
	if ap == nil {
		return false, nil
	}
	var lookupErr error
	for _, g := range ap.groups {
		members, err := ap.members(ctx, g)
		if err != nil {
			lookupErr = fmt.Errorf("user group %s: %s", g, ExplainSlackError(SlackErrorCode(err)))
			continue // a later group may still include them
		}
		if slices.Contains(members, user) {
			return true, nil
		}
	}
	return false, lookupErr
}

func (ap *approvers) members(ctx context.Context, group string) ([]string, error) {
	ap.mu.Lock()
	c, ok := ap.cache[group]
	ap.mu.Unlock()
	if ok && time.Since(c.at) < approverTTL {
		return c.members, nil
	}
	members, err := ap.api.GetUserGroupMembersContext(ctx, group)
	if err != nil {
		return nil, err
	}
	ap.mu.Lock()
	ap.cache[group] = membersAt{members, time.Now()}
	ap.mu.Unlock()
	return members, nil
}

// who names the approver groups for a refusal.
func (ap *approvers) who() string {
	if ap == nil || len(ap.groups) == 0 {
		return "nobody: no approver groups are set (guardrails.approvers in TARGETS_FILE)"
	}
	parts := make([]string, len(ap.groups))
	for i, g := range ap.groups {
		parts[i] = "<!subteam^" + g + ">"
	}
	return "members of " + strings.Join(parts, ", ")
}

// by says who asks for a change of inc, and whether they are an approver
// (looked up only when it matters: they neither command nor reported it).
func (a *App) by(ctx context.Context, user, key string, inc incidents.Incident) incidents.By {
	b := incidents.By{User: user, Key: key}
	if user != inc.Commander && user != inc.Reporter {
		b.Approver, _ = a.approvers.is(ctx, user)
	}
	return b
}
