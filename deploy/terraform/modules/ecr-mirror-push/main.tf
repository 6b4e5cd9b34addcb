# ecr-mirror's AWS setup: the GitHub OIDC provider, a push role trusted only by the listed
# workflow subjects, the least-privilege policy, and the repository. The policy's actions are read
# from permissions.json (a copy of deploy/permissions.json, kept identical by deploy/check.py), so
# this module, the CloudFormation template and the README cannot drift apart.
locals {
  permissions = jsondecode(file("${path.module}/permissions.json"))
  service     = local.permissions[var.destination_type]
  is_public   = var.destination_type == "ecr-public"
  repository_arn = local.is_public ? (
    "arn:${data.aws_partition.current.partition}:ecr-public::${data.aws_caller_identity.current.account_id}:repository/${var.repository_name}"
    ) : (
    "arn:${data.aws_partition.current.partition}:ecr:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:repository/${var.repository_name}"
  )
  settings = local.service.settings
  statements = concat(
    [
      { sid = "Token", resources = ["*"], actions = local.service.push.account },
      { sid = "Push", resources = [local.repository_arn], actions = local.service.push.repository },
    ],
    var.allow_create_repository ? [{ sid = "CreateRepository", resources = [local.repository_arn], actions = local.settings["create-repository"].repository }] : [],
    var.allow_repository_tags ? [{ sid = "RepositoryTags", resources = [local.repository_arn], actions = local.settings["repository-tags"].repository }] : [],
    !local.is_public && var.allow_lifecycle_policy ? [{ sid = "LifecyclePolicy", resources = [local.repository_arn], actions = local.settings["lifecycle-policy"].repository }] : [],
    !local.is_public && var.action_kms_key_arn != "" ? [{ sid = "KmsKey", resources = [var.action_kms_key_arn], actions = local.settings["kms-key"].kms }] : [],
  )
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.existing_oidc_provider_arn
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
  tags           = var.tags
}

data "aws_iam_policy_document" "trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = var.subject_claims
    }
  }
}

data "aws_iam_policy_document" "push" {
  dynamic "statement" {
    for_each = local.statements
    content {
      sid       = statement.value.sid
      effect    = "Allow"
      resources = statement.value.resources
      actions   = statement.value.actions
    }
  }
}

resource "aws_iam_role" "push" {
  name                 = var.role_name
  description          = "Assumed by ecr-mirror through GitHub OIDC to push mirrored images"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 43200
  tags                 = var.tags
}

resource "aws_iam_role_policy" "push" {
  name   = "ecr-mirror-push"
  role   = aws_iam_role.push.id
  policy = data.aws_iam_policy_document.push.json
}

resource "aws_ecrpublic_repository" "this" {
  count           = local.is_public && var.create_repository ? 1 : 0
  repository_name = var.repository_name
  catalog_data {
    description       = var.catalog_data.description != "" ? var.catalog_data.description : "Mirror maintained by ecr-mirror (${var.repository_name})"
    about_text        = var.catalog_data.about_text != "" ? var.catalog_data.about_text : null
    usage_text        = var.catalog_data.usage_text != "" ? var.catalog_data.usage_text : null
    architectures     = var.catalog_data.architectures
    operating_systems = var.catalog_data.operating_systems
  }
  tags = var.tags
}

resource "aws_ecr_repository" "this" {
  count                = !local.is_public && var.create_repository ? 1 : 0
  name                 = var.repository_name
  image_tag_mutability = var.image_tag_mutability
  dynamic "image_tag_mutability_exclusion_filter" {
    for_each = var.mutability_exclusion_filters
    content {
      filter      = image_tag_mutability_exclusion_filter.value
      filter_type = "WILDCARD"
    }
  }
  image_scanning_configuration {
    scan_on_push = var.scan_on_push
  }
  encryption_configuration {
    encryption_type = var.encryption_type
    kms_key         = var.kms_key
  }
  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  count      = !local.is_public && var.create_repository && var.lifecycle_policy != "" ? 1 : 0
  repository = aws_ecr_repository.this[0].name
  policy     = var.lifecycle_policy
}
