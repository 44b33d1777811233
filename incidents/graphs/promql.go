package graphs

import (
	"strconv"
	"strings"
)

// SplitThreshold splits an alerting rule's expression into the query to
// graph and its threshold: "rate(x[5m]) > 0.05" is ("rate(x[5m])", 0.05).
// It does so only when the expression's top level is a comparison (>, <,
// >=, <=, ==, !=) with a number literal on its right, without the bool
// modifier (which makes a 0/1 series, not a filter); a comparison inside
// parentheses, brackets or braces, or under and/or/unless, is not the
// rule's threshold. Otherwise it returns (expr, nil): graph it as it is.
// Parentheses around the whole expression are looked through.
func SplitThreshold(expr string) (query string, threshold *float64) {
	e := strings.TrimSpace(stripComments(expr))
	for {
		if q, v, ok := splitComparison(e); ok {
			return q, &v
		}
		inner, ok := unwrapParens(e)
		if !ok {
			return expr, nil
		}
		e = inner
	}
}

// splitComparison finds e's last top-level comparison and reads a number
// literal right of it. Comparisons are left-associative, so the last one
// is applied last: "a > 1 < 5" is (a > 1) < 5.
func splitComparison(e string) (string, float64, bool) {
	s := scanTopLevel(e)
	if !s.ok || s.setOp || s.opEnd == 0 {
		return "", 0, false
	}
	lhs, rhs := strings.TrimSpace(e[:s.opStart]), strings.TrimSpace(e[s.opEnd:])
	if lhs == "" || rhs == "bool" || strings.HasPrefix(rhs, "bool ") || strings.HasPrefix(rhs, "bool\t") || strings.HasPrefix(rhs, "bool\n") {
		return "", 0, false
	}
	v, ok := parseNumber(rhs)
	if !ok {
		return "", 0, false
	}
	return lhs, v, true
}

// topLevel is what scanTopLevel found outside brackets and strings.
type topLevel struct {
	ok              bool // brackets and strings balanced
	opStart, opEnd  int  // the last comparison operator, if opEnd > 0
	setOp           bool // an and, or or unless: it binds looser than a comparison
	closesFirstOpen int  // where the bracket opened at 0 closes, or -1
}

// scanTopLevel walks a PromQL expression (without comments) tracking
// nesting and string literals ("...", '...' with escapes, `...` raw), and
// notes the operators at depth 0.
func scanTopLevel(e string) topLevel {
	s := topLevel{closesFirstOpen: -1}
	depth := 0
	for i := 0; i < len(e); i++ {
		switch c := e[i]; c {
		case '"', '\'', '`':
			end := closeQuote(e, i)
			if end < 0 {
				return s
			}
			i = end
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth < 0 {
				return s
			}
			if depth == 0 && s.closesFirstOpen < 0 && i > 0 && isOpen(e[0]) {
				s.closesFirstOpen = i
			}
		case '>', '<', '=', '!':
			if depth > 0 {
				continue
			}
			n := comparisonLen(e[i:])
			if n > 0 {
				s.opStart, s.opEnd = i, i+n
				i += n - 1
			}
		default:
			if depth == 0 && isIdentStart(c) && (i == 0 || !isIdent(e[i-1])) {
				j := i
				for j < len(e) && isIdent(e[j]) {
					j++
				}
				switch strings.ToLower(e[i:j]) {
				case "and", "or", "unless":
					s.setOp = true
				}
				i = j - 1
			}
		}
	}
	s.ok = depth == 0
	return s
}

// comparisonLen is the length of the comparison operator at the start of
// s, or 0: "=~" and "!~" are matchers, and "=" alone is no operator.
func comparisonLen(s string) int {
	if len(s) >= 2 && s[1] == '=' && strings.IndexByte("<>=!", s[0]) >= 0 {
		return 2
	}
	if s[0] == '<' || s[0] == '>' {
		return 1
	}
	return 0
}

// stripComments removes # comments (to the end of a line) outside string
// literals: rules written as YAML blocks often carry them, and a comment
// after the threshold would hide it.
func stripComments(e string) string {
	if !strings.Contains(e, "#") {
		return e
	}
	var b strings.Builder
	for i := 0; i < len(e); i++ {
		switch e[i] {
		case '"', '\'', '`':
			end := closeQuote(e, i)
			if end < 0 {
				return e // unbalanced: the scan will refuse it
			}
			b.WriteString(e[i : end+1])
			i = end
		case '#':
			for i < len(e) && e[i] != '\n' {
				i++
			}
			if i < len(e) {
				b.WriteByte('\n')
			}
		default:
			b.WriteByte(e[i])
		}
	}
	return b.String()
}

// closeQuote is the index of the quote closing the one at i, or -1.
func closeQuote(e string, i int) int {
	q := e[i]
	for j := i + 1; j < len(e); j++ {
		switch {
		case e[j] == '\\' && q != '`':
			j++
		case e[j] == q:
			return j
		}
	}
	return -1
}

// unwrapParens strips parentheses enclosing all of e.
func unwrapParens(e string) (string, bool) {
	if len(e) < 2 || e[0] != '(' {
		return "", false
	}
	s := scanTopLevel(e)
	if !s.ok || s.closesFirstOpen != len(e)-1 || e[len(e)-1] != ')' {
		return "", false
	}
	return strings.TrimSpace(e[1 : len(e)-1]), true
}

// parseNumber reads a PromQL number literal: decimal or scientific, or a
// hexadecimal integer, with an optional sign. Inf and NaN are literals
// too, but no line can be drawn at them.
func parseNumber(s string) (float64, bool) {
	if s == "" || strings.ContainsAny(s, "_ \t\n") {
		return 0, false
	}
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 {
		return 0, false
	}
	if strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X") {
		n, err := strconv.ParseInt(body[2:], 16, 64)
		if err != nil {
			return 0, false
		}
		if s[0] == '-' {
			n = -n
		}
		return float64(n), true
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !finite(v) {
		return 0, false
	}
	return v, true
}

func isOpen(c byte) bool { return c == '(' || c == '[' || c == '{' }

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIdent(c byte) bool { return isIdentStart(c) || ('0' <= c && c <= '9') }
