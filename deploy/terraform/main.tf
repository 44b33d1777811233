# incident-bot on ECS Fargate. The resources are split by concern:
#   ecs.tf      cluster, log group, task definition, service, target group, listener rule
#   network.tf  security groups
#   iam.tf      execution role (secrets, image, logs) and task role (the bot's AWS actions)
#   store.tf    EFS for the embedded store, or RDS PostgreSQL and its DATABASE_URL secret
#   alerts.tf   SNS topic, its HTTPS subscription, EventBridge rules, CloudWatch alarms

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# The VPC is read from the first subnet rather than asked for: the security
# groups and the target group must be in the tasks' VPC anyway.
data "aws_subnet" "first" {
  id = var.subnet_ids[0]
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  vpc_id     = data.aws_subnet.first.vpc_id

  container_name = "incident-bot"
  # HTTP_ADDR: /healthz, /readyz, /metrics and the alert receivers. The
  # image's default too; fixed, since nothing is gained by moving it.
  container_port = 8080

  embedded       = var.store == "embedded"
  create_cluster = var.cluster_arn == null
  cluster_arn    = local.create_cluster ? aws_ecs_cluster.this[0].arn : var.cluster_arn

  alerts_url = "https://${var.alerts_hostname}/alerts/sns"

  # /alerts/* covers /alerts/sns, /alerts/webhook, /alerts/alertmanager and
  # /alerts/uptimerobot. /healthz, /readyz and /metrics are never exposed
  # through the ALB (its health check reaches the tasks directly).
  alb_paths = concat(["/alerts/*"], var.pagerduty_webhook ? ["/pagerduty/webhook"] : [])

  # The embedded store: one SQLite file (and the inbox file beside it) in
  # the directory mounted from EFS.
  data_path = "/data"

  use_database_url        = var.create_database || var.database_url_secret_arn != null
  database_url_secret_arn = var.create_database ? aws_secretsmanager_secret.database_url[0].arn : var.database_url_secret_arn

  # Plain settings: only variables the bot reads (README, "Settings").
  # DATABASE_URL is never here: it is a secret.
  container_environment = merge(
    {
      HTTP_ADDR        = ":${local.container_port}"
      DISPLAY_TIMEZONE = var.display_timezone
      LOG_FORMAT       = "json"
      # The SNS receiver accepts only the topics listed: a valid signature
      # proves a message came from SNS, not from this topic.
      ALERT_SNS_TOPICS = aws_sns_topic.alerts.arn
    },
    var.incidents_channel != null ? { INCIDENTS_CHANNEL = var.incidents_channel } : {},
    local.embedded ? { SQLITE_PATH = "${local.data_path}/incident-bot.db" } : {},
    var.targets_file_path != null ? { TARGETS_FILE = var.targets_file_path } : {},
    var.environment,
  )

  # Secrets: environment variable name => secret ARN (ECS "valueFrom").
  container_secrets = merge(
    {
      SLACK_APP_TOKEN = var.slack_app_token_secret_arn
      SLACK_BOT_TOKEN = var.slack_bot_token_secret_arn
    },
    local.use_database_url ? { DATABASE_URL = local.database_url_secret_arn } : {},
    var.extra_secrets,
  )

  # IAM matches the secret's own ARN: drop a ":json-key:stage:version"
  # suffix that valueFrom may carry (a secret ARN has 7 colon-separated parts).
  execution_secret_arns = distinct(concat(
    [for arn in values(local.container_secrets) : join(":", slice(split(":", arn), 0, 7))],
    var.repository_credentials_secret_arn != null ? [var.repository_credentials_secret_arn] : [],
  ))
}
