package playbooks

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
)

// closest returns the candidate nearest to written when it is near enough
// to be a slip of the keyboard: at most max(2, len/4) edits, and fewer
// edits than written has letters (or "x" would "mean" any two-letter
// name). Ties go to the first candidate in sorted order, so the advice
// is the same on every run.
func closest(written string, candidates []string) (string, bool) {
	limit := max(2, utf8.RuneCountInString(written)/4)
	return nearest(written, candidates, limit)
}

// nearest is closest with the caller's limit on edits; comparison
// ignores case because a playbook author's slip is as often a capital.
func nearest(written string, candidates []string, limit int) (string, bool) {
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	best, bestDist := "", limit+1
	w := strings.ToLower(written)
	for _, c := range sorted {
		if c == written {
			continue
		}
		if d := levenshtein.ComputeDistance(w, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" || bestDist >= utf8.RuneCountInString(written) {
		return "", false
	}
	return best, true
}

// didYouMean is the advice appended to "unknown X" messages: the closest
// valid name when there is one, else otherwise (typically the list of
// valid names, when it is short enough to read).
func didYouMean(written string, valid []string, otherwise string) string {
	if s, ok := closest(written, valid); ok {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return otherwise
}
