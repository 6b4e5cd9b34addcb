// The only translation unit that includes RapidJSON: the rest of the project sees util::Json.
#include "util/json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <unordered_map>

namespace ecrm::util {

namespace {

// Reads exactly the bytes of a string_view. RapidJSON's own string streams stop at the first NUL
// and EncodedInputStream silently skips a UTF-8 BOM; RFC 8259 §8.1 lets a parser reject a BOM, and
// Go's encoding/json (which registries use) does, so we do too.
class ViewStream {
 public:
  using Ch = char;
  explicit ViewStream(std::string_view text)
      : begin_(text.data()), cur_(begin_), end_(begin_ + text.size()) {}
  Ch Peek() const { return cur_ < end_ ? *cur_ : '\0'; }
  Ch Take() { return cur_ < end_ ? *cur_++ : '\0'; }
  std::size_t Tell() const { return static_cast<std::size_t>(cur_ - begin_); }
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  std::size_t PutEnd(Ch*) { return 0; }

 private:
  const char* begin_;
  const char* cur_;
  const char* end_;
};

// Numbers arrive as text and are converted here: RapidJSON 1.1's own conversion (the version
// Debian ships) reads past a table on long significands, calls clz(0) on a zero significand with a
// large exponent, and turns some overflowing numbers into tiny negatives (all found by fuzzing;
// fixed upstream after 1.1).
constexpr unsigned kParseFlags =
    rapidjson::kParseDefaultFlags | rapidjson::kParseValidateEncodingFlag |
    rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;

// RapidJSON 1.1 accepts an escaped lone surrogate ("\udc00") and writes it as a 3-byte sequence
// that is not UTF-8 (RFC 3629 §3: U+D800..U+DFFF are excluded); refuse such strings.
bool has_encoded_surrogate(const char* s, std::size_t n) {
  for (std::size_t i = 0; i + 1 < n; ++i) {
    if (static_cast<unsigned char>(s[i]) == 0xED &&
        (static_cast<unsigned char>(s[i + 1]) & 0xE0) == 0xA0)
      return true;
  }
  return false;
}

}  // namespace

Json::Json(bool b) : type_(Type::Bool), bool_(b) {}
Json::Json(std::int64_t i) : type_(Type::Int), int_(i) {}
Json::Json(double d) : type_(Type::Double), double_(d) {}
Json::Json(std::string s) : type_(Type::String), string_(std::move(s)) {}

Json Json::array() {
  Json j;
  j.type_ = Type::Array;
  return j;
}

Json Json::object() {
  Json j;
  j.type_ = Type::Object;
  return j;
}

Expected<Json> Json::parse(std::string_view text, int max_depth) {
  // A local class of a member function has the member's access, so the SAX handler can append
  // members directly (Json::set would search the object for every key: quadratic on big input).
  // Building from SAX events with an explicit stack keeps both the parse (kParseIterativeFlag) and
  // the conversion free of recursion, so hostile nesting cannot overflow the call stack.
  struct Builder {
    struct Frame {
      Json value;
      std::string key;                                    // pending member name (objects)
      std::unordered_map<std::string, std::size_t> seen;  // member name → index (objects)
    };
    int max_depth;
    std::vector<Frame> stack;
    Json root;
    bool too_deep = false;
    bool bad_number = false;  // overflows a double
    bool bad_string = false;  // holds an escaped lone surrogate

    bool add(Json value) {
      if (stack.empty()) {
        root = std::move(value);
        return true;
      }
      Frame& top = stack.back();
      if (top.value.type_ == Type::Array) {
        top.value.items_.push_back(std::move(value));
        return true;
      }
      // Duplicate names (RFC 8259 §4 leaves them undefined): the last one wins, like Go's
      // encoding/json, so we read a manifest the way the registry that stored it did.
      auto [it, inserted] = top.seen.emplace(top.key, top.value.members_.size());
      if (inserted) {
        top.value.members_.emplace_back(std::move(top.key), std::move(value));
      } else {
        top.value.members_[it->second].second = std::move(value);
      }
      return true;
    }
    bool open(Json container) {
      if (static_cast<int>(stack.size()) >= max_depth) {
        too_deep = true;
        return false;
      }
      stack.push_back(Frame{std::move(container), {}, {}});
      return true;
    }
    bool close() {
      Json value = std::move(stack.back().value);
      stack.pop_back();
      return add(std::move(value));
    }

    bool Null() { return add(Json()); }
    bool Bool(bool b) { return add(Json(b)); }
    bool Int(int i) { return add(Json(static_cast<std::int64_t>(i))); }
    bool Uint(unsigned u) { return add(Json(static_cast<std::int64_t>(u))); }
    bool Int64(std::int64_t i) { return add(Json(i)); }
    bool Uint64(std::uint64_t u) {
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return add(Json(static_cast<double>(u)));
      }
      return add(Json(static_cast<std::int64_t>(u)));
    }
    bool Double(double d) { return add(Json(d)); }
    bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
      // The text already matches JSON's number grammar (RapidJSON checked it).
      std::string_view text(s, n);
      if (text.find_first_of(".eE") == std::string_view::npos) {
        std::int64_t i = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
        if (ec == std::errc() && end == text.data() + text.size()) return add(Json(i));
      }
      std::string copy(text);
      errno = 0;
      char* end = nullptr;
      const double d = std::strtod(copy.c_str(), &end);
      if (end != copy.c_str() + copy.size() || std::isinf(d)) {
        bad_number = true;
        return false;
      }
      return add(Json(d));
    }
    bool String(const char* s, rapidjson::SizeType n, bool) {
      if (has_encoded_surrogate(s, n)) {
        bad_string = true;
        return false;
      }
      return add(Json(std::string(s, n)));
    }
    bool StartObject() { return open(Json::object()); }
    bool Key(const char* s, rapidjson::SizeType n, bool) {
      if (has_encoded_surrogate(s, n)) {
        bad_string = true;
        return false;
      }
      stack.back().key.assign(s, n);
      return true;
    }
    bool EndObject(rapidjson::SizeType) { return close(); }
    bool StartArray() { return open(Json::array()); }
    bool EndArray(rapidjson::SizeType) { return close(); }
  };

  Builder builder{max_depth < 0 ? 0 : max_depth, {}, Json(), false, false, false};
  ViewStream stream(text);
  rapidjson::Reader reader;
  rapidjson::ParseResult result = reader.Parse<kParseFlags>(stream, builder);
  if (builder.too_deep) {
    return make_error(ErrorKind::Integrity, "invalid JSON: nesting deeper than " +
                                                std::to_string(max_depth) + " levels at offset " +
                                                std::to_string(result.Offset()));
  }
  if (builder.bad_number || builder.bad_string) {
    return make_error(ErrorKind::Integrity,
                      "invalid JSON at offset " + std::to_string(result.Offset()) + ": " +
                          (builder.bad_number ? "a number too large for a double"
                                              : "a string escaping a lone UTF-16 surrogate"));
  }
  if (result.IsError()) {
    return make_error(ErrorKind::Integrity, std::string("invalid JSON at offset ") +
                                                std::to_string(result.Offset()) + ": " +
                                                rapidjson::GetParseError_En(result.Code()));
  }
  // A NUL byte reads as end-of-input to RapidJSON; anything left after it is garbage.
  if (stream.Tell() != text.size()) {
    return make_error(
        ErrorKind::Integrity,
        "invalid JSON at offset " + std::to_string(stream.Tell()) + ": unexpected NUL byte");
  }
  return std::move(builder.root);
}

namespace {

template <class Writer>
void write_value(const Json& value, Writer& writer) {
  switch (value.type()) {
    case Json::Type::Null:
      writer.Null();
      break;
    case Json::Type::Bool:
      writer.Bool(value.as_bool());
      break;
    case Json::Type::Int:
      writer.Int64(value.as_int());
      break;
    case Json::Type::Double:
      // JSON has no NaN or infinity (RFC 8259 §6); write null as JavaScript's JSON.stringify does
      // rather than emit a document nobody can parse.
      if (std::isfinite(value.as_double())) {
        writer.Double(value.as_double());
      } else {
        writer.Null();
      }
      break;
    case Json::Type::String:
      writer.String(value.as_string().data(),
                    static_cast<rapidjson::SizeType>(value.as_string().size()));
      break;
    case Json::Type::Array:
      writer.StartArray();
      for (const Json& item : value.items()) write_value(item, writer);
      writer.EndArray();
      break;
    case Json::Type::Object:
      writer.StartObject();
      for (const auto& [key, member] : value.members()) {
        writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
        write_value(member, writer);
      }
      writer.EndObject();
      break;
  }
}

}  // namespace

std::string Json::dump() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  write_value(*this, writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::int64_t Json::as_int() const {
  if (type_ == Type::Int) return int_;
  if (type_ != Type::Double || std::isnan(double_)) return 0;
  // Casting an out-of-range double is undefined behaviour: clamp first.
  constexpr double kMax = 9223372036854775807.0;  // rounds to 2^63
  if (double_ >= kMax) return std::numeric_limits<std::int64_t>::max();
  if (double_ <= -kMax) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(double_);
}

double Json::as_double() const {
  if (type_ == Type::Double) return double_;
  if (type_ == Type::Int) return static_cast<double>(int_);
  return 0;
}

const Json* Json::find(std::string_view key) const {
  for (const Member& member : members_) {
    if (member.first == key) return &member.second;
  }
  return nullptr;
}

std::optional<std::string> Json::get_string(std::string_view key) const {
  const Json* value = find(key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return value->string_;
}

std::optional<std::int64_t> Json::get_int(std::string_view key) const {
  const Json* value = find(key);
  if (value == nullptr || !value->is_int()) return std::nullopt;
  return value->int_;
}

Json& Json::set(std::string key, Json value) {
  if (type_ != Type::Object) *this = object();
  for (Member& member : members_) {
    if (member.first == key) {
      member.second = std::move(value);
      return *this;
    }
  }
  members_.emplace_back(std::move(key), std::move(value));
  return *this;
}

Json& Json::push(Json value) {
  if (type_ != Type::Array) *this = array();
  items_.push_back(std::move(value));
  return *this;
}

bool Json::erase(std::string_view key) {
  for (auto it = members_.begin(); it != members_.end(); ++it) {
    if (it->first == key) {
      members_.erase(it);
      return true;
    }
  }
  return false;
}

}  // namespace ecrm::util
