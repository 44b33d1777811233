# Alerts in: everything AWS has to say goes to one SNS topic, which posts
# to the bot's /alerts/sns receiver over HTTPS through the team's ALB.
#
#   EventBridge (AWS Health, EC2 stopped) --+
#   CloudWatch alarms (var.alarms, others) --+--> SNS <name>-alerts --HTTPS--> ALB --> /alerts/sns

resource "aws_sns_topic" "alerts" {
  name = "${var.name}-alerts"
  # Null: not encrypted. The AWS managed aws/sns key would silently drop
  # EventBridge and CloudWatch deliveries (see the variable).
  kms_master_key_id = var.alerts_topic_kms_key_id
  tags              = var.tags
}

data "aws_iam_policy_document" "alerts_topic" {
  # What the default topic policy allows: the owning account manages and
  # publishes to the topic (its IAM policies decide who in it may).
  statement {
    sid = "OwnerAccount"
    actions = [
      "sns:GetTopicAttributes",
      "sns:SetTopicAttributes",
      "sns:AddPermission",
      "sns:RemovePermission",
      "sns:DeleteTopic",
      "sns:Subscribe",
      "sns:ListSubscriptionsByTopic",
      "sns:Publish",
    ]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # EventBridge rules and CloudWatch alarms publish as services; only on
  # behalf of this account (no confused deputy from other accounts' rules).
  statement {
    sid       = "AwsServicesOfThisAccount"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts_topic.json
}

resource "aws_sns_topic_subscription" "bot" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "https"
  endpoint  = local.alerts_url

  # The bot confirms the subscription itself (only for topics in
  # ALERT_SNS_TOPICS, and only from an SNS host), so Terraform waits for
  # the confirmation instead of leaving it pending. That needs the service
  # running and the ALB rule in place: see depends_on.
  endpoint_auto_confirms          = true
  confirmation_timeout_in_minutes = 5

  # The bot verifies SNS's signature on the whole envelope: never raw.
  raw_message_delivery = false

  # SNS's default for HTTPS is 3 retries 20 s apart: a deploy of the
  # embedded store (old task stopped before the new one starts) or a short
  # outage would lose alerts. Retry for about 45 minutes instead
  # (SNS caps a policy at 3600 s in all).
  delivery_policy = jsonencode({
    healthyRetryPolicy = {
      minDelayTarget     = 5
      maxDelayTarget     = 60
      numRetries         = 50
      numNoDelayRetries  = 0
      numMinDelayRetries = 3
      numMaxDelayRetries = 35
      backoffFunction    = "exponential"
    }
  })

  depends_on = [aws_ecs_service.this, aws_lb_listener_rule.alerts]
}

# ---------------------------------------------------------------------------
# EventBridge rules (default event bus of the provider's region)
# ---------------------------------------------------------------------------

# Every AWS Health event: open issues, account notifications and scheduled
# changes such as EC2 instance retirement or RDS maintenance. Health sends
# events to the region of the affected resources; account-wide and global
# ones to us-east-1 (see README).
resource "aws_cloudwatch_event_rule" "aws_health" {
  name        = "${var.name}-aws-health"
  description = "AWS Health events to ${var.name}"
  event_pattern = jsonencode({
    source        = ["aws.health"]
    "detail-type" = ["AWS Health Event"]
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "aws_health" {
  rule      = aws_cloudwatch_event_rule.aws_health.name
  target_id = "incident-bot-alerts"
  arn       = aws_sns_topic.alerts.arn
}

# An instance that stopped: retired hardware, a failed status check with a
# stop action, or someone's mistake. ec2.start_instance can undo it.
resource "aws_cloudwatch_event_rule" "ec2_stopped" {
  name        = "${var.name}-ec2-stopped"
  description = "EC2 instances entering the stopped state, to ${var.name}"
  event_pattern = jsonencode({
    source        = ["aws.ec2"]
    "detail-type" = ["EC2 Instance State-change Notification"]
    detail = {
      state = ["stopped"]
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "ec2_stopped" {
  rule      = aws_cloudwatch_event_rule.ec2_stopped.name
  target_id = "incident-bot-alerts"
  arn       = aws_sns_topic.alerts.arn
}

# ---------------------------------------------------------------------------
# CloudWatch alarms. Terraform cannot add actions to alarms it does not own:
# existing alarms add the alerts_topic_arn output to their alarm_actions and
# ok_actions where they are defined. var.alarms creates new ones.
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = var.alarms

  # The name is the team's own: playbooks and alerts refer to it.
  alarm_name          = each.key
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison_operator
  treat_missing_data  = each.value.treat_missing_data

  # OK too: the bot reads an OK as the alert resolved.
  alarm_actions = [aws_sns_topic.alerts.arn]
  ok_actions    = [aws_sns_topic.alerts.arn]

  tags = var.tags
}
