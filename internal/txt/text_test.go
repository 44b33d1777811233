package txt

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"}, {"exactly10!", 10, "exactly10!"}, {"a bit too long", 10, "a bit too…"}, {"ééééé", 3, "éé…"}, {"x", 0, ""},
	} {
		if got := Clip(tc.s, tc.n); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
	for _, n := range []int{0, 1, 3, 4, 5, 6, 10} {
		got := ClipBytes("ééééé", n)
		if len(got) > n || !utf8.ValidString(got) {
			t.Errorf("ClipBytes(ééééé, %d) = %q: %d bytes", n, got, len(got))
		}
	}
	if got := OneLine("a\n  b\tc "); got != "a b c" {
		t.Errorf("OneLine = %q", got)
	}
	if got := FirstLine("a\r\nb"); got != "a" {
		t.Errorf("FirstLine = %q", got)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "under a minute", 20 * time.Second: "under a minute", 42 * time.Minute: "42m",
		3*time.Hour + 5*time.Minute: "3h05m", 50*time.Hour + 10*time.Minute: "2d02h",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestSlackEscape(t *testing.T) {
	s := "<!channel> & <https://x|y>"
	if e := SlackEscape(s); strings.ContainsAny(e, "<>") || SlackUnescape(e) != s {
		t.Errorf("SlackEscape(%q) = %q", s, e)
	}
}
