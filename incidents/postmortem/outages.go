package postmortem

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/incidents/alerts"
	"github.com/incident-bot/incident-bot/internal/txt"
)

// Outage is one condition's stretch from its first DOWN (ALARM, FIRING)
// post to the matching UP (OK, RESOLVED) post, as an alerting bot
// announced them in the channel. Repeated DOWN posts while it is down
// are the same outage.
type Outage struct {
	Subject string    // what was down, as the alert names it
	Sender  string    // who said so ("Uptime Robot")
	From    time.Time // the first DOWN post
	To      time.Time // the UP post; zero: not back in the channel's record
	Title   string    // the first DOWN post's title
}

// outages reads the alert posts among msgs (other bots' messages, read
// as the alert-channel reader reads them) into outages, in order.
func outages(msgs []Message, ours map[string]bool) []Outage {
	sorted := append([]Message(nil), msgs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].At.Before(sorted[j].At) })
	var out []Outage
	open := map[string]int{} // fingerprint → index in out
	for _, m := range sorted {
		if !isAlertPost(m, ours) {
			continue
		}
		al, err := alerts.FromChat(alerts.ChatMessage{Channel: "c", Sender: m.Name, Text: m.Text, Color: m.Color, At: m.At}, m.At)
		if err != nil {
			continue
		}
		i, down := open[al.Fingerprint]
		switch {
		case al.Status == alerts.Firing && al.Severity == alerts.Critical && !down:
			open[al.Fingerprint] = len(out)
			out = append(out, Outage{Subject: subjectOf(al.Title), Sender: firstNonEmpty(m.Name, "an alert bot"), From: m.At, Title: al.Title})
		case al.Status == alerts.Resolved && down:
			out[i].To = m.At
			delete(open, al.Fingerprint)
		}
	}
	return out
}

// isAlertPost is a message another bot posted (the incident bot's own
// are not alerts) that is not a thread reply.
func isAlertPost(m Message, ours map[string]bool) bool {
	if ours[m.User] || (m.ThreadTS != "" && m.ThreadTS != m.TS) {
		return false
	}
	return m.BotID != "" || m.Subtype == "bot_message"
}

// subjectOf is the alert's title without its state words: "Monitor is
// DOWN: TSS production (https://…) - Reason: …" is about "TSS production".
func subjectOf(title string) string {
	s := title
	if head, after, ok := strings.Cut(s, ": "); ok && stateHead.MatchString(head) {
		s = after
	}
	for _, cut := range []string{" - ", " (", `" in `} {
		if i := strings.Index(s, cut); i > 0 {
			s = s[:i+len(cut)-len(strings.TrimLeft(cut, `"`))]
		}
	}
	return txt.Clip(strings.Trim(strings.TrimSpace(s), `"`), 120)
}

// stateHead is the state an alert title starts with: "Monitor is DOWN",
// "ALARM", "[FIRING:1]", "OK".
var stateHead = regexp.MustCompile(`(?i)^\s*(monitor is \w+|alarm|ok|insufficient_data|\[(firing|resolved)(:\d+)?\].*|firing|resolved)\s*$`)

// impact says what the outages add up to, each with its window:
// "3h 4m in 2 outages (Uptime Robot): TSS production 11:45–14:15, 15:31–16:05".
func impact(os []Outage, loc *time.Location) (string, time.Duration) {
	if len(os) == 0 {
		return "", 0
	}
	var parts []string
	open := false
	for _, o := range os {
		end := "not back in the channel's record"
		if !o.To.IsZero() {
			end = clock(o.To, loc, false)
		} else {
			open = true
		}
		parts = append(parts, fmt.Sprintf("%s %s–%s", o.Subject, clock(o.From, loc, false), end))
	}
	total := downTime(os)
	s := fmt.Sprintf("%s down in %d outage(s), from %s's DOWN and UP posts: %s", txt.Duration(total), len(os), os[0].Sender, strings.Join(parts, "; "))
	if open {
		s += " (one never recovered in the channel: its length is not counted)"
	}
	return s, total
}

// downTime is how long at least one condition was down: overlapping
// outages (two alarms on one server) count once.
func downTime(os []Outage) time.Duration {
	var total time.Duration
	var until time.Time    // the end of the stretch counted so far
	for _, o := range os { // in order of their start
		if o.To.IsZero() {
			continue
		}
		from := o.From
		if from.Before(until) {
			from = until
		}
		if o.To.After(from) {
			total += o.To.Sub(from)
			until = o.To
		}
	}
	return total
}
