// One global control of CPU parallelism, and the loops every kernel uses.
//
// Determinism rule: results never depend on the thread count or on scheduling. parallel_for
// hands out disjoint index ranges, so work that writes disjoint outputs is deterministic by
// construction; reductions go through parallel_reduce_chunks, which splits the range into
// chunks of a fixed size (independent of the thread count) and combines the partial results
// in chunk order.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace repscope {

// Sets the number of worker threads for all repscope work (0 = all hardware threads).
void set_num_threads(int n);
int num_threads();

// Calls body(begin, end) on disjoint sub-ranges of [begin, end) of at least `grain` indices.
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& body);

// Deterministic reduction: body(chunk_begin, chunk_end) returns a partial result for each
// fixed chunk of `chunk` indices; the partials are combined left to right with `combine`.
template <typename T, typename Body, typename Combine>
T parallel_reduce_chunks(std::int64_t begin, std::int64_t end, std::int64_t chunk, T init, Body body,
                         Combine combine) {
  if (end <= begin) return init;
  const std::int64_t n_chunks = (end - begin + chunk - 1) / chunk;
  std::vector<T> partial(static_cast<std::size_t>(n_chunks), init);
  parallel_for(0, n_chunks, 1, [&](std::int64_t c0, std::int64_t c1) {
    for (std::int64_t c = c0; c < c1; ++c) {
      const std::int64_t b = begin + c * chunk;
      const std::int64_t e = b + chunk < end ? b + chunk : end;
      partial[static_cast<std::size_t>(c)] = body(b, e);
    }
  });
  T acc = init;
  for (const T& p : partial) acc = combine(acc, p);
  return acc;
}

}  // namespace repscope
