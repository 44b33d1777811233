# ---------------------------------------------------------------------------
# Embedded store (store = "embedded"): the SQLite files live on EFS, so they
# outlive task replacements. One task writes them; see desired_count and
# the deployment percentages in ecs.tf.
# ---------------------------------------------------------------------------

resource "aws_efs_file_system" "data" {
  count = local.embedded ? 1 : 0

  creation_token = "${var.name}-data"
  encrypted      = true
  # Elastic: pay for what the bot reads and writes (little), no burst
  # credits to run out of.
  throughput_mode = "elastic"

  tags = merge(var.tags, { Name = "${var.name}-data" })
}

resource "aws_efs_backup_policy" "data" {
  count = local.embedded && var.efs_backup_enabled ? 1 : 0

  file_system_id = aws_efs_file_system.data[0].id
  backup_policy {
    status = "ENABLED"
  }
}

# One mount target per subnet (EFS allows one per Availability Zone).
resource "aws_efs_mount_target" "data" {
  count = local.embedded ? length(var.subnet_ids) : 0

  file_system_id  = aws_efs_file_system.data[0].id
  subnet_id       = var.subnet_ids[count.index]
  security_groups = [aws_security_group.efs[0].id]
}

# Whatever uid the image runs as, files are created as the image's non-root
# user (65532, distroless "nonroot"), under /incident-bot, created on first
# mount with mode 0750.
resource "aws_efs_access_point" "data" {
  count = local.embedded ? 1 : 0

  file_system_id = aws_efs_file_system.data[0].id

  posix_user {
    uid = 65532
    gid = 65532
  }

  root_directory {
    path = "/incident-bot"
    creation_info {
      owner_uid   = 65532
      owner_gid   = 65532
      permissions = "0750"
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-data" })
}

# ---------------------------------------------------------------------------
# PostgreSQL made by the module (store = "postgres", create_database = true).
# The bot takes one DATABASE_URL, so the module sets the master password
# itself and stores the whole URL in a secret of its own. RDS-managed
# master passwords (manage_master_user_password) are not used: their
# secret holds only the password, not a URL the bot can read. The password
# is ephemeral (Secrets Manager's GetRandomPassword) and goes only into
# write-only arguments, so it is never in the plan or the state.
# ---------------------------------------------------------------------------

resource "aws_db_subnet_group" "database" {
  count = var.create_database ? 1 : 0

  name_prefix = "${var.name}-"
  description = "incident-bot PostgreSQL"
  subnet_ids  = var.subnet_ids
  tags        = var.tags
}

ephemeral "aws_secretsmanager_random_password" "database" {
  count = var.create_database ? 1 : 0

  password_length = 40
  # Letters and digits only: the password goes into a URL unescaped, and
  # RDS refuses some punctuation (/ @ " and space).
  exclude_punctuation = true
}

locals {
  database_name     = "incidentbot"
  database_username = "incidentbot"
  database_password = var.create_database ? ephemeral.aws_secretsmanager_random_password.database[0].random_password : null
  # Bump to set a new password (both the database's and the URL's).
  database_password_version = 1
}

resource "aws_db_instance" "database" {
  count = var.create_database ? 1 : 0

  identifier     = var.name
  engine         = "postgres"
  engine_version = var.db_engine_version
  instance_class = var.db_instance_class

  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_allocated_storage * 5
  storage_type          = "gp3"
  storage_encrypted     = true

  db_name             = local.database_name
  username            = local.database_username
  password_wo         = local.database_password
  password_wo_version = local.database_password_version

  db_subnet_group_name   = aws_db_subnet_group.database[0].name
  vpc_security_group_ids = [aws_security_group.database[0].id]
  publicly_accessible    = false
  multi_az               = var.db_multi_az

  backup_retention_period    = var.db_backup_retention_days
  copy_tags_to_snapshot      = true
  auto_minor_version_upgrade = true
  deletion_protection        = var.db_deletion_protection
  # The incidents are the record of what happened: keep a last snapshot.
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.name}-final"

  tags = var.tags
}

resource "aws_secretsmanager_secret" "database_url" {
  count = var.create_database ? 1 : 0

  # A prefix, not a fixed name: a deleted secret keeps its name for the
  # recovery window, which would block re-creating the module.
  name_prefix = "${var.name}/database-url-"
  description = "DATABASE_URL of incident-bot (postgres://...), made by Terraform"
  kms_key_id  = var.secrets_kms_key_arn
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "database_url" {
  count = var.create_database ? 1 : 0

  secret_id = aws_secretsmanager_secret.database_url[0].id
  # sslmode=require: RDS serves TLS; the bot's connection is encrypted.
  # Write-only, like the password in it. The ephemeral password is new at
  # every run but sent only when its version changes — or when the
  # database is created again (a new resource ID), which takes the run's
  # password: the URL is written again then too.
  secret_string_wo_version = parseint(substr(sha256("${local.database_password_version}/${aws_db_instance.database[0].resource_id}"), 0, 7), 16)
  secret_string_wo = format(
    "postgres://%s:%s@%s:%d/%s?sslmode=require",
    local.database_username,
    local.database_password,
    aws_db_instance.database[0].address,
    aws_db_instance.database[0].port,
    local.database_name,
  )
}
