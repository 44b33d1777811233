package pgaction

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// connector opens one connection per action run.
type connector struct {
	getenv  func(string) string
	timeout time.Duration
}

// open connects to the request's database: through AdminURLEnv when admin
// is set and the targets file names one, else through URLEnv. Errors name
// the variable, never its value.
func (c *connector) open(ctx context.Context, req actions.Request, admin bool) (*pgx.Conn, error) {
	db := req.Database
	if db == nil {
		return nil, &actions.Error{Code: "config", Message: "this action needs a database from the targets file"}
	}
	env, field := db.URLEnv, "url_env"
	if admin && db.AdminURLEnv != "" {
		env, field = db.AdminURLEnv, "admin_url_env"
	}
	if env == "" {
		return nil, &actions.Error{Code: "config", Message: fmt.Sprintf("database %q has no url_env in the targets file", db.Name)}
	}
	url := c.getenv(env)
	if url == "" {
		return nil, &actions.Error{Code: "config", Message: fmt.Sprintf(
			"environment variable %s (%s of database %q) is not set", env, field, db.Name)}
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// The parse error may quote the string, password included.
		return nil, &actions.Error{Code: "config", Message: fmt.Sprintf(
			"environment variable %s (%s of database %q) does not hold a valid PostgreSQL connection string", env, field, db.Name)}
	}
	if c.timeout > 0 && (cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > c.timeout) {
		cfg.ConnectTimeout = c.timeout
	}
	if _, set := cfg.RuntimeParams["application_name"]; !set {
		cfg.RuntimeParams["application_name"] = appName
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
			return nil, &actions.Error{Code: pe.Code, Message: fmt.Sprintf("connect to database %q (%s): %s", db.Name, env, pe.Message)}
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect to database %q (%s): %w", db.Name, env, ctx.Err())
		}
		// pgx does not print passwords, but be sure: the message is shown.
		msg := redact(err.Error(), url, cfg.Password)
		return nil, &actions.Error{Code: "connect", Message: fmt.Sprintf("connect to database %q (%s): %s", db.Name, env, msg)}
	}
	return conn, nil
}

// closeConn closes conn even when ctx is already cancelled.
func closeConn(ctx context.Context, conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// redact removes secrets from a message.
func redact(msg string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	return msg
}

// queryError turns a Postgres error into an *actions.Error carrying its
// SQLSTATE; other errors are wrapped with what was being done.
func queryError(what string, err error) error {
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		msg := what + ": " + pe.Message
		if pe.Hint != "" {
			msg += " (" + pe.Hint + ")"
		}
		return &actions.Error{Code: pe.Code, Message: msg}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// collect runs a query and reads every row with fn.
func collect[T any](ctx context.Context, conn *pgx.Conn, what string, fn pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, queryError(what, err)
	}
	out, err := pgx.CollectRows(rows, fn)
	if err != nil {
		return nil, queryError(what, err)
	}
	return out, nil
}
