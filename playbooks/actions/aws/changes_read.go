package aws

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// The one way CloudTrail is read, for cloudtrail.recent_changes,
// /incident changes and postmortem drafts alike: LookupEvents takes a
// single lookup attribute, so each event source is its own paged lookup
// in each region of each account. Lookups of one account and region run
// one after another, paced; different ones run at once.

const (
	// pageSize is LookupEvents' largest page.
	pageSize = 50
	// lookupGap spaces the calls in one account and region: CloudTrail
	// allows LookupEvents twice a second per account and region and
	// throttles beyond that.
	lookupGap = 500 * time.Millisecond
	// deadlineMargin is left of the caller's deadline when the read
	// stops: what was read is still shown, instead of a timeout.
	deadlineMargin = 5 * time.Second
)

// lookup is one event source in one region of one account.
type lookup struct {
	role    string // assumed for the calls; "" for the bot's own credentials
	account string // the role's account ID; "" for the bot's own
	region  string
	svc     actions.ChangeService
}

// label names the lookup for people, with its account when a read spans
// several.
func (l lookup) label(withAccount bool) string {
	s := l.svc.Label + " in " + l.region
	switch {
	case !withAccount:
		return s
	case l.account == "":
		return s + " (the bot's own account)"
	}
	return s + " (account " + l.account + ")"
}

// readLimits bound a read: the newest changes kept, the pages read per
// lookup (events read included: LookupEvents cannot also filter on
// ReadOnly), and how long the whole read may take (0: only the
// context's deadline).
type readLimits struct {
	changes, pages int
	budget         time.Duration
}

// ChangeReport is what a read of CloudTrail found.
type ChangeReport struct {
	Changes []Change // oldest first, each event once
	// Partial are the lookups not read to the start of the window (too
	// many events, or the time allowed ran out): "EC2 in eu-west-2".
	Partial []string
	// Cut is true when more changes were found than are kept: the newest
	// are.
	Cut       bool
	RequestID string // the first call's, for the audit trail
}

// paceKey is what CloudTrail's rate limit applies to.
type paceKey struct{ account, region string }

// laneResult is what one account and region's lookups found.
type laneResult struct {
	changes []Change
	partial []lookup
	reqID   string
	err     error
}

// readChanges runs the lookups over the window, each account and region
// as its own lane, and merges what they found.
func (c *Clients) readChanges(ctx context.Context, lookups []lookup, w window, lim readLimits) (ChangeReport, error) {
	deadline := readDeadline(ctx, c.pace.clock(), lim.budget)
	var keys []paceKey
	lanes := map[paceKey][]lookup{}
	for _, l := range lookups {
		k := paceKey{l.account, l.region}
		if _, ok := lanes[k]; !ok {
			keys = append(keys, k)
		}
		lanes[k] = append(lanes[k], l)
	}
	results := make([]laneResult, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() { results[i] = c.readLane(ctx, k, lanes[k], w, lim, deadline) })
	}
	wg.Wait()
	return mergeLanes(results, lim.changes, accountsIn(lookups) > 1)
}

// readDeadline is when reading stops: the budget's end, or a margin
// before the context's deadline, whichever is first.
func readDeadline(ctx context.Context, now time.Time, budget time.Duration) time.Time {
	var d time.Time
	if budget > 0 {
		d = now.Add(budget)
	}
	if cd, ok := ctx.Deadline(); ok && (d.IsZero() || cd.Add(-deadlineMargin).Before(d)) {
		d = cd.Add(-deadlineMargin)
	}
	return d
}

// readLane reads one account and region's lookups a page at a time in
// turn, so that when the time runs out every service has its newest
// events read, not one chatty service all of its own. A failure stops
// the lane (the same credentials would fail again), not the others.
func (c *Clients) readLane(ctx context.Context, k paceKey, ls []lookup, w window, lim readLimits, deadline time.Time) laneResult {
	var r laneResult
	open := make([]*cursor, 0, len(ls))
	for _, l := range ls {
		open = append(open, newCursor(l, w))
	}
	for len(open) > 0 {
		next := open[:0:0]
		for i, cur := range open {
			err := c.readPage(ctx, cur, lim, deadline)
			r.changes = append(r.changes, cur.found...)
			cur.found = nil
			r.reqID = cmp.Or(r.reqID, cur.reqID)
			switch {
			case errors.Is(err, errOutOfTime):
				// The lane's later turns would be later still.
				for _, rest := range append(open[i:], next...) {
					r.partial = append(r.partial, rest.l)
				}
				return r
			case err != nil:
				r.err = notReadEither(err, k.region, append(open[i+1:], next...))
				return r
			case cur.more && cur.pages >= lim.pages, cur.more && cur.kept >= lim.changes:
				r.partial = append(r.partial, cur.l)
			case cur.more:
				next = append(next, cur)
			}
		}
		open = next
	}
	return r
}

// notReadEither adds to a lane's failure the lookups it left unread.
func notReadEither(err error, region string, rest []*cursor) error {
	if len(rest) == 0 {
		return err
	}
	names := make([]string, 0, len(rest))
	for _, s := range rest {
		names = append(names, s.l.svc.Label)
	}
	return fmt.Errorf("%w; so not read in %s either: %s", err, region, strings.Join(names, ", "))
}

// cursor is one lookup's progress through its pages, newest first.
type cursor struct {
	l     lookup
	in    *cloudtrail.LookupEventsInput
	pages int      // pages read
	kept  int      // writes found so far
	found []Change // the last page's writes
	more  bool     // pages remain before the start of the window
	reqID string
}

func newCursor(l lookup, w window) *cursor {
	return &cursor{l: l, more: true, in: &cloudtrail.LookupEventsInput{
		LookupAttributes: []types.LookupAttribute{{AttributeKey: types.LookupAttributeKeyEventSource, AttributeValue: aws.String(l.svc.Source())}},
		StartTime:        aws.Time(w.start),
		EndTime:          aws.Time(w.end),
		MaxResults:       aws.Int32(pageSize),
	}}
}

// readPage reads a lookup's next page and keeps its writes. It returns
// errOutOfTime when the lane's next turn would come after the deadline.
func (c *Clients) readPage(ctx context.Context, cur *cursor, lim readLimits, deadline time.Time) error {
	l := cur.l
	a, err := c.get(ctx, l.region, l.role)
	if err != nil {
		return err
	}
	page, err := a.cloudtrail.LookupEvents(ctx, cur.in, c.pace.turns(paceKey{l.account, l.region}, deadline))
	switch {
	case errors.Is(err, errOutOfTime):
		return err
	case err != nil:
		return apiError(fmt.Sprintf("cloudtrail LookupEvents (%s in %s%s)", l.svc.Source(), l.region, inAccount(l.account)), err)
	}
	cur.pages++
	cur.reqID = cmp.Or(cur.reqID, requestID(page.ResultMetadata))
	for _, e := range page.Events {
		if ch, write := parseChange(e, l.svc.Label, l.region); write {
			ch.Account = cmp.Or(ch.Account, l.account)
			cur.found = append(cur.found, ch)
		}
	}
	cur.kept += len(cur.found)
	// The same parameters with the token read on (CloudTrail requires it).
	cur.in.NextToken = page.NextToken
	cur.more = aws.ToString(page.NextToken) != ""
	return nil
}

func inAccount(id string) string {
	if id == "" {
		return ""
	}
	return ", account " + id
}

// accountsIn counts the accounts the lookups read.
func accountsIn(ls []lookup) int {
	seen := map[string]bool{}
	for _, l := range ls {
		seen[l.account] = true
	}
	return len(seen)
}

// mergeLanes keeps each event once and the newest max changes, oldest
// first. Each lookup was read newest first, so the newest max overall
// are among what was read.
func mergeLanes(results []laneResult, limit int, accounts bool) (ChangeReport, error) {
	var r ChangeReport
	var all []Change
	var errs []error
	for _, lr := range results {
		all = append(all, lr.changes...)
		r.RequestID = cmp.Or(r.RequestID, lr.reqID)
		for _, l := range lr.partial {
			r.Partial = append(r.Partial, l.label(accounts))
		}
		if lr.err != nil {
			errs = append(errs, lr.err)
		}
	}
	slices.SortStableFunc(all, func(a, b Change) int { return cmp.Or(b.At.Compare(a.At), cmp.Compare(a.ID, b.ID)) })
	seen := map[string]bool{}
	for _, ch := range all {
		if ch.ID != "" && seen[ch.ID] {
			continue
		}
		seen[ch.ID] = true
		r.Changes = append(r.Changes, ch)
	}
	if len(r.Changes) > limit {
		r.Changes, r.Cut = r.Changes[:limit], true
	}
	slices.Reverse(r.Changes)
	return r, errors.Join(errs...)
}

// window is the time range looked at.
type window struct{ start, end time.Time }

// pacer spaces LookupEvents calls per account and region (see
// lookupGap). It is shared by every read of a Clients, so an action and a
// postmortem reading at once keep to the limit together.
type pacer struct {
	mu    sync.Mutex
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	next  map[paceKey]time.Time
}

func newPacer() *pacer { return &pacer{now: time.Now, sleep: sleep, next: map[paceKey]time.Time{}} }

func (p *pacer) clock() time.Time { return p.now() }

// reserve books the next call for key and says how long to wait for it;
// ok is false, and nothing is booked, when that is after deadline.
func (p *pacer) reserve(key paceKey, deadline time.Time) (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	at := now
	if n := p.next[key]; n.After(at) {
		at = n
	}
	if !deadline.IsZero() && at.After(deadline) {
		return 0, false
	}
	p.next[key] = at.Add(lookupGap)
	return at.Sub(now), true
}

// errOutOfTime ends a lookup whose next turn would come after the
// deadline: what it read is kept, and it is reported as partial.
var errOutOfTime = errors.New("no time left to read CloudTrail")

// turns makes every attempt of a LookupEvents call wait its turn for key:
// the SDK's own retries included, since CloudTrail counts them too.
func (p *pacer) turns(key paceKey, deadline time.Time) func(*cloudtrail.Options) {
	wait := middleware.FinalizeMiddlewareFunc("PaceLookupEvents", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		ok, err := p.wait(ctx, key, deadline)
		switch {
		case err != nil:
			return middleware.FinalizeOutput{}, middleware.Metadata{}, err
		case !ok:
			return middleware.FinalizeOutput{}, middleware.Metadata{}, errOutOfTime
		}
		return next.HandleFinalize(ctx, in)
	})
	return func(o *cloudtrail.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			// After the retry loop, before signing: each attempt, signed when it goes.
			return st.Finalize.Insert(wait, "Retry", middleware.After)
		})
	}
}

// wait waits for key's next call; ok is false when the deadline comes
// first.
func (p *pacer) wait(ctx context.Context, key paceKey, deadline time.Time) (bool, error) {
	d, ok := p.reserve(key, deadline)
	if !ok {
		return false, nil
	}
	if d <= 0 {
		return true, ctx.Err()
	}
	return true, p.sleep(ctx, d)
}

// sleep waits d, or less when ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
