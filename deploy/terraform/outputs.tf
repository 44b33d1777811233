output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

output "service_arn" {
  description = "ARN of the ECS service (aws_ecs_service's id is its ARN)."
  value       = aws_ecs_service.this.id
}

output "service_id" {
  description = "ID of the ECS service (the same ARN, under the name Terraform gives it)."
  value       = aws_ecs_service.this.id
}

output "cluster_arn" {
  description = "ECS cluster the service runs in (given or created)."
  value       = local.cluster_arn
}

output "alerts_url" {
  description = "The SNS receiver's URL the topic is subscribed to."
  value       = local.alerts_url
}

output "alerts_topic_arn" {
  description = "SNS topic that reaches the bot: add it to the alarm_actions and ok_actions of existing CloudWatch alarms."
  value       = aws_sns_topic.alerts.arn
}

output "task_role_arn" {
  description = "The bot's AWS identity. Target roles (role_arn in the targets file) must trust it."
  value       = aws_iam_role.task.arn
}

output "task_role_name" {
  description = "Name of the task role, to attach more policies to."
  value       = aws_iam_role.task.name
}

output "execution_role_arn" {
  description = "Role ECS starts the tasks with (image, logs, secrets)."
  value       = aws_iam_role.execution.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the bot's JSON logs."
  value       = aws_cloudwatch_log_group.this.name
}

output "security_group_id" {
  description = "Security group of the tasks (e.g. to let them reach a database of the team's)."
  value       = aws_security_group.service.id
}

output "target_group_arn" {
  description = "Target group the listener rule forwards to."
  value       = aws_lb_target_group.this.arn
}

output "efs_file_system_id" {
  description = "Embedded store: the EFS file system holding /data (null with PostgreSQL)."
  value       = local.embedded ? aws_efs_file_system.data[0].id : null
}

output "database_url_secret_arn" {
  description = "Secret DATABASE_URL is read from (given or created; null with the embedded store)."
  value       = local.use_database_url ? local.database_url_secret_arn : null
}

output "db_instance_address" {
  description = "create_database: host name of the PostgreSQL instance (null otherwise)."
  value       = var.create_database ? aws_db_instance.database[0].address : null
}
