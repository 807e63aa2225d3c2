// BackgroundAppender: rows reach their files in submission order, drain() waits for them, a
// bounded queue still takes a job larger than its bound, and an append error comes back from
// drain() and submit().
#include <gtest/gtest.h>

#include <cstring>

#include "io/npy.h"
#include "nn/error.h"
#include "tests/support/test_env.h"
#include "tools/pipeline/background_appender.h"

using namespace repscope;
using pipeline::BackgroundAppender;

namespace {

Tensor rows_from(float first, std::int64_t n, std::int64_t width) {
  Tensor t = Tensor::empty({n, width});
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = first + static_cast<float>(i);
  return t;
}

}  // namespace

TEST(BackgroundAppender, KeepsOrderPerWriterAndDrains) {
  const auto dir = test::scratch_dir();
  NpyStreamWriter a(dir / "a.npy", DType::F32, {3});
  NpyStreamWriter b(dir / "b.npy", DType::F32, {2});
  {
    // A 64-byte bound: every job waits for the one before it, one is larger than the bound.
    BackgroundAppender appender(64);
    for (int batch = 0; batch < 20; ++batch) {
      appender.submit(a, rows_from(100.0f * batch, 2, 3));
      appender.submit(b, rows_from(1000.0f * batch, 10, 2));
    }
    appender.drain();
  }
  a.close();
  b.close();
  const Tensor ra = read_npy(dir / "a.npy"), rb = read_npy(dir / "b.npy");
  ASSERT_EQ(ra.shape(), (Shape{40, 3}));
  ASSERT_EQ(rb.shape(), (Shape{200, 2}));
  for (int batch = 0; batch < 20; ++batch) {
    const Tensor want_a = rows_from(100.0f * batch, 2, 3),
                 want_b = rows_from(1000.0f * batch, 10, 2);
    EXPECT_EQ(std::memcmp(ra.data<float>() + batch * 6, want_a.data<float>(), 6 * sizeof(float)),
              0);
    EXPECT_EQ(std::memcmp(rb.data<float>() + batch * 20, want_b.data<float>(), 20 * sizeof(float)),
              0);
  }
}

TEST(BackgroundAppender, AppendErrorsComeBackFromDrainAndSubmit) {
  const auto dir = test::scratch_dir();
  NpyStreamWriter w(dir / "w.npy", DType::F32, {3});
  BackgroundAppender appender(1 << 20);
  appender.submit(w, rows_from(0.0f, 2, 4));  // wrong row shape: append throws on the thread
  try {
    appender.drain();
    FAIL() << "drain() did not rethrow";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("w.npy"), std::string::npos) << e.what();
  }
  EXPECT_THROW(appender.submit(w, rows_from(0.0f, 2, 3)), Error);
}

TEST(BackgroundAppender, DestructorDiscardsWhatIsQueued) {
  const auto dir = test::scratch_dir();
  NpyStreamWriter w(dir / "w.npy", DType::F32, {3});
  {
    BackgroundAppender appender(1 << 20);
    for (int i = 0; i < 100; ++i) appender.submit(w, rows_from(0.0f, 4, 3));
  }  // no drain: must neither hang nor crash
  SUCCEED();
}
