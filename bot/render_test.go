package bot

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

func TestClipBytesKeepsCharactersWhole(t *testing.T) {
	s := strings.Repeat("€", 100) // 3 bytes each
	for n := 4; n < 40; n++ {
		got := txt.ClipBytes(s, n)
		if len(got) > n || !utf8.ValidString(got) || strings.ContainsRune(got, utf8.RuneError) {
			t.Fatalf("txt.ClipBytes(_, %d) = %q (%d bytes)", n, got, len(got))
		}
	}
}

func TestTopicFitsSlackLimit(t *testing.T) {
	r := Renderer{Location: time.UTC}
	inc := incidents.Incident{Severity: 1, Status: incidents.StatusInvestigating, Commander: "U123", Title: strings.Repeat("Ошибка ", 60)}
	if got := r.Topic(inc); len(got) > 250 || !utf8.ValidString(got) {
		t.Fatalf("topic %d bytes: %q", len(got), got)
	}
}

func TestListCountsAll(t *testing.T) {
	r := Renderer{Location: time.UTC}
	var incs []incidents.Incident
	for range 40 {
		incs = append(incs, incidents.Incident{Severity: 2, Status: incidents.StatusInvestigating, Title: "x"})
	}
	got := r.List(incs, time.Now())
	if !strings.Contains(got, "*40 open incident(s)*") || !strings.Contains(got, "and 10 more") {
		t.Fatalf("list = %s", got)
	}
}
