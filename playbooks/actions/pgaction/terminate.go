package pgaction

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// terminateBlocker is pg.terminate_blocker: end the root blocker, first by
// cancelling its query, then, if it still blocks, by ending its backend.
type terminateBlocker struct {
	c    *connector
	wait time.Duration // how long a cancel gets to release the locks
	poll time.Duration
}

// Keys of Preview.Data.
const (
	dataPID          = "pid"
	dataBackendStart = "backend_start"
	dataQueryHash    = "query_hash"
)

// Preview finds the root blocker without changing anything.
func (r *terminateBlocker) Preview(ctx context.Context, req actions.Request) (actions.Preview, error) {
	conn, err := r.c.open(ctx, req, true)
	if err != nil {
		return actions.Preview{}, err
	}
	defer closeConn(ctx, conn)
	g, err := loadGraph(ctx, conn)
	if err != nil {
		return actions.Preview{}, err
	}
	s := g.target()
	if s == nil {
		return actions.Preview{}, &actions.Error{Code: "no_blocker", Message: fmt.Sprintf("no session in database %q is blocking another: nothing to end", req.Database.Name)}
	}
	if s.BackendStart == "" {
		return actions.Preview{}, &actions.Error{Code: "42501", Message: fmt.Sprintf(
			"pid %d blocks others but belongs to another role whose session details are hidden: grant pg_monitor (or pg_signal_backend and pg_read_all_stats) to the role in admin_url_env", s.PID)}
	}
	n, _ := g.blocked(s.PID)
	return actions.Preview{
		Resource: "pg:" + req.Database.Name,
		Current: fmt.Sprintf("pid %d (%s, %s since %s) blocks %s; its query: %s",
			s.PID, who(s.App, s.User), stateOf(s), sinceClock(s), plural(n, "query", "queries"), oneLineClip(hideLiterals(s.Query), 120)),
		Change: fmt.Sprintf("end pid %d: cancel its query, and end its session if it still blocks (its open transaction is rolled back)", s.PID),
		Data: map[string]string{
			dataPID:          strconv.Itoa(int(s.PID)),
			dataBackendStart: s.BackendStart,
			dataQueryHash:    queryHash(s.Query),
		},
	}, nil
}

// Run ends the confirmed blocker, after checking it is still the same
// backend running the same query and still blocking.
func (r *terminateBlocker) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	pid, start, hash, err := confirmed(req.Confirmed)
	if err != nil {
		return actions.Result{}, err
	}
	conn, err := r.c.open(ctx, req, true)
	if err != nil {
		return actions.Result{}, err
	}
	defer closeConn(ctx, conn)
	if err := recheck(ctx, conn, pid, start, hash); err != nil {
		return actions.Result{}, err
	}

	cancelled, err := signal(ctx, conn, "pg_cancel_backend", pid, start)
	if err != nil {
		return actions.Result{}, err
	}
	released, err := r.waitReleased(ctx, conn, pid, start, cancelled)
	if err != nil {
		return actions.Result{RequestID: "pg_cancel_backend=" + strconv.FormatBool(cancelled), Changed: cancelled}, err
	}
	if released {
		return actions.Result{
			Summary:   fmt.Sprintf("Cancelled pid %d's query; it no longer blocks others.", pid),
			Sections:  []actions.Section{{Title: fmt.Sprintf("pg_cancel_backend(%d) released its locks within %s; the session stays connected.", pid, r.wait)}},
			RequestID: "pg_cancel_backend=true",
			Changed:   true,
		}, nil
	}
	terminated, err := signal(ctx, conn, "pg_terminate_backend", pid, start)
	if err != nil {
		return actions.Result{}, err
	}
	released, err = r.waitReleased(ctx, conn, pid, start, terminated)
	res := actions.Result{
		Summary:   fmt.Sprintf("Ended pid %d's session with pg_terminate_backend; its transaction was rolled back.", pid),
		RequestID: "pg_terminate_backend=" + strconv.FormatBool(terminated),
		Changed:   terminated,
		Sections: []actions.Section{{Title: fmt.Sprintf("pg_cancel_backend(%d)=%t did not release its locks within %s (an idle transaction has no query to cancel), so pg_terminate_backend(%d) was used.",
			pid, cancelled, r.wait, pid)}},
	}
	if err != nil {
		return res, err
	}
	if !released {
		res.Summary = fmt.Sprintf("Sent pg_terminate_backend to pid %d, but it still blocks others after %s: check pg.blocking_tree.", pid, r.wait)
	}
	return res, nil
}

// confirmed reads what Preview recorded.
func confirmed(p *actions.Preview) (pid int32, start, hash string, err error) {
	if p == nil {
		return 0, "", "", &actions.Error{Code: "unconfirmed", Message: "ending a blocker needs the preview a person confirmed"}
	}
	n, perr := strconv.ParseInt(p.Data[dataPID], 10, 32)
	start, hash = p.Data[dataBackendStart], p.Data[dataQueryHash]
	if perr != nil || n <= 0 || start == "" || hash == "" {
		return 0, "", "", &actions.Error{Code: "unconfirmed", Message: "the confirmed preview does not say which session to end (pid, backend_start, query_hash)"}
	}
	return int32(n), start, hash, nil
}

// recheck refuses unless pid is still the previewed backend, running the
// previewed query and blocking someone: a PID can be reused by a new
// session, which must never be ended in the old one's place.
func recheck(ctx context.Context, conn *pgx.Conn, pid int32, start, hash string) error {
	var nowStart, query string
	var blocks int
	err := conn.QueryRow(ctx, `
		SELECT coalesce(`+backendStartSQL+`, ''), coalesce(query, ''),
			(SELECT count(*) FROM pg_stat_activity w WHERE $1 = ANY(pg_blocking_pids(w.pid)))::int
		FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&nowStart, &query, &blocks)
	changed := func(format string, args ...any) error {
		return &actions.Error{Code: "changed", Message: fmt.Sprintf(format, args...) + ": nothing was ended; preview again"}
	}
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return changed("pid %d has ended since the preview", pid)
	case err != nil:
		return queryError("re-check the blocker", err)
	case nowStart != start:
		return changed("pid %d is now a different session (started %s; the preview's started %s)", pid, orHidden(nowStart), start)
	case queryHash(query) != hash:
		return changed("pid %d is running a different query from the one previewed", pid)
	case blocks == 0:
		return changed("pid %d no longer blocks any query", pid)
	}
	return nil
}

// signal calls fn (pg_cancel_backend or pg_terminate_backend) on pid only
// if it is still the backend that started at start.
func signal(ctx context.Context, conn *pgx.Conn, fn string, pid int32, start string) (bool, error) {
	var ok bool
	err := conn.QueryRow(ctx, `SELECT `+fn+`(pid) FROM pg_stat_activity WHERE pid = $1 AND `+backendStartSQL+` = $2`,
		pid, start).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, &actions.Error{Code: "changed", Message: fmt.Sprintf("pid %d ended or changed before %s: nothing more was done", pid, fn)}
	}
	if err != nil {
		return false, queryError(fn, err)
	}
	return ok, nil
}

// waitReleased polls until pid has ended or blocks nobody, for up to
// r.wait; it reports whether that happened. A signal that was not sent
// is not waited for.
func (r *terminateBlocker) waitReleased(ctx context.Context, conn *pgx.Conn, pid int32, start string, sent bool) (bool, error) {
	deadline := time.Now().Add(r.wait)
	for {
		var blocking bool
		err := conn.QueryRow(ctx, `
			SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND `+backendStartSQL+` = $2)
				AND EXISTS (SELECT 1 FROM pg_stat_activity w WHERE $1 = ANY(pg_blocking_pids(w.pid)))`,
			pid, start).Scan(&blocking)
		if err != nil {
			return false, queryError("check whether the blocker let go", err)
		}
		if !blocking {
			return true, nil
		}
		if !sent || !time.Now().Before(deadline) {
			return false, nil
		}
		t := time.NewTimer(r.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-t.C:
		}
	}
}

// queryHash identifies query text without recording it.
func queryHash(q string) string {
	sum := sha256.Sum256([]byte(q))
	return hex.EncodeToString(sum[:])
}

// sinceClock is when a session entered its state (or started its query).
func sinceClock(s *session) string {
	if s.State == "active" || s.StateChange.IsZero() {
		return clock(s.QueryStart)
	}
	return clock(s.StateChange)
}

func orHidden(s string) string {
	if s == "" {
		return "hidden"
	}
	return s
}
