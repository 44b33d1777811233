package playbooks

import "strings"

// isRecovery recognises "it is fixed" notices — CloudWatch "OK:" and
// "ALARM -> OK", Uptime Robot "Monitor is UP", Alertmanager "[RESOLVED]"
// — which describe the end of a problem and must not bring a card.
func isRecovery(q Query) bool {
	for _, k := range []string{"status", "state", "alert_type", "new_state"} {
		switch strings.ToLower(strings.TrimSpace(q.Labels[k])) {
		case "ok", "resolved", "up":
			return true
		}
	}
	// The raw text, not tokens: "up" is a stopword and "resolved" stems.
	text := strings.ToLower(strings.TrimSpace(q.Text))
	for _, prefix := range []string{"ok:", "resolved:", "[resolved]", "recovered:", "[ok]"} {
		if strings.HasPrefix(text, prefix) {
			return true
		}
	}
	// Routine work that finished is news, not a problem.
	for _, marker := range []string{"monitor is up", "alarm -> ok", "alarm to ok", "is back up", "is back online", "has recovered",
		"snapshot created", "backup completed", "backup finished", "finished db instance backup", "maintenance completed"} {
		if strings.Contains(text, marker) {
			return true
		}
	}
	return false
}

// isReport recognises summaries that are sent on a schedule ("Monthly
// uptime report", "weekly digest"): they describe a period, not a
// problem, and must not bring a card either.
func isReport(q Query) bool {
	head := strings.ToLower(q.Text)
	if i := strings.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	for _, w := range []string{"report", "digest", "summary", "newsletter", "statement", "invoice"} {
		if !strings.Contains(head, w) {
			continue
		}
		for _, period := range []string{"daily", "weekly", "monthly", "quarterly", "annual", "yearly", "uptime", "your "} {
			if strings.Contains(head, period) {
				return true
			}
		}
	}
	return false
}

// withFallback puts the fallback playbook first, confident, for a
// critical alert nothing else fits; the best guesses stay as runners-up.
func (ix *Index) withFallback(r Ranking) Ranking {
	fb := Result{Playbook: ix.pbs[ix.fallback], Reasons: []string{"no playbook fits this critical alert; the procedure for every critical alert applies"}}
	rest := make([]Result, 0, len(r.Results)+1)
	rest = append(rest, fb)
	for _, res := range r.Results {
		if res.Playbook != fb.Playbook {
			rest = append(rest, res)
		}
	}
	return Ranking{Results: rest, Confident: true}
}

// isLocator is a label value that only says where something is — an ARN
// (arn:aws:sns:…:alerts), a link: its words ("sns", "cloudwatch",
// "amazonaws") are the address, not the problem.
func isLocator(v string) bool {
	return strings.HasPrefix(v, "arn:") || strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://")
}
