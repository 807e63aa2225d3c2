// A small strict JSON (RFC 8259) value type with a parser and a writer.
//
// Parsing is strict: objects keep their key order and duplicate keys are an error, strings must
// be valid UTF-8 (no lone surrogates, overlong forms or raw control characters), no comments,
// trailing commas, NaN/Infinity or leading zeros. Integers without fraction or exponent that fit
// int64 are Int; every other number is Double (an overflow to infinity is an error). Nesting depth
// and input size are capped (JsonLimits). Errors name the source (a file name) and the line and
// column.
//
// Writing: dump() gives compact JSON; dump(2) pretty-prints with 2-space indentation like
// Python's json.dumps(indent=2). Doubles are written in the shortest form that reads back to the
// same value, with ".0" added to whole numbers so they stay Double. NaN and infinities are
// rejected (JSON has no spelling for them).
//
//   Json m = Json::object();
//   m["model"] = "resnet50";
//   m["layers"] = Json::array({"layer1", "layer2"});
//   m["images"] = 1440;
//   write_text_file_atomic("manifest.json", m.dump(2) + "\n");
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace repscope {

class Json {
 public:
  enum class Type : std::uint8_t { Null, Bool, Int, Double, String, Array, Object };

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::Bool), bool_(b) {}
  template <std::integral T>
  requires(!std::same_as<T, bool>) Json(T i) : type_(Type::Int), int_(checked_int(i)) {}
  Json(double d) : type_(Type::Double), double_(d) {}
  Json(float f) : Json(static_cast<double>(f)) {}
  Json(const char* s) : type_(Type::String), string_(s) {}
  Json(std::string_view s) : type_(Type::String), string_(s) {}
  Json(std::string s) : type_(Type::String), string_(std::move(s)) {}

  static Json array(std::initializer_list<Json> items = {});
  static Json object();

  Type type() const { return type_; }
  // "null", "bool", "integer", "number", "string", "array", "object"
  std::string_view type_name() const;
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_int() const { return type_ == Type::Int; }
  bool is_number() const { return type_ == Type::Int || type_ == Type::Double; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // Typed access; throws Error naming the actual type on a mismatch. as_double() accepts Int.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_double() const;
  const std::string& as_string() const;

  // Arrays and objects: number of elements / members (0 for other types).
  std::size_t size() const;

  // Arrays. at(i) throws on an out-of-range index; push_back turns null into an array.
  const Json& at(std::size_t index) const;
  Json& at(std::size_t index);
  void push_back(Json value);
  const std::vector<Json>& elements() const;

  // Objects, in insertion (file) order. operator[] inserts null when the key is missing and turns
  // null into an object; at(key) throws Error naming the key when missing; find returns nullptr.
  Json& operator[](std::string_view key);
  const Json& at(std::string_view key) const;
  const Json* find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // Sets key to value, replacing an existing member in place (keeps its position).
  void set(std::string_view key, Json value);
  const std::vector<std::string>& keys() const;
  // Member values, parallel to keys().
  const std::vector<Json>& values() const;

  // Compact when indent < 0, otherwise one member per line indented by `indent` spaces.
  std::string dump(int indent = -1) const;

  friend bool operator==(const Json& a, const Json& b);

 private:
  template <std::integral T>
  static std::int64_t checked_int(T i) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      if (i > static_cast<T>(INT64_MAX)) integer_overflow();
    }
    return static_cast<std::int64_t>(i);
  }
  [[noreturn]] static void integer_overflow();
  [[noreturn]] void type_error(std::string_view wanted) const;
  void dump_to(std::string& out, int indent, int level) const;
  friend class JsonParser;

  Type type_ = Type::Null;
  bool bool_ = false;
  std::int64_t int_ = 0;
  double double_ = 0.0;
  std::string string_;
  std::vector<Json> items_;        // array elements, or object member values
  std::vector<std::string> keys_;  // object member names, parallel to items_
};

struct JsonLimits {
  std::size_t max_depth = 512;          // nested arrays/objects
  std::size_t max_bytes = 256'000'000;  // input size
};

// Parses one JSON value (surrounded by optional whitespace). `source` names the input in errors
// ("manifest.json", "safetensors header of x.safetensors").
Json parse_json(std::string_view text, std::string_view source = "JSON",
                const JsonLimits& limits = {});
// Reads and parses a file; errors name the path.
Json read_json_file(const std::filesystem::path& path, const JsonLimits& limits = {});
// Writes value.dump(indent) plus a newline atomically.
void write_json_file(const std::filesystem::path& path, const Json& value, int indent = 2);

// Validates UTF-8 (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF).
// Returns the byte offset of the first invalid sequence, or npos when the text is valid.
std::size_t find_invalid_utf8(std::string_view text);
// Appends s as a JSON string literal (with quotes) to out. Throws Error on invalid UTF-8.
void append_json_string(std::string& out, std::string_view s);

}  // namespace repscope
