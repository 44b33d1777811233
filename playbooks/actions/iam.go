package actions

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
)

// iamStatement is one statement of an IAM policy document.
type iamStatement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource string   `json:"Resource"`
}

// IAMPolicy is the least-privilege policy for the given actions: exactly
// the permissions they declare, and extra ones the bot needs itself (such
// as sns:Publish for pages), one statement per AWS service. Resources
// are "*" because the targets (and their account) are the team's; narrow
// them in your own copy if you like.
func IAMPolicy(ids []string, extra ...string) ([]byte, error) {
	all := slices.Clone(extra)
	for _, id := range ids {
		if spec, ok := Lookup(id); ok {
			all = append(all, spec.IAM...)
		}
	}
	byService := map[string]map[string]bool{}
	for _, perm := range all {
		svc, _, _ := strings.Cut(perm, ":")
		if byService[svc] == nil {
			byService[svc] = map[string]bool{}
		}
		byService[svc][perm] = true
	}
	services := make([]string, 0, len(byService))
	for s := range byService {
		services = append(services, s)
	}
	sort.Strings(services)
	doc := struct {
		Version   string         `json:"Version"`
		Statement []iamStatement `json:"Statement"`
	}{Version: "2012-10-17"}
	for _, svc := range services {
		perms := make([]string, 0, len(byService[svc]))
		for p := range byService[svc] {
			perms = append(perms, p)
		}
		sort.Strings(perms)
		doc.Statement = append(doc.Statement, iamStatement{Sid: sid(svc), Effect: "Allow", Action: perms, Resource: "*"})
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// sid turns "application-autoscaling" into "IncidentBotApplicationAutoscaling".
func sid(service string) string {
	var b strings.Builder
	b.WriteString("IncidentBot")
	for _, part := range strings.Split(service, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}
