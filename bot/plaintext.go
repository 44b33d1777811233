package bot

import (
	"regexp"
	"strings"
)

// slackMarkup matches Slack's control sequences in message text:
// <@U…|name>, <#C…|name>, <!here>, <!subteam^S…|@team>, <url|label>.
var slackMarkup = regexp.MustCompile(`<([^<>|]*)(?:\|([^<>]*))?>`)

// PlainText turns text as Slack sends it (slash command text is escaped,
// with mentions and links as control sequences) into the plain text the
// domain keeps: "<@U1|rita>" becomes "@rita", "<https://x|docs>" "docs
// (https://x)", "&lt;" "<". Renderers escape it again on the way out, so
// what a person typed reads the same and pings or links nothing.
func PlainText(s string) string {
	s = slackMarkup.ReplaceAllStringFunc(s, func(m string) string {
		sub := slackMarkup.FindStringSubmatch(m)
		target, label := sub[1], sub[2]
		switch {
		case strings.HasPrefix(target, "@"), strings.HasPrefix(target, "#"):
			if label != "" {
				return target[:1] + strings.TrimPrefix(label, target[:1])
			}
			return target
		case strings.HasPrefix(target, "!"):
			if label != "" {
				return label
			}
			name, _, _ := strings.Cut(target[1:], "^")
			return "@" + name
		case label != "" && label != strings.TrimPrefix(target, "mailto:"):
			return label + " (" + target + ")"
		}
		return strings.TrimPrefix(target, "mailto:")
	})
	return Unescape(s)
}
