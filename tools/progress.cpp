#include "tools/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "nn/error.h"

namespace repscope::cli {

namespace {

constexpr std::int64_t kRedrawIntervalNs = 100'000'000;

std::string format_rate(double rate) {
  char buf[32];
  if (rate >= 100) {
    std::snprintf(buf, sizeof buf, "%.0f", rate);
  } else if (rate >= 10) {
    std::snprintf(buf, sizeof buf, "%.1f", rate);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f", rate);
  }
  return buf;
}

}  // namespace

Progress::Progress(std::string label, std::int64_t total, bool quiet)
    : label_(std::move(label)),
      total_(total),
      enabled_(!quiet && stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()) {
  if (enabled_) draw(false);
}

Progress::~Progress() {
  try {
    finish();
  } catch (...) {  // a destructor must not throw; a lost progress line is harmless
  }
}

bool Progress::stderr_is_terminal() {
  if (::isatty(STDERR_FILENO) == 0) return false;
  const char* term = std::getenv("TERM");
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

std::string Progress::format_duration(double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds)) return "--:--";
  const auto s = static_cast<std::int64_t>(std::llround(seconds));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return buf;
}

std::string Progress::format_line(const std::string& label, std::int64_t done, std::int64_t total,
                                  double elapsed_seconds, bool final) {
  const double rate = elapsed_seconds > 0 ? static_cast<double>(done) / elapsed_seconds : 0.0;
  std::string line = label + "  " + std::to_string(done);
  if (total > 0) {
    line += "/" + std::to_string(total);
    const double pct = 100.0 * static_cast<double>(done) / static_cast<double>(total);
    char buf[16];
    std::snprintf(buf, sizeof buf, " %3.0f%%", pct);
    line += buf;
  }
  line += "  " + format_rate(rate) + " it/s";
  if (final) {
    line += "  done in " + format_duration(elapsed_seconds);
  } else if (total > 0) {
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : -1.0;
    line += "  ETA " + format_duration(eta);
  }
  return line;
}

void Progress::advance(std::int64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  if (!enabled_) return;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now() - start_)
                               .count();
  std::int64_t next = next_draw_ns_.load(std::memory_order_relaxed);
  // Only the thread that wins the exchange redraws, so workers never queue on the terminal.
  if (now < next || !next_draw_ns_.compare_exchange_strong(next, now + kRedrawIntervalNs)) return;
  draw(false);
}

void Progress::finish() {
  if (!enabled_) return;
  {
    std::lock_guard lock(draw_mutex_);
    if (finished_) return;
  }
  draw(true);
}

void Progress::draw(bool final) {
  std::lock_guard lock(draw_mutex_);
  if (finished_) return;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::string line = format_line(label_, done(), total_, elapsed, final);
  // \r returns to column 0; ESC[K clears what a longer previous line left behind.
  std::fprintf(stderr, "\r%s\x1b[K%s", line.c_str(), final ? "\n" : "");
  std::fflush(stderr);
  if (final) finished_ = true;
}

}  // namespace repscope::cli
