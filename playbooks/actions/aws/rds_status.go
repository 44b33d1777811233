package aws

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/incident-bot/incident-bot/internal/txt"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// rdsTarget is a database's RDS instance, resolved from the targets file.
type rdsTarget struct {
	a  *apis
	db *actions.Database
	id string // DB instance identifier
}

func (t rdsTarget) resource() string { return "rds:" + t.id }

func (c *Clients) rdsTarget(ctx context.Context, req actions.Request) (rdsTarget, error) {
	a, d, err := c.database(ctx, req)
	if err != nil {
		return rdsTarget{}, err
	}
	return rdsTarget{a: a, db: d, id: d.Instance}, nil
}

// describe returns the instance and the request ID.
func (t rdsTarget) describe(ctx context.Context) (types.DBInstance, string, error) {
	out, err := t.a.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(t.id)})
	if err != nil {
		return types.DBInstance{}, "", apiError("rds DescribeDBInstances", err)
	}
	if len(out.DBInstances) == 0 { // the API answers DBInstanceNotFound instead; be safe
		return types.DBInstance{}, "", &actions.Error{Code: "DBInstanceNotFound", Message: "no RDS instance " + t.id}
	}
	return out.DBInstances[0], requestID(out.ResultMetadata), nil
}

// instanceLine is the one-line state of an instance.
func instanceLine(d types.DBInstance) string {
	line := fmt.Sprintf("%s, %s, %s %s, %d GiB %s", aws.ToString(d.DBInstanceStatus), aws.ToString(d.DBInstanceClass),
		aws.ToString(d.Engine), aws.ToString(d.EngineVersion), aws.ToInt32(d.AllocatedStorage), aws.ToString(d.StorageType))
	if aws.ToBool(d.MultiAZ) {
		line += ", Multi-AZ"
	}
	return strings.TrimRight(line, " ")
}

// rdsStatus is rds.status: the instance's state, its CPU over the last
// 15 minutes and its free storage (the runbook's "check database status
// and free storage" is one click).
type rdsStatus struct{ c *Clients }

// cpuWindow is how far back rds.status looks at CPU.
const cpuWindow = 15 * time.Minute

func (rdsStatus) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

func (r rdsStatus) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	t, err := r.c.rdsTarget(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	d, id, err := t.describe(ctx)
	if err != nil {
		return actions.Result{}, err
	}
	cpuText, cpuErr := r.cpu(ctx, t)
	if cpuErr != nil {
		// The instance's state is worth reporting without its CPU (a
		// policy without cloudwatch:GetMetricStatistics, throttling).
		cpuText = "CPU unknown"
	}
	cpuRow := cpuText
	if cpuErr != nil {
		cpuRow += ": " + txt.Clip(cpuErr.Error(), 400)
	}
	freeText, freeErr := r.freeStorage(ctx, t, aws.ToInt32(d.AllocatedStorage))
	freeRow := freeText
	if freeErr != nil {
		freeText, freeRow = "free storage unknown", "free storage unknown: "+txt.Clip(freeErr.Error(), 400)
	}
	sec := actions.Section{Title: t.id + ": " + instanceLine(d), Rows: []string{cpuRow, freeRow}}
	if n := len(d.ReadReplicaDBInstanceIdentifiers); n > 0 {
		sec.Rows = append(sec.Rows, fmt.Sprintf("%s: %s", plural(n, "read replica"), strings.Join(d.ReadReplicaDBInstanceIdentifiers, ", ")))
	}
	return actions.Result{
		Summary:   fmt.Sprintf("%s %s, %s; %s; %s", t.id, aws.ToString(d.DBInstanceStatus), aws.ToString(d.DBInstanceClass), cpuText, freeText),
		Sections:  []actions.Section{sec},
		RequestID: id,
		Metrics:   t.metrics(),
	}, nil
}

// metrics are the two rds.status reads, as it reads them; drawn even
// when the read failed, since the graph is drawn apart and may work.
func (t rdsTarget) metrics() []actions.Metric {
	m := func(label, name, stat, unit string) actions.Metric {
		return actions.Metric{Label: label + " of " + t.id, Region: t.db.Region, Role: t.db.RoleARN, Namespace: "AWS/RDS", Metric: name,
			Dimensions: [][2]string{{"DBInstanceIdentifier", t.id}}, Stat: stat, Period: 60, Unit: unit}
	}
	return []actions.Metric{m("CPU", "CPUUtilization", "Average", "Percent"), m("Free storage", "FreeStorageSpace", "Minimum", "Bytes")}
}

// metric reads one of the instance's metrics over the last cpuWindow,
// per minute.
func (r rdsStatus) metric(ctx context.Context, t rdsTarget, name string, stats ...cwtypes.Statistic) ([]cwtypes.Datapoint, error) {
	now := r.c.now()
	out, err := t.a.cloudwatch.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace:  aws.String("AWS/RDS"),
		MetricName: aws.String(name),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("DBInstanceIdentifier"), Value: aws.String(t.id)}},
		StartTime:  aws.Time(now.Add(-cpuWindow)),
		EndTime:    aws.Time(now),
		Period:     aws.Int32(60),
		Statistics: stats,
	})
	if err != nil {
		return nil, apiError("cloudwatch GetMetricStatistics", err)
	}
	return out.Datapoints, nil
}

// freeStorage describes the least free storage of the last cpuWindow
// against what is allocated.
func (r rdsStatus) freeStorage(ctx context.Context, t rdsTarget, allocatedGiB int32) (string, error) {
	points, err := r.metric(ctx, t, "FreeStorageSpace", cwtypes.StatisticMinimum)
	if err != nil {
		return "", err
	}
	least := -1.0
	for _, p := range points {
		if p.Minimum != nil && (least < 0 || *p.Minimum < least) {
			least = *p.Minimum
		}
	}
	if least < 0 {
		return "no free storage data in the last 15 minutes", nil
	}
	gib := least / (1 << 30)
	if allocatedGiB <= 0 {
		return fmt.Sprintf("free storage %.1f GiB", gib), nil
	}
	return fmt.Sprintf("free storage %.1f GiB of %d GiB (%.0f%%)", gib, allocatedGiB, 100*gib/float64(allocatedGiB)), nil
}

// cpu describes the instance's CPU over the last cpuWindow.
func (r rdsStatus) cpu(ctx context.Context, t rdsTarget) (string, error) {
	points, err := r.metric(ctx, t, "CPUUtilization", cwtypes.StatisticAverage, cwtypes.StatisticMaximum)
	if err != nil {
		return "", err
	}
	avg, peak, n := cpuStats(points)
	if n == 0 {
		return "no CPU data in the last 15 minutes", nil
	}
	return fmt.Sprintf("CPU %.0f%% average, %.0f%% peak over the last 15 minutes", avg, peak), nil
}

// cpuStats averages the per-minute averages (each minute weighs the same)
// and takes the highest maximum.
func cpuStats(points []cwtypes.Datapoint) (avg, peak float64, n int) {
	var sum float64
	for _, p := range points {
		if p.Average == nil {
			continue
		}
		sum += *p.Average
		n++
		peak = max(peak, aws.ToFloat64(p.Maximum), *p.Average)
	}
	if n == 0 {
		return 0, 0, 0
	}
	return sum / float64(n), peak, n
}

// replicas is rds.replicas: the instance's read replicas and their state.
type replicas struct{ c *Clients }

func (replicas) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

func (r replicas) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	t, err := r.c.rdsTarget(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	d, id, err := t.describe(ctx)
	if err != nil {
		return actions.Result{}, err
	}
	ids := d.ReadReplicaDBInstanceIdentifiers
	if len(ids) == 0 {
		return actions.Result{Summary: t.id + " has no read replicas", RequestID: id}, nil
	}
	// One call for all of them; the filter takes identifiers or ARNs
	// (cross-region replicas are listed by ARN).
	out, err := t.a.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{
		Filters: []types.Filter{{Name: aws.String("db-instance-id"), Values: ids}},
	})
	if err != nil {
		return actions.Result{}, apiError("rds DescribeDBInstances", err)
	}
	byStatus := map[string]int{}
	var ss sections // a row per replica
	for _, rep := range out.DBInstances {
		status := aws.ToString(rep.DBInstanceStatus)
		byStatus[status]++
		ss.row(fmt.Sprintf("%s: %s (%s)", aws.ToString(rep.DBInstanceIdentifier),
			instanceLine(rep), aws.ToString(rep.AvailabilityZone)))
	}
	var parts []string
	for _, s := range slices.Sorted(maps.Keys(byStatus)) {
		parts = append(parts, fmt.Sprintf("%d %s", byStatus[s], s))
	}
	return actions.Result{
		Summary:   fmt.Sprintf("%s has %s: %s", t.id, plural(len(ids), "read replica"), strings.Join(parts, ", ")),
		Sections:  ss,
		RequestID: requestID(out.ResultMetadata),
	}, nil
}
