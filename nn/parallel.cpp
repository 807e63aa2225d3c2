#include "nn/parallel.h"

#include <memory>
#include <mutex>
#include <thread>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include "nn/error.h"

namespace repscope {
namespace {

std::mutex g_mutex;
std::unique_ptr<tbb::global_control> g_control;
int g_threads = 0;

}  // namespace

void set_num_threads(int n) {
  check(n >= 0, "--threads must be 0 (all cores) or positive, got ", n);
  std::lock_guard lock(g_mutex);
  const int hw = tbb::info::default_concurrency();
  g_threads = n == 0 ? hw : n;
  g_control = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                    static_cast<std::size_t>(g_threads));
}

int num_threads() {
  std::lock_guard lock(g_mutex);
  if (g_threads == 0) return tbb::info::default_concurrency();
  return g_threads;
}

void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& body) {
  if (end <= begin) return;
  if (grain < 1) grain = 1;
  if (end - begin <= grain || num_threads() == 1) {
    body(begin, end);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(begin, end, static_cast<std::size_t>(grain)),
                    [&](const tbb::blocked_range<std::int64_t>& r) { body(r.begin(), r.end()); });
}

}  // namespace repscope
