#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "io/file_util.h"
#include "io/json.h"
#include "nn/error.h"
#include "tests/support/test_env.h"

using namespace repscope;
namespace fs = std::filesystem;

namespace {

std::string file_bytes(const fs::path& p) {
  return read_text_file(p);
}

std::string tensor_bytes(const Tensor& t) {
  return std::string(static_cast<const char*>(t.raw_data()), t.nbytes());
}

// A safetensors file from its parts: an 8-byte length (the header's own unless overridden),
// the header text and the data buffer.
void write_raw(const fs::path& p, const std::string& header, const std::string& data,
               std::uint64_t length_field) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i)
    bytes[static_cast<std::size_t>(i)] = static_cast<char>(length_field >> (8 * i));
  write_text_file_atomic(p, bytes + header + data);
}
void write_raw(const fs::path& p, const std::string& header, const std::string& data) {
  write_raw(p, header, data, header.size());
}

// A tensor of `dtype` and `shape` whose bytes are 0, 1, 2, ... (mod 251).
Tensor patterned(DType dtype, Shape shape) {
  Tensor t = Tensor::empty(std::move(shape), dtype);
  auto* p = static_cast<unsigned char*>(t.raw_data());
  for (std::size_t i = 0; i < t.nbytes(); ++i) p[i] = static_cast<unsigned char>(i % 251);
  if (dtype == DType::Bool) {
    for (std::size_t i = 0; i < t.nbytes(); ++i) p[i] &= 1;
  }
  return t;
}

}  // namespace

TEST(Safetensors, RoundTripsEveryDtypeWithMetadata) {
  const auto dir = test::scratch_dir();
  const DType dtypes[] = {DType::F64, DType::F32, DType::F16, DType::BF16, DType::I64,
                          DType::I32, DType::I16, DType::I8,  DType::U8,   DType::Bool};
  SafetensorsWriter w;
  std::vector<std::pair<std::string, Tensor>> expected;
  // Odd sizes first so a naive layout would misalign the wider dtypes that follow.
  for (DType t : {DType::U8, DType::Bool, DType::I8})
    expected.emplace_back(str("first.", dtype_name(t)), patterned(t, {3}));
  for (DType t : dtypes) expected.emplace_back(str("w.", dtype_name(t)), patterned(t, {2, 3, 5}));
  expected.emplace_back("scalar", Tensor::full({}, 1.5f));
  expected.emplace_back("empty", Tensor::zeros({0, 7}, DType::F16));
  for (const auto& [n, t] : expected) w.add(n, t);
  w.set_metadata("format", "pt");
  w.set_metadata("note", "\xc3\xbcnicode");
  w.write(dir / "a.safetensors");

  const std::string raw = file_bytes(dir / "a.safetensors");
  std::uint64_t n = 0;
  std::memcpy(&n, raw.data(), 8);
  EXPECT_EQ(n % 8, 0u) << "header padded to a multiple of 8";
  EXPECT_EQ(raw[8], '{');

  const auto f = SafetensorsFile::open(dir / "a.safetensors");
  ASSERT_EQ(f.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& [name, want] = expected[i];
    EXPECT_EQ(f.names()[i], name) << "names() keeps the order tensors were added";
    ASSERT_TRUE(f.contains(name));
    const Tensor got = f.tensor(name);
    EXPECT_EQ(got.dtype(), want.dtype()) << name;
    EXPECT_EQ(got.shape(), want.shape()) << name;
    EXPECT_EQ(tensor_bytes(got), tensor_bytes(want)) << name;
    EXPECT_EQ(f.info(name).end - f.info(name).begin, want.nbytes());
    // Widest-first layout keeps every tensor aligned, so reading is zero-copy: the same memory
    // twice.
    if (want.nbytes()) {
      EXPECT_EQ(got.raw_data(), f.tensor(name).raw_data()) << name;
    }
  }
  EXPECT_EQ(f.metadata().size(), 2u);
  EXPECT_EQ(f.metadata().at("note"), "\xc3\xbcnicode");
  EXPECT_FALSE(f.contains("nope"));
}

TEST(Safetensors, TensorsOutliveTheFileObjectAndConvertToF32) {
  const auto dir = test::scratch_dir();
  Tensor h = Tensor::empty({4}, DType::F16);
  Tensor b = Tensor::empty({4}, DType::BF16);
  Tensor i = Tensor::empty({4}, DType::I32);
  const float values[] = {0.5f, -2.0f, 65504.0f, 0.0999755859375f};
  for (int k = 0; k < 4; ++k) {
    h.data<std::uint16_t>()[k] = f32_to_f16(values[k]);
    b.data<std::uint16_t>()[k] = f32_to_bf16(values[k]);
    i.data<std::int32_t>()[k] = k * 1000 - 1;
  }
  save_safetensors(dir / "c.safetensors", {{"h", h}, {"b", b}, {"i", i}});
  Tensor hf, bf, fi;
  {
    const auto f = SafetensorsFile::open(dir / "c.safetensors");
    hf = f.tensor_f32("h");
    bf = f.tensor_f32("b");
    fi = f.tensor_f32("i");
    EXPECT_TRUE(f.metadata().empty());
  }
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(hf.at(k), f16_to_f32(f32_to_f16(values[k])));
    EXPECT_EQ(bf.at(k), bf16_to_f32(f32_to_bf16(values[k])));
    EXPECT_EQ(fi.at(k), static_cast<float>(k * 1000 - 1));
  }
  // A zero-copy view keeps the mapping alive after the file object is gone.
  Tensor view;
  {
    save_safetensors(dir / "d.safetensors", {{"x", Tensor::full({1000}, 3.0f)}});
    view = SafetensorsFile::open(dir / "d.safetensors").tensor("x");
  }
  EXPECT_EQ(view.at(999), 3.0f);
}

TEST(Safetensors, UnalignedDataIsCopied) {
  const auto dir = test::scratch_dir();
  // A 3-byte U8 tensor first puts the F32 tensor at an odd address (the header is 8-aligned).
  std::string header = R"({"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},)"
                       R"("b":{"dtype":"F32","shape":[2],"data_offsets":[3,11]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  const float v[2] = {1.25f, -7.5f};
  std::string data = "xyz" + std::string(reinterpret_cast<const char*>(v), 8);
  write_raw(dir / "u.safetensors", header, data);
  const auto f = SafetensorsFile::open(dir / "u.safetensors");
  const Tensor b = f.tensor("b");
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.raw_data()) % alignof(float), 0u);
  EXPECT_EQ(b.at(0), 1.25f);
  EXPECT_EQ(b.at(1), -7.5f);
  EXPECT_EQ(f.names(), (std::vector<std::string>{"a", "b"}));
}

TEST(Safetensors, MissingTensorErrorNamesFileAndTensor) {
  const auto dir = test::scratch_dir();
  save_safetensors(dir / "m.safetensors", {{"fc.weight", Tensor::zeros({2, 2})}});
  const auto f = SafetensorsFile::open(dir / "m.safetensors");
  try {
    f.tensor("fc.bias");
    FAIL();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("m.safetensors"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'fc.bias'"), std::string::npos) << msg;
  }
}

TEST(Safetensors, WriterRejectsBadInput) {
  SafetensorsWriter w;
  w.add("a", Tensor::zeros({1}));
  EXPECT_THROW(w.add("a", Tensor::zeros({1})), Error);
  EXPECT_THROW(w.add("__metadata__", Tensor::zeros({1})), Error);
  EXPECT_THROW(w.add("", Tensor::zeros({1})), Error);
  EXPECT_THROW(w.add("bad\xff", Tensor::zeros({1})), Error);
  EXPECT_THROW(w.add("undef", Tensor()), Error);
  EXPECT_THROW(w.write("/nonexistent-dir/x.safetensors"), Error);
}

// Every malformed file gives an Error that names the file and the problem, never a crash.
TEST(Safetensors, MalformedCorpusGivesClearErrors) {
  const auto dir = test::scratch_dir();
  const std::string ok_entry = R"("t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const std::string eight(8, '\0');
  struct Case {
    std::string name;
    std::string header;
    std::string data;
    std::int64_t length_field;  // -1: the header's own length
    std::string message;
  };
  std::vector<Case> cases = {
      {"short", "", "", -2, "too short"},
      {"len_past_end", "{}", "", 4096, "runs past the end of the file"},
      {"len_huge", "{}", "", 200'000'000, "over the limit of 100000000"},
      {"len_max", "{}", "", std::int64_t{-1} & 0x7fffffffffffffff, "over the limit"},
      {"not_object", "[1, 2]", "", -1, "does not start with '{'"},
      {"bad_json", "{\"t\": {\"dtype\": \"F32\",}}", "", -1, "invalid JSON"},
      {"truncated_json", "{\"t\": {\"dtype\": ", "", -1, "invalid JSON"},
      {"trailing_garbage", "{}x", "", -1, "after the JSON value"},
      {"duplicate", "{" + ok_entry + "," + ok_entry + "}", eight, -1, "duplicate key \"t\""},
      {"bad_utf8", "{\"t\xff\": {}}", "", -1, "not valid UTF-8"},
      {"bad_escape_surrogate", R"({"\ud800": {}})", "", -1, "surrogate"},
      {"unknown_dtype", R"({"t":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", "xx", -1,
       "unsupported dtype \"F8_E4M3\""},
      {"dtype_not_string", R"({"t":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})", eight, -1,
       "\"dtype\" must be a string"},
      {"missing_offsets", R"({"t":{"dtype":"F32","shape":[2]}})", eight, -1,
       "needs \"dtype\", \"shape\""},
      {"entry_not_object", R"({"t":[1,2]})", "", -1, "header entry must be an object"},
      {"shape_not_array", R"({"t":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", eight, -1,
       "\"shape\" must be an array"},
      {"negative_dim", R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight, -1,
       "shape entry must be a non-negative integer"},
      {"float_dim", R"({"t":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", eight, -1,
       "non-negative integer"},
      {"size_mismatch", R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight, -1,
       "does not match its byte range"},
      {"shape_overflow",
       R"({"t":{"dtype":"F64","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})", eight,
       -1, "does not match its byte range"},
      {"offsets_three", R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8,16]}})", eight, -1,
       "must be [begin, end]"},
      {"offsets_reversed", R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", eight, -1,
       "end before they begin"},
      {"out_of_range", R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", eight, -1,
       "past the end of the data buffer"},
      {"huge_offset",
       R"({"t":{"dtype":"U8","shape":[2],"data_offsets":[18446744073709551614,18446744073709551616]}})",
       eight, -1, "non-negative integer"},
      {"overlap",
       R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
       std::string(12, '\0'), -1, "overlap"},
      {"gap", R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight, -1,
       "gap of 4 bytes"},
      {"trailing_data", "{" + ok_entry + "}", eight + "zz", -1, "trailing bytes"},
      {"truncated_data", "{" + ok_entry + "}", "abc", -1, "past the end of the data buffer"},
      {"metadata_not_object", R"({"__metadata__":["a"]})", "", -1,
       "\"__metadata__\" must be an object"},
      {"metadata_not_string", R"({"__metadata__":{"epoch":3}})", "", -1,
       "value of \"epoch\" must be a string"},
      {"nesting_bomb", "{\"t\":" + std::string(5000, '['), "", -1, "nesting deeper"},
  };
  ASSERT_GE(cases.size(), 20u);
  for (const Case& c : cases) {
    const fs::path p = dir / (c.name + ".safetensors");
    if (c.length_field == -2) {
      write_text_file_atomic(p, "abcde");
    } else {
      write_raw(
          p, c.header, c.data,
          c.length_field == -1 ? c.header.size() : static_cast<std::uint64_t>(c.length_field));
    }
    try {
      SafetensorsFile::open(p);
      ADD_FAILURE() << c.name << ": accepted";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(p.string()), std::string::npos) << c.name << ": " << msg;
      EXPECT_NE(msg.find(c.message), std::string::npos) << c.name << ": " << msg;
    }
  }
  // An empty file and a missing file too.
  write_text_file_atomic(dir / "empty.safetensors", "");
  EXPECT_THROW(SafetensorsFile::open(dir / "empty.safetensors"), Error);
  EXPECT_THROW(SafetensorsFile::open(dir / "missing.safetensors"), Error);
}

TEST(Safetensors, TensorSpecificErrorsNameTheTensor) {
  const auto dir = test::scratch_dir();
  write_raw(dir / "n.safetensors",
            R"({"layer1.0.conv1.weight":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})", "x");
  try {
    SafetensorsFile::open(dir / "n.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'layer1.0.conv1.weight'"), std::string::npos)
        << e.what();
  }
}

// Files written by the Python package load bit-exactly.
TEST(Safetensors, LoadsFilesFromThePythonPackage) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  const auto r = test::run_python("safetensors_ref.py", "make " + test::quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Json desc = read_json_file(dir / "ref.json");
  const auto f = SafetensorsFile::open(dir / "ref.safetensors");
  EXPECT_EQ(f.size(), desc.at("tensors").size());
  for (const Json& t : desc.at("tensors").elements()) {
    const std::string& name = t.at("name").as_string();
    ASSERT_TRUE(f.contains(name)) << name;
    const Tensor got = f.tensor(name);
    EXPECT_EQ(safetensors_dtype_name(got.dtype()), t.at("dtype").as_string()) << name;
    Shape shape;
    for (const Json& d : t.at("shape").elements()) shape.push_back(d.as_int());
    EXPECT_EQ(got.shape(), shape) << name;
    EXPECT_EQ(tensor_bytes(got), file_bytes(dir / t.at("file").as_string())) << name;
  }
  const Json& meta = desc.at("metadata");
  EXPECT_EQ(f.metadata().size(), meta.size());
  for (std::size_t k = 0; k < meta.size(); ++k) {
    EXPECT_EQ(f.metadata().at(meta.keys()[k]), meta.values()[k].as_string());
  }
}

// Files we write load in the Python package, bit-exactly.
TEST(Safetensors, WrittenFilesLoadInThePythonPackage) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  SafetensorsWriter w;
  Json desc = Json::object();
  Json& list = desc["tensors"];
  list = Json::array();
  int i = 0;
  auto add = [&](const std::string& name, const Tensor& t) {
    w.add(name, t);
    const std::string file = str(i++, ".bin");
    write_text_file_atomic(dir / file, tensor_bytes(t));
    Json shape = Json::array();
    for (std::int64_t d : t.shape()) shape.push_back(d);
    Json e = Json::object();
    e["name"] = name;
    e["dtype"] = safetensors_dtype_name(t.dtype());
    e["shape"] = std::move(shape);
    e["file"] = file;
    list.push_back(std::move(e));
  };
  add("odd", patterned(DType::U8, {5}));
  for (DType t : {DType::F64, DType::F32, DType::F16, DType::BF16, DType::I64, DType::I32,
                  DType::I16, DType::I8, DType::U8, DType::Bool}) {
    add(str("w.", dtype_name(t)), patterned(t, {3, 4}));
  }
  add("scalar", Tensor::full({}, -0.25f));
  add("empty", Tensor::zeros({2, 0}, DType::I64));
  add("caf\xc3\xa9", Tensor::full({2}, 1.0f));
  desc["metadata"]["format"] = "pt";
  desc["metadata"]["by"] = "repscope";
  w.set_metadata("format", "pt");
  w.set_metadata("by", "repscope");
  w.write(dir / "ours.safetensors");
  write_json_file(dir / "ours.json", desc);
  const auto r = test::run_python("safetensors_ref.py", "check " + test::quote(dir.string()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("OK"), std::string::npos) << r.output;
}
