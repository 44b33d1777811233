package aws

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// cacheHealth is elasticache.health: the replication group's state, its
// shards and which node is primary in each.
type cacheHealth struct{ c *Clients }

func (cacheHealth) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

func (r cacheHealth) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	a, s, err := r.c.service(ctx, req, "replication_group")
	if err != nil {
		return actions.Result{}, err
	}
	out, err := a.elasticache.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{
		ReplicationGroupId: aws.String(s.ReplicationGroup),
	})
	if err != nil {
		return actions.Result{}, apiError("elasticache DescribeReplicationGroups", err)
	}
	id := requestID(out.ResultMetadata)
	if len(out.ReplicationGroups) == 0 {
		return actions.Result{}, &actions.Error{Code: "ReplicationGroupNotFoundFault", Message: "no replication group " + s.ReplicationGroup}
	}
	g := out.ReplicationGroups[0]
	sec := actions.Section{Title: fmt.Sprintf("%s: %s, %s, automatic failover %s, Multi-AZ %s", s.ReplicationGroup, aws.ToString(g.Status),
		aws.ToString(g.CacheNodeType), string(g.AutomaticFailover), string(g.MultiAZ))}
	members := 0
	var unavailable []string
	for _, ng := range g.NodeGroups {
		status := aws.ToString(ng.Status)
		if status != "available" {
			unavailable = append(unavailable, aws.ToString(ng.NodeGroupId)+" "+status)
		}
		var nodes []string
		for _, m := range ng.NodeGroupMembers {
			members++
			nodes = append(nodes, fmt.Sprintf("%s %s (%s)", aws.ToString(m.CacheClusterId), aws.ToString(m.CurrentRole), aws.ToString(m.PreferredAvailabilityZone)))
		}
		sec.Rows = append(sec.Rows, fmt.Sprintf("shard %s %s: %s", aws.ToString(ng.NodeGroupId), status, strings.Join(nodes, ", ")))
	}
	summary := fmt.Sprintf("%s %s: %s, %s", s.ReplicationGroup, aws.ToString(g.Status),
		plural(len(g.NodeGroups), "shard"), plural(members, "node"))
	if len(unavailable) > 0 {
		summary += "; not available: " + strings.Join(unavailable, ", ")
	}
	return actions.Result{Summary: summary, Sections: []actions.Section{sec}, RequestID: id}, nil
}
