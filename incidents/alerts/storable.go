package alerts

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/incident-bot/incident-bot/internal/txt"
)

// PostgreSQL text and jsonb cannot hold U+0000 or bytes that are not
// UTF-8, and refuse the whole batch that carries one; the sender then
// retries the same batch for ever. So such characters never leave this
// package: each becomes U+FFFD, which is what a reader would see for a
// broken character anyway, and the alert says so.

// storable returns s with every NUL and every byte that is not part of a
// UTF-8 sequence replaced by U+FFFD, one for one, and how many it
// replaced. One for one, and not a run per U+FFFD, so the result depends
// on the input alone and fingerprints built from it stay stable.
func storable(s string) (string, int) {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s, 0
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == 0 || r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
			n++
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String(), n
}

// makeStorable applies storable to every string field and returns how
// many characters it replaced in all.
func (a *Alert) makeStorable() int {
	total := 0
	fix := func(s *string) {
		var n int
		*s, n = storable(*s)
		total += n
	}
	fix(&a.Source)
	fix(&a.Fingerprint)
	fix(&a.Title)
	fix(&a.Text)
	fix(&a.DeliveryID)
	fix(&a.Group)
	if a.Links != nil {
		// A copy: the slice may be the sender's decoded input.
		a.Links = append([]string(nil), a.Links...)
		for i := range a.Links {
			fix(&a.Links[i])
		}
	}
	if a.Labels == nil {
		return total
	}
	labels := make(map[string]string, len(a.Labels))
	// Two keys may become one. Sorted, and a key that needed no change
	// always wins, so which value is kept never depends on map order.
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		ck, v := k, a.Labels[k]
		fix(&ck)
		fix(&v)
		if _, taken := labels[ck]; taken && ck != k {
			continue
		}
		labels[ck] = v
	}
	a.Labels = labels
	return total
}

// noteReplaced tells the reader of the alert that n characters were
// replaced, so a U+FFFD in it is not taken for the sender's own text. The
// note is kept within maxText, at the cost of the end of the text.
func (a *Alert) noteReplaced(n int) {
	if n == 0 {
		return
	}
	unit := "characters"
	if n == 1 {
		unit = "character"
	}
	note := fmt.Sprintf("(incident-bot replaced %d %s the store cannot hold with \uFFFD)", n, unit)
	sep := "\n\n"
	if a.Text == "" {
		sep = ""
	}
	if room := maxText - len(sep) - len(note); len(a.Text) > room {
		a.Text = txt.ClipBytes(a.Text, room-len("…"))
	}
	a.Text += sep + note
}

// setDeliveryID sets an ID known only after parsing (the SNS MessageId)
// under the same rule as the parsed fields.
func (a *Alert) setDeliveryID(id string) {
	var n int
	a.DeliveryID, n = storable(id)
	a.noteReplaced(n)
}
