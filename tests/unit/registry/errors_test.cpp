#include "registry/errors.hpp"

#include <catch2/catch.hpp>

using namespace ecrm;

TEST_CASE("error_from_response types registry errors by status and spec code", "[errors]") {
  http::Response r;
  r.status = 404;
  r.body = R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]})";
  auto e = registry::error_from_response("HEAD manifest x", r);
  CHECK(e.kind == ErrorKind::NotFound);
  CHECK(e.code == "MANIFEST_UNKNOWN");
  CHECK(e.http_status == 404);
  CHECK(e.message.find("MANIFEST_UNKNOWN: manifest unknown") != std::string::npos);
  CHECK_FALSE(e.retryable);

  r.status = 401;
  r.body = R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})";
  e = registry::error_from_response("GET", r);
  CHECK(e.kind == ErrorKind::Auth);
  CHECK_FALSE(e.hint.empty());

  r.status = 503;
  r.body = "<html>busy</html>";
  e = registry::error_from_response("GET", r);
  CHECK(e.kind == ErrorKind::Registry);
  CHECK(e.retryable);
  CHECK(e.message.find("<html>") == std::string::npos);  // markup is not a message

  r.status = 429;
  r.body = "slow down";
  e = registry::error_from_response("GET", r);
  CHECK(e.retryable);
  CHECK(e.message.find("slow down") != std::string::npos);

  r.status = 404;
  r.body =
      R"({"errors":[{"code":"NAME_UNKNOWN","message":"The repository with name 'x' does not exist"}]})";
  e = registry::error_from_response("POST blob upload", r);
  CHECK(e.kind == ErrorKind::NotFound);
  CHECK(e.hint.find("--create-repository") != std::string::npos);
}
