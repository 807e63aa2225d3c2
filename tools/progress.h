// Terminal progress for long steps: "extract  1234/5000  38.2 it/s  ETA 1:38", redrawn in place on
// stderr. Silent when stderr is not a terminal (logs, pipes, CI) or when `quiet` is set, so
// progress never pollutes captured output.
//
//   Progress p("extract", total, quiet);
//   parallel_for(..., [&](...) { ...; p.advance(n); });   // advance() is thread-safe
//   p.finish();
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace repscope::cli {

class Progress {
 public:
  // `total` <= 0 means unknown: the line shows the count and rate without an ETA.
  Progress(std::string label, std::int64_t total, bool quiet = false);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  // Finishes the line if finish() was not called (e.g. when an exception unwinds).
  ~Progress();

  // Adds n finished items. Thread-safe; redraws at most ~10 times a second.
  void advance(std::int64_t n = 1);
  // Draws the final line (done, elapsed time, mean rate) and ends it with a newline.
  void finish();

  bool enabled() const { return enabled_; }
  std::int64_t done() const { return done_.load(std::memory_order_relaxed); }

  // True when stderr is a terminal and TERM is not "dumb".
  static bool stderr_is_terminal();
  // The text of one progress line (without the carriage return); exposed for tests.
  static std::string format_line(const std::string& label, std::int64_t done, std::int64_t total,
                                 double elapsed_seconds, bool final);
  // "1:05", "1:02:03", "--:--" for unknown/negative.
  static std::string format_duration(double seconds);

 private:
  void draw(bool final);

  std::string label_;
  std::int64_t total_;
  bool enabled_;
  bool finished_ = false;
  std::atomic<std::int64_t> done_{0};
  std::atomic<std::int64_t> next_draw_ns_{0};
  std::chrono::steady_clock::time_point start_;
  std::mutex draw_mutex_;
};

}  // namespace repscope::cli
