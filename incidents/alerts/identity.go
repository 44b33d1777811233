package alerts

import "strings"

// ServiceLabels name the labels that say which service an alert is about,
// most specific first: Prometheus conventions, then the CloudWatch
// dimensions that identify a resource, then the Uptime Robot monitor and
// the resources an AWS Health event names.
// The first one present names the service.
var ServiceLabels = []string{
	"service", "app", "app_kubernetes_io_name", "job",
	"ServiceName", "LoadBalancer", "TargetGroup", "DBInstanceIdentifier", "DBClusterIdentifier",
	"DistributionId", "FunctionName", "QueueName", "TableName", "AutoScalingGroupName", "InstanceId",
	"monitor_id", "resources",
}

// ScopeLabels qualify a service name: the same name in two clusters or
// namespaces is two services.
var ScopeLabels = []string{"cluster", "ClusterName", "namespace", "account"}

// Service is the identity of the service an alert is about, built from
// its labels: "service=payments", "ClusterName=prod ServiceName=api",
// "" when no label names one. extra names labels to look at before the
// built-in ones (a team's own convention, such as "team_service").
func (a Alert) Service(extra []string) string {
	name := ""
	for _, k := range append(extra, ServiceLabels...) {
		if v := strings.TrimSpace(a.Labels[k]); v != "" {
			name = k + "=" + v
			break
		}
	}
	if name == "" {
		return ""
	}
	var scope []string
	for _, k := range ScopeLabels {
		if v := strings.TrimSpace(a.Labels[k]); v != "" {
			scope = append(scope, k+"="+v)
		}
	}
	return strings.Join(append(scope, name), " ")
}
