# ---------------------------------------------------------------------------
# What runs, and where
# ---------------------------------------------------------------------------

variable "name" {
  description = "Name of the service and prefix of everything the module creates (log group /ecs/<name>, topic <name>-alerts, roles <name>-task and <name>-execution, target group <name>)."
  type        = string
  default     = "incident-bot"

  validation {
    # The target group name (32 characters) and the RDS identifier (letters,
    # digits, hyphens, starting with a letter) are the tightest limits; 24
    # leaves room for the suffixes added to role and rule names.
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name))
    error_message = "name must be 2 to 24 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "image" {
  description = "Container image of the bot, e.g. \"ghcr.io/acme/incident-bot:1.4.0\". Its entrypoint is the incident-bot binary; the module runs it with the command [\"serve\"]. A targets file or team playbooks are baked into a derived image (see README)."
  type        = string

  validation {
    condition     = length(trimspace(var.image)) > 0
    error_message = "image must be set, e.g. \"ghcr.io/acme/incident-bot:1.4.0\"."
  }
}

variable "repository_credentials_secret_arn" {
  description = "Secrets Manager secret holding {\"username\",\"password\"} for a private registry (a private ghcr.io package, for instance). Null: the image is public or in ECR."
  type        = string
  default     = null

  validation {
    condition     = var.repository_credentials_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.repository_credentials_secret_arn))
    error_message = "repository_credentials_secret_arn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx)."
  }
}

variable "cluster_arn" {
  description = "ECS cluster to run the service in. Null: the module creates a cluster named after var.name."
  type        = string
  default     = null
}

variable "subnet_ids" {
  description = "Subnets of the tasks (and of the EFS mount targets or the database). Private subnets with a NAT gateway are usual: the bot needs outbound HTTPS to Slack (socket mode), AWS APIs and the paging service. At most one subnet per Availability Zone (EFS allows one mount target per zone); the database needs two zones or more."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must name at least one subnet."
  }
}

variable "assign_public_ip" {
  description = "Give the tasks a public IP: only for public subnets without a NAT gateway, where it is the tasks' only way out to Slack."
  type        = bool
  default     = false
}

variable "cpu" {
  description = "Fargate task CPU units (256 = 0.25 vCPU)."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Fargate task memory in MiB (must be a valid combination with cpu)."
  type        = number
  default     = 512
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64: must match the image (the published image's platforms)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "desired_count" {
  description = "How many tasks run. More than one only with store = \"postgres\"."
  type        = number
  default     = 1

  validation {
    condition     = var.desired_count >= 0 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number, 0 or more."
  }

  validation {
    # Terraform 1.9+: a validation may read other variables.
    condition     = var.desired_count <= 1 || var.store == "postgres"
    error_message = "desired_count above 1 needs store = \"postgres\": the embedded store is one SQLite file on EFS and must have exactly one writer. Use PostgreSQL (database_url_secret_arn or create_database = true) to run replicas."
  }
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log group /ecs/<name>, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "tags" {
  description = "Tags added to every resource the module creates."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------
# Settings and secrets of the bot
# ---------------------------------------------------------------------------

variable "slack_app_token_secret_arn" {
  description = "Secrets Manager secret whose value is the app-level token (xapp-…): SLACK_APP_TOKEN. A full secret ARN; a \":json-key::\" suffix selects a key of a JSON secret."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.slack_app_token_secret_arn))
    error_message = "slack_app_token_secret_arn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx)."
  }
}

variable "slack_bot_token_secret_arn" {
  description = "Secrets Manager secret whose value is the bot token (xoxb-…): SLACK_BOT_TOKEN."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.slack_bot_token_secret_arn))
    error_message = "slack_bot_token_secret_arn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx)."
  }
}

variable "extra_secrets" {
  description = "More secrets for the container: environment variable name => Secrets Manager secret ARN, e.g. PAGERDUTY_ROUTING_KEY, PAGERDUTY_WEBHOOK_SECRET, ALERT_WEBHOOK_SECRET, or the url_env / admin_url_env variables a targets file names (MAIN_DATABASE_URL). The execution role may read exactly these."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.extra_secrets : can(regex("^[A-Z_][A-Z0-9_]*$", k)) && can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", v))])
    error_message = "extra_secrets maps environment variable names (A-Z, 0-9, _) to Secrets Manager secret ARNs."
  }

  validation {
    condition     = length(setintersection(keys(var.extra_secrets), ["SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "DATABASE_URL"])) == 0
    error_message = "SLACK_APP_TOKEN, SLACK_BOT_TOKEN and DATABASE_URL have their own variables (slack_app_token_secret_arn, slack_bot_token_secret_arn, database_url_secret_arn / create_database); leave them out of extra_secrets."
  }
}

variable "secrets_kms_key_arn" {
  description = "Customer managed KMS key the secrets are encrypted with (null: the AWS managed aws/secretsmanager key). When set, the execution role may kms:Decrypt with it, and the DATABASE_URL secret create_database makes is encrypted with it too."
  type        = string
  default     = null

  validation {
    condition     = var.secrets_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.secrets_kms_key_arn))
    error_message = "secrets_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID); IAM does not match aliases."
  }
}

variable "incidents_channel" {
  description = "INCIDENTS_CHANNEL: channel ID (C…) where every new incident, escalation and resolution is announced. Null: no announcements."
  type        = string
  default     = null

  validation {
    condition     = var.incidents_channel == null || can(regex("^[CG][A-Z0-9]+$", var.incidents_channel))
    error_message = "incidents_channel must be a channel ID such as C0123456789 (the channel's details in Slack), not a #name."
  }
}

variable "display_timezone" {
  description = "DISPLAY_TIMEZONE: IANA time zone of the times the bot shows, e.g. Europe/Berlin."
  type        = string
  default     = "UTC"
}

variable "targets_file_path" {
  description = "TARGETS_FILE: path inside the container of the targets file (what actions act on). The file is not shipped by this module: bake it into a derived image (README, \"Targets file\"). Null: actions and AWS change reports are off."
  type        = string
  default     = null

  validation {
    condition     = var.targets_file_path == null || startswith(coalesce(var.targets_file_path, "/"), "/")
    error_message = "targets_file_path must be an absolute path inside the image, e.g. /etc/incident-bot/targets.yaml."
  }
}

variable "environment" {
  description = "More plain settings for the container, merged into its environment: e.g. ACK_PAGE, ESCALATION_USERGROUP, INCIDENT_ESCALATE_AFTER, ALERT_MERGE_WINDOW, LOG_LEVEL, PLAYBOOKS_DIR. Secrets belong in extra_secrets; the variables the module sets itself are refused here."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([for k in keys(var.environment) : !contains([
      "HTTP_ADDR", "INCIDENTS_CHANNEL", "DISPLAY_TIMEZONE", "LOG_FORMAT", "ALERT_SNS_TOPICS",
      "SQLITE_PATH", "TARGETS_FILE", "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "DATABASE_URL",
    ], k)])
    error_message = "environment must not set HTTP_ADDR, INCIDENTS_CHANNEL, DISPLAY_TIMEZONE, LOG_FORMAT, ALERT_SNS_TOPICS, SQLITE_PATH or TARGETS_FILE (the module sets them from its own variables) nor SLACK_APP_TOKEN, SLACK_BOT_TOKEN or DATABASE_URL (secrets, never plain environment)."
  }

  validation {
    condition     = length(setintersection(keys(var.environment), keys(var.extra_secrets))) == 0
    error_message = "A name is in both environment and extra_secrets; a variable is either plain or a secret."
  }
}

# ---------------------------------------------------------------------------
# Task role: what the bot's actions may do in AWS
# ---------------------------------------------------------------------------

variable "target_role_arns" {
  description = "The role_arn values of the targets file: the task role may sts:AssumeRole them (and deploy/aws/iam-policy.json goes on those roles). Empty: no AssumeRole permission."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.target_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "target_role_arns must be IAM role ARNs (arn:aws:iam::ACCOUNT:role/NAME)."
  }
}

variable "page_topic_arns" {
  description = "SNS topics the bot pages through (sns:TOPIC_ARN in ACK_PAGE / ESCALATION_PAGE): the task role may sns:Publish to them."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.page_topic_arns : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:.+$", arn))])
    error_message = "page_topic_arns must be SNS topic ARNs (arn:aws:sns:REGION:ACCOUNT:NAME)."
  }
}

# ---------------------------------------------------------------------------
# Store
# ---------------------------------------------------------------------------

variable "store" {
  description = "\"embedded\": SQLite on an encrypted EFS file system mounted at /data (one task only). \"postgres\": PostgreSQL, from database_url_secret_arn or a database create_database makes (replicas allowed)."
  type        = string
  default     = "embedded"

  validation {
    condition     = contains(["embedded", "postgres"], var.store)
    error_message = "store must be \"embedded\" or \"postgres\"."
  }

  # The checks between store, database_url_secret_arn and create_database
  # all live here: validations of variables that refer to each other would
  # form a cycle.
  validation {
    condition     = var.store == "embedded" || var.create_database != (var.database_url_secret_arn != null)
    error_message = "store = \"postgres\" needs exactly one of database_url_secret_arn (an existing postgres:// URL in Secrets Manager) and create_database = true."
  }

  validation {
    # With the embedded store a DATABASE_URL would silently switch the bot
    # to PostgreSQL and leave the EFS file system unused.
    condition     = var.store == "postgres" || (!var.create_database && var.database_url_secret_arn == null)
    error_message = "database_url_secret_arn and create_database = true are for store = \"postgres\"; the embedded store needs neither."
  }
}

variable "database_url_secret_arn" {
  description = "With store = \"postgres\": Secrets Manager secret whose value is the postgres:// URL (DATABASE_URL) of an existing database. Null with create_database = true."
  type        = string
  default     = null

  validation {
    condition     = var.database_url_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.database_url_secret_arn))
    error_message = "database_url_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "create_database" {
  description = "With store = \"postgres\": create an RDS PostgreSQL instance and a Secrets Manager secret holding its DATABASE_URL."
  type        = bool
  default     = false
}

variable "efs_backup_enabled" {
  description = "Embedded store: turn on AWS Backup's daily backups of the EFS file system (35 days), the only copy of the incidents otherwise."
  type        = bool
  default     = true
}

variable "db_instance_class" {
  description = "create_database: RDS instance class."
  type        = string
  default     = "db.t4g.micro"
}

variable "db_engine_version" {
  description = "create_database: PostgreSQL major version (15 or later); RDS picks the latest minor version."
  type        = string
  default     = "16"

  validation {
    condition     = can(tonumber(split(".", var.db_engine_version)[0])) && try(tonumber(split(".", var.db_engine_version)[0]) >= 15, false)
    error_message = "db_engine_version must be PostgreSQL 15 or later, e.g. \"16\"."
  }
}

variable "db_allocated_storage" {
  description = "create_database: initial storage in GiB (storage autoscaling goes up to 5 times this)."
  type        = number
  default     = 20
}

variable "db_multi_az" {
  description = "create_database: a standby in a second Availability Zone."
  type        = bool
  default     = false
}

variable "db_backup_retention_days" {
  description = "create_database: days of automated backups (point-in-time recovery)."
  type        = number
  default     = 7
}

variable "db_deletion_protection" {
  description = "create_database: refuse to delete the instance until this is set to false and applied."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------
# Alerts in
# ---------------------------------------------------------------------------

variable "alerts_hostname" {
  description = "Host name the team's ALB answers on for the bot, e.g. \"incident-bot.example.com\" (DNS and certificate are the team's). SNS posts to https://<alerts_hostname>/alerts/sns, so it must be reachable from SNS, i.e. from the internet."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9.-]+$", var.alerts_hostname))
    error_message = "alerts_hostname must be a bare host name such as incident-bot.example.com (no scheme, path or port)."
  }
}

variable "alb_listener_arn" {
  description = "ARN of the team's existing HTTPS listener; the module adds a rule forwarding /alerts/* (and /pagerduty/webhook) for alerts_hostname to the bot."
  type        = string
}

variable "alb_security_group_id" {
  description = "Security group of that ALB: the only source allowed into the tasks on port 8080. It must allow outbound traffic to the tasks (ALB security groups usually allow all outbound)."
  type        = string
}

variable "alb_listener_rule_priority" {
  description = "Priority of the listener rule (1-50000). Null: the next free one after the listener's highest."
  type        = number
  default     = null
}

variable "pagerduty_webhook" {
  description = "Also forward /pagerduty/webhook (PagerDuty v3 webhook: acknowledgements come back). Set PAGERDUTY_WEBHOOK_SECRET through extra_secrets."
  type        = bool
  default     = false
}

variable "alerts_topic_kms_key_id" {
  description = "KMS key for the alerts topic (null: not encrypted). It must be a customer managed key whose key policy lets events.amazonaws.com and cloudwatch.amazonaws.com use it: the AWS managed aws/sns key cannot be used by EventBridge or CloudWatch alarms."
  type        = string
  default     = null
}

variable "alarms" {
  description = "CloudWatch alarms to create, by alarm name, whose alarm_actions and ok_actions are the alerts topic. Existing alarms are not changed by the module: add the alerts_topic_arn output to their alarm_actions and ok_actions where they are defined."
  type = map(object({
    namespace           = string
    metric_name         = string
    dimensions          = optional(map(string), {})
    statistic           = optional(string, "Average")
    period              = optional(number, 60)
    evaluation_periods  = optional(number, 5)
    threshold           = number
    comparison_operator = string
    treat_missing_data  = optional(string, "missing")
    description         = optional(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for a in values(var.alarms) : contains(["SampleCount", "Average", "Sum", "Minimum", "Maximum"], a.statistic)])
    error_message = "alarms: statistic must be SampleCount, Average, Sum, Minimum or Maximum."
  }

  validation {
    condition = alltrue([for a in values(var.alarms) : contains([
      "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold",
    ], a.comparison_operator)])
    error_message = "alarms: comparison_operator must be GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold."
  }
}
