package pgaction

import (
	"strings"
	"testing"
)

func TestRedactHidesLiterals(t *testing.T) {
	for in, secret := range map[string]string{
		"ALTER ROLE app PASSWORD 'hunter2'":                 "hunter2",
		"UPDATE users SET note = 'it''s secret' WHERE id=1": "secret",
		"DO $body$ BEGIN PERFORM 'x'; END $body$":           "PERFORM",
	} {
		if got := hideLiterals(in); strings.Contains(got, secret) {
			t.Errorf("hideLiterals(%q) = %q", in, got)
		}
	}
	if got := code("SELECT * FROM t WHERE name = 'bob'"); strings.Contains(got, "bob") {
		t.Errorf("code shows a literal: %s", got)
	}
}
