#include "mirror/limits.hpp"

#include <catch2/catch.hpp>

using namespace ecrm;

namespace {

mirror::DestinationLimits ecr() {
  mirror::DestinationLimits limits;
  limits.registry_name = "ECR";
  limits.refuses_empty_blobs = true;
  limits.max_layers = 500;
  limits.max_blob_bytes = 52000ULL * 1024 * 1024;
  return limits;
}

oci::Descriptor blob(std::string digest, std::int64_t size) {
  oci::Descriptor d;
  d.digest = std::move(digest);
  d.size = size;
  return d;
}

}  // namespace

TEST_CASE("what ECR refuses is refused before any write", "[limits]") {
  const std::vector<mirror::ManifestToPush> ok_manifests = {{"sha256:m1", 500}, {"sha256:i", 0}};
  CHECK(mirror::check_limits(ok_manifests, {blob("sha256:a", 1)}, ecr(), "host/repo").ok());

  auto layers = mirror::check_limits({{"sha256:m2", 501}}, {}, ecr(), "host/repo");
  REQUIRE_FALSE(layers.ok());
  CHECK(layers.error().kind == ErrorKind::Registry);
  CHECK(layers.error().message.find("sha256:m2 has 501 layers") != std::string::npos);
  CHECK(layers.error().hint.find("nothing was written") == 0);

  auto empty = mirror::check_limits(ok_manifests, {blob("sha256:a", 1), blob("sha256:e", 0)}, ecr(),
                                    "host/repo");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().message.find("sha256:e is empty (0 bytes)") != std::string::npos);
  CHECK(empty.error().message.find("EmptyUploadException") != std::string::npos);

  auto big = mirror::check_limits(ok_manifests, {blob("sha256:b", 52001LL * 1024 * 1024)}, ecr(),
                                  "host/repo");
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message.find("sha256:b") != std::string::npos);
}

TEST_CASE("a registry without limits takes what the spec allows", "[limits]") {
  CHECK(mirror::check_limits({{"sha256:m", 5000}}, {blob("sha256:e", 0)}, {}, "host/repo").ok());
}
