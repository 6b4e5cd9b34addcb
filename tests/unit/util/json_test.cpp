#include "util/json.hpp"

#include <catch2/catch.hpp>
#include <string>

using ecrm::ErrorKind;
using ecrm::util::Json;

namespace {

Json parse_ok(std::string_view text, int max_depth = 64) {
  auto parsed = Json::parse(text, max_depth);
  INFO("input: " << text);
  if (!parsed) INFO("error: " << parsed.error().message);
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

std::string nested_arrays(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']');
}

}  // namespace

TEST_CASE("parse reads every JSON type", "[json]") {
  Json j = parse_ok(R"({"n":null,"t":true,"f":false,"i":-42,"d":1.5,"s":"x","a":[1,"2"],"o":{}})");
  REQUIRE(j.is_object());
  CHECK(j.find("n")->is_null());
  CHECK(j.find("t")->as_bool() == true);
  CHECK(j.find("f")->is_bool());
  CHECK(j.find("f")->as_bool() == false);
  CHECK(j.find("i")->is_int());
  CHECK(j.get_int("i") == -42);
  CHECK(j.find("d")->type() == Json::Type::Double);
  CHECK(j.find("d")->as_double() == 1.5);
  CHECK(j.get_string("s") == "x");
  REQUIRE(j.find("a")->items().size() == 2);
  CHECK(j.find("a")->items()[1].as_string() == "2");
  CHECK(j.find("o")->is_object());
  CHECK(j.find("o")->members().empty());
  CHECK(j.find("missing") == nullptr);
  CHECK_FALSE(j.get_string("i").has_value());  // wrong type is absent, not coerced
  CHECK_FALSE(j.get_int("s").has_value());
  CHECK_FALSE(j.get_int("d").has_value());
}

TEST_CASE("dump is compact and round-trips", "[json]") {
  const std::string text =
      R"({"schemaVersion":2,"z":[true,false,null,{"k":"v"}],"a":-7,"pi":3.25,"e":"","nested":{"b":[[]]}})";
  CHECK(parse_ok(text).dump() == text);
  CHECK(parse_ok(" { \"a\" : [ 1 , 2 ] }\n").dump() == R"({"a":[1,2]})");
  CHECK(parse_ok("\"top\"").dump() == "\"top\"");
  CHECK(parse_ok("17").dump() == "17");
  CHECK(parse_ok("null").dump() == "null");
}

TEST_CASE("member order is kept, not sorted", "[json]") {
  Json j = parse_ok(R"({"zeta":1,"alpha":2,"mid":3})");
  REQUIRE(j.members().size() == 3);
  CHECK(j.members()[0].first == "zeta");
  CHECK(j.members()[1].first == "alpha");
  CHECK(j.members()[2].first == "mid");
  CHECK(j.dump() == R"({"zeta":1,"alpha":2,"mid":3})");
}

TEST_CASE("a duplicate member name keeps its first position and the last value", "[json]") {
  Json j = parse_ok(R"({"a":1,"b":2,"a":3})");
  CHECK(j.dump() == R"({"a":3,"b":2})");
}

TEST_CASE("integers that fit int64 are Int, others Double", "[json]") {
  Json j = parse_ok(
      R"([9223372036854775807,-9223372036854775808,9223372036854775808,18446744073709551616,1e3,1.0,0,-0])");
  const auto& items = j.items();
  CHECK(items[0].is_int());
  CHECK(items[0].as_int() == INT64_MAX);
  CHECK(items[1].is_int());
  CHECK(items[1].as_int() == INT64_MIN);
  CHECK(items[2].type() == Json::Type::Double);
  CHECK(items[2].as_double() == 9223372036854775808.0);
  CHECK(items[2].as_int() == INT64_MAX);  // clamped, not undefined
  CHECK(items[3].type() == Json::Type::Double);
  CHECK(items[4].type() == Json::Type::Double);
  CHECK(items[4].as_int() == 1000);
  CHECK(items[5].type() == Json::Type::Double);
  CHECK(items[6].is_int());
  CHECK(items[0].dump() == "9223372036854775807");
  CHECK(items[1].dump() == "-9223372036854775808");
}

TEST_CASE("unicode escapes decode to UTF-8 and dump escapes per RFC 8259", "[json]") {
  Json j = parse_ok(R"(["\u00e9", "\ud83d\ude00", "\u0000x", "a\"b\\c\/d\n\t\u001f", "é"])");
  const auto& items = j.items();
  CHECK(items[0].as_string() == "\xC3\xA9");
  CHECK(items[1].as_string() == "\xF0\x9F\x98\x80");
  CHECK(items[2].as_string() == std::string("\0x", 2));
  CHECK(items[3].as_string() == "a\"b\\c/d\n\t\x1f");
  CHECK(items[4].as_string() == "\xC3\xA9");
  // Control characters, quote and backslash escaped; non-ASCII passes through as UTF-8.
  CHECK(j.dump() ==
        "[\"\xC3\xA9\",\"\xF0\x9F\x98\x80\",\"\\u0000x\",\"a\\\"b\\\\c/"
        "d\\n\\t\\u001F\",\"\xC3\xA9\"]");
  CHECK(parse_ok(j.dump()).dump() == j.dump());
}

TEST_CASE("nesting deeper than max_depth is an Integrity error", "[json]") {
  CHECK(Json::parse(nested_arrays(64)).ok());
  auto too_deep = Json::parse(nested_arrays(65));
  REQUIRE_FALSE(too_deep.ok());
  CHECK(too_deep.error().kind == ErrorKind::Integrity);
  CHECK(too_deep.error().message.find("nesting deeper than 64") != std::string::npos);

  CHECK(Json::parse(R"({"a":{"b":1}})", 2).ok());
  CHECK_FALSE(Json::parse(R"({"a":{"b":{}}})", 2).ok());
  CHECK(Json::parse("1", 0).ok());
  CHECK_FALSE(Json::parse("[]", 0).ok());
}

TEST_CASE("very deep input fails cleanly instead of overflowing the stack", "[json]") {
  const std::string deep = nested_arrays(200000);
  auto parsed = Json::parse(deep);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().kind == ErrorKind::Integrity);
  auto objects = Json::parse(std::string(100000, '{'));
  CHECK_FALSE(objects.ok());
}

TEST_CASE("invalid inputs are Integrity errors naming the offset", "[json]") {
  const char* bad[] = {
      "",             // empty
      "   ",          // only whitespace
      "{",            // unterminated
      R"({"a":1,})",  // trailing comma
      "[1,]",         // trailing comma
      "// c\n{}",     // comment
      "{'a':1}",      // single quotes
      "{a:1}",        // bare key
      "NaN",          // not JSON
      "[Infinity]",   // not JSON
      "01",           // leading zero
      "1e400",        // out of double range
      "{} {}",        // two roots
      "\"a\nb\"",     // raw control character in a string
      "\"\\x41\"",    // unknown escape
      "\"\\ud800\"",  // lone surrogate
      "tru",          // truncated literal
  };
  for (const char* text : bad) {
    INFO("input: " << text);
    auto parsed = Json::parse(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().kind == ErrorKind::Integrity);
    CHECK(parsed.error().message.find("offset") != std::string::npos);
  }
  auto trailing = Json::parse(R"({"a":1} x)");
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.error().message.find("offset 8") != std::string::npos);
}

TEST_CASE("invalid UTF-8, a BOM and embedded NUL bytes are rejected", "[json]") {
  CHECK_FALSE(Json::parse("\"\xC3\"").ok());        // truncated sequence
  CHECK_FALSE(Json::parse("\"\xFF\xFE\"").ok());    // never valid
  CHECK_FALSE(Json::parse("\"\xC0\xAF\"").ok());    // overlong
  CHECK_FALSE(Json::parse("\xEF\xBB\xBF{}").ok());  // BOM
  CHECK_FALSE(Json::parse(std::string("{}\0{", 4)).ok());
  CHECK_FALSE(Json::parse(std::string("[\0]", 3)).ok());
  // A view that is not NUL-terminated is read only up to its size.
  const std::string buffer = "[1][2]";
  CHECK(Json::parse(std::string_view(buffer).substr(0, 3)).ok());
}

TEST_CASE("building values and editing objects", "[json]") {
  Json doc = Json::object();
  doc.set("b", 1).set("a", "x").set("b", 2.5);
  Json list = Json::array();
  list.push(true).push(Json()).push(std::int64_t{-3});
  doc.set("list", std::move(list));
  CHECK(doc.dump() == R"({"b":2.5,"a":"x","list":[true,null,-3]})");
  CHECK(doc.erase("a"));
  CHECK_FALSE(doc.erase("a"));
  CHECK(doc.dump() == R"({"b":2.5,"list":[true,null,-3]})");
  CHECK(Json(std::string("q\"")).dump() == R"("q\"")");
  CHECK(Json(0.1).dump() == "0.1");
  CHECK(Json(std::numeric_limits<double>::infinity()).dump() == "null");
  CHECK(Json().dump() == "null");
  CHECK(Json::object().dump() == "{}");
  CHECK(Json::array().dump() == "[]");
  CHECK(Json("s").as_int() == 0);
  CHECK(Json(7).as_double() == 7.0);
  CHECK(Json(-2.9).as_int() == -2);
}
