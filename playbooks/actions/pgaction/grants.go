package pgaction

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// missingGrants is pg.missing_grants: tables in non-system schemas on
// which the application role lacks SELECT, INSERT, UPDATE or DELETE, and
// schemas it cannot use.
type missingGrants struct{ c *connector }

func (*missingGrants) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

// userSchema is a condition excluding the catalogs, TOAST and temporary
// schemas; %[1]s is the schema name column.
const userSchema = `%[1]s NOT IN ('pg_catalog', 'information_schema') AND %[1]s NOT LIKE 'pg\_%%'`

func (r *missingGrants) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	role, err := appRole(req)
	if err != nil {
		return actions.Result{}, err
	}
	conn, err := r.c.open(ctx, req, false)
	if err != nil {
		return actions.Result{}, err
	}
	defer closeConn(ctx, conn)
	if err := checkRoleExists(ctx, conn, role); err != nil {
		return actions.Result{}, err
	}
	schemas, err := unusableSchemas(ctx, conn, role)
	if err != nil {
		return actions.Result{}, err
	}
	tables, err := listTableGrants(ctx, conn, role)
	if err != nil {
		return actions.Result{}, err
	}
	var lacking []tableGrants
	for _, t := range tables {
		if t.missing != "" {
			lacking = append(lacking, t)
		}
	}
	if len(lacking) == 0 && len(schemas) == 0 {
		msg := fmt.Sprintf("Nothing missing: role %s has SELECT, INSERT, UPDATE and DELETE on all %s and USAGE on every schema.",
			role, plural(len(tables), "table", "tables"))
		return actions.Result{Summary: msg, Sections: []actions.Section{{Title: msg}}}, nil
	}
	return actions.Result{
		Summary:  grantsSummary(role, schemas, lacking, len(tables)),
		Sections: grantsDetails(role, schemas, lacking),
	}, nil
}

// appRole is the application role the targets file names for the request's database.
func appRole(req actions.Request) (string, error) {
	if req.Database == nil || req.Database.AppRole == "" {
		name := ""
		if req.Database != nil {
			name = req.Database.Name
		}
		return "", &actions.Error{Code: "config", Message: fmt.Sprintf("database %q has no app_role in the targets file", name)}
	}
	return req.Database.AppRole, nil
}

// checkRoleExists fails unless role exists on the server.
func checkRoleExists(ctx context.Context, conn *pgx.Conn, role string) error {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, role).Scan(&exists); err != nil {
		return queryError("look up the application role", err)
	}
	if !exists {
		return &actions.Error{Code: "42704", Message: fmt.Sprintf("role %q (app_role) does not exist on this server", role)}
	}
	return nil
}

// unusableSchemas lists the user schemas on which role lacks USAGE.
func unusableSchemas(ctx context.Context, conn *pgx.Conn, role string) ([]string, error) {
	return collect(ctx, conn, "check schema privileges", pgx.RowTo[string], `
		SELECT nspname FROM pg_namespace
		WHERE `+fmt.Sprintf(userSchema, "nspname")+` AND NOT has_schema_privilege($1, oid, 'USAGE')
		ORDER BY 1`, role)
}

// tableGrants is a table and the privileges role lacks on it ("" for none).
type tableGrants struct {
	name    string
	missing string
}

// listTableGrants lists every table in the user schemas with the privileges role lacks on it.
func listTableGrants(ctx context.Context, conn *pgx.Conn, role string) ([]tableGrants, error) {
	return collect(ctx, conn, "check table privileges", func(row pgx.CollectableRow) (tableGrants, error) {
		var t tableGrants
		err := row.Scan(&t.name, &t.missing)
		return t, err
	}, `
		SELECT format('%I.%I', n.nspname, c.relname), array_to_string(ARRAY(
			SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS p
			WHERE NOT has_table_privilege($1, c.oid, p)), ', ')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND `+fmt.Sprintf(userSchema, "n.nspname")+`
		ORDER BY n.nspname, c.relname`, role)
}

// grantsDetails words the details: the schemas role cannot use and the tables it lacks privileges on.
func grantsDetails(role string, schemas []string, lacking []tableGrants) []actions.Section {
	var out []actions.Section
	if len(schemas) > 0 {
		out = append(out, actions.Section{Title: fmt.Sprintf("Schemas role %s cannot use (no USAGE): %s", role, strings.Join(schemas, ", "))})
	}
	if len(lacking) > 0 {
		sec := actions.Section{Title: fmt.Sprintf("Tables where role %s lacks privileges:", role)}
		for i, t := range lacking {
			if i == maxListed {
				sec.Rows = append(sec.Rows, fmt.Sprintf("…and %d more tables", len(lacking)-i))
				break
			}
			sec.Rows = append(sec.Rows, fmt.Sprintf("`%s`: no %s", t.name, t.missing))
		}
		out = append(out, sec)
	}
	return out
}

// grantsSummary words the summary: how many of the tables and schemas role lacks privileges on.
func grantsSummary(role string, schemas []string, lacking []tableGrants, tables int) string {
	var parts []string
	if len(lacking) > 0 {
		parts = append(parts, fmt.Sprintf("privileges on %s of %d", plural(len(lacking), "table", "tables"), tables))
	}
	if len(schemas) > 0 {
		parts = append(parts, "USAGE on "+plural(len(schemas), "schema", "schemas"))
	}
	return fmt.Sprintf("Role %s lacks %s.", role, strings.Join(parts, " and "))
}
