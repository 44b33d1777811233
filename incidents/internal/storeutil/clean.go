package storeutil

import (
	"strings"
	"unicode/utf8"
)

// Clean replaces what a store cannot hold — NUL, which PostgreSQL text
// and jsonb refuse, and invalid UTF-8 — with U+FFFD. The edges that take
// outside text (alert parsers) replace it first and say so; this is the
// last line, so that one bad field can never wedge a write for ever.
func Clean(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// cleanMap is Clean applied to keys and values; nil stays nil.
func cleanMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	dirty := false
	for k, v := range m {
		if Clean(k) != k || Clean(v) != v {
			dirty = true
			break
		}
	}
	if !dirty {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[Clean(k)] = Clean(v)
	}
	return out
}
