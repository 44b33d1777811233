package pgaction

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/internal/txt"
)

// literals matches SQL string literals: '…' (with ” inside) and
// dollar-quoted $tag$…$tag$ bodies.
var literals = regexp.MustCompile(`(?s)'(?:[^']|'')*'|\$[A-Za-z_]*\$.*?\$[A-Za-z_]*\$`)

// hideLiterals hides a query's string literals before it is shown or stored:
// "ALTER ROLE app PASSWORD 'hunter2'" must not reach a channel.
func hideLiterals(q string) string { return literals.ReplaceAllString(q, "'…'") }

// code shows query text as inline code (plain text between backticks),
// clipped, without its literals.
func code(q string) string {
	q = oneLineClip(hideLiterals(q), queryClip)
	if q == "" {
		return "(no query text)"
	}
	return "`" + strings.ReplaceAll(q, "`", "'") + "`"
}

// dur formats seconds for people: 4m12s, 850ms.
func dur(secs float64) string {
	d := time.Duration(secs * float64(time.Second))
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// clock formats a time of day in UTC: 03:02:11 UTC.
func clock(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("15:04:05") + " UTC"
}

// who names a session's client: application name, else user.
func who(app, user string) string {
	switch {
	case app != "" && user != "":
		return fmt.Sprintf("%s, user %s", app, user)
	case app != "":
		return app
	case user != "":
		return "user " + user
	}
	return "unknown client"
}

// plural returns "1 query", "3 queries".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// oneLineClip puts SQL or a value on one line and cuts it to n characters.
func oneLineClip(s string, n int) string { return txt.Clip(txt.OneLine(s), n) }
