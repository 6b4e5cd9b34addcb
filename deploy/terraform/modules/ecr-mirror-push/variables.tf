variable "subject_claims" {
  description = "OIDC sub claims the role trusts (StringLike), e.g. [\"repo:OWNER/REPO:ref:refs/heads/main\"]"
  type        = list(string)
  validation {
    condition = length(var.subject_claims) > 0 && alltrue([
      for s in var.subject_claims : can(regex("^repo:[A-Za-z0-9_.-]+/[A-Za-z0-9_.*-]+:(ref:refs/(heads|tags)/.+|environment:.+|pull_request)$", s))
    ])
    error_message = "Each subject claim must look like repo:OWNER/REPO:ref:refs/heads/BRANCH, :ref:refs/tags/TAG, :environment:NAME or :pull_request."
  }
}

variable "create_oidc_provider" {
  description = "false when the account already has token.actions.githubusercontent.com"
  type        = bool
  default     = true
}

variable "existing_oidc_provider_arn" {
  description = "With create_oidc_provider = false, the existing provider's ARN"
  type        = string
  default     = ""
}

variable "role_name" {
  type    = string
  default = "ecr-mirror-push"
}

variable "destination_type" {
  description = "ecr-public or ecr"
  type        = string
  default     = "ecr-public"
  validation {
    condition     = contains(["ecr-public", "ecr"], var.destination_type)
    error_message = "destination_type is ecr-public or ecr."
  }
}

variable "repository_name" {
  description = "The repository (for ECR Public without the registry alias)"
  type        = string
}

variable "create_repository" {
  description = "Whether this module creates the repository"
  type        = bool
  default     = true
}

variable "allow_create_repository" {
  description = "Lets the action create repositories itself (create-repository: true)"
  type        = bool
  default     = false
}

variable "allow_repository_tags" {
  description = "Lets the action tag a repository it creates (repository-tags)"
  type        = bool
  default     = false
}

variable "allow_lifecycle_policy" {
  description = "Private ECR: lets the action set the lifecycle policy of a repository it creates"
  type        = bool
  default     = false
}

variable "action_kms_key_arn" {
  description = "Private ECR: the KMS key the action may encrypt repositories it creates with"
  type        = string
  default     = ""
}

variable "catalog_data" {
  description = "ECR Public catalog data"
  type = object({
    description       = optional(string, "")
    about_text        = optional(string, "")
    usage_text        = optional(string, "")
    architectures     = optional(list(string), ["x86-64", "ARM 64"])
    operating_systems = optional(list(string), ["Linux"])
  })
  default = {}
}

variable "image_tag_mutability" {
  description = "Private ECR: MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION"
  type        = string
  default     = "MUTABLE"
}

variable "mutability_exclusion_filters" {
  description = "Private ECR: WILDCARD filters for the *_WITH_EXCLUSION modes (e.g. the rolling tag)"
  type        = list(string)
  default     = []
}

variable "scan_on_push" {
  type    = bool
  default = true
}

variable "encryption_type" {
  description = "Private ECR: AES256, KMS or KMS_DSSE"
  type        = string
  default     = "AES256"
}

variable "kms_key" {
  description = "Private ECR: key for KMS encryption (null: the AWS managed key)"
  type        = string
  default     = null
}

variable "lifecycle_policy" {
  description = "Private ECR: lifecycle policy JSON for the repository this module creates"
  type        = string
  default     = ""
}

variable "tags" {
  description = "Resource tags"
  type        = map(string)
  default     = {}
}
