package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/incident-bot/incident-bot/incidents"

	"github.com/incident-bot/incident-bot/playbooks/actions"
	awsactions "github.com/incident-bot/incident-bot/playbooks/actions/aws"
	"github.com/incident-bot/incident-bot/playbooks/actions/pgaction"
)

// actionRegistry registers every action this build can run, the AWS
// ones on clients. Building it makes no network call.
func actionRegistry(getenv func(string) string, clients *awsactions.Clients) (*actions.Registry, error) {
	reg := actions.NewRegistry()
	if err := awsactions.Register(reg, clients); err != nil {
		return nil, err
	}
	if err := pgaction.Register(reg, getenv); err != nil {
		return nil, err
	}
	return reg, nil
}

// storeLocks lets the executor lock resources through the incident store,
// so replicas sharing PostgreSQL never change one resource at once.
type storeLocks struct{ store incidents.Locks }

func (s storeLocks) TryLock(ctx context.Context, name string) (func(), bool, error) {
	release, err := s.store.TryLock(ctx, name)
	if errors.Is(err, incidents.ErrLocked) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return release, true, nil
}

// loadExecutor reads TARGETS_FILE; without one, actions are off (their
// buttons say why) and the executor is nil. The AWS actions run on
// clients, which the changes reader shares (one client cache, and one
// pace for CloudTrail).
func loadExecutor(cfg Config, store incidents.Locks, clients *awsactions.Clients) (*actions.Executor, error) {
	if cfg.TargetsFile == "" {
		return nil, nil
	}
	targets, err := actions.LoadTargets(cfg.TargetsFile)
	if err != nil {
		return nil, err
	}
	if err := targets.CheckEnv(cfg.Getenv); err != nil {
		return nil, err
	}
	reg, err := actionRegistry(cfg.Getenv, clients)
	if err != nil {
		return nil, err
	}
	return actions.NewExecutor(reg, targets, storeLocks{store})
}

// iamPolicy prints the least-privilege IAM policy for the registered
// actions (deploy/aws/iam-policy.json is this output).
func iamPolicy(getenv func(string) string, stdout, stderr io.Writer) int {
	reg, err := actionRegistry(getenv, awsactions.NewClients(awsactions.Options{}))
	if err != nil {
		fmt.Fprintln(stderr, "incident-bot iam-policy:", err)
		return 1
	}
	// Besides the actions': publishing pages to SNS topics (ACK_PAGE…)
	// and drawing alarms' graphs.
	doc, err := actions.IAMPolicy(reg.IDs(), "sns:Publish", "cloudwatch:GetMetricWidgetImage")
	if err != nil {
		fmt.Fprintln(stderr, "incident-bot iam-policy:", err)
		return 1
	}
	_, _ = stdout.Write(doc)
	return 0
}
