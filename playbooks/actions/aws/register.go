package aws

import (
	"maps"
	"slices"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// Register adds the AWS actions to reg, all sharing c's clients.
func Register(reg *actions.Registry, c *Clients) error {
	all := runners(c)
	for _, id := range slices.Sorted(maps.Keys(all)) { // sorted: the same error every time
		if err := reg.Register(id, all[id]); err != nil {
			return err
		}
	}
	return nil
}

// runners maps each action ID to its Runner.
func runners(c *Clients) map[string]actions.Runner {
	return map[string]actions.Runner{
		"ecs.service_status":            serviceStatus{c},
		"ecs.stopped_tasks":             stoppedTasks{c},
		"ecs.force_deploy":              forceDeploy{c},
		"ecs.scale":                     scale{c},
		"ecs.rollback":                  rollback{c},
		"autoscaling.suspend_scale_in":  scaleIn{c: c, suspend: true},
		"autoscaling.resume_scale_in":   scaleIn{c: c, suspend: false},
		"rds.status":                    rdsStatus{c},
		"rds.snapshot":                  snapshot{c},
		"rds.reboot":                    reboot{c},
		"rds.replicas":                  replicas{c},
		"rds.add_replica":               addReplica{c},
		"cloudfront.invalidate":         invalidate{c},
		"cloudfront.origins":            origins{c},
		"acm.listener_certs":            listenerCerts{c},
		"secrets.execution_role_access": secretsAccess{c},
		"route53.delegation":            delegation{c},
		"waf.blocked_requests":          blockedRequests{c},
		"elb.target_health":             targetHealth{c},
		"elasticache.health":            cacheHealth{c},
		"logs.recent_errors":            recentErrors{c},
		"ecr.image_exists":              imageExists{c},
		"ec2.instance_status":           instanceStatus{c},
		"ec2.start_instance":            startInstance{c},
		"account.notice_contacts":       noticeContacts{c},
		"cloudtrail.recent_changes":     recentChanges{c},
	}
}
