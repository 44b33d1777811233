// Package txt is the project's one toolkit for shaping text for people:
// cutting it to a size, putting it on one line, writing a duration, and
// Slack's escaping. Every package uses these, so the same time or cut
// reads the same everywhere.
package txt

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Clip shortens s to at most n characters, the last being "…" when cut.
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// ClipBytes shortens s to at most n bytes, cut on a character boundary
// and marked with "…": what a store or an API bounds in bytes.
func ClipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	if cut < 0 {
		return ""
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// OneLine joins s's lines and runs of spaces into single spaces.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// FirstLine is s up to its first line break.
func FirstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// Duration writes a duration for people: "under a minute", "42m",
// "3h05m", "2d04h".
func Duration(d time.Duration) string {
	d = d.Round(time.Minute)
	m := int(d.Minutes())
	switch {
	case m < 1:
		return "under a minute"
	case m < 60:
		return fmt.Sprintf("%dm", m)
	case m < 24*60:
		return fmt.Sprintf("%dh%02dm", m/60, m%60)
	}
	return fmt.Sprintf("%dd%02dh", m/(24*60), (m/60)%24)
}

var (
	slackEscaper   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	slackUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

// SlackEscape makes s inert in Slack's markup: no mention, channel link
// or disguised link survives.
func SlackEscape(s string) string { return slackEscaper.Replace(s) }

// SlackUnescape undoes Slack's escaping of what a person typed.
func SlackUnescape(s string) string { return slackUnescaper.Replace(s) }

// maxTSSeconds is 9999-12-31T23:59:59Z: anything later is not a Slack ts.
const maxTSSeconds = 253402300799

// SlackTS parses a Slack ts ("1767693900.000200": Unix seconds, a dot,
// microseconds) as a UTC time.
func SlackTS(ts string) (time.Time, error) {
	if ts == "" {
		return time.Time{}, errors.New(`no "ts"`)
	}
	secs, frac, dot := strings.Cut(ts, ".")
	if !allDigits(secs) || len(secs) > 12 || dot && !allDigits(frac) || len(frac) > 9 {
		return time.Time{}, fmt.Errorf("ts %q is not <seconds>.<fraction>", ts)
	}
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || sec > maxTSSeconds {
		return time.Time{}, fmt.Errorf("ts %q is out of range", ts)
	}
	var nsec int64
	if frac != "" {
		nsec, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	return time.Unix(sec, nsec).UTC(), nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
