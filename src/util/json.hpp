#pragma once
// A small JSON value. RapidJSON is used only by json.cpp; the rest of the project sees this.
// Objects keep member order (a filtered index is written back in the source's order).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/expected.hpp"

namespace ecrm::util {

class Json {
 public:
  enum class Type { Null, Bool, Int, Double, String, Array, Object };
  using Member = std::pair<std::string, Json>;

  Json() = default;  // null
  Json(bool b);
  Json(std::int64_t i);
  Json(int i) : Json(static_cast<std::int64_t>(i)) {}
  Json(double d);
  Json(std::string s);
  Json(const char* s) : Json(std::string(s)) {}
  static Json array();
  static Json object();

  // Parse strictly (no comments, no trailing commas); nesting deeper than max_depth is an error.
  static Expected<Json> parse(std::string_view text, int max_depth = 64);
  std::string dump() const;  // compact, members in order

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Int || type_ == Type::Double; }
  bool is_int() const { return type_ == Type::Int; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  bool as_bool() const { return bool_; }
  std::int64_t as_int() const;  // Double truncated
  double as_double() const;
  const std::string& as_string() const { return string_; }   // "" unless a string
  const std::vector<Json>& items() const { return items_; }  // array elements
  const std::vector<Member>& members() const { return members_; }

  const Json* find(std::string_view key) const;  // object member or nullptr
  std::optional<std::string> get_string(std::string_view key) const;
  std::optional<std::int64_t> get_int(std::string_view key) const;

  Json& set(std::string key, Json value);  // object: replace or append; returns *this
  Json& push(Json value);                  // array: append; returns *this
  bool erase(std::string_view key);

 private:
  Type type_ = Type::Null;
  bool bool_ = false;
  std::int64_t int_ = 0;
  double double_ = 0;
  std::string string_;
  std::vector<Json> items_;
  std::vector<Member> members_;
};

}  // namespace ecrm::util
