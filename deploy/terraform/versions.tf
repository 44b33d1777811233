terraform {
  # 1.11 and later: the created database's password is ephemeral and goes
  # only into write-only arguments (never in the state); and since 1.9 the
  # validation blocks in variables.tf compare variables with each other.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.87: the ephemeral random password and the write-only password
      # and secret arguments (password_wo, secret_string_wo).
      version = ">= 5.87"
    }
  }
}
