package pgaction

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/internal/txt"
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
	if req.Database == nil || req.Database.AppRole == "" {
		name := ""
		if req.Database != nil {
			name = req.Database.Name
		}
		return actions.Result{}, &actions.Error{Code: "config", Message: fmt.Sprintf("database %q has no app_role in the targets file", name)}
	}
	role := req.Database.AppRole
	conn, err := r.c.open(ctx, req, false)
	if err != nil {
		return actions.Result{}, err
	}
	defer closeConn(ctx, conn)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, role).Scan(&exists); err != nil {
		return actions.Result{}, queryError("look up the application role", err)
	}
	if !exists {
		return actions.Result{}, &actions.Error{Code: "42704", Message: fmt.Sprintf("role %q (app_role) does not exist on this server", role)}
	}

	schemas, err := collect(ctx, conn, "check schema privileges", pgx.RowTo[string], `
		SELECT nspname FROM pg_namespace
		WHERE `+fmt.Sprintf(userSchema, "nspname")+` AND NOT has_schema_privilege($1, oid, 'USAGE')
		ORDER BY 1`, role)
	if err != nil {
		return actions.Result{}, err
	}
	type table struct {
		name    string
		missing string
	}
	tables, err := collect(ctx, conn, "check table privileges", func(row pgx.CollectableRow) (table, error) {
		var t table
		err := row.Scan(&t.name, &t.missing)
		return t, err
	}, `
		SELECT format('%I.%I', n.nspname, c.relname), array_to_string(ARRAY(
			SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS p
			WHERE NOT has_table_privilege($1, c.oid, p)), ', ')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND `+fmt.Sprintf(userSchema, "n.nspname")+`
		ORDER BY n.nspname, c.relname`, role)
	if err != nil {
		return actions.Result{}, err
	}
	var lacking []table
	for _, t := range tables {
		if t.missing != "" {
			lacking = append(lacking, t)
		}
	}
	if len(lacking) == 0 && len(schemas) == 0 {
		msg := fmt.Sprintf("Nothing missing: role %s has SELECT, INSERT, UPDATE and DELETE on all %s and USAGE on every schema.",
			role, plural(len(tables), "table", "tables"))
		return actions.Result{Summary: msg, Details: txt.SlackEscape(msg)}, nil
	}
	var b strings.Builder
	if len(schemas) > 0 {
		fmt.Fprintf(&b, "*Schemas role %s cannot use (no USAGE):* %s\n", txt.SlackEscape(role), txt.SlackEscape(strings.Join(schemas, ", ")))
	}
	if len(lacking) > 0 {
		fmt.Fprintf(&b, "*Tables where role %s lacks privileges:*\n", txt.SlackEscape(role))
		for i, t := range lacking {
			if i == maxListed {
				fmt.Fprintf(&b, "• …and %d more tables\n", len(lacking)-i)
				break
			}
			fmt.Fprintf(&b, "• `%s`: no %s\n", txt.SlackEscape(t.name), t.missing)
		}
	}
	var parts []string
	if len(lacking) > 0 {
		parts = append(parts, fmt.Sprintf("privileges on %s of %d", plural(len(lacking), "table", "tables"), len(tables)))
	}
	if len(schemas) > 0 {
		parts = append(parts, "USAGE on "+plural(len(schemas), "schema", "schemas"))
	}
	return actions.Result{
		Summary: fmt.Sprintf("Role %s lacks %s.", role, strings.Join(parts, " and ")),
		Details: strings.TrimRight(b.String(), "\n"),
	}, nil
}
