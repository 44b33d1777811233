package bot

import "testing"

// Every verb the parser accepts has one handler; help is answered in the
// acknowledgement.
func TestEveryVerbHasAHandler(t *testing.T) {
	seen := map[Verb]bool{}
	for _, v := range aliases {
		if v == VerbHelp || seen[v] {
			continue
		}
		seen[v] = true
		_, general := commands[v]
		_, inIncident := incidentCommands[v]
		if general == inIncident {
			t.Errorf("verb %q: handler without an incident %v, in one %v; want exactly one", v, general, inIncident)
		}
		if usage[v] == "" {
			t.Errorf("verb %q has no usage line for help", v)
		}
	}
	if !seen[VerbChanges] || len(seen) != len(helpOrder)-1 {
		t.Errorf("verbs %v; help lists %v", seen, helpOrder)
	}
}
