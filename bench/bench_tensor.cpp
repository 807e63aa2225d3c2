// Micro-benchmarks of the tensor core: dtype conversion throughput.
#include <benchmark/benchmark.h>

#include "nn/tensor.h"

using namespace repscope;

static void BM_F32ToF16(benchmark::State& state) {
  Tensor t = Tensor::full({state.range(0)}, 1.25f);
  for (auto _ : state) {
    Tensor h = t.to(DType::F16);
    benchmark::DoNotOptimize(h.raw_data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0) * 4);
}
BENCHMARK(BM_F32ToF16)->Arg(1 << 20);

static void BM_F16ToF32(benchmark::State& state) {
  Tensor h = Tensor::full({state.range(0)}, 1.25f).to(DType::F16);
  for (auto _ : state) {
    Tensor f = h.to(DType::F32);
    benchmark::DoNotOptimize(f.raw_data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0) * 2);
}
BENCHMARK(BM_F16ToF32)->Arg(1 << 20);

BENCHMARK_MAIN();
