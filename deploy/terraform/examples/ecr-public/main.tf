# The setup seeds 000 and 001 describe: an ECR Public repository for the devcontainer base image
# mirror, and a push role for this repository's scheduled workflow on main.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.90"
    }
  }
}

provider "aws" {
  region = "us-east-1" # ECR Public exists only in us-east-1
}

module "ecr_mirror" {
  source          = "../../modules/ecr-mirror-push"
  repository_name = "caylent-solutions/devcontainer-base"
  subject_claims  = ["repo:caylent/devcontainer:ref:refs/heads/main"]
  catalog_data = {
    description = "Mirror of mcr.microsoft.com/devcontainers/base for global low-latency pulls"
  }
  tags = { managed-by = "terraform" }
}

output "role_arn" {
  value = module.ecr_mirror.role_arn
}

output "repository_uri" {
  value = module.ecr_mirror.repository_uri
}
