terraform {
  # 1.9 and later: the validation blocks in variables.tf compare variables
  # with each other (desired_count with store, for instance), which older
  # versions refuse with "Invalid reference in variable validation".
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.40: aws_vpc_security_group_*_rule, throughput_mode = "elastic" and
      # the ECS / SNS arguments used here are all there by then.
      version = ">= 5.40"
    }
    random = {
      source = "hashicorp/random"
      # Only for the master password of the database create_database makes.
      version = ">= 3.5"
    }
  }
}
