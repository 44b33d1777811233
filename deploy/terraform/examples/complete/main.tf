# A complete root module: incident-bot on Fargate with PostgreSQL made by
# the module, two replicas, a targets file baked into a derived image,
# PagerDuty paging and acknowledgements, and two CloudWatch alarms.
#
#   terraform -chdir=deploy/terraform/examples/complete init
#   terraform -chdir=deploy/terraform/examples/complete validate

terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.87"
    }
  }
}

provider "aws" {
  region = "eu-west-2"

  default_tags {
    tags = {
      team    = "platform"
      service = "incident-bot"
    }
  }
}

module "incident_bot" {
  source = "../.."

  name = "incident-bot"
  # FROM ghcr.io/acme/incident-bot:1.4.0 plus
  # COPY targets.yaml /etc/incident-bot/targets.yaml (see the module README).
  image            = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/incident-bot:1.4.0-acme.1"
  cpu              = 512
  memory           = 1024
  cpu_architecture = "ARM64"

  cluster_arn = "arn:aws:ecs:eu-west-2:123456789012:cluster/platform"
  # Private subnets with a NAT gateway, one per Availability Zone.
  subnet_ids = ["subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829", "subnet-0c3d4e5f607182930"]

  slack_app_token_secret_arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:incident-bot/slack-app-token-Ab12Cd"
  slack_bot_token_secret_arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:incident-bot/slack-bot-token-Ef34Gh"
  extra_secrets = {
    PAGERDUTY_ROUTING_KEY    = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:incident-bot/pagerduty-Ij56Kl:routing_key::"
    PAGERDUTY_WEBHOOK_SECRET = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:incident-bot/pagerduty-Ij56Kl:webhook_secret::"
    ALERT_WEBHOOK_SECRET     = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:incident-bot/alert-webhook-Mn78Op"
    # url_env / admin_url_env of the targets file's "main" database.
    MAIN_DATABASE_URL       = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:prod-db/incident-bot-readonly-Qr90St"
    MAIN_DATABASE_ADMIN_URL = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:prod-db/incident-bot-admin-Uv12Wx"
  }

  incidents_channel = "C0123456789"
  display_timezone  = "Europe/London"
  targets_file_path = "/etc/incident-bot/targets.yaml"
  environment = {
    ACK_PAGE                = "pagerduty"
    ESCALATION_USERGROUP    = "S0123ABCD"
    ESCALATION_PAGE         = "pagerduty,sns:arn:aws:sns:eu-west-2:123456789012:incident-leads"
    INCIDENT_ESCALATE_AFTER = "20m"
    ALERT_MERGE_WINDOW      = "30m"
  }

  # role_arn values of the targets file (workloads in another account).
  target_role_arns = ["arn:aws:iam::210987654321:role/incident-bot-actions"]
  page_topic_arns  = ["arn:aws:sns:eu-west-2:123456789012:incident-leads"]

  store           = "postgres"
  create_database = true
  desired_count   = 2
  db_multi_az     = true

  alerts_hostname            = "incident-bot.acme.example"
  alb_listener_arn           = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/platform-public/0123456789abcdef/fedcba9876543210"
  alb_security_group_id      = "sg-0123456789abcdef0"
  alb_listener_rule_priority = 120
  pagerduty_webhook          = true

  alarms = {
    "web-5xx-rate" = {
      namespace           = "AWS/ApplicationELB"
      metric_name         = "HTTPCode_Target_5XX_Count"
      dimensions          = { LoadBalancer = "app/platform-public/0123456789abcdef" }
      statistic           = "Sum"
      period              = 60
      evaluation_periods  = 3
      threshold           = 50
      comparison_operator = "GreaterThanThreshold"
      treat_missing_data  = "notBreaching"
      description         = "web: more than 50 5xx a minute for 3 minutes (runbook: web-5xx)"
    }
    "prod-db-cpu" = {
      namespace           = "AWS/RDS"
      metric_name         = "CPUUtilization"
      dimensions          = { DBInstanceIdentifier = "prod-db" }
      statistic           = "Average"
      period              = 300
      evaluation_periods  = 2
      threshold           = 90
      comparison_operator = "GreaterThanOrEqualToThreshold"
    }
  }

  tags = {
    cost-centre = "platform"
  }
}

output "alerts_topic_arn" {
  description = "Add to alarm_actions / ok_actions of alarms defined elsewhere."
  value       = module.incident_bot.alerts_topic_arn
}

output "alerts_url" {
  value = module.incident_bot.alerts_url
}

output "task_role_arn" {
  description = "The target role arn:aws:iam::210987654321:role/incident-bot-actions must trust this role."
  value       = module.incident_bot.task_role_arn
}

output "service_name" {
  value = module.incident_bot.service_name
}

output "log_group_name" {
  value = module.incident_bot.log_group_name
}
