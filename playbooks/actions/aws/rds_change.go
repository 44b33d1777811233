package aws

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// snapshot is rds.snapshot: a manual snapshot, kept until deleted, taken
// before anything risky is tried on the database.
type snapshot struct{ c *Clients }

// snapshotID names the snapshot after the bot, the instance and the UTC
// time, so it is clear later where it came from. Instance identifiers
// are already valid in snapshot identifiers.
func snapshotID(instance string, at time.Time) string {
	return fmt.Sprintf("incident-bot-%s-%s", instance, at.UTC().Format("20060102-150405"))
}

func (r snapshot) Preview(ctx context.Context, req actions.Request) (actions.Preview, error) {
	t, err := r.c.rdsTarget(ctx, req)
	if err != nil {
		return actions.Preview{}, err
	}
	d, _, err := t.describe(ctx)
	if err != nil {
		return actions.Preview{}, err
	}
	return actions.Preview{
		Resource: t.resource(),
		Current:  instanceLine(d),
		Change:   fmt.Sprintf("create a manual snapshot %s (named at the time it runs); the database stays up", snapshotID(t.id, r.c.now())),
	}, nil
}

func (r snapshot) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	t, err := r.c.rdsTarget(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	id := snapshotID(t.id, r.c.now())
	out, err := t.a.rds.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{
		DBInstanceIdentifier: aws.String(t.id),
		DBSnapshotIdentifier: aws.String(id),
	})
	if err != nil {
		return actions.Result{}, apiError("rds CreateDBSnapshot", err)
	}
	status := "creating"
	if out.DBSnapshot != nil && out.DBSnapshot.Status != nil {
		status = *out.DBSnapshot.Status
	}
	return actions.Result{
		Summary:   fmt.Sprintf("%s: snapshot %s started (%s)", t.id, id, status),
		Sections:  []actions.Section{{Title: fmt.Sprintf("Snapshot `%s` of %s: %s. It is kept until someone deletes it.", id, t.id, status)}},
		RequestID: requestID(out.ResultMetadata),
		Changed:   true,
	}, nil
}

// reboot is rds.reboot, without failover: it restarts the engine in
// place, dropping every connection for a minute or two.
type reboot struct{ c *Clients }

func (r reboot) Preview(ctx context.Context, req actions.Request) (actions.Preview, error) {
	t, err := r.c.rdsTarget(ctx, req)
	if err != nil {
		return actions.Preview{}, err
	}
	d, _, err := t.describe(ctx)
	if err != nil {
		return actions.Preview{}, err
	}
	return actions.Preview{
		Resource: t.resource(),
		Current:  instanceLine(d),
		Change:   fmt.Sprintf("reboot %s: every connection drops and the database is unavailable for a minute or two", t.id),
	}, nil
}

func (r reboot) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	t, err := r.c.rdsTarget(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	out, err := t.a.rds.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String(t.id)})
	if err != nil {
		return actions.Result{}, apiError("rds RebootDBInstance", err)
	}
	status := "rebooting"
	if out.DBInstance != nil && out.DBInstance.DBInstanceStatus != nil {
		status = *out.DBInstance.DBInstanceStatus
	}
	return actions.Result{
		Summary:   fmt.Sprintf("%s: reboot requested (%s)", t.id, status),
		Sections:  []actions.Section{{Title: fmt.Sprintf("%s is %s. Run rds.status to follow it back to available.", t.id, status)}},
		RequestID: requestID(out.ResultMetadata),
		Changed:   true,
	}, nil
}

// addReplica is rds.add_replica: create read replicas up to a total,
// capped by guardrails.max_read_replicas. Replicas take many minutes to
// become available; this starts them.
type addReplica struct{ c *Clients }

type replicaPlan struct {
	t        rdsTarget
	existing []string
	want     int
}

func (r addReplica) plan(ctx context.Context, req actions.Request) (replicaPlan, error) {
	t, err := r.c.rdsTarget(ctx, req)
	if err != nil {
		return replicaPlan{}, err
	}
	d, _, err := t.describe(ctx)
	if err != nil {
		return replicaPlan{}, err
	}
	have := len(d.ReadReplicaDBInstanceIdentifiers)
	limit := capOf(req.Limits.MaxReadReplicas)
	want, err := intParam(req, "count", have+1)
	if err != nil {
		return replicaPlan{}, err
	}
	switch {
	case want > limit:
		return replicaPlan{}, fmt.Errorf("count %d is above the cap of %d read replicas (guardrails.max_read_replicas in the targets file)", want, limit)
	case want <= have:
		return replicaPlan{}, fmt.Errorf("%s already has %s; count is the total wanted, so ask for more than %d", t.id, plural(have, "read replica"), have)
	}
	return replicaPlan{t: t, existing: d.ReadReplicaDBInstanceIdentifiers, want: want}, nil
}

func (r addReplica) Preview(ctx context.Context, req actions.Request) (actions.Preview, error) {
	p, err := r.plan(ctx, req)
	if err != nil {
		return actions.Preview{}, err
	}
	current := plural(len(p.existing), "read replica")
	if len(p.existing) > 0 {
		current += ": " + strings.Join(p.existing, ", ")
	}
	return actions.Preview{
		Resource: p.t.resource(),
		Current:  current,
		Change:   fmt.Sprintf("%d → %d replicas (same class as %s; each takes several minutes to become available)", len(p.existing), p.want, p.t.id),
		Undo:     "delete the new replicas once load is back to normal",
		Data:     map[string]string{"previous": strconv.Itoa(len(p.existing))},
	}, nil
}

func (r addReplica) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	p, err := r.plan(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	at := r.c.now()
	var created, ids []string
	for i := 1; i <= p.want-len(p.existing); i++ {
		name := replicaID(p.t.id, at, i)
		out, err := p.t.a.rds.CreateDBInstanceReadReplica(ctx, &rds.CreateDBInstanceReadReplicaInput{
			DBInstanceIdentifier:       aws.String(name),
			SourceDBInstanceIdentifier: aws.String(p.t.id),
		})
		if err != nil {
			err = apiError("rds CreateDBInstanceReadReplica", err)
			if len(created) > 0 { // say what exists now, so it can be cleaned up
				err = fmt.Errorf("created %s, then: %w", strings.Join(created, ", "), err)
			}
			return actions.Result{}, err
		}
		created = append(created, name)
		ids = append(ids, requestID(out.ResultMetadata))
	}
	return actions.Result{
		Summary: fmt.Sprintf("%s: %d → %d read replicas, creating %s", p.t.id, len(p.existing), p.want, strings.Join(created, ", ")),
		Sections: []actions.Section{{
			Title: fmt.Sprintf("New replicas: %s. They take several minutes to become available; rds.replicas shows their state.", strings.Join(created, ", ")),
		}},
		RequestID: strings.Join(ids, ", "),
		Changed:   true,
	}, nil
}

// replicaID names the i-th replica made at a time; RDS identifiers are
// at most 63 characters and may not end in a hyphen.
func replicaID(instance string, at time.Time, i int) string {
	suffix := fmt.Sprintf("-rr-%s-%d", at.UTC().Format("20060102150405"), i)
	if len(instance)+len(suffix) > 63 {
		instance = strings.TrimRight(instance[:63-len(suffix)], "-")
	}
	return instance + suffix
}
