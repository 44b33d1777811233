package aws

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// recentChanges is cloudtrail.recent_changes: who changed S3, CloudFront
// and Route 53, what, when, and whether from the console or from
// automation. The TSS outage's timeline was full of "??:?? manual
// changes?": CloudTrail had the answer all along.
type recentChanges struct{ c *Clients }

const (
	defaultChangeHours = 6
	maxChangeHours     = 72
	// maxChanges bounds the rows: the newest are kept.
	maxChanges = 200
	// globalRegion is where CloudTrail records global services' events
	// (CloudFront, Route 53).
	globalRegion = actions.GlobalRegion
)

// The services this action looks at: what the TSS outage changed by hand.
var (
	s3Changes         = actions.ChangeService{Name: "s3", Label: "S3"}
	cloudfrontChanges = actions.ChangeService{Name: "cloudfront", Label: "CloudFront", Global: true}
	route53Changes    = actions.ChangeService{Name: "route53", Label: "Route 53", Global: true}
)

// serviceLookups are the lookups for a service: S3 in its region, and in
// us-east-1 too, where buckets behind CloudFront often live; CloudFront
// and Route 53 in us-east-1, the only region that records them. All with
// the service's role, in its account.
func serviceLookups(s *actions.Service) []lookup {
	at := func(svc actions.ChangeService, region string) lookup {
		return lookup{role: s.RoleARN, account: actions.AccountOf(s.RoleARN), region: region, svc: svc}
	}
	out := []lookup{at(s3Changes, s.Region)}
	if s.Region != globalRegion {
		out = append(out, at(s3Changes, globalRegion))
	}
	return append(out, at(cloudfrontChanges, globalRegion), at(route53Changes, globalRegion))
}

func (recentChanges) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

func (r recentChanges) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	_, s, err := r.c.service(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	hours, err := intParam(req, "hours", defaultChangeHours)
	if err != nil {
		return actions.Result{}, err
	}
	if hours < 1 || hours > maxChangeHours {
		return actions.Result{}, fmt.Errorf("hours must be from 1 to %d, not %d", maxChangeHours, hours)
	}
	end := r.c.now()
	w := window{start: end.Add(-time.Duration(hours) * time.Hour), end: end}
	// The same reader as /incident changes and the postmortem; the
	// executor's timeout is its deadline.
	rep, err := r.c.readChanges(ctx, serviceLookups(s), w, readLimits{changes: maxChanges, pages: lookupPages})
	if err != nil {
		return actions.Result{}, err
	}
	newest := slices.Clone(rep.Changes)
	slices.Reverse(newest)
	summary := changesSummary(newest, hours)
	if rep.Cut || len(rep.Partial) > 0 && len(newest) == maxChanges {
		summary += fmt.Sprintf(" (the newest %d shown)", maxChanges)
	}
	return actions.Result{Summary: summary, Sections: changesSections(newest, s.Region, w, rep.Partial), RequestID: rep.RequestID}, nil
}

func changesSummary(all []Change, hours int) string {
	if len(all) == 0 {
		return fmt.Sprintf("No changes to S3, CloudFront or Route 53 in the last %s", plural(hours, "hour"))
	}
	console, failed := 0, 0
	for _, c := range all {
		if c.Console {
			console++
		}
		if c.Failed != "" {
			failed++
		}
	}
	line := fmt.Sprintf("%s in the last %s, %d from the console", plural(len(all), "change"), plural(hours, "hour"), console)
	if failed > 0 {
		line += fmt.Sprintf(", %d failed", failed)
	}
	return line
}

func changesSections(all []Change, region string, w window, partial []string) []actions.Section {
	rows := make([]string, 0, len(all))
	for _, c := range all {
		rows = append(rows, c.Row())
	}
	notes := []string{
		fmt.Sprintf("Looked up in CloudTrail: S3 in %s and %s, CloudFront and Route 53 in %s (they are global and recorded there only). Management events only: S3 object uploads are not in it.",
			region, globalRegion, globalRegion),
	}
	if region == globalRegion {
		notes[0] = fmt.Sprintf("Looked up in CloudTrail in %s. Management events only: S3 object uploads are not in it.", globalRegion)
	}
	if len(partial) > 0 {
		notes = append(notes, "Not read to the start of the window (too many events): "+strings.Join(partial, ", "))
	}
	title := fmt.Sprintf("Changes from %s to %s, newest first", day(&w.start), day(&w.end))
	return []actions.Section{{Title: title, Rows: rows}, {Rows: notes}}
}
