// CUDA backend: pieces that need no GPU (parsing, size classes, registration without a device),
// then kernel versions, precision modes, the memory pool, tap downloads and GPU statistics against
// the CPU (skipped without a device).
#include <gtest/gtest.h>

#include <cstdio>
#include <utility>
#include <vector>

#include "cuda/context.h"
#include "cuda/kernels.h"
#include "cuda/memory_pool.h"
#include "cuda/precision.h"
#include "cuda/runtime.h"
#include "cuda/stats.h"
#include "cuda/tap_downloader.h"
#include "cuda/transfer.h"
#include "gpu_test_util.h"
#include "nn/error.h"
#include "nn/ops.h"
#include "nn/ops/registry.h"
#include "stats/rdm.h"
#include "stats/ttest.h"

namespace repscope::cuda {
namespace {

using test::random_tensor;
using test::relative_error;

// ---- no GPU needed ---------------------------------------------------------------------------

TEST(CudaHost, PrecisionNamesRoundTrip) {
  for (Precision p : {Precision::Exact, Precision::Tf32, Precision::Fp16, Precision::Bf16}) {
    EXPECT_EQ(parse_precision(precision_name(p)), p);
  }
  EXPECT_EQ(precision(), Precision::Exact);
  EXPECT_EQ(precision_name(), "exact");
  try {
    parse_precision("fp8");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fp8"), std::string::npos) << e.what();
  }
  {
    ScopedPrecision scoped(Precision::Bf16);
    EXPECT_EQ(precision_name(), "bf16");
  }
  EXPECT_EQ(precision(), Precision::Exact);
}

TEST(CudaHost, ParsesDeviceNames) {
  EXPECT_EQ(parse_cuda_device("cuda"), 0);
  EXPECT_EQ(parse_cuda_device("cuda:3"), 3);
  for (const char* bad : {"cuda:", "cuda:-1", "cuda:1x", "gpu", "cpu"}) {
    EXPECT_THROW(parse_cuda_device(bad), Error) << bad;
  }
}

TEST(CudaHost, SizeClasses) {
  EXPECT_EQ(pool_size_class(0), 512u);
  EXPECT_EQ(pool_size_class(1), 512u);
  EXPECT_EQ(pool_size_class(513), 1024u);
  EXPECT_EQ(pool_size_class((1u << 20) + 1), 2u << 20);
  EXPECT_EQ(pool_size_class((64u << 20) + 1), 72u << 20);
}

TEST(CudaHost, RegistrationFollowsDevicePresence) {
  const bool registered = register_backend();
  EXPECT_EQ(registered, device_count() > 0);
  EXPECT_EQ(backend_registered(), registered);
  EXPECT_EQ(ops::has_kernel(ops::OpId::Conv2d, ops::Backend::Cuda), registered);
  if (!registered) {
    // Without a device CUDA tensors keep failing with the registry's clear message.
    EXPECT_THROW(ops::select_backend(ops::OpId::Relu, Device::CUDA), Error);
  }
}

// ---- GPU -------------------------------------------------------------------------------------

TEST(CudaKernels, EveryOpRegistered) {
  REPSCOPE_REQUIRE_GPU_OR_SKIP();
  for (int i = 0; i < ops::kOpCount; ++i) {
    if (ops::op_cpu_only(static_cast<ops::OpId>(i))) continue;
    EXPECT_TRUE(ops::has_kernel(static_cast<ops::OpId>(i), ops::Backend::Cuda))
        << ops::op_name(static_cast<ops::OpId>(i));
  }
  std::printf("device 0: %s\n", device_description(0).c_str());
}

using RowKernel = void (*)(const float*, float*, std::int64_t, std::int64_t, cudaStream_t);

TEST(CudaKernels, LayerNormVersionsMatchReference) {
  REPSCOPE_REQUIRE_GPU_OR_SKIP();
  std::mt19937 rng(7);
  using Dims = std::pair<std::int64_t, std::int64_t>;
  for (const auto& [rows, d] : {Dims{1, 1}, Dims{3, 7}, Dims{394, 768}, Dims{5, 1000}}) {
    const Shape shape{rows, d};
    const Tensor x = random_tensor(shape, rng, 2.0f, 5.0f);
    const Tensor w = random_tensor({d}, rng), b = random_tensor({d}, rng);
    ops::ScopedBackend ref_scope(ops::Backend::Reference);
    const Tensor ref = ops::layer_norm(x, w, b, 1e-6f);
    const Tensor dx = to_device(x), dw = to_device(w), db = to_device(b);
    for (int version : {1, 2}) {
      Tensor y = empty(shape);
      auto k = version == 1 ? &kernels::layernorm_v1 : &kernels::layernorm_v2;
      k(dx.data<float>(), dw.data<float>(), db.data<float>(), y.data<float>(), rows, d, 1e-6f,
        stream());
      const double err = relative_error(ref, to_cpu(y));
      EXPECT_LE(err, 1e-5) << "layernorm_v" << version << " " << shape_str(shape);
    }
  }
}

TEST(CudaKernels, SoftmaxVersionsMatchReference) {
  REPSCOPE_REQUIRE_GPU_OR_SKIP();
  std::mt19937 rng(8);
  using Dims = std::pair<std::int64_t, std::int64_t>;
  for (const auto& [rows, d] : {Dims{1, 1}, Dims{3, 7}, Dims{2400, 197}, Dims{4, 5000}}) {
    const Shape shape{rows, d};
    const Tensor x = random_tensor(shape, rng, -30.0f, 30.0f);
    ops::ScopedBackend ref_scope(ops::Backend::Reference);
    const Tensor ref = ops::softmax_lastdim(x);
    const Tensor dx = to_device(x);
    for (RowKernel k : {&kernels::softmax_v1, &kernels::softmax_v2}) {
      Tensor y = empty(shape);
      k(dx.data<float>(), y.data<float>(), rows, d, stream());
      EXPECT_LE(relative_error(ref, to_cpu(y)), 1e-5) << shape_str(shape);
    }
  }
}

TEST(CudaKernels, TokenPlumbingMatchesCpu) {
  REPSCOPE_REQUIRE_GPU_OR_SKIP();
  std::mt19937 rng(9);
  const Tensor grid = random_tensor({2, 8, 3, 4}, rng);
  const Tensor tokens = to_cpu(patches_to_tokens(to_device(grid)));
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t l = 0; l < 12; ++l)
      for (std::int64_t e = 0; e < 8; ++e)
        ASSERT_EQ(tokens.at((n * 12 + l) * 8 + e), grid.at((n * 8 + e) * 12 + l));
  const Tensor cls = random_tensor({8}, rng), pos = random_tensor({13, 8}, rng);
  const Tensor seq = to_cpu(prepend_class_token(to_device(tokens), to_device(cls), to_device(pos)));
  EXPECT_FLOAT_EQ(seq.at(3), cls.at(3) + pos.at(3));
  EXPECT_FLOAT_EQ(seq.at((13 + 2) * 8 + 5), tokens.at((12 + 1) * 8 + 5) + pos.at(2 * 8 + 5));
  const Tensor first = to_cpu(select_token(to_device(seq), 0));
  EXPECT_FLOAT_EQ(first.at(8 + 4), seq.at(13 * 8 + 4));
}

// Measured error of the fast precision modes against the fp32 reference, printed for
// docs/cuda.md; the bounds asserted here are loose sanity limits, not the documented ones.
TEST(CudaPrecision, FastModesStayWithinLooseBounds) {
  REPSCOPE_REQUIRE_GPU_OR_SKIP();
  std::mt19937 rng(10);
  const Tensor x = random_tensor({4, 64, 28, 28}, rng);
  const Tensor w = random_tensor({128, 64, 3, 3}, rng, -0.05f, 0.05f);
  const Tensor t = random_tensor({4, 197, 768}, rng);
  const Tensor lw = random_tensor({3072, 768}, rng, -0.04f, 0.04f);
  const Tensor in_w = random_tensor({3 * 768, 768}, rng, -0.04f, 0.04f);
  const Tensor out_w = random_tensor({768, 768}, rng, -0.04f, 0.04f);
  Tensor ref_conv, ref_lin, ref_mha;
  {
    ops::ScopedBackend cpu(ops::Backend::Cpu);
    ref_conv = ops::conv2d(x, w, Tensor{}, 1, 1);
    ref_lin = ops::linear(t, lw, Tensor{});
    ref_mha = ops::multi_head_attention(t, t, t, in_w, Tensor{}, out_w, Tensor{}, 12);
  }
  const Tensor dx = to_device(x), dw = to_device(w), dt = to_device(t), dlw = to_device(lw);
  const Tensor din = to_device(in_w), dout = to_device(out_w);
  const double limit[] = {1e-5, 1e-2, 1e-2, 5e-2};
  for (Precision p : {Precision::Exact, Precision::Tf32, Precision::Fp16, Precision::Bf16}) {
    ScopedPrecision scoped(p);
    const double e_conv = relative_error(ref_conv, to_cpu(ops::conv2d(dx, dw, Tensor{}, 1, 1)));
    const double e_lin = relative_error(ref_lin, to_cpu(ops::linear(dt, dlw, Tensor{})));
    const double e_mha = relative_error(
        ref_mha, to_cpu(ops::multi_head_attention(dt, dt, dt, din, Tensor{}, dout, Tensor{}, 12)));
    std::printf("precision %-5s conv2d %.3e  linear %.3e  attention %.3e\n",
                std::string(precision_name(p)).c_str(), e_conv, e_lin, e_mha);
    const double lim = limit[static_cast<int>(p)];
    EXPECT_LE(e_conv, lim) << precision_name(p);
    EXPECT_LE(e_lin, lim) << precision_name(p);
    EXPECT_LE(e_mha, lim) << precision_name(p);
  }
}

TEST(CudaPool, ReusesFreedBlocks) {
  REPSCOPE_REQUIRE_GPU_OR_SKIP();
  const int d = current_device();
  { Tensor a = empty({1000, 1000}); }
  const PoolStats before = pool_stats(d);
  { Tensor b = empty({1000, 1000}); }
  const PoolStats after = pool_stats(d);
  EXPECT_EQ(after.device_allocs, before.device_allocs);
  EXPECT_EQ(after.reuses, before.reuses + 1);
  EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
  empty_cache();
  EXPECT_EQ(pool_stats(d).bytes_cached, 0u);
}

TEST(CudaPool, OutOfMemoryIsAnError) {
  REPSCOPE_REQUIRE_GPU_OR_SKIP();
  try {
    Tensor huge = empty({std::int64_t{1} << 50}, DType::F32, "test op");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("test op"), std::string::npos) << e.what();
  }
}

TEST(CudaTaps, DownloaderDeliversInOrderWithReductions) {
  REPSCOPE_REQUIRE_GPU_OR_SKIP();
  std::mt19937 rng(11);
  const Tensor conv = random_tensor({3, 5, 4, 6}, rng);
  const Tensor seq = random_tensor({3, 7, 10}, rng);
  struct Want {
    TapReduction r;
    bool f16;
  };
  for (Want want : {Want{TapReduction::None, false}, Want{TapReduction::None, true},
                    Want{TapReduction::SpatialMean, false}, Want{TapReduction::TokenMean, false},
                    Want{TapReduction::ClassToken, true}}) {
    TapDownloader down({want.r, want.f16});
    const bool tokens = want.r == TapReduction::TokenMean || want.r == TapReduction::ClassToken;
    const Tensor src = tokens ? seq : conv;
    down.enqueue("a", to_device(src));
    down.enqueue("b", to_device(src));
    std::vector<std::string> names;
    std::vector<Tensor> got;
    down.drain(
        [&](const std::string& n, const Tensor& v) {
          names.push_back(n);
          got.push_back(v.to(DType::F32));
        },
        true);
    ASSERT_EQ(names, (std::vector<std::string>{"a", "b"}));
    Tensor expect = src;
    if (want.r == TapReduction::SpatialMean) {
      ops::ScopedBackend ref(ops::Backend::Reference);
      expect = ops::adaptive_avg_pool2d_1x1(src).reshape({3, 5});
    } else if (want.r == TapReduction::TokenMean) {
      expect = Tensor::zeros({3, 10});
      for (int n = 0; n < 3; ++n)
        for (int l = 0; l < 7; ++l)
          for (int e = 0; e < 10; ++e)
            expect.data<float>()[n * 10 + e] += src.at((n * 7 + l) * 10 + e) / 7.0f;
    } else if (want.r == TapReduction::ClassToken) {
      expect = Tensor::empty({3, 10});
      for (int n = 0; n < 3; ++n)
        for (int e = 0; e < 10; ++e) expect.data<float>()[n * 10 + e] = src.at(n * 70 + e);
    }
    EXPECT_LE(relative_error(expect, got[1]), want.f16 ? 1e-3 : 1e-6);
  }
}

TEST(CudaStats, GramRdmMatchesCpu) {
  REPSCOPE_REQUIRE_GPU_OR_SKIP();
  std::mt19937 rng(12);
  const Tensor x = random_tensor({37, 3001}, rng, 0.0f, 3.0f);
  struct M {
    GramMetric gpu;
    stats::RdmMetric cpu;
  };
  for (M m : {M{GramMetric::Correlation, stats::RdmMetric::Correlation},
              M{GramMetric::Cosine, stats::RdmMetric::Cosine},
              M{GramMetric::Euclidean, stats::RdmMetric::Euclidean},
              M{GramMetric::SquaredEuclidean, stats::RdmMetric::SquaredEuclidean},
              M{GramMetric::MeanSquaredEuclidean, stats::RdmMetric::MeanSquaredEuclidean}}) {
    const std::vector<double> cpu = stats::compute_rdm(x, m.cpu);
    const std::vector<double> gpu = gram_rdm(x, m.gpu, 1000);
    ASSERT_EQ(cpu.size(), gpu.size());
    double worst = 0.0, scale = 0.0;
    for (std::size_t i = 0; i < cpu.size(); ++i) {
      worst = std::max(worst, std::fabs(cpu[i] - gpu[i]));
      scale = std::max(scale, std::fabs(cpu[i]));
    }
    EXPECT_LE(worst / scale, 1e-10) << stats::rdm_metric_name(m.cpu);
  }
}

TEST(CudaStats, CategoryMomentsMatchCpu) {
  REPSCOPE_REQUIRE_GPU_OR_SKIP();
  std::mt19937 rng(13);
  const std::int64_t n = 60, units = 300;
  const Tensor x = random_tensor({n, units}, rng, -2.0f, 5.0f);
  std::vector<int> labels(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    labels[static_cast<std::size_t>(i)] = static_cast<int>(i % 4) - 1;
  const CategoryMoments m = category_moments(x, labels, 3);
  for (int c = 0; c < 3; ++c) {
    for (std::int64_t u = 0; u < units; u += 37) {
      std::vector<double> v;
      for (std::int64_t i = 0; i < n; ++i)
        if (labels[static_cast<std::size_t>(i)] == c) v.push_back(x.at(i * units + u));
      const stats::SampleMoments s = stats::sample_moments(std::span<const double>(v));
      EXPECT_DOUBLE_EQ(m.count[static_cast<std::size_t>(c)], s.n);
      EXPECT_NEAR(m.mean(c, u), s.mean, 1e-12);
      EXPECT_NEAR(m.var(c, u), s.var, 1e-10 * s.var);
    }
  }
}

}  // namespace
}  // namespace repscope::cuda
