#include "io/json.h"

#include <locale.h>
#include <stdlib.h>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstring>
#include <unordered_set>

#include "io/file_util.h"
#include "nn/error.h"

namespace repscope {

// ---------------------------------------------------------------------------------------------
// Value

Json Json::array(std::initializer_list<Json> items) {
  Json j;
  j.type_ = Type::Array;
  j.items_.assign(items.begin(), items.end());
  return j;
}

Json Json::object() {
  Json j;
  j.type_ = Type::Object;
  return j;
}

std::string_view Json::type_name() const {
  switch (type_) {
    case Type::Null:
      return "null";
    case Type::Bool:
      return "bool";
    case Type::Int:
      return "integer";
    case Type::Double:
      return "number";
    case Type::String:
      return "string";
    case Type::Array:
      return "array";
    case Type::Object:
      return "object";
  }
  return "invalid";
}

void Json::integer_overflow() {
  fail("JSON: integer does not fit int64");
}

void Json::type_error(std::string_view wanted) const {
  fail("JSON: expected ", wanted, ", got ", type_name());
}

bool Json::as_bool() const {
  if (type_ != Type::Bool) type_error("bool");
  return bool_;
}

std::int64_t Json::as_int() const {
  if (type_ != Type::Int) type_error("integer");
  return int_;
}

double Json::as_double() const {
  if (type_ == Type::Int) return static_cast<double>(int_);
  if (type_ != Type::Double) type_error("number");
  return double_;
}

const std::string& Json::as_string() const {
  if (type_ != Type::String) type_error("string");
  return string_;
}

std::size_t Json::size() const {
  return type_ == Type::Array || type_ == Type::Object ? items_.size() : 0;
}

const Json& Json::at(std::size_t index) const {
  if (type_ != Type::Array) type_error("array");
  check(index < items_.size(), "JSON: index ", index, " out of range for an array of ",
        items_.size());
  return items_[index];
}

Json& Json::at(std::size_t index) {
  return const_cast<Json&>(static_cast<const Json&>(*this).at(index));
}

void Json::push_back(Json value) {
  if (type_ == Type::Null) type_ = Type::Array;
  if (type_ != Type::Array) type_error("array");
  items_.push_back(std::move(value));
}

const std::vector<Json>& Json::elements() const {
  if (type_ != Type::Array) type_error("array");
  return items_;
}

Json& Json::operator[](std::string_view key) {
  if (type_ == Type::Null) type_ = Type::Object;
  if (type_ != Type::Object) type_error("object");
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return items_[i];
  }
  keys_.emplace_back(key);
  items_.emplace_back();
  return items_.back();
}

const Json* Json::find(std::string_view key) const {
  if (type_ != Type::Object) type_error("object");
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return &items_[i];
  }
  return nullptr;
}

const Json& Json::at(std::string_view key) const {
  const Json* j = find(key);
  if (j == nullptr) fail("JSON: missing key \"", key, "\"");
  return *j;
}

void Json::set(std::string_view key, Json value) {
  (*this)[key] = std::move(value);
}

const std::vector<std::string>& Json::keys() const {
  if (type_ != Type::Object) type_error("object");
  return keys_;
}

const std::vector<Json>& Json::values() const {
  if (type_ != Type::Object) type_error("object");
  return items_;
}

bool operator==(const Json& a, const Json& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Json::Type::Null:
      return true;
    case Json::Type::Bool:
      return a.bool_ == b.bool_;
    case Json::Type::Int:
      return a.int_ == b.int_;
    case Json::Type::Double:
      return a.double_ == b.double_;
    case Json::Type::String:
      return a.string_ == b.string_;
    case Json::Type::Array:
      return a.items_ == b.items_;
    case Json::Type::Object:
      return a.keys_ == b.keys_ && a.items_ == b.items_;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// UTF-8

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  std::size_t len;
  std::uint32_t cp;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
    cp = b0 & 0x1fu;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    cp = b0 & 0x0fu;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    cp = b0 & 0x07u;
  } else {
    return 0;  // continuation byte, overlong 2-byte lead (c0, c1) or past U+10FFFF (f5..ff)
  }
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0u) != 0x80u) return 0;
    cp = (cp << 6) | (b & 0x3fu);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;                                  // overlong
  if (cp >= 0xd800 && cp <= 0xdfff) return 0;  // UTF-16 surrogates are not characters
  return len;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

}  // namespace

std::size_t find_invalid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

void append_json_string(std::string& out, std::string_view s) {
  const std::size_t bad = find_invalid_utf8(s);
  check(bad == std::string_view::npos, "JSON: string has invalid UTF-8 at byte ", bad);
  static const char* const kHex = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 15];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

// ---------------------------------------------------------------------------------------------
// Writer

namespace {

void append_double(std::string& out, double d) {
  check(std::isfinite(d), "JSON: cannot write ", d, " (JSON has no NaN or infinity)");
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
  out += text;
  // Keep whole-valued doubles Double when read back.
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void newline(std::string& out, int indent, int level) {
  out += '\n';
  out.append(static_cast<std::size_t>(indent) * static_cast<std::size_t>(level), ' ');
}

}  // namespace

void Json::dump_to(std::string& out, int indent, int level) const {
  switch (type_) {
    case Type::Null:
      out += "null";
      return;
    case Type::Bool:
      out += bool_ ? "true" : "false";
      return;
    case Type::Int:
      out += std::to_string(int_);
      return;
    case Type::Double:
      append_double(out, double_);
      return;
    case Type::String:
      append_json_string(out, string_);
      return;
    case Type::Array:
    case Type::Object: {
      const bool is_obj = type_ == Type::Object;
      out += is_obj ? '{' : '[';
      for (std::size_t i = 0; i < items_.size(); ++i) {
        if (i) out += ',';
        if (indent >= 0) newline(out, indent, level + 1);
        if (is_obj) {
          append_json_string(out, keys_[i]);
          out += indent >= 0 ? ": " : ":";
        }
        items_[i].dump_to(out, indent, level + 1);
      }
      if (indent >= 0 && !items_.empty()) newline(out, indent, level);
      out += is_obj ? '}' : ']';
      return;
    }
  }
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parser

class JsonParser {
 public:
  JsonParser(std::string_view text, std::string_view source, const JsonLimits& limits)
      : text_(text), source_(source), limits_(limits) {}

  Json parse_document() {
    if (text_.size() > limits_.max_bytes) {
      fail(source_, ": JSON is ", text_.size(), " bytes, over the limit of ", limits_.max_bytes);
    }
    skip_whitespace();
    Json value = parse_value(0);
    skip_whitespace();
    if (pos_ != text_.size()) error("unexpected text after the JSON value");
    return value;
  }

 private:
  [[noreturn]] void error(std::string_view what) const { error_at(pos_, what); }

  [[noreturn]] void error_at(std::size_t pos, std::string_view what) const {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < pos && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    fail(source_, ": invalid JSON at line ", line, " column ", column, " (byte ", pos, "): ", what);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_whitespace() {
    while (!at_end()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  void expect_literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) error("unexpected character");
    pos_ += word.size();
  }

  Json parse_value(std::size_t depth) {
    if (at_end()) error("unexpected end of input");
    switch (peek()) {
      case '{':
        return parse_object(depth + 1);
      case '[':
        return parse_array(depth + 1);
      case '"':
        return Json(parse_string());
      case 't':
        expect_literal("true");
        return Json(true);
      case 'f':
        expect_literal("false");
        return Json(false);
      case 'n':
        expect_literal("null");
        return Json();
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parse_number();
        error("unexpected character");
    }
  }

  void enter(std::size_t depth) {
    if (depth > limits_.max_depth) error(str("nesting deeper than ", limits_.max_depth));
  }

  Json parse_array(std::size_t depth) {
    enter(depth);
    ++pos_;  // [
    Json arr = Json::array();
    skip_whitespace();
    if (peek() == ']') {
      ++pos_;
      return arr;
    }
    for (;;) {
      skip_whitespace();
      arr.items_.push_back(parse_value(depth));
      skip_whitespace();
      if (peek() == ',') {
        ++pos_;
        skip_whitespace();
        if (peek() == ']') error("trailing comma in array");
      } else if (peek() == ']') {
        ++pos_;
        return arr;
      } else {
        error(at_end() ? "unexpected end of input in array" : "expected ',' or ']' in array");
      }
    }
  }

  Json parse_object(std::size_t depth) {
    enter(depth);
    ++pos_;  // {
    Json obj = Json::object();
    std::unordered_set<std::string> seen;
    skip_whitespace();
    if (peek() == '}') {
      ++pos_;
      return obj;
    }
    for (;;) {
      skip_whitespace();
      if (peek() != '"')
        error(at_end() ? "unexpected end of input in object" : "expected a string key");
      const std::size_t key_pos = pos_;
      std::string key = parse_string();
      if (!seen.insert(key).second) error_at(key_pos, str("duplicate key \"", key, "\""));
      skip_whitespace();
      if (peek() != ':') error("expected ':' after an object key");
      ++pos_;
      skip_whitespace();
      Json value = parse_value(depth);
      obj.keys_.push_back(std::move(key));
      obj.items_.push_back(std::move(value));
      skip_whitespace();
      if (peek() == ',') {
        ++pos_;
        skip_whitespace();
        if (peek() == '}') error("trailing comma in object");
      } else if (peek() == '}') {
        ++pos_;
        return obj;
      } else {
        error(at_end() ? "unexpected end of input in object" : "expected ',' or '}' in object");
      }
    }
  }

  std::uint32_t parse_hex4() {
    if (text_.size() - pos_ < 4) error("truncated \\u escape");
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else
        error("invalid hex digit in \\u escape");
    }
    return v;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (at_end()) error("unterminated string");
      const char c = text_[pos_];
      const auto u = static_cast<unsigned char>(c);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (u < 0x20) error("raw control character in string (must be escaped)");
      if (c == '\\') {
        ++pos_;
        if (at_end()) error("unterminated string");
        const char e = text_[pos_++];
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const std::size_t esc_pos = pos_ - 2;
            std::uint32_t cp = parse_hex4();
            if (cp >= 0xdc00 && cp <= 0xdfff) error_at(esc_pos, "lone low surrogate in \\u escape");
            if (cp >= 0xd800 && cp <= 0xdbff) {
              if (text_.substr(pos_, 2) != "\\u")
                error_at(esc_pos, "lone high surrogate in \\u escape");
              pos_ += 2;
              const std::uint32_t lo = parse_hex4();
              if (lo < 0xdc00 || lo > 0xdfff)
                error_at(esc_pos, "high surrogate not followed by a low one");
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            append_utf8(out, cp);
            break;
          }
          default:
            error_at(pos_ - 2, "invalid escape in string");
        }
        continue;
      }
      const std::size_t n = utf8_sequence_length(text_, pos_);
      if (n == 0) error("invalid UTF-8 in string");
      out.append(text_.substr(pos_, n));
      pos_ += n;
    }
  }

  Json parse_number() {
    const std::size_t start = pos_;
    auto digit = [&] { return !at_end() && text_[pos_] >= '0' && text_[pos_] <= '9'; };
    if (peek() == '-') ++pos_;
    if (!digit()) error("expected a digit");
    if (text_[pos_] == '0') {
      ++pos_;
      if (digit()) error_at(start, "leading zero in number");
    } else {
      while (digit()) ++pos_;
    }
    bool integral = true;
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!digit()) error("expected a digit after the decimal point");
      while (digit()) ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!digit()) error("expected a digit in the exponent");
      while (digit()) ++pos_;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integral) {
      std::int64_t i = 0;
      const auto r = std::from_chars(first, last, i);
      if (r.ec == std::errc() && r.ptr == last) return Json(i);
      // Out of int64 range: fall through to a double, like most JSON readers.
    }
    double d = 0;
    const auto r = std::from_chars(first, last, d);
    if (r.ptr != last) error_at(start, "invalid number");
    // from_chars leaves d unset when the value over- or underflows; strtod in the C locale gives
    // HUGE_VAL for an overflow (an error) and 0 or a subnormal for an underflow (a fine value).
    if (r.ec == std::errc::result_out_of_range) {
      static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
      d = strtod_l(std::string(first, last).c_str(), nullptr, c_locale);
    }
    if (!std::isfinite(d)) error_at(start, "number out of range");
    return Json(d);
  }

  std::string_view text_;
  std::string_view source_;
  JsonLimits limits_;
  std::size_t pos_ = 0;
};

Json parse_json(std::string_view text, std::string_view source, const JsonLimits& limits) {
  return JsonParser(text, source, limits).parse_document();
}

Json read_json_file(const std::filesystem::path& path, const JsonLimits& limits) {
  const std::string text = read_text_file(path);
  return parse_json(text, path.string(), limits);
}

void write_json_file(const std::filesystem::path& path, const Json& value, int indent) {
  write_text_file_atomic(path, value.dump(indent) + "\n");
}

}  // namespace repscope
