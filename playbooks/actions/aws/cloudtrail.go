package aws

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

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
	// lookupPages bounds the reading per source (50 events a page, reads
	// included, since LookupEvents filters on one attribute only).
	lookupPages = 8
	// lookupGap spaces the calls in one region: CloudTrail allows
	// LookupEvents twice a second per account and region and throttles
	// beyond that.
	lookupGap = 500 * time.Millisecond
	// globalRegion is where CloudTrail records global services' events
	// (CloudFront, Route 53).
	globalRegion = "us-east-1"
)

// changeSource is one lookup: LookupEvents takes a single attribute, so
// each event source is its own series of calls.
type changeSource struct {
	source, label, region string
}

// changeSources are the lookups for a service: S3 in its region, and in
// us-east-1 too, where buckets behind CloudFront often live; CloudFront
// and Route 53 in us-east-1, the only region that records them.
func changeSources(region string) []changeSource {
	out := []changeSource{{"s3.amazonaws.com", "S3", region}}
	if region != globalRegion {
		out = append(out, changeSource{"s3.amazonaws.com", "S3", globalRegion})
	}
	return append(out,
		changeSource{"cloudfront.amazonaws.com", "CloudFront", globalRegion},
		changeSource{"route53.amazonaws.com", "Route 53", globalRegion})
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
	var all []change
	var reqID string
	var partial []string
	p := &pacer{last: map[string]time.Time{}}
	for _, src := range changeSources(s.Region) {
		a, err := r.c.get(ctx, src.region, s.RoleARN)
		if err != nil {
			return actions.Result{}, err
		}
		got, id, more, err := lookupChanges(ctx, a.cloudtrail, src, w, p)
		if err != nil {
			return actions.Result{}, err
		}
		reqID = cmp.Or(reqID, id)
		all = append(all, got...)
		if more {
			partial = append(partial, src.label+" in "+src.region)
		}
	}
	all, cut := newestChanges(all)
	summary := changesSummary(all, hours)
	if cut || len(partial) > 0 && len(all) == maxChanges {
		summary += fmt.Sprintf(" (the newest %d shown)", maxChanges)
	}
	return actions.Result{Summary: summary, Sections: changesSections(all, s.Region, w, partial), RequestID: reqID}, nil
}

// window is the time range looked at.
type window struct{ start, end time.Time }

// lookupChanges pages through one source's events, newest first, and
// keeps the writes. more is true when it stopped before the end.
func lookupChanges(ctx context.Context, api cloudtrailAPI, src changeSource, w window, p *pacer) (out []change, reqID string, more bool, err error) {
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []types.LookupAttribute{{AttributeKey: types.LookupAttributeKeyEventSource, AttributeValue: aws.String(src.source)}},
		StartTime:        aws.Time(w.start),
		EndTime:          aws.Time(w.end),
		MaxResults:       aws.Int32(50),
	}
	for range lookupPages {
		if err := p.wait(ctx, src.region); err != nil {
			return nil, "", false, err
		}
		page, err := api.LookupEvents(ctx, in)
		if err != nil {
			return nil, "", false, apiError(fmt.Sprintf("cloudtrail LookupEvents (%s in %s)", src.source, src.region), err)
		}
		reqID = cmp.Or(reqID, requestID(page.ResultMetadata))
		for _, e := range page.Events {
			if c, write := parseChange(e, src.label); write {
				out = append(out, c)
			}
		}
		// The same parameters with the token read on (CloudTrail requires it).
		in.NextToken = page.NextToken
		if aws.ToString(in.NextToken) == "" {
			return out, reqID, false, nil
		}
		if len(out) >= maxChanges {
			return out, reqID, true, nil
		}
	}
	return out, reqID, true, nil
}

// newestChanges merges the sources: one event once, newest first, at
// most maxChanges. Each source was read newest first, so the newest
// maxChanges overall are among what was read. cut reports that some were
// left out.
func newestChanges(all []change) (_ []change, cut bool) {
	seen := map[string]bool{}
	out := all[:0]
	for _, c := range all {
		if c.id != "" && seen[c.id] {
			continue
		}
		seen[c.id] = true
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b change) int { return b.at.Compare(a.at) })
	return out[:min(len(out), maxChanges)], len(out) > maxChanges
}

func changesSummary(all []change, hours int) string {
	if len(all) == 0 {
		return fmt.Sprintf("No changes to S3, CloudFront or Route 53 in the last %s", plural(hours, "hour"))
	}
	console, failed := 0, 0
	for _, c := range all {
		if c.console {
			console++
		}
		if c.failed != "" {
			failed++
		}
	}
	line := fmt.Sprintf("%s in the last %s, %d from the console", plural(len(all), "change"), plural(hours, "hour"), console)
	if failed > 0 {
		line += fmt.Sprintf(", %d failed", failed)
	}
	return line
}

func changesSections(all []change, region string, w window, partial []string) []actions.Section {
	rows := make([]string, 0, len(all))
	for _, c := range all {
		rows = append(rows, c.row())
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

// pacer spaces LookupEvents calls per region (see lookupGap).
type pacer struct{ last map[string]time.Time }

func (p *pacer) wait(ctx context.Context, region string) error {
	if at, ok := p.last[region]; ok {
		if d := lookupGap - time.Since(at); d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
			}
		}
	}
	p.last[region] = time.Now()
	return nil
}
