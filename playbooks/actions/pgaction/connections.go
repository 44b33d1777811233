package pgaction

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// connections is pg.connections: client connections to the server by
// state and by application and user, against max_connections.
type connections struct {
	c           *connector
	warnPercent float64
}

func (*connections) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

// count is one group of connections.
type count struct {
	key string
	n   int
}

func (r *connections) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	conn, err := r.c.open(ctx, req, false)
	if err != nil {
		return actions.Result{}, err
	}
	defer closeConn(ctx, conn)
	var maxConns, reserved int
	if err := conn.QueryRow(ctx, `SELECT current_setting('max_connections')::int,
		current_setting('superuser_reserved_connections')::int`).Scan(&maxConns, &reserved); err != nil {
		return actions.Result{}, queryError("read max_connections", err)
	}
	// max_connections counts client backends on the whole server.
	byState, err := collect(ctx, conn, "count connections", scanCount, `
		SELECT coalesce(state, '(hidden)'), count(*)::int FROM pg_stat_activity
		WHERE backend_type = 'client backend' GROUP BY 1 ORDER BY 2 DESC, 1`)
	if err != nil {
		return actions.Result{}, err
	}
	byClient, err := collect(ctx, conn, "count connections", scanCount, `
		SELECT coalesce(nullif(application_name, ''), '(no application name)') || ' / user ' || coalesce(usename, '?')
			|| ' / db ' || coalesce(datname, '?'), count(*)::int
		FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1 ORDER BY 2 DESC, 1`)
	if err != nil {
		return actions.Result{}, err
	}
	total := 0
	for _, c := range byState {
		total += c.n
	}
	pct := 0.0
	if maxConns > 0 {
		pct = float64(total) * 100 / float64(maxConns)
	}
	summary := fmt.Sprintf("%d of %d connections in use (%.0f%%).", total, maxConns, pct)
	if pct > r.warnPercent {
		summary = fmt.Sprintf("%d of %d connections in use (%.0f%%): above %.0f%%, new connections may soon be refused.", total, maxConns, pct, r.warnPercent)
	}
	return actions.Result{Summary: summary, Sections: []actions.Section{
		{Title: fmt.Sprintf("%d of max_connections %d in use (%.0f%%); %d more are reserved for superusers.", total, maxConns, pct, reserved)},
		{Title: "By state:", Rows: countRows(byState)},
		{Title: "By application / user / database:", Rows: countRows(byClient)},
	}}, nil
}

// scanCount reads a (key, count) row.
func scanCount(row pgx.CollectableRow) (count, error) {
	var c count
	err := row.Scan(&c.key, &c.n)
	return c, err
}

// countRows lists counts, a row each, at most maxListed.
func countRows(cs []count) []string {
	var rows []string
	for i, c := range cs {
		if i == maxListed {
			rows = append(rows, fmt.Sprintf("…and %d more groups", len(cs)-i))
			break
		}
		rows = append(rows, fmt.Sprintf("%s: %d", c.key, c.n))
	}
	return rows
}
