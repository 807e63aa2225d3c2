#include <gtest/gtest.h>

#include <filesystem>

#include "io/file_util.h"
#include "nn/error.h"
#include "tests/support/test_env.h"

using namespace repscope;
namespace fs = std::filesystem;

TEST(AtomicFile, CommitRenamesIntoPlace) {
  const auto dir = test::scratch_dir();
  const auto path = dir / "out.bin";
  {
    AtomicFile f(path);
    f.write("hello", 5);
    EXPECT_FALSE(fs::exists(path));
    f.pwrite("J", 1, 0);
    f.commit();
  }
  EXPECT_EQ(read_text_file(path), "Jello");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST(AtomicFile, AbandonedWriteLeavesNothing) {
  const auto dir = test::scratch_dir();
  {
    AtomicFile f(dir / "partial.bin");
    f.write("abc", 3);
  }
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(AtomicFile, UnwritableDirectoryNamesThePath) {
  try {
    AtomicFile f("/nonexistent-dir/x.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.npy"), std::string::npos);
  }
}

TEST(MappedFile, MapsAndReportsMissingFiles) {
  const auto dir = test::scratch_dir();
  write_text_file_atomic(dir / "a.txt", "0123456789");
  auto m = MappedFile::open(dir / "a.txt");
  ASSERT_EQ(m->size(), 10u);
  EXPECT_EQ(m->data()[3], '3');
  EXPECT_THROW(MappedFile::open(dir / "missing.txt"), Error);
  EXPECT_THROW(MappedFile::open(dir), Error);
}
