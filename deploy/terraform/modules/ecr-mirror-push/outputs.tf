output "role_arn" {
  description = "Set it as the repository variable ECR_PUSH_ROLE_ARN (role-to-assume)"
  value       = aws_iam_role.push.arn
}

output "oidc_provider_arn" {
  value = local.oidc_provider_arn
}

output "repository_uri" {
  description = "Where ecr-mirror pushes (the destination input)"
  value = local.is_public ? (
    var.create_repository ? aws_ecrpublic_repository.this[0].repository_uri : null
  ) : (var.create_repository ? aws_ecr_repository.this[0].repository_url : null)
}

output "policy_json" {
  description = "The role's permissions policy"
  value       = data.aws_iam_policy_document.push.json
}
