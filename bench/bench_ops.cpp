// Micro-benchmarks of nn/ops on the cpu backend: GEMM, the conv layers of ResNet-50, the
// attention of ViT-B/16, LayerNorm and softmax, each with a GFLOP/s counter. BM_FmaPeak* measure
// what a register-resident FMA loop reaches on this machine, so the others can be read as a
// fraction of peak. Run: build/<dir>/bench/bench_ops [--benchmark_filter=...]
#include <benchmark/benchmark.h>

// GCC 12 warns about an uninitialised temporary inside its own _mm512_reduce_add_ps.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <random>
#include <vector>

#include "nn/gemm.h"
#include "nn/ops.h"
#include "nn/parallel.h"

using namespace repscope;

namespace {

Tensor random_tensor(Shape shape, float scale = 1.0f) {
  Tensor t = Tensor::empty(std::move(shape));
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-scale, scale);
  float* p = t.data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

void set_gflops(benchmark::State& state, double flops_per_iteration) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops_per_iteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- FMA peak: 12 independent accumulator chains, all in registers -------------------------

#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
inline Vec vset(float v) {
  return _mm512_set1_ps(v);
}
inline Vec vfma(Vec a, Vec b, Vec c) {
  return _mm512_fmadd_ps(a, b, c);
}
inline float vsum(Vec v) {
  return _mm512_reduce_add_ps(v);
}
#elif defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
inline Vec vset(float v) {
  return _mm256_set1_ps(v);
}
inline Vec vfma(Vec a, Vec b, Vec c) {
  return _mm256_fmadd_ps(a, b, c);
}
inline float vsum(Vec v) {
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, v);
  float s = 0.0f;
  for (float x : lanes) s += x;
  return s;
}
#endif

#if defined(__AVX512F__) || defined(__FMA__)
constexpr std::int64_t kFmaIterations = 1 << 20;
constexpr int kChains = 12;

float fma_loop(float seed) {
  Vec acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = vset(seed + static_cast<float>(c));
  const Vec a = vset(0.999999f), b = vset(1e-7f);
  for (std::int64_t i = 0; i < kFmaIterations; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = vfma(acc[c], a, b);
  }
  float s = 0.0f;
  for (int c = 0; c < kChains; ++c) s += vsum(acc[c]);
  return s;
}

constexpr double kFmaFlops = 2.0 * kLanes * kChains * static_cast<double>(kFmaIterations);

void BM_FmaPeakOneThread(benchmark::State& state) {
  float seed = 1.0f;
  for (auto _ : state) {
    benchmark::DoNotOptimize(seed);  // an opaque input, so the loop is not hoisted out
    benchmark::DoNotOptimize(fma_loop(seed));
  }
  set_gflops(state, kFmaFlops);
}
BENCHMARK(BM_FmaPeakOneThread)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_FmaPeakAllThreads(benchmark::State& state) {
  const int threads = num_threads();
  std::vector<float> out(static_cast<std::size_t>(threads));
  for (auto _ : state) {
    parallel_for(0, threads, 1, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t t = b; t < e; ++t)
        out[static_cast<std::size_t>(t)] = fma_loop(out[static_cast<std::size_t>(t)]);
    });
    benchmark::DoNotOptimize(out.data());
  }
  set_gflops(state, kFmaFlops * threads);
  state.counters["threads"] = threads;
}
BENCHMARK(BM_FmaPeakAllThreads)->UseRealTime()->Unit(benchmark::kMillisecond);
#endif

// ---- GEMM ----------------------------------------------------------------------------------

// C[m, n] = A[m, k] · B[n, k]ᵀ (the Linear layout) through gemm_parallel.
void BM_Gemm(benchmark::State& state) {
  const std::int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const Tensor a = random_tensor({m, k}), b = random_tensor({n, k});
  Tensor c = Tensor::empty({m, n});
  for (auto _ : state) {
    gemm_parallel(m, n, k, a.data<float>(), k, false, b.data<float>(), k, true, c.data<float>(), n);
    benchmark::DoNotOptimize(c.raw_data());
  }
  set_gflops(state, 2.0 * m * n * k);
}
BENCHMARK(BM_Gemm)
    ->ArgNames({"M", "N", "K"})
    ->Args({512, 512, 512})
    ->Args({1024, 1024, 1024})
    ->Args({197, 2304, 768})   // ViT-B/16 qkv projection, one image
    ->Args({1576, 2304, 768})  // ... eight images
    ->Args({1576, 3072, 768})  // ViT-B/16 MLP fc1, eight images
    ->Args({1576, 768, 3072})  // ViT-B/16 MLP fc2, eight images
    ->Args({8, 1000, 2048})    // ResNet-50 fc, eight images
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---- conv2d: the distinct conv layers of ResNet-50 -----------------------------------------

// Args: batch, in channels, size, out channels, kernel, stride. The weights are frozen, as a
// model's folded ones are, so they are packed once rather than on every call. `blocked`: the
// channel-blocked layout (ops::conv2d_blocked, what the ResNets run on AVX-512 CPUs), else NCHW
// (ops::conv2d's im2col + GEMM).
void conv2d_resnet50(benchmark::State& state, bool blocked) {
  const std::int64_t n = state.range(0), c = state.range(1), hw = state.range(2),
                     o = state.range(3);
  const int k = static_cast<int>(state.range(4)), s = static_cast<int>(state.range(5)), p = k / 2;
  const Tensor x = random_tensor({n, c, hw, hw});
  const Tensor xb = blocked ? ops::to_blocked(x) : Tensor{};
  const Tensor w = random_tensor({o, c, k, k}, 0.1f);
  w.storage()->freeze();
  const std::int64_t out_hw = (hw + 2 * p - k) / s + 1;
  for (auto _ : state) {
    Tensor y =
        blocked ? ops::conv2d_blocked(xb, w, Tensor{}, s, p) : ops::conv2d(x, w, Tensor{}, s, p);
    benchmark::DoNotOptimize(y.raw_data());
  }
  set_gflops(state, 2.0 * n * o * out_hw * out_hw * c * k * k);
}
void BM_Conv2dResNet50(benchmark::State& state) {
  conv2d_resnet50(state, false);
}
// The stem's 3 input channels are not a multiple of 16: left out of the blocked list.
void BM_Conv2dBlockedResNet50(benchmark::State& state) {
  conv2d_resnet50(state, true);
}

void resnet50_conv_layers(benchmark::internal::Benchmark* b, bool stem) {
  b->ArgNames({"N", "C", "HW", "O", "k", "s"});
  if (stem) b->Args({8, 3, 224, 64, 7, 2});  // conv1
  b->Args({8, 64, 56, 64, 1, 1})             // layer1 conv1
      ->Args({8, 64, 56, 64, 3, 1})          // layer1 conv2
      ->Args({8, 64, 56, 256, 1, 1})         // layer1 conv3 / downsample
      ->Args({8, 256, 56, 128, 1, 1})        // layer2.0 conv1
      ->Args({8, 128, 56, 128, 3, 2})        // layer2.0 conv2 (stride 2)
      ->Args({8, 128, 28, 128, 3, 1})        // layer2 conv2
      ->Args({8, 256, 14, 256, 3, 1})        // layer3 conv2
      ->Args({8, 1024, 14, 256, 1, 1})       // layer3 conv1
      ->Args({8, 512, 7, 512, 3, 1})         // layer4 conv2
      ->Args({8, 2048, 7, 512, 1, 1})        // layer4 conv1
      ->Args({1, 64, 56, 64, 3, 1})          // layer1 conv2, one image
      ->Args({1, 512, 7, 512, 3, 1})         // layer4 conv2, one image
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_Conv2dResNet50)->Apply([](benchmark::internal::Benchmark* b) {
  resnet50_conv_layers(b, true);
});
BENCHMARK(BM_Conv2dBlockedResNet50)->Apply([](benchmark::internal::Benchmark* b) {
  resnet50_conv_layers(b, false);
});

// ---- ViT-B/16 attention, LayerNorm, softmax ------------------------------------------------

void BM_AttentionViTB16(benchmark::State& state) {
  const std::int64_t n = state.range(0), l = 197, e = 768;
  const int heads = 12;
  const Tensor x = random_tensor({n, l, e});
  const Tensor wi = random_tensor({3 * e, e}, 0.05f), bi = random_tensor({3 * e});
  const Tensor wo = random_tensor({e, e}, 0.05f), bo = random_tensor({e});
  for (auto _ : state) {
    Tensor y = ops::multi_head_attention(x, x, x, wi, bi, wo, bo, heads);
    benchmark::DoNotOptimize(y.raw_data());
  }
  // Projections (4 E² per token) and the two attention products (2 L² E per image).
  set_gflops(state, 2.0 * n * (4.0 * l * e * e + 2.0 * l * l * e));
}
BENCHMARK(BM_AttentionViTB16)
    ->ArgName("N")
    ->Arg(1)
    ->Arg(8)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_LayerNorm(benchmark::State& state) {
  const std::int64_t rows = state.range(0), d = state.range(1);
  const Tensor x = random_tensor({rows, d}), w = random_tensor({d}), b = random_tensor({d});
  for (auto _ : state) {
    Tensor y = ops::layer_norm(x, w, b, 1e-6f);
    benchmark::DoNotOptimize(y.raw_data());
  }
  state.SetBytesProcessed(state.iterations() * rows * d * 8);
}
BENCHMARK(BM_LayerNorm)->Args({1576, 768})->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_Softmax(benchmark::State& state) {
  const std::int64_t rows = state.range(0), d = state.range(1);
  const Tensor x = random_tensor({rows, d}, 4.0f);
  for (auto _ : state) {
    Tensor y = ops::softmax_lastdim(x);
    benchmark::DoNotOptimize(y.raw_data());
  }
  state.SetBytesProcessed(state.iterations() * rows * d * 8);
}
// ViT-B/16 attention scores of eight images: 8 * 12 heads * 197 rows of 197.
BENCHMARK(BM_Softmax)->Args({8 * 12 * 197, 197})->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_Gelu(benchmark::State& state) {
  const Tensor x = random_tensor({state.range(0)}, 3.0f);
  for (auto _ : state) {
    Tensor y = ops::gelu(x);
    benchmark::DoNotOptimize(y.raw_data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Gelu)->Arg(1576 * 3072)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
