# Rules are separate aws_vpc_security_group_*_rule resources (not inline
# blocks) so each one is created, changed and described on its own.

resource "aws_security_group" "service" {
  name_prefix = "${var.name}-service-"
  description = "incident-bot tasks: port ${local.container_port} from the ALB only"
  vpc_id      = local.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-service" })

  lifecycle {
    create_before_destroy = true
  }
}

# Nothing but the team's ALB reaches the bot: Slack is a socket the bot
# opens (outbound), and the ALB forwards only the alert receivers.
resource "aws_vpc_security_group_ingress_rule" "service_from_alb" {
  security_group_id            = aws_security_group.service.id
  description                  = "HTTP from the ALB (alert receivers, health checks)"
  referenced_security_group_id = var.alb_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = local.container_port
  to_port                      = local.container_port
}

# Outbound anywhere: Slack's socket-mode WebSocket and Web API, AWS APIs
# (including those of other regions and accounts the targets file names),
# PagerDuty or webhook pages, SNS certificates, EFS and PostgreSQL.
resource "aws_vpc_security_group_egress_rule" "service_all_ipv4" {
  security_group_id = aws_security_group.service.id
  description       = "All outbound (IPv4)"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "service_all_ipv6" {
  security_group_id = aws_security_group.service.id
  description       = "All outbound (IPv6)"
  ip_protocol       = "-1"
  cidr_ipv6         = "::/0"
}

# --- Embedded store: NFS from the tasks to the EFS mount targets ----------

resource "aws_security_group" "efs" {
  count = local.embedded ? 1 : 0

  name_prefix = "${var.name}-efs-"
  description = "incident-bot EFS mount targets: NFS from the bot tasks only"
  vpc_id      = local.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-efs" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "efs_from_service" {
  count = local.embedded ? 1 : 0

  security_group_id            = aws_security_group.efs[0].id
  description                  = "NFS from the incident-bot tasks"
  referenced_security_group_id = aws_security_group.service.id
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
}

# --- Created database: PostgreSQL from the tasks --------------------------

resource "aws_security_group" "database" {
  count = var.create_database ? 1 : 0

  name_prefix = "${var.name}-db-"
  description = "incident-bot PostgreSQL: 5432 from the bot tasks only"
  vpc_id      = local.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-db" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "database_from_service" {
  count = var.create_database ? 1 : 0

  security_group_id            = aws_security_group.database[0].id
  description                  = "PostgreSQL from the incident-bot tasks"
  referenced_security_group_id = aws_security_group.service.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}
