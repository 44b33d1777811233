package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/incident-bot/incident-bot/incidents"
)

func TestParse(t *testing.T) {
	long := strings.Repeat("x", incidents.MaxTitleLen+1)
	tests := []struct {
		in        string
		want      Command
		wantReply string // substring of the reply; empty means a command is expected
	}{
		{in: "", want: Command{Verb: VerbHelp}},
		{in: "help", want: Command{Verb: VerbHelp}},
		{in: "start sev1 Users see 502 errors", want: Command{Verb: VerbStart, Severity: 1, Text: "Users see 502 errors"}},
		{in: "START SEV2   db is slow", want: Command{Verb: VerbStart, Severity: 2, Text: "db is slow"}},
		{in: "open api-5xx sev2", want: Command{Verb: VerbStart, Severity: 2, Text: "api-5xx"}},
		{in: "declare checkout broken", want: Command{Verb: VerbStart, Text: "checkout broken"}},
		{in: "start 3 hosts down", want: Command{Verb: VerbStart, Text: "3 hosts down"}},
		{in: "start p1 payments down", want: Command{Verb: VerbStart, Severity: 1, Text: "payments down"}},
		{in: "start sev1", want: Command{Verb: VerbStart, Severity: 1}},
		{in: "start", want: Command{Verb: VerbStart}},
		{in: "start sev9 weird", want: Command{Verb: VerbStart, Text: "sev9 weird"}},
		{in: "start " + long, wantReply: "keep it under"},
		{in: "update rolled back to v41, errors dropping", want: Command{Verb: VerbUpdate, Text: "rolled back to v41, errors dropping"}},
		{in: "update", wantReply: "Usage: `/incident update"},
		{in: "severity sev1", want: Command{Verb: VerbSeverity, Severity: 1}},
		{in: "sev 2", want: Command{Verb: VerbSeverity, Severity: 2}},
		{in: "severity high", wantReply: "`high` is not a severity"},
		{in: "severity", wantReply: "Usage: `/incident severity"},
		{in: "commander <@U0FAKEUSER2|bob>", want: Command{Verb: VerbCommander, User: "U0FAKEUSER2"}},
		{in: "commander <@W123ABC>", want: Command{Verb: VerbCommander, User: "W123ABC"}},
		{in: "commander bob", wantReply: "mentioning them"},
		{in: "commander <@U1> <@U2>", wantReply: "mentioning them"},
		{in: "page", want: Command{Verb: VerbPage}},
		{in: "page <@U0FAKEUSER2|bob>", want: Command{Verb: VerbPage, User: "U0FAKEUSER2"}},
		{in: "escalate <!subteam^S0DBONCALL|@db-oncall>", want: Command{Verb: VerbPage, User: "S0DBONCALL"}},
		{in: "page bob", wantReply: "not a person or a user group"},
		{in: "page <!channel>", wantReply: "not a person or a user group"},
		{in: "status", want: Command{Verb: VerbStatus}},
		{in: "status now", wantReply: "takes no arguments"},
		{in: "list", want: Command{Verb: VerbList}},
		{in: "mitigate scaled to 15 tasks", want: Command{Verb: VerbMitigate, Text: "scaled to 15 tasks"}},
		{in: "resolve", want: Command{Verb: VerbResolve}},
		{in: "resolve bad deploy rolled back", want: Command{Verb: VerbResolve, Text: "bad deploy rolled back"}},
		{in: "frobnicate now", wantReply: "I don't know the command `frobnicate`"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Parse(tt.in)
			if tt.wantReply != "" {
				if !strings.Contains(got.Reply, tt.wantReply) {
					t.Fatalf("Parse(%q).Reply = %q, want it to contain %q", tt.in, got.Reply, tt.wantReply)
				}
				return
			}
			if got.Reply != "" {
				t.Fatalf("Parse(%q) replied %q, want command %+v", tt.in, got.Reply, tt.want)
			}
			if got.Command != tt.want {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.in, got.Command, tt.want)
			}
		})
	}
}

func TestHelpNamesDefaultSeverity(t *testing.T) {
	if !strings.Contains(HelpText(), "declares a "+incidents.DefaultSeverity.Label()) {
		t.Fatalf("help text does not document the default severity:\n%s", HelpText())
	}
}

// FuzzParse: whatever a user types, Parse returns exactly one of a command
// or a reply, never panics, and a start title stays within limits.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "start sev1 x", "open api-5xx sev2", "commander <@U1|a>", "page <!subteam^S1|@x>", "severity 9", "update \x00", "start sev1 \u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p := Parse(in)
		if (p.Reply == "") == (p.Command.Verb == "") {
			t.Fatalf("Parse(%q) = %+v: want exactly one of reply or command", in, p)
		}
		if p.Command.Verb == VerbStart && utf8.RuneCountInString(p.Command.Text) > incidents.MaxTitleLen {
			t.Fatalf("title over the limit accepted")
		}
		if p.Command.Severity != 0 && !p.Command.Severity.Valid() {
			t.Fatalf("invalid severity %d", p.Command.Severity)
		}
	})
}
