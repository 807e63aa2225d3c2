#include "io/npy.h"

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

std::string tensor_bytes(const Tensor& t) {
  return std::string(static_cast<const char*>(t.raw_data()), t.nbytes());
}

Tensor patterned(DType dtype, Shape shape) {
  Tensor t = Tensor::empty(std::move(shape), dtype);
  auto* p = static_cast<unsigned char*>(t.raw_data());
  for (std::size_t i = 0; i < t.nbytes(); ++i)
    p[i] = static_cast<unsigned char>((i * 37 + 11) % 256);
  if (dtype == DType::Bool) {
    for (std::size_t i = 0; i < t.nbytes(); ++i) p[i] &= 1;
  }
  return t;
}

// An .npy file from a header dict (padded like NumPy's) and raw data.
std::string npy_file(const std::string& dict, const std::string& data, int version = 1) {
  const std::size_t prefix = version == 1 ? 10 : 12;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(version);
  out += '\0';
  for (std::size_t i = 0; i < prefix - 8; ++i)
    out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string error_of(const fs::path& p) {
  try {
    read_npy(p);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

Tensor stream_batch(std::int64_t first_row, std::int64_t n) {
  Tensor t = Tensor::empty({n, 2, 5});
  for (std::int64_t r = 0; r < n; ++r) {
    for (int j = 0; j < 10; ++j)
      t.data<float>()[r * 10 + j] = static_cast<float>((first_row + r) * 10 + j);
  }
  return t;
}

const DType kNpyDTypes[] = {DType::F32, DType::F16, DType::F64, DType::I64, DType::I32,
                            DType::I16, DType::I8,  DType::U8,  DType::Bool};

}  // namespace

TEST(Npy, RoundTripsEveryDtype) {
  const auto dir = test::scratch_dir();
  for (DType t : kNpyDTypes) {
    for (const Shape& shape : {Shape{2, 3, 4}, Shape{}, Shape{0, 3}, Shape{7}}) {
      const Tensor a = patterned(t, shape);
      const fs::path p = dir / str(dtype_name(t), "_", shape.size(), ".npy");
      write_npy(p, a);
      const NpyMappedFile m = NpyMappedFile::open(p);
      EXPECT_EQ(m.header().data_offset % 64, 0u);
      EXPECT_EQ(m.header().major_version, 1);
      for (const Tensor& b : {read_npy(p), m.tensor(), map_npy(p)}) {
        EXPECT_EQ(b.dtype(), t);
        EXPECT_EQ(b.shape(), shape);
        EXPECT_EQ(tensor_bytes(b), tensor_bytes(a)) << p;
      }
    }
  }
  EXPECT_THROW(write_npy(dir / "bf.npy", Tensor::zeros({2}, DType::BF16)), Error);
  EXPECT_FALSE(fs::exists(dir / "bf.npy"));
}

TEST(Npy, MappedTensorIsZeroCopyAndOutlivesTheFile) {
  const auto dir = test::scratch_dir();
  write_npy(dir / "x.npy", Tensor::full({100, 10}, 2.0f));
  Tensor view;
  {
    const NpyMappedFile m = NpyMappedFile::open(dir / "x.npy");
    view = m.tensor();
    EXPECT_EQ(view.raw_data(), m.tensor().raw_data());  // both over the mapping
  }
  EXPECT_EQ(view.at(999), 2.0f);
}

TEST(Npy, ReadsVersion2AndFortranVectors) {
  const auto dir = test::scratch_dir();
  const float v[3] = {1, 2, 3};
  const std::string data(reinterpret_cast<const char*>(v), 12);
  write_text_file_atomic(
      dir / "v2.npy",
      npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data, 2));
  write_text_file_atomic(
      dir / "f1.npy",
      npy_file("{\"shape\": (1, 3), \"fortran_order\": True, \"descr\": \"<f4\"}", data));
  const Tensor a = read_npy(dir / "v2.npy");
  EXPECT_EQ(a.shape(), (Shape{3}));
  EXPECT_EQ(a.at(2), 3.0f);
  EXPECT_EQ(NpyMappedFile::open(dir / "v2.npy").header().major_version, 2);
  const Tensor b = read_npy(dir / "f1.npy");
  EXPECT_EQ(b.shape(), (Shape{1, 3}));
  EXPECT_EQ(b.at(1), 2.0f);
}

TEST(Npy, MalformedFilesGiveClearErrors) {
  const auto dir = test::scratch_dir();
  const std::string d12(12, '\0');
  auto dict = [](const std::string& descr, const std::string& order, const std::string& shape) {
    return "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }";
  };
  struct Case {
    std::string name;
    std::string bytes;
    std::string message;
  };
  std::string bad_version = npy_file(dict("<f4", "False", "(3,)"), d12);
  bad_version[6] = 4;
  std::string len_past_end = npy_file(dict("<f4", "False", "(3,)"), "");
  len_past_end[8] = '\xff';
  len_past_end[9] = '\x7f';
  std::string non_ascii = npy_file(dict("<f4", "False", "(3,)"), d12);
  non_ascii[60] = '\xe9';
  const std::vector<Case> cases = {
      {"empty", "", "not an NPY file"},
      {"magic", "\x93NUMPX\x01\x00\x10\x00{}", "not an NPY file"},
      {"text", "hello world, this is not an npy file", "not an NPY file"},
      {"version", bad_version, "unsupported NPY format version 4"},
      {"header_truncated", npy_file(dict("<f4", "False", "(3,)"), d12).substr(0, 40),
       "truncated NPY header"},
      {"header_len_past_end", len_past_end, "truncated NPY header"},
      {"non_ascii", non_ascii, "not ASCII"},
      {"fortran", npy_file(dict("<f4", "True", "(2, 3)"), std::string(24, '\0')), "Fortran order"},
      {"big_endian", npy_file(dict(">f4", "False", "(3,)"), d12), "big-endian"},
      {"complex", npy_file(dict("<c8", "False", "(3,)"), std::string(24, '\0')),
       "unsupported NPY dtype descr '<c8'"},
      {"unsigned16", npy_file(dict("<u2", "False", "(3,)"), "123456"),
       "unsupported NPY dtype descr '<u2'"},
      {"string", npy_file(dict("<U3", "False", "(3,)"), d12), "unsupported NPY dtype descr"},
      {"structured",
       npy_file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }", d12),
       "structured dtypes are not supported"},
      {"missing_key", npy_file("{'descr': '<f4', 'shape': (3,), }", d12),
       "must have 'descr', 'fortran_order'"},
      {"extra_key",
       npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", d12),
       "unexpected key 'x'"},
      {"dup_key",
       npy_file("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", d12),
       "'descr' twice"},
      {"negative_dim", npy_file(dict("<f4", "False", "(-3,)"), d12), "non-negative integers"},
      {"open_shape", npy_file(dict("<f4", "False", "(3,"), d12), "malformed NPY header"},
      {"huge_dim", npy_file(dict("<f4", "False", "(99999999999999999999,)"), d12),
       "shape entry too large"},
      {"overflow_shape", npy_file(dict("<f8", "False", "(4294967296, 4294967296, 16)"), d12),
       "too large"},
      {"order_word", npy_file(dict("<f4", "maybe", "(3,)"), d12), "True or False"},
      {"not_dict", npy_file("[1, 2, 3]", d12), "expected '{'"},
      {"trailing_text", npy_file(dict("<f4", "False", "(3,)") + " junk", d12),
       "unexpected text after"},
      {"truncated_data", npy_file(dict("<f4", "False", "(3,)"), "12345"), "truncated NPY file"},
      {"trailing_data", npy_file(dict("<f4", "False", "(3,)"), d12 + "xx"),
       "2 bytes after the data"},
  };
  for (const Case& c : cases) {
    const fs::path p = dir / (c.name + ".npy");
    write_text_file_atomic(p, c.bytes);
    const std::string msg = error_of(p);
    EXPECT_NE(msg.find(p.string()), std::string::npos) << c.name << ": " << msg;
    EXPECT_NE(msg.find(c.message), std::string::npos) << c.name << ": " << msg;
    EXPECT_THROW(NpyMappedFile::open(p), Error) << c.name;
  }
  EXPECT_NE(error_of(dir / "missing.npy").find("missing.npy"), std::string::npos);
}

TEST(NpyStreamWriter, ThousandAppendsThenClose) {
  const auto dir = test::scratch_dir();
  const fs::path p = dir / "acts.npy";
  {
    NpyStreamWriter w(p, DType::F32, {2, 5});
    for (int k = 0; k < 1000; ++k) {
      w.append(stream_batch(k * 3, 3));
      if (k == 500) w.append(stream_batch(0, 0));  // an empty batch is fine
    }
    EXPECT_EQ(w.rows(), 3000);
    EXPECT_FALSE(fs::exists(p)) << "nothing at the destination before close()";
    w.close();
    EXPECT_TRUE(w.closed());
    EXPECT_THROW(w.append(stream_batch(0, 1)), Error);
  }
  const Tensor t = map_npy(p);
  ASSERT_EQ(t.shape(), (Shape{3000, 2, 5}));
  EXPECT_EQ(tensor_bytes(t), tensor_bytes(stream_batch(0, 3000)));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1)
      << "no temporary left";
}

TEST(NpyStreamWriter, UnclosedWriterLeavesNothingAndBadBatchesAreRejected) {
  const auto dir = test::scratch_dir();
  {
    NpyStreamWriter w(dir / "a.npy", DType::F32, {2, 5});
    w.append(stream_batch(0, 4));
    EXPECT_THROW(w.append(Tensor::zeros({4, 5, 2})), Error);
    EXPECT_THROW(w.append(Tensor::zeros({4, 2, 5}, DType::F64)), Error);
    EXPECT_THROW(w.append(Tensor::zeros({})), Error);
    try {
      w.append(Tensor::zeros({1, 10}));
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("expected [n, 2, 5]"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(fs::is_empty(dir));
  EXPECT_THROW(NpyStreamWriter(dir / "b.npy", DType::BF16, {3}), Error);
  // Zero rows and 0-d rows are valid .npy files.
  {
    NpyStreamWriter w(dir / "zero.npy", DType::I64, {});
    w.close();
  }
  EXPECT_EQ(read_npy(dir / "zero.npy").shape(), (Shape{0}));
}

TEST(NpyStreamWriter, ResumableWriterResumesAfterAnInterruption) {
  const auto dir = test::scratch_dir();
  const fs::path p = dir / "acts.npy";
  const fs::path partial = dir / "acts.npy.partial";
  {
    NpyStreamWriter w(p, DType::F32, {2, 5}, {.resumable = true});
    w.append(stream_batch(0, 4));
    w.append(stream_batch(4, 6));
    // Interrupted here: destroyed without close().
  }
  EXPECT_FALSE(fs::exists(p));
  ASSERT_TRUE(fs::exists(partial));
  EXPECT_EQ(read_npy(partial).shape(), (Shape{10, 2, 5}))
      << "a partial file is always a valid .npy";

  EXPECT_THROW(NpyStreamWriter::resume(p, DType::F32, {5, 2}, 7), Error);
  EXPECT_THROW(NpyStreamWriter::resume(p, DType::F64, {2, 5}, 7), Error);
  EXPECT_THROW(NpyStreamWriter::resume(p, DType::F32, {2, 5}, 11), Error);
  EXPECT_THROW(NpyStreamWriter::resume(dir / "other.npy", DType::F32, {2, 5}, 0), Error);
  {
    // The caller's progress record says 7 rows are done: rows 7..9 are written again.
    NpyStreamWriter w = NpyStreamWriter::resume(p, DType::F32, {2, 5}, 7);
    EXPECT_EQ(w.rows(), 7);
    w.append(stream_batch(7, 5));
    w.close();
  }
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_EQ(tensor_bytes(read_npy(p)), tensor_bytes(stream_batch(0, 12)));
  // A file whose header has no room for a larger row count is refused...
  write_text_file_atomic(dir / "small.npy.partial",
                         npy_file("{'descr':'<f4','fortran_order':False,'shape':(2,2,5)}",
                                  tensor_bytes(stream_batch(0, 2))));
  EXPECT_EQ(read_npy(dir / "small.npy.partial").shape(), (Shape{2, 2, 5}));
  EXPECT_THROW(NpyStreamWriter::resume(dir / "small.npy", DType::F32, {2, 5}, 1), Error);
  // ...one with the same header size as ours (what NumPy usually writes) can be continued.
  write_npy(dir / "np.npy.partial", stream_batch(0, 2));
  {
    NpyStreamWriter w = NpyStreamWriter::resume(dir / "np.npy", DType::F32, {2, 5}, 2);
    w.append(stream_batch(2, 1));
    w.close();
  }
  EXPECT_EQ(tensor_bytes(read_npy(dir / "np.npy")), tensor_bytes(stream_batch(0, 3)));
}

TEST(Npy, LoadsNumpyFiles) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  const auto r = test::run_python("npy_ref.py", "make " + test::quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Json cases = read_json_file(dir / "ref.json");
  ASSERT_GE(cases.size(), 13u);
  for (const Json& c : cases.elements()) {
    const std::string name = c.at("name").as_string();
    const fs::path p = dir / (name + ".npy");
    Shape shape;
    for (const Json& d : c.at("shape").elements()) shape.push_back(d.as_int());
    for (const Tensor& t : {read_npy(p), map_npy(p)}) {
      EXPECT_EQ(npy_descr(t.dtype()), c.at("descr").as_string()) << name;
      EXPECT_EQ(t.shape(), shape) << name;
      EXPECT_EQ(tensor_bytes(t), read_text_file(dir / (name + ".bin"))) << name;
    }
  }
  EXPECT_NE(error_of(dir / "fortran.npy").find("Fortran order"), std::string::npos);
  EXPECT_NE(error_of(dir / "bigendian.npy").find("big-endian"), std::string::npos);
  EXPECT_NE(error_of(dir / "complex.npy").find("'<c8'"), std::string::npos);
  EXPECT_NE(error_of(dir / "uint16.npy").find("'<u2'"), std::string::npos);
}

TEST(Npy, WrittenFilesLoadInNumpy) {
  REPSCOPE_REQUIRE_PYTHON_OR_SKIP();
  const auto dir = test::scratch_dir();
  Json cases = Json::array();
  auto add = [&](const std::string& name, const Tensor& t) {
    write_npy(dir / (name + ".npy"), t);
    write_text_file_atomic(dir / (name + ".bin"), tensor_bytes(t));
    Json c = Json::object();
    c["name"] = name;
    c["descr"] = npy_descr(t.dtype());
    Json shape = Json::array();
    for (std::int64_t d : t.shape()) shape.push_back(d);
    c["shape"] = std::move(shape);
    cases.push_back(std::move(c));
  };
  for (DType t : kNpyDTypes) add(str("a_", dtype_name(t)), patterned(t, {3, 4, 2}));
  add("scalar", Tensor::full({}, 0.5f));
  add("empty", Tensor::zeros({0, 3}, DType::I32));
  add("vector", patterned(DType::F64, {9}));
  write_json_file(dir / "ours.json", cases);
  {
    NpyStreamWriter w(dir / "stream.npy", DType::F32, {2, 5});
    for (int k = 0; k < 1000; ++k) w.append(stream_batch(k * 3, 3));
    w.close();
  }
  const auto r = test::run_python("npy_ref.py", "check " + test::quote(dir.string()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("OK"), std::string::npos) << r.output;
}
