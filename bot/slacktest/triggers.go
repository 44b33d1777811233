package slacktest

import (
	"fmt"
	"regexp"
	"time"
)

// triggerLifetime is how long Slack honours a trigger_id: "used within 3 seconds of issue".
const triggerLifetime = 3 * time.Second

// triggerShape is Slack's documented trigger_id format, "132456.7890123.abcdef".
var triggerShape = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9a-f]+$`)

// trigger is a trigger_id handed out in an interaction payload.
type trigger struct {
	id     string
	user   string
	issued time.Time
	used   bool
}

// issueTrigger mints a trigger_id shaped like the fixtures' ("1234567890123.1234567890.<32 hex>").
func (st *store) issueTrigger(userID string, now time.Time) string {
	id := fmt.Sprintf("%013d.%010d.%s", now.UnixMilli(), st.seq+1_000_000_000, randomHex(16))
	st.triggers[id] = &trigger{id: id, user: userID, issued: now}
	return id
}

// checkTrigger tells whether a trigger_id may be exchanged now, without using it up: views.open
// reports trigger problems before it looks at the view.
func (s *Server) checkTrigger(id string) (*trigger, *apiError) {
	if !triggerShape.MatchString(id) {
		return nil, fail("invalid_trigger_id")
	}
	t, ok := s.store.triggers[id]
	switch {
	case !ok:
		return nil, invalidArguments("invalid `trigger_id`")
	case t.used:
		return nil, fail("exchanged_trigger_id")
	case s.now().Sub(t.issued) > triggerLifetime:
		return nil, fail("expired_trigger_id")
	}
	return t, nil
}
