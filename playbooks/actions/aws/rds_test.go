package aws

// RDS against moto, which has all the operations used. CloudWatch is the
// gap: the SDK's CloudWatch client speaks Smithy RPC v2 CBOR
// (POST /service/GraniteServiceVersion20100801/operation/...), which
// moto_server 5.2 does not route (404; it serves CloudWatch's query and
// JSON protocols at / only). So against moto rds.status reports "CPU
// unknown" and "free storage unknown" with the error, and TestRDSStatusCPU points CloudWatch alone
// (AWS_ENDPOINT_URL_CLOUDWATCH) at fakeCBOR, a server speaking RPC v2
// CBOR for GetMetricStatistics, while RDS stays on moto.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// rdsInstance creates a PostgreSQL instance with n read replicas.
func (f *fixture) rdsInstance(replicas int) *actions.Database {
	f.t.Helper()
	api := rds.NewFromConfig(f.cfg)
	id := testmoto.Name("db")
	_, err := api.CreateDBInstance(f.t.Context(), &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), DBInstanceClass: aws.String("db.t3.micro"),
		Engine: aws.String("postgres"), AllocatedStorage: aws.Int32(20),
		MasterUsername: aws.String("app"), MasterUserPassword: aws.String("password123"),
	})
	if err != nil {
		f.t.Fatal(err)
	}
	for i := range replicas {
		_, err := api.CreateDBInstanceReadReplica(f.t.Context(), &rds.CreateDBInstanceReadReplicaInput{
			DBInstanceIdentifier: aws.String(id + "-r" + string(rune('a'+i))), SourceDBInstanceIdentifier: aws.String(id),
		})
		if err != nil {
			f.t.Fatal(err)
		}
	}
	return &actions.Database{Name: "main", Region: testmoto.Region, Instance: id}
}

func (f *fixture) replicaIDs(db *actions.Database) []string {
	f.t.Helper()
	out, err := rds.NewFromConfig(f.cfg).DescribeDBInstances(f.t.Context(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(db.Instance)})
	if err != nil {
		f.t.Fatal(err)
	}
	return out.DBInstances[0].ReadReplicaDBInstanceIdentifiers
}

func TestRDSStatus(t *testing.T) {
	f := newFixture(t)
	db := f.rdsInstance(0)
	req := actions.Request{Database: db}

	_, res := f.previewAndRun("rds.status", req)
	contains(t, "summary", res.Summary, db.Instance+" available, db.t3.micro; ")
	contains(t, "details", res.Text(), db.Instance+": available, db.t3.micro, postgres")
	contains(t, "details", res.Text(), "20 GiB")
	// Drawn even though moto could not give the numbers: the graph is
	// drawn apart, and may be drawn where the read failed.
	dims := [][2]string{{"DBInstanceIdentifier", db.Instance}}
	wantMetrics(t, "rds.status", res.Metrics,
		metricWant{testmoto.Region, "AWS/RDS", "CPUUtilization", "Average", 60, dims},
		metricWant{testmoto.Region, "AWS/RDS", "FreeStorageSpace", "Minimum", 60, dims})
}

func TestRDSStatusCPU(t *testing.T) {
	f := newFixture(t)
	db := f.rdsInstance(0)
	now := time.Now()
	var points []cbor.Value
	read := map[string]bool{} // "metric stat period" queried
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", fakeCBOR(t, "GraniteServiceVersion20100801", "GetMetricStatistics", func(in cbor.Map) cbor.Value {
		if in["Namespace"] != cbor.String("AWS/RDS") {
			t.Errorf("request %v", in)
		}
		stats, _ := in["Statistics"].(cbor.List)
		for _, s := range stats {
			read[fmt.Sprintf("%v %v %v", in["MetricName"], s, in["Period"])] = true
		}
		dims, _ := in["Dimensions"].(cbor.List)
		if len(dims) != 1 || dims[0].(cbor.Map)["Value"] != cbor.String(db.Instance) {
			t.Errorf("dimensions %v", dims)
		}
		start, _ := cbor.AsTime(in["StartTime"])
		end, _ := cbor.AsTime(in["EndTime"])
		if d := end.Sub(start); d != 15*time.Minute || time.Since(end) > time.Minute {
			t.Errorf("window %s to %s", start, end)
		}
		if in["MetricName"] == cbor.String("FreeStorageSpace") {
			free := cbor.Map{"Timestamp": &cbor.Tag{ID: 1, Value: cbor.Float64(float64(now.Unix()))},
				"Minimum": cbor.Float64(5 << 30), "Unit": cbor.String("Bytes")}
			return cbor.Map{"Label": cbor.String("FreeStorageSpace"), "Datapoints": cbor.List{free}}
		}
		if in["MetricName"] != cbor.String("CPUUtilization") {
			t.Errorf("metric %v", in["MetricName"])
		}
		return cbor.Map{"Label": cbor.String("CPUUtilization"), "Datapoints": cbor.List(points)}
	}))
	req := actions.Request{Database: db}

	_, res := f.previewAndRun("rds.status", req)
	contains(t, "summary", res.Summary, "available, db.t3.micro; no CPU data in the last 15 minutes")

	for i, v := range []float64{40, 80} {
		points = append(points, cbor.Map{
			"Timestamp": &cbor.Tag{ID: 1, Value: cbor.Float64(float64(now.Add(-time.Duration(i) * time.Minute).Unix()))},
			"Average":   cbor.Float64(v), "Maximum": cbor.Float64(v + 5), "Unit": cbor.String("Percent"),
		})
	}
	_, res = f.previewAndRun("rds.status", req)
	contains(t, "summary", res.Summary, "CPU 60% average, 85% peak over the last 15 minutes; free storage 5.0 GiB of 20 GiB (25%)")
	// The graphs draw what was read, as it was read.
	for _, m := range res.Metrics {
		if q := fmt.Sprintf("%s %s %d", m.Metric, m.Stat, m.Period); !read[q] {
			t.Errorf("graph of %q: not read (read %v)", q, read)
		}
	}
}

func TestRDSErrors(t *testing.T) {
	f := newFixture(t)
	_, err := f.run("rds.status", actions.Request{Database: &actions.Database{Name: "main", Region: testmoto.Region, Instance: testmoto.Name("gone")}}, nil)
	wantCode(t, err, "DBInstanceNotFound")
	_, err = f.preview("rds.reboot", actions.Request{Database: &actions.Database{Name: "main", Instance: "x"}})
	wantErr(t, err, "database main has no region in the targets file")
	_, err = f.preview("rds.snapshot", actions.Request{Database: &actions.Database{Name: "main", Region: testmoto.Region}})
	wantErr(t, err, "database main has no rds_instance in the targets file")
	_, err = f.run("rds.replicas", actions.Request{}, nil)
	wantErr(t, err, "needs a database")
}

func TestSnapshot(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 4, 5, 0, time.FixedZone("CET", 3600))
	f := newFixture(t, func(o *Options) { o.Now = func() time.Time { return at } })
	db := f.rdsInstance(0)
	want := "incident-bot-" + db.Instance + "-20260301-090405"

	p, res := f.previewAndRun("rds.snapshot", actions.Request{Database: db})
	contains(t, "preview", p.Change, want)
	contains(t, "summary", res.Summary, want)
	out, err := rds.NewFromConfig(f.cfg).DescribeDBSnapshots(t.Context(), &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(want)})
	if err != nil || len(out.DBSnapshots) != 1 || aws.ToString(out.DBSnapshots[0].DBInstanceIdentifier) != db.Instance {
		t.Fatalf("snapshot %s not found: %v %+v", want, err, out)
	}
	if !res.Changed {
		t.Error("not marked changed")
	}
	// The same second again: AWS's own error, with its code.
	_, err = f.run("rds.snapshot", actions.Request{Database: db}, nil)
	wantCode(t, err, "DBSnapshotAlreadyExists")
}

func TestReboot(t *testing.T) {
	f := newFixture(t)
	db := f.rdsInstance(0)
	p, res := f.previewAndRun("rds.reboot", actions.Request{Database: db})
	contains(t, "preview", p.Current, "available, db.t3.micro")
	contains(t, "summary", res.Summary, "reboot requested")
	if p.Resource != "rds:"+db.Instance || !res.Changed {
		t.Errorf("preview %+v result %+v", p, res)
	}
}

func TestReplicas(t *testing.T) {
	f := newFixture(t)
	db := f.rdsInstance(0)
	_, res := f.previewAndRun("rds.replicas", actions.Request{Database: db})
	if res.Summary != db.Instance+" has no read replicas" {
		t.Errorf("summary %q", res.Summary)
	}

	db = f.rdsInstance(2)
	_, res = f.previewAndRun("rds.replicas", actions.Request{Database: db})
	contains(t, "summary", res.Summary, "has 2 read replicas: 2 available")
	contains(t, "details", res.Text(), db.Instance+"-ra")
}

func TestAddReplica(t *testing.T) {
	f := newFixture(t)
	db := f.rdsInstance(2)
	req := actions.Request{Database: db, Params: map[string]any{}, Limits: actions.Limits{MaxReadReplicas: 3}}

	p, err := f.preview("rds.add_replica", req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Change, "2 → 3 replicas") || p.Data["previous"] != "2" {
		t.Errorf("preview %+v", p)
	}
	if n := len(f.replicaIDs(db)); n != 2 {
		t.Fatalf("preview changed the replicas: %d", n)
	}
	res, err := f.run("rds.add_replica", req, &p)
	if err != nil {
		t.Fatal(err)
	}
	ids := f.replicaIDs(db)
	if len(ids) != 3 || !res.Changed {
		t.Fatalf("replicas %v after adding, result %+v", ids, res)
	}
	contains(t, "summary", res.Summary, "2 → 3 read replicas")

	// At the cap: one more is refused, and so is a count not above today's.
	_, err = f.preview("rds.add_replica", req)
	wantErr(t, err, "count 4 is above the cap of 3 read replicas")
	req.Params["count"] = 2
	_, err = f.preview("rds.add_replica", req)
	wantErr(t, err, "already has 3 read replicas")
}

func TestReplicaID(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 4, 5, 0, time.UTC)
	if got := replicaID("main", at, 2); got != "main-rr-20260301090405-2" {
		t.Errorf("got %q", got)
	}
	long := replicaID(strings.Repeat("a", 40)+"-"+strings.Repeat("b", 30), at, 1)
	if len(long) > 63 || strings.Contains(long, "--") {
		t.Errorf("got %q (%d)", long, len(long))
	}
}
