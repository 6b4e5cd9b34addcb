#pragma once
// What a run asks of AWS, in the AWS layer's own terms: cli/ reads the options, app/ translates
// them into these, and nothing under aws/ knows the command line.
#include <string>
#include <utility>
#include <vector>

namespace ecrm::aws {

// The settings of a repository that --create-repository creates (seeds 002 and 004: private ECR
// repositories created on first use, with tag mutability, scan on push, encryption, a lifecycle
// policy and resource tags; ECR Public repositories with catalog data). They are applied only at
// creation: an existing repository's settings are read, never changed.
struct RepositorySpec {
  bool create = false;
  // Private ECR (CreateRepository, ECR API reference).
  std::string tag_mutability =
      "MUTABLE";  // MUTABLE|IMMUTABLE|IMMUTABLE_WITH_EXCLUSION|MUTABLE_WITH_EXCLUSION
  std::vector<std::string>
      mutability_exclusions;          // WILDCARD filters, for the *_WITH_EXCLUSION kinds
  std::string encryption = "AES256";  // AES256 | KMS
  std::string kms_key;                // KMS: key ARN, id or alias; empty: AWS managed
  bool scan_on_push = true;
  std::string lifecycle_policy;  // the policy's JSON text, validated before any AWS call
  // Both flavours.
  std::vector<std::pair<std::string, std::string>> resource_tags;
  // ECR Public catalog data (CatalogData, ECR Public API reference); empty: defaults.
  std::string description;
  std::string about;
  std::string usage;
};

struct AwsSpec {
  std::string destination_type = "auto";  // auto|ecr-public|ecr|registry
  std::string region = "us-east-1";       // STS, and a private ECR destination on another host
  std::string role_to_assume;
  std::string role_session_name = "GitHubActions";
  int role_duration_seconds = 3600;
  std::string audience = "sts.amazonaws.com";
  bool dry_run = false;
  std::string source_ref;  // for the default catalog description
  RepositorySpec repository;
};

}  // namespace ecrm::aws
