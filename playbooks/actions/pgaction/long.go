package pgaction

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// longTransactions is pg.long_transactions: transactions in this database
// open longer than minAge, oldest first.
type longTransactions struct {
	c      *connector
	minAge time.Duration
}

func (*longTransactions) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

func (r *longTransactions) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	conn, err := r.c.open(ctx, req, false)
	if err != nil {
		return actions.Result{}, err
	}
	defer closeConn(ctx, conn)
	rows, err := queryLongTransactions(ctx, conn, r.minAge)
	if err != nil {
		return actions.Result{}, err
	}
	defer rows.Close()
	var list []string
	var listed, total int
	var oldest float64
	for rows.Next() {
		row, age, n, err := longTransactionRow(rows)
		if err != nil {
			return actions.Result{}, err
		}
		list = append(list, row)
		if listed == 0 {
			oldest = age
		}
		listed++
		total = n
	}
	if err := rows.Err(); err != nil {
		return actions.Result{}, queryError("list long transactions", err)
	}
	if listed == 0 {
		msg := fmt.Sprintf("No transactions open longer than %s.", r.minAge)
		return actions.Result{Summary: msg, Sections: []actions.Section{{Title: msg}}}, nil
	}
	if total > listed {
		list = append(list, fmt.Sprintf("…and %d more.", total-listed))
	}
	return actions.Result{
		Summary:  fmt.Sprintf("%s open longer than %s; the oldest for %s.", plural(total, "transaction", "transactions"), r.minAge, dur(oldest)),
		Sections: []actions.Section{{Rows: list}},
	}, nil
}

// queryLongTransactions queries the first maxListed transactions in this database open longer than minAge, oldest first.
func queryLongTransactions(ctx context.Context, conn *pgx.Conn, minAge time.Duration) (pgx.Rows, error) {
	rows, err := conn.Query(ctx, `
		SELECT pid, coalesce(usename, ''), coalesce(application_name, ''), coalesce(state, ''),
			xact_start, extract(epoch FROM now() - xact_start)::float8,
			CASE WHEN wait_event_type NOT IN ('Client', 'Activity')
				THEN wait_event_type || '/' || wait_event ELSE '' END,
			coalesce(query, ''),
			count(*) OVER ()
		FROM pg_stat_activity
		WHERE xact_start IS NOT NULL AND datname = current_database() AND pid <> pg_backend_pid()
			AND now() - xact_start > $1::float8 * interval '1 second'
		ORDER BY xact_start
		LIMIT $2`, minAge.Seconds(), maxListed)
	if err != nil {
		return nil, queryError("list long transactions", err)
	}
	return rows, nil
}

// longTransactionRow words the current row's transaction and returns it with its age in seconds and the total count.
func longTransactionRow(rows pgx.Rows) (string, float64, int, error) {
	var pid int32
	var user, app, state, wait, query string
	var start time.Time
	var age float64
	var total int
	if err := rows.Scan(&pid, &user, &app, &state, &start, &age, &wait, &query, &total); err != nil {
		return "", 0, 0, queryError("list long transactions", err)
	}
	if state == "" {
		state = "state hidden"
	}
	if wait != "" {
		state += ", waiting on " + wait
	}
	return fmt.Sprintf("pid %d (%s): transaction open %s (since %s), %s: %s",
		pid, who(app, user), dur(age), clock(start), state, code(query)), age, total, nil
}
