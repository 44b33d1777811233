package aws

// ElastiCache against moto. Moto creates a cluster-mode-disabled group
// with one node group holding only the primary, whatever
// NumCacheClusters says, and never anything but "available"; the test
// asserts that shape.

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

func TestCacheHealth(t *testing.T) {
	f := newFixture(t)
	id := testmoto.Name("redis")
	_, err := elasticache.NewFromConfig(f.cfg).CreateReplicationGroup(t.Context(), &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId: aws.String(id), ReplicationGroupDescription: aws.String("sessions"),
		Engine: aws.String("redis"), CacheNodeType: aws.String("cache.t3.micro"), NumCacheClusters: aws.Int32(2),
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := &actions.Service{Name: "web", Region: testmoto.Region, ReplicationGroup: id}
	_, res := f.previewAndRun("elasticache.health", actions.Request{Service: svc})
	if res.Summary != id+" available: 1 shard, 1 node" {
		t.Errorf("summary %q", res.Summary)
	}
	contains(t, "details", res.Text(), "shard 0001 available: "+id+"-001 primary (us-east-1a)")

	svc.ReplicationGroup = testmoto.Name("gone")
	_, err = f.run("elasticache.health", actions.Request{Service: svc}, nil)
	wantCode(t, err, "ReplicationGroupNotFoundFault")
}
