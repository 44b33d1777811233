resource "aws_ecs_cluster" "this" {
  count = local.create_cluster ? 1 : 0

  name = var.name
  tags = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

locals {
  container_definition = merge(
    {
      name      = local.container_name
      image     = var.image
      essential = true
      # The image's entrypoint is the binary.
      command = ["serve"]

      portMappings = [{
        containerPort = local.container_port
        protocol      = "tcp"
      }]

      # Sorted so that the JSON, and so the plan, does not change when
      # nothing did.
      environment = [for k in sort(keys(local.container_environment)) : {
        name  = k
        value = local.container_environment[k]
      }]
      secrets = [for k in sort(keys(local.container_secrets)) : {
        name      = k
        valueFrom = local.container_secrets[k]
      }]

      # On SIGTERM the bot finishes work in flight for SHUTDOWN_TIMEOUT
      # (30s by default) before exiting; give it that and a margin before
      # SIGKILL (Fargate allows up to 120).
      stopTimeout = 45

      logConfiguration = {
        logDriver = "awslogs"
        options = {
          "awslogs-group"         = aws_cloudwatch_log_group.this.name
          "awslogs-region"        = local.region
          "awslogs-stream-prefix" = "ecs"
          # A slow CloudWatch Logs must never stall the bot mid-incident:
          # drop log lines from a full buffer instead of blocking stdout.
          "mode"            = "non-blocking"
          "max-buffer-size" = "25m"
        }
      }
    },
    local.embedded ? {
      mountPoints = [{
        sourceVolume  = "data"
        containerPath = local.data_path
        readOnly      = false
      }]
    } : {},
    var.repository_credentials_secret_arn != null ? {
      repositoryCredentials = { credentialsParameter = var.repository_credentials_secret_arn }
    } : {},
  )
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([local.container_definition])

  # The embedded store's directory. The access point pins the path and the
  # owner (the image's non-root user 65532); transit encryption is required
  # by the access point, and IAM authorization mounts as the task role.
  dynamic "volume" {
    for_each = local.embedded ? [1] : []
    content {
      name = "data"
      efs_volume_configuration {
        file_system_id     = aws_efs_file_system.data[0].id
        transit_encryption = "ENABLED"
        authorization_config {
          access_point_id = aws_efs_access_point.data[0].id
          iam             = "ENABLED"
        }
      }
    }
  }

  tags = var.tags
}

resource "aws_ecs_service" "this" {
  name             = var.name
  cluster          = local.cluster_arn
  task_definition  = aws_ecs_task_definition.this.arn
  desired_count    = var.desired_count
  launch_type      = "FARGATE"
  platform_version = "LATEST" # 1.4.0 or later: needed for EFS volumes

  # Embedded store: stop the old task before starting the new one, so two
  # tasks never write the SQLite file at once (a short gap in each deploy;
  # SNS retries deliveries through it, see alerts.tf). PostgreSQL: rolling.
  deployment_minimum_healthy_percent = local.embedded ? 0 : 100
  deployment_maximum_percent         = local.embedded ? 100 : 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.service.id]
    assign_public_ip = var.assign_public_ip
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = local.container_name
    container_port   = local.container_port
  }

  # Start-up applies migrations and opens the Slack socket before the first
  # health checks count.
  health_check_grace_period_seconds = 60

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"

  # The SNS subscription (alerts.tf) is confirmed by the running bot, so
  # Terraform waits for the service to be up before subscribing.
  wait_for_steady_state = true

  tags = var.tags

  depends_on = [
    # ECS refuses a target group that no load balancer uses yet.
    aws_lb_listener_rule.alerts,
    # The task cannot mount /data before the mount targets exist, nor read
    # its secrets before the execution role may.
    aws_efs_mount_target.data,
    aws_iam_role_policy.execution_secrets,
    aws_iam_role_policy_attachment.execution,
    aws_iam_role_policy.efs,
    # DATABASE_URL must have a value before the first task reads it.
    aws_secretsmanager_secret_version.database_url,
  ]
}

resource "aws_lb_target_group" "this" {
  name        = var.name
  port        = local.container_port
  protocol    = "HTTP"
  target_type = "ip" # awsvpc tasks register by IP
  vpc_id      = local.vpc_id

  # Alert posts are short: no need for the default 300 s of draining.
  deregistration_delay = 30

  health_check {
    # /healthz (process alive), not /readyz: readiness also needs the Slack
    # socket, and a Slack outage must not make ECS replace healthy tasks.
    path                = "/healthz"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = var.tags
}

resource "aws_lb_listener_rule" "alerts" {
  listener_arn = var.alb_listener_arn
  priority     = var.alb_listener_rule_priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  # Only the receivers' paths, and only on the bot's host name: the
  # listener may serve other applications with paths of their own.
  condition {
    path_pattern {
      values = local.alb_paths
    }
  }

  condition {
    host_header {
      values = [var.alerts_hostname]
    }
  }

  tags = var.tags
}
