#include "io/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "io/file_util.h"
#include "nn/error.h"
#include "tests/support/test_env.h"

using namespace repscope;

namespace {

// The Error message parse_json gives for `text` ("" when it parses).
std::string parse_error(std::string_view text, const JsonLimits& limits = {}) {
  try {
    parse_json(text, "doc.json", limits);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Json, ParsesScalarsAndKeepsKeyOrder) {
  const Json j = parse_json(
      R"( {"z": 1, "a": [true, false, null], "m": -2.5e3, "s": "x\ty\u00e9\ud83d\ude00"} )");
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j.keys(), (std::vector<std::string>{"z", "a", "m", "s"}));
  EXPECT_TRUE(j.at("z").is_int());
  EXPECT_EQ(j.at("z").as_int(), 1);
  EXPECT_EQ(j.at("a").size(), 3u);
  EXPECT_TRUE(j.at("a").at(std::size_t{0}).as_bool());
  EXPECT_TRUE(j.at("a").at(std::size_t{2}).is_null());
  EXPECT_EQ(j.at("m").type(), Json::Type::Double);
  EXPECT_DOUBLE_EQ(j.at("m").as_double(), -2500.0);
  EXPECT_EQ(j.at("s").as_string(), "x\ty\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(j.find("missing"), nullptr);
}

TEST(Json, IntegersAndDoubles) {
  EXPECT_EQ(parse_json("9223372036854775807").as_int(), INT64_MAX);
  EXPECT_EQ(parse_json("-9223372036854775808").as_int(), INT64_MIN);
  // Past int64: a double, like Python's json would give a float for 1e19.
  EXPECT_TRUE(parse_json("9223372036854775808").type() == Json::Type::Double);
  EXPECT_EQ(parse_json("1.0").type(), Json::Type::Double);
  EXPECT_EQ(parse_json("-0").as_int(), 0);
  EXPECT_DOUBLE_EQ(parse_json("1e-400").as_double(), 0.0);  // underflow is a value
  EXPECT_DOUBLE_EQ(parse_json("4.9e-324").as_double(), 4.9e-324);
  EXPECT_DOUBLE_EQ(parse_json("0.1").as_double(), 0.1);
  EXPECT_DOUBLE_EQ(parse_json("3").as_double(), 3.0);
  EXPECT_THROW(parse_json("1.5").as_int(), Error);
}

TEST(Json, RejectsInvalidDocumentsWithPosition) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "unexpected end"},
      {"{\"a\": 1, \"a\": 2}", "duplicate key \"a\""},
      {"[1, 2,]", "trailing comma"},
      {"{\"a\": 1,}", "trailing comma"},
      {"{'a': 1}", "expected a string key"},
      {"01", "leading zero"},
      {"1.", "digit after the decimal point"},
      {"-", "expected a digit"},
      {"1e", "exponent"},
      {"NaN", "unexpected character"},
      {"Infinity", "unexpected character"},
      {"1e999", "out of range"},
      {"\"abc", "unterminated string"},
      {"\"a\nb\"", "raw control character"},
      {"\"\\x\"", "invalid escape"},
      {"\"\\ud800\"", "lone high surrogate"},
      {"\"\\udc00\"", "lone low surrogate"},
      {"\"\\u12G4\"", "invalid hex digit"},
      {"\"\xff\"", "invalid UTF-8"},
      {"\"\xc0\xaf\"", "invalid UTF-8"},          // overlong '/'
      {"\"\xed\xa0\x80\"", "invalid UTF-8"},      // encoded surrogate
      {"\"\xf4\x90\x80\x80\"", "invalid UTF-8"},  // past U+10FFFF
      {"\"\xe2\x82\"", "invalid UTF-8"},          // truncated sequence
      {"[1] [2]", "after the JSON value"},
      {"{\"a\" 1}", "expected ':'"},
      {"[1 2]", "expected ',' or ']'"},
      {"// c\n1", "unexpected character"},
      {"\xef\xbb\xbf{}", "unexpected character"},  // byte order mark
      {"tru", "unexpected character"},
  };
  for (const Case& c : cases) {
    const std::string msg = parse_error(c.text);
    EXPECT_NE(msg.find(c.message), std::string::npos)
        << "input: " << c.text << "\nmessage: " << msg;
    EXPECT_NE(msg.find("doc.json"), std::string::npos) << msg;
  }
  EXPECT_NE(parse_error("{\n  \"a\": 1,\n  \"a\": 2}").find("line 3 column 3"), std::string::npos);
}

TEST(Json, DepthAndSizeLimits) {
  const std::string deep = std::string(600, '[') + std::string(600, ']');
  EXPECT_NE(parse_error(deep).find("nesting deeper than 512"), std::string::npos);
  JsonLimits limits;
  limits.max_depth = 1000;
  EXPECT_EQ(parse_error(deep, limits), "");
  limits.max_bytes = 10;
  EXPECT_NE(parse_error("[1, 2, 3, 4, 5]", limits).find("over the limit of 10"), std::string::npos);
  // A million-deep input must give an error, not a stack overflow.
  EXPECT_NE(parse_error(std::string(1'000'000, '[')).find("nesting"), std::string::npos);
}

TEST(Json, BuildsAndPrettyPrints) {
  Json m = Json::object();
  m["model"] = "resnet50";
  m["layers"] = Json::array({"layer1", "layer2"});
  m["images"] = 1440;
  m["scale"] = 1.0;
  m["ok"] = true;
  m["none"] = nullptr;
  m["empty"] = Json::array();
  m["nested"]["x"] = 0.25;
  EXPECT_EQ(
      m.dump(),
      R"({"model":"resnet50","layers":["layer1","layer2"],"images":1440,"scale":1.0,"ok":true,)"
      R"("none":null,"empty":[],"nested":{"x":0.25}})");
  EXPECT_EQ(m.dump(2), R"({
  "model": "resnet50",
  "layers": [
    "layer1",
    "layer2"
  ],
  "images": 1440,
  "scale": 1.0,
  "ok": true,
  "none": null,
  "empty": [],
  "nested": {
    "x": 0.25
  }
})");
  EXPECT_EQ(parse_json(m.dump(2)), m);
  EXPECT_EQ(parse_json(m.dump()), m);
  m.set("model", "vit");  // replaces in place
  EXPECT_EQ(m.keys().front(), "model");
  EXPECT_EQ(m.at("model").as_string(), "vit");
}

TEST(Json, WriterEscapesAndRoundTripsDoubles) {
  EXPECT_EQ(Json("a\"b\\c\n\x01\xc3\xa9").dump(), "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
  for (double d : {0.1, 1e300, -2.5e-308, 123456789.123, 1e21, 5e-324}) {
    EXPECT_EQ(parse_json(Json(d).dump()).as_double(), d) << Json(d).dump();
  }
  EXPECT_EQ(Json(1e21).dump(), "1e+21");
  EXPECT_THROW(Json(std::nan("")).dump(), Error);
  EXPECT_THROW(Json(1.0 / 0.0).dump(), Error);
  EXPECT_THROW(Json(std::string("\xff")).dump(), Error);
  EXPECT_THROW(Json(std::uint64_t{1} << 63), Error);
}

TEST(Json, TypeErrorsNameTheTypes) {
  const Json j = parse_json(R"({"a": "text"})");
  try {
    (void)j.at("a").as_int();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected integer, got string"), std::string::npos);
  }
  try {
    (void)j.at("b");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing key \"b\""), std::string::npos);
  }
}

TEST(Json, FilesRoundTripAndErrorsNameThePath) {
  const auto dir = test::scratch_dir();
  Json j = Json::object();
  j["n"] = 3;
  write_json_file(dir / "m.json", j);
  EXPECT_EQ(read_json_file(dir / "m.json"), j);
  write_text_file_atomic(dir / "bad.json", "{\"n\": }");
  try {
    read_json_file(dir / "bad.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos);
  }
}
