package bot

import "testing"

// Every verb the parser accepts has one handler; help is answered in the
// acknowledgement.
func TestEveryVerbHasAHandler(t *testing.T) {
	for _, v := range []Verb{VerbStart, VerbUpdate, VerbSeverity, VerbCommander, VerbStatus, VerbMitigate, VerbInvestigate,
		VerbResolve, VerbList, VerbRunbook, VerbPostmortem, VerbRepair} {
		_, general := commands[v]
		_, inIncident := incidentCommands[v]
		if general == inIncident {
			t.Errorf("verb %q: handler without an incident %v, in one %v; want exactly one", v, general, inIncident)
		}
	}
}
