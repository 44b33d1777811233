package playbooks

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// reviewMonths is how long a playbook counts as current after a review
// when no source document sets a date. It is the team's rule (README,
// "Writing a playbook"), close to the interval its troubleshooting
// runbook keeps (reviewed 29 January 2026, due again 16 July 2026); a
// date nobody can trace back is what this replaces.
const reviewMonths = 6

// ReviewDue is the day by which the playbook should be checked again:
// review_by when a source document sets one, else reviewMonths after
// the last review. Zero when the playbook has neither.
func (p Playbook) ReviewDue() time.Time {
	if !p.ReviewBy.IsZero() {
		return p.ReviewBy.Time
	}
	return p.derivedDue()
}

func (p Playbook) derivedDue() time.Time {
	if p.Reviewed.IsZero() {
		return time.Time{}
	}
	return p.Reviewed.AddDate(0, reviewMonths, 0)
}

// ReviewBasis says where ReviewDue comes from, so a reader can judge the
// date: "set by troubleshooting-runbook.txt" or "6 months after the last
// review on 2026-11-20".
func (p Playbook) ReviewBasis() string {
	switch {
	case p.ReviewByFrom != "" && !p.ReviewBy.IsZero():
		return "set by " + p.ReviewByFrom
	case !p.Reviewed.IsZero() && p.ReviewBy.IsZero():
		return fmt.Sprintf("%d months after the last review on %s", reviewMonths, p.Reviewed.Format(time.DateOnly))
	case !p.ReviewBy.IsZero():
		return "review_by, with no stated origin"
	}
	return ""
}

// Overdue reports whether the playbook should have been reviewed before
// the day of now (in now's location).
func (p Playbook) Overdue(now time.Time) bool {
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	due := p.ReviewDue()
	return !due.IsZero() && due.Before(today)
}

// review checks reviewed, review_by and review_by_from: a review date
// must say where it comes from, so a date nobody can trace is refused.
func (v *validator) review(pb *Playbook) {
	switch {
	case pb.Reviewed.bad != "":
		v.at(p("reviewed"), "reviewed %q is not a date written YYYY-MM-DD", pb.Reviewed.bad)
	case pb.Reviewed.IsZero():
		v.at(p("reviewed"), "missing required field reviewed (YYYY-MM-DD: when the team last checked this playbook against how things work)")
	}
	if pb.ReviewBy.bad != "" {
		v.at(p("review_by"), "review_by %q is not a date written YYYY-MM-DD", pb.ReviewBy.bad)
	}
	hasBy := !pb.ReviewBy.IsZero() || pb.ReviewBy.bad != ""
	from := strings.TrimSpace(pb.ReviewByFrom)
	var docs []string
	for _, s := range pb.Sources {
		if d := strings.TrimSpace(s.Doc); d != "" {
			docs = append(docs, d)
		}
	}
	switch {
	case hasBy && from == "":
		v.at(p("review_by"), "review_by needs review_by_from, the source document that sets this date; "+
			"without one, leave review_by out: the review is then due %d months after reviewed", reviewMonths)
	case !hasBy && from != "":
		v.at(p("review_by_from"), "review_by_from needs review_by: the review date %s sets", from)
	case from != "" && !slices.Contains(docs, from):
		v.at(p("review_by_from"), "review_by_from %q is not one of the documents under sources%s",
			from, didYouMean(from, docs, " ("+strings.Join(docs, ", ")+")"))
	}
}
