// The main() of every test executable: GoogleTest's, plus a listener that repeats each failed
// assertion after the final summary. CI logs are often read from their tail (ctest prints a
// failing test's whole output, and the summary pushes the assertion that failed out of view), so
// the last lines of a failing run should say what failed, where, and why.
#include <gtest/gtest.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace {

class RepeatFailuresAtEnd : public ::testing::EmptyTestEventListener {
 public:
  // The test's name is kept from OnTestStart: asking UnitTest for it while a result is being
  // reported deadlocks on GoogleTest's own mutex.
  void OnTestStart(const ::testing::TestInfo& test) override {
    current_ = std::string(test.test_suite_name()) + "." + test.name();
  }
  void OnTestEnd(const ::testing::TestInfo&) override { current_ = "(outside a test)"; }

  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::string where = current_;
    if (result.file_name() != nullptr)
      where +=
          " at " + std::string(result.file_name()) + ":" + std::to_string(result.line_number());
    std::string message = result.message();
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    constexpr std::size_t kMaxChars = 600;  // a log excerpt in a message can be long
    if (message.size() > kMaxChars) message = message.substr(0, kMaxChars) + " [...]";
    for (auto p = message.find('\n'); p != std::string::npos; p = message.find('\n', p + 1))
      message.insert(p + 1, "    ");
    const std::lock_guard lock(mutex_);  // assertions may fail on worker threads
    failures_.push_back(where + "\n    " + message);
  }

  void OnTestProgramEnd(const ::testing::UnitTest&) override {
    if (failures_.empty()) return;
    std::printf("\nFailed assertions (repeated from above):\n");
    for (const auto& f : failures_) std::printf("  %s\n", f.c_str());
    std::fflush(stdout);
  }

 private:
  std::string current_ = "(outside a test)";
  std::mutex mutex_;
  std::vector<std::string> failures_;
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::UnitTest::GetInstance()->listeners().Append(new RepeatFailuresAtEnd);
  return RUN_ALL_TESTS();
}
