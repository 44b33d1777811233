package bot

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var validName = regexp.MustCompile(`^[a-z0-9_-]{1,80}$`)

func TestChannelName(t *testing.T) {
	day := time.Date(2026, 11, 21, 3, 4, 0, 0, time.UTC)
	tests := []struct {
		prefix, title string
		attempt       int
		want          string
	}{
		{"inc", "Users see 502 errors", 1, "inc-20261121-users-see-502-errors"},
		{"inc", "Users see 502 errors", 2, "inc-20261121-users-see-502-errors-2"},
		{"inc", "  DB: connections exhausted!!! ", 1, "inc-20261121-db-connections-exhausted"},
		{"inc", "Can't log in", 1, "inc-20261121-cant-log-in"},
		{"inc", "Zürich café crème brûlée", 1, "inc-20261121-zurich-cafe-creme-brulee"},
		{"inc", "Straße Łódź Ørsted", 1, "inc-20261121-strasse-lodz-orsted"},
		{"inc", "Сайт не работает", 1, "inc-20261121-sayt-ne-rabotaet"},
		{"inc", "Ελλάδα down", 1, "inc-20261121-ellada-down"},
		{"inc", "サイトがダウン", 1, "inc-20261121-incident"},
		{"inc", "🔥🔥🔥", 1, "inc-20261121-incident"},
		{"inc", "", 3, "inc-20261121-incident-3"},
		{"inc", "api_gateway 5xx", 1, "inc-20261121-api_gateway-5xx"},
		{"INC", "x", 1, "inc-20261121-x"},
		{"", "x", 1, "inc-20261121-x"},
		{"ops incident", "x", 1, "ops-incident-20261121-x"},
		{"inc", "payments &amp; refunds", 1, "inc-20261121-payments-amp-refunds"},
	}
	for _, tt := range tests {
		got := ChannelName(tt.prefix, day, tt.title, tt.attempt)
		if got != tt.want {
			t.Errorf("ChannelName(%q, %q, %d) = %q, want %q", tt.prefix, tt.title, tt.attempt, got, tt.want)
		}
		if !validName.MatchString(got) {
			t.Errorf("ChannelName(%q, %q) = %q is not a valid Slack channel name", tt.prefix, tt.title, got)
		}
	}
}

func TestChannelNameLength(t *testing.T) {
	day := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	title := strings.Repeat("very long title ", 20)
	for attempt := 1; attempt <= 20; attempt++ {
		got := ChannelName("inc", day, title, attempt)
		if len(got) > 80 || !validName.MatchString(got) || strings.HasSuffix(strings.TrimSuffix(got, "-"+itoa(attempt)), "-") {
			t.Fatalf("attempt %d: %q (len %d)", attempt, got, len(got))
		}
		if attempt > 1 && !strings.HasSuffix(got, "-"+itoa(attempt)) {
			t.Fatalf("attempt %d lost its suffix: %q", attempt, got)
		}
	}
	if got := ChannelName(strings.Repeat("p", 100), day, "x", 2); len(got) > 80 || !validName.MatchString(got) {
		t.Fatalf("long prefix: %q", got)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func FuzzChannelName(f *testing.F) {
	for _, s := range []string{"Users see 502", "Сайт", "サイト", "", "----", "a\u0301b"} {
		f.Add(s, 1)
	}
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, title string, attempt int) {
		attempt = attempt%30 + 1
		if attempt < 1 {
			attempt = -attempt + 1
		}
		got := ChannelName("inc", day, title, attempt)
		if !validName.MatchString(got) {
			t.Fatalf("ChannelName(%q, %d) = %q: invalid", title, attempt, got)
		}
	})
}
