// Command incident-bot is the Slack incident-response bot. `serve` runs it;
// the other subcommands are offline tools.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usageText = `incident-bot — Slack incident response for teams on AWS

Usage:
  incident-bot serve     run the bot (settings from the environment; see README)
  incident-bot migrate   apply database migrations and exit
  incident-bot playbooks check [DIR] | list | match TEXT
                         validate, list and try the playbooks offline
  incident-bot postmortem --incident ID | --slack-export DIR --channel NAME
                         print a postmortem draft
  incident-bot iam-policy
                         print the least-privilege IAM policy for the actions
  incident-bot version   print the version
  incident-bot help      this text
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: tests call it with their own
// environment, context and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "help"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "serve":
		return serve(ctx, getenv, stderr)
	case "migrate":
		return migrate(ctx, getenv, stdout, stderr)
	case "playbooks":
		return playbooksCmd(args[1:], getenv, stdout, stderr)
	case "postmortem":
		return postmortemCmd(ctx, args[1:], getenv, stdout, stderr)
	case "iam-policy":
		return iamPolicy(getenv, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "incident-bot", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
		return 0
	default:
		fmt.Fprintf(stderr, "incident-bot: unknown command %q\n\n%s", cmd, usageText)
		return 2
	}
}

func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) int {
	return serveWith(ctx, getenv, stderr, nil)
}

// serveWith is serve with the settings adjusted by with (nil: none): how
// a test gives the bot a clock it drives.
func serveWith(ctx context.Context, getenv func(string) string, stderr io.Writer, with func(*Config)) int {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "incident-bot: configuration problem:\n  %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return 2
	}
	if with != nil {
		with(&cfg)
	}
	log := newLogger(cfg.LogLevel, cfg.LogFormat, stderr)
	defer func() { _ = log.Sync() }()
	m, err := NewMain(ctx, cfg, log)
	if err != nil {
		log.Error("start-up failed", zap.Error(err))
		return 1
	}
	if err := m.Run(ctx); err != nil {
		log.Error("stopped with an error", zap.Error(err))
		return 1
	}
	return 0
}

func migrate(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, problems := Load(getenv)
	if err := problems.For(PartStore); err != nil {
		fmt.Fprintf(stderr, "incident-bot: migrate: %v\n", err)
		return 2
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "incident-bot: migrate %s: %v\n", cfg.StoreDescription(), err)
		return 1
	}
	defer store.Close()
	fmt.Fprintf(stdout, "migrations applied: %s\n", cfg.StoreDescription())
	return 0
}

// newLogger writes JSON (or console) logs to w. Tokens are never passed
// to it: Config has no String method and is never logged whole.
func newLogger(level zapcore.Level, format string, w io.Writer) *zap.Logger {
	ec := zap.NewProductionEncoderConfig()
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	enc := zapcore.NewJSONEncoder(ec)
	if format == "console" {
		ec.EncodeLevel = zapcore.CapitalColorLevelEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	}
	return zap.New(zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), level))
}
