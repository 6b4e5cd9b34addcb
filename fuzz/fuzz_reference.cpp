// Fuzzes the image reference grammar (name::parse_reference, parse_repository): both take the
// user's --source and --destination verbatim.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "name/reference.hpp"

using namespace ecrm;

namespace {

void check_reference(const name::Reference& reference) {
  FUZZ_CHECK(!reference.tag.empty() || !reference.digest.empty());
  FUZZ_CHECK(reference.digest.empty() || name::is_valid_digest(reference.digest));
  FUZZ_CHECK(reference.tag.empty() || name::is_valid_tag(reference.tag));
  FUZZ_CHECK(name::is_valid_registry_host(reference.repository.registry));
  FUZZ_CHECK(!reference.repository.path.empty());
  FUZZ_CHECK(reference.identifier() ==
             (reference.digest.empty() ? reference.tag : reference.digest));
  // Printing is what the log and the outputs show; it must name the same image when read back.
  const auto reparsed = name::parse_reference(reference.str());
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(*reparsed == reference);
  FUZZ_CHECK(reparsed->str() == reference.str());
}

void check_repository(std::string_view text, const name::Repository& repository) {
  FUZZ_CHECK(name::is_valid_registry_host(repository.registry));
  const auto reparsed = name::parse_repository(repository.str());
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(*reparsed == repository);
  // A repository is a reference without tag and digest: the two parsers must agree on it.
  const auto as_reference = name::parse_reference(text);
  FUZZ_CHECK(as_reference.ok());
  FUZZ_CHECK(as_reference->repository == repository);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto reference = name::parse_reference(text);
  if (reference) {
    check_reference(*reference);
  } else {
    FUZZ_CHECK(reference.error().kind == ErrorKind::Usage);
    FUZZ_CHECK(!reference.error().message.empty());
  }
  const auto repository = name::parse_repository(text);
  if (repository) {
    check_repository(text, *repository);
  } else {
    FUZZ_CHECK(repository.error().kind == ErrorKind::Usage);
  }
  // The predicates are called on raw input elsewhere (templates, digests from registries).
  if (name::is_valid_digest(text)) FUZZ_CHECK(text.size() == 71);
  if (name::is_valid_tag(text)) FUZZ_CHECK(!text.empty() && text.size() <= 128);
  return 0;
}
