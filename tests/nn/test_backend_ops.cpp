// Every op × every non-reference backend, against the plain reference kernels.
//
// Each case builds random inputs (seeded), runs the op on the reference backend and on every
// other registered backend (the cpu kernels; cuda ones when the cuda library registered them),
// and requires max|a - b| / max|ref| <= 1e-5. The cpu backend must also give bit-identical
// results with 1 and 2 threads. Backends on another device get their inputs through the
// transfer functions that backend registers; without a registered cuda backend those cases do
// not exist.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "nn/error.h"
#include "nn/gemm.h"
#include "nn/ops.h"
#include "nn/ops/registry.h"
#include "nn/parallel.h"
#ifdef REPSCOPE_HAVE_CUDA
#include "cuda/backend.h"
#endif

namespace repscope::ops {
namespace {

constexpr double kTolerance = 1e-5;

#ifdef REPSCOPE_HAVE_CUDA
// Registers the cuda kernels before any case runs; registers nothing (false) without a GPU, so
// the cuda cases then do not exist.
const bool g_cuda_registered = repscope::cuda::register_backend();
#endif

Tensor random_tensor(Shape shape, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  Tensor t = Tensor::empty(std::move(shape));
  std::uniform_real_distribution<float> dist(lo, hi);
  float* p = t.data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

// One op invocation on fixed inputs. `run` calls the public nn/ops.h function on the given inputs.
struct Case {
  OpId op;
  std::string name;
  std::vector<Tensor> inputs;
  std::function<Tensor(const std::vector<Tensor>&)> run;
};

std::vector<Tensor> move_inputs(const std::vector<Tensor>& in, Device device) {
  if (device == Device::CPU) return in;
  TransferFn to = transfer_to(device);
  std::vector<Tensor> out;
  for (const Tensor& t : in) out.push_back(t.defined() ? to(t) : Tensor{});
  return out;
}

Tensor run_on(const Case& c, Backend b) {
  ScopedBackend scope(b);
  const Device device = backend_device(b);
  Tensor out = c.run(move_inputs(c.inputs, device));
  if (device != Device::CPU) out = transfer_to_cpu(device)(out);
  return out;
}

double relative_error(const Tensor& ref, const Tensor& got) {
  EXPECT_EQ(shape_str(ref.shape()), shape_str(got.shape()));
  if (ref.shape() != got.shape()) return INFINITY;
  double max_ref = 0.0, max_diff = 0.0;
  for (std::int64_t i = 0; i < ref.numel(); ++i) {
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(ref.at(i))));
    const double d = std::fabs(static_cast<double>(ref.at(i)) - got.at(i));
    max_diff = std::isnan(d) ? INFINITY : std::max(max_diff, d);
  }
  return max_ref == 0.0 ? max_diff : max_diff / max_ref;
}

bool bit_identical(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

// ---- case builders -------------------------------------------------------------------------

// `fused`: with a residual of the output's shape and ReLU (the fused ResNet block tail).
void add_conv(std::vector<Case>& cases, std::mt19937& rng, std::int64_t n, std::int64_t c,
              std::int64_t h, std::int64_t w, std::int64_t o, int k, int stride, int padding,
              int groups, bool bias, bool fused = false) {
  const std::int64_t oh = (h + 2 * padding - k) / stride + 1,
                     ow = (w + 2 * padding - k) / stride + 1;
  Case cs{OpId::Conv2d,
          "conv2d x[" + std::to_string(n) + "," + std::to_string(c) + "," + std::to_string(h) +
              "," + std::to_string(w) + "] o" + std::to_string(o) + " k" + std::to_string(k) +
              " s" + std::to_string(stride) + " p" + std::to_string(padding) + " g" +
              std::to_string(groups) + (bias ? " bias" : "") + (fused ? " +residual relu" : ""),
          {random_tensor({n, c, h, w}, rng), random_tensor({o, c / groups, k, k}, rng, -0.2f, 0.2f),
           bias ? random_tensor({o}, rng) : Tensor{},
           fused ? random_tensor({n, o, oh, ow}, rng) : Tensor{}},
          [=](const std::vector<Tensor>& t) {
            return conv2d(t[0], t[1], t[2], stride, padding, groups, t[3], fused);
          }};
  cases.push_back(std::move(cs));
}

// conv2d_blocked on channel-blocked tensors (c and o multiples of 16), optionally with the fused
// tail.
void add_blocked_conv(std::vector<Case>& cases, std::mt19937& rng, std::int64_t n, std::int64_t c,
                      std::int64_t h, std::int64_t w, std::int64_t o, int k, int stride,
                      int padding, bool bias, bool fused = false) {
  const std::int64_t oh = (h + 2 * padding - k) / stride + 1,
                     ow = (w + 2 * padding - k) / stride + 1;
  constexpr std::int64_t b = kChannelBlock;
  cases.push_back(
      {OpId::Conv2dBlocked,
       "conv2d_blocked x[" + std::to_string(n) + "," + std::to_string(c) + "," + std::to_string(h) +
           "," + std::to_string(w) + "] o" + std::to_string(o) + " k" + std::to_string(k) + " s" +
           std::to_string(stride) + " p" + std::to_string(padding) + (bias ? " bias" : "") +
           (fused ? " +residual relu" : ""),
       {random_tensor({n, c / b, h, w, b}, rng), random_tensor({o, c, k, k}, rng, -0.2f, 0.2f),
        bias ? random_tensor({o}, rng) : Tensor{},
        fused ? random_tensor({n, o / b, oh, ow, b}, rng) : Tensor{}},
       [=](const std::vector<Tensor>& t) {
         return conv2d_blocked(t[0], t[1], t[2], stride, padding, t[3], fused);
       }});
}

void add_unary(std::vector<Case>& cases, OpId op, const std::string& name,
               Tensor (*fn)(const Tensor&), Tensor x) {
  cases.push_back(
      {op, name + " " + shape_str(x.shape()), {std::move(x)}, [fn](const std::vector<Tensor>& t) {
         return fn(t[0]);
       }});
}

std::vector<Case> all_cases() {
  std::mt19937 rng(1234);
  std::vector<Case> cases;
  // conv2d: odd sizes, stride/padding/groups, 1x1, depthwise, the ResNet stem, batch 1 and > 1,
  // and a batch big enough that column tiles cross image boundaries.
  add_conv(cases, rng, 1, 3, 17, 13, 8, 3, 1, 1, 1, true);
  add_conv(cases, rng, 2, 5, 11, 9, 7, 3, 2, 0, 1, false);
  add_conv(cases, rng, 3, 16, 9, 9, 24, 1, 1, 0, 1, false);
  add_conv(cases, rng, 2, 16, 9, 9, 24, 1, 2, 0, 1, true);
  add_conv(cases, rng, 2, 12, 10, 10, 12, 3, 1, 1, 12, true);   // depthwise
  add_conv(cases, rng, 2, 12, 10, 10, 24, 3, 2, 1, 12, false);  // depthwise multiplier 2
  add_conv(cases, rng, 1, 8, 12, 12, 6, 3, 1, 1, 2, true);      // grouped
  add_conv(cases, rng, 1, 3, 32, 32, 16, 7, 2, 3, 1, false);    // resnet stem shape
  add_conv(cases, rng, 1, 3, 32, 32, 12, 16, 16, 0, 1, true);   // ViT patch embedding
  add_conv(cases, rng, 5, 64, 7, 7, 300, 3, 1, 1, 1, false);  // row tiles > 256, multi-image tiles
  add_conv(cases, rng, 40, 520, 3, 3, 8, 1, 1, 0, 1, true);   // 1x1, tiles across images
  add_conv(cases, rng, 2, 4, 5, 5, 3, 5, 1, 2, 1, true);
  // The fused tail (residual + ReLU) on every path: within one image, tiles across images,
  // rows split, depthwise.
  add_conv(cases, rng, 1, 16, 20, 20, 24, 3, 1, 1, 1, true, true);
  add_conv(cases, rng, 40, 32, 3, 3, 16, 1, 1, 0, 1, true, true);
  add_conv(cases, rng, 5, 64, 7, 7, 300, 3, 1, 1, 1, false, true);
  add_conv(cases, rng, 2, 12, 10, 10, 12, 3, 1, 1, 12, true, true);
  // Column-tiling paths: a feature map split into pieces (3x3 and 1x1), and runs of whole
  // images with a shorter last run.
  add_conv(cases, rng, 1, 256, 20, 20, 8, 3, 1, 1, 1, true);
  add_conv(cases, rng, 1, 1024, 24, 24, 16, 1, 1, 0, 1, true);
  add_conv(cases, rng, 7, 256, 6, 6, 8, 3, 1, 1, 1, true);
  // The padded-window gather: rows wider than a panel (runs cut at panel edges), stride 2 and
  // a 5x5 kernel over runs of whole images, k blocks that start inside a channel's taps.
  add_conv(cases, rng, 3, 20, 13, 70, 10, 3, 1, 1, 1, true);
  add_conv(cases, rng, 6, 40, 9, 9, 20, 3, 2, 1, 1, true);
  add_conv(cases, rng, 9, 24, 8, 8, 16, 5, 1, 2, 1, false, true);
  add_conv(cases, rng, 2, 100, 11, 11, 40, 3, 1, 1, 1, true);
  // Depth beyond one GEMM k block (1024): k blocks that start inside a channel's taps, and a
  // 1x1 conv read in place across images with blocks accumulated.
  add_conv(cases, rng, 2, 120, 7, 7, 24, 3, 1, 1, 1, true, true);
  add_conv(cases, rng, 3, 1100, 8, 8, 16, 1, 1, 0, 1, true, true);
  // Column tiles cut across image boundaries: a map larger than a tile, one smaller (tiles
  // starting and ending inside images), and few tiles with the rows split (shared gather).
  add_conv(cases, rng, 3, 8, 23, 23, 10, 3, 1, 1, 1, true, true);
  add_conv(cases, rng, 5, 16, 14, 14, 12, 3, 1, 1, 1, true, true);
  add_conv(cases, rng, 5, 16, 14, 14, 12, 1, 1, 0, 1, false, true);
  add_conv(cases, rng, 3, 64, 15, 15, 200, 3, 1, 1, 1, false, true);
  // 1x1 stride-1 tiles of whole panels inside one image read the input in place (beside tiles
  // across images that are gathered), also with the rows split (the shared gather skips them).
  add_conv(cases, rng, 2, 40, 24, 24, 20, 1, 1, 0, 1, true, true);
  add_conv(cases, rng, 1, 48, 24, 24, 200, 1, 1, 0, 1, false, true);

  // The channel-blocked layout: layout changes, the direct convolution (one and several
  // groups of 64 output channels, partial groups of 1-3 blocks, 1x1 chunks of 16 input blocks
  // and a last short one, 3x3 chunks of one block, a 5x5, strides, padding, runs of positions
  // across images, partial tiles), and its average pool.
  add_unary(cases, OpId::ToBlocked, "to_blocked", &to_blocked, random_tensor({2, 32, 5, 7}, rng));
  add_unary(cases, OpId::ToBlocked, "to_blocked", &to_blocked, random_tensor({1, 16, 1, 1}, rng));
  add_unary(cases, OpId::FromBlocked, "from_blocked", &from_blocked,
            random_tensor({2, 2, 5, 7, kChannelBlock}, rng));
  add_blocked_conv(cases, rng, 2, 32, 9, 11, 64, 3, 1, 1, true);
  add_blocked_conv(cases, rng, 1, 16, 7, 7, 16, 1, 1, 0, false);
  add_blocked_conv(cases, rng, 3, 64, 12, 10, 96, 3, 2, 1, true, true);
  add_blocked_conv(cases, rng, 2, 272, 5, 5, 48, 1, 1, 0, true, true);
  add_blocked_conv(cases, rng, 1, 48, 14, 14, 80, 3, 1, 1, false);
  add_blocked_conv(cases, rng, 2, 16, 8, 8, 32, 5, 1, 2, true);
  add_blocked_conv(cases, rng, 4, 32, 7, 7, 32, 1, 2, 0, false, true);
  add_blocked_conv(cases, rng, 16, 64, 6, 6, 64, 3, 1, 1, true, true);
  add_blocked_conv(cases, rng, 1, 32, 30, 30, 64, 3, 1, 1, true);
  for (auto [k, s, p] : {std::array<int, 3>{2, 2, 0}, {3, 1, 1}, {3, 2, 1}}) {
    cases.push_back(
        {OpId::AvgPool2dBlocked,
         "avg_pool2d_blocked k" + std::to_string(k) + " s" + std::to_string(s) + " p" +
             std::to_string(p),
         {random_tensor({2, 2, 8, 7, kChannelBlock}, rng)},
         [k, s, p](const std::vector<Tensor>& t) { return avg_pool2d_blocked(t[0], k, s, p); }});
  }

  for (Shape shape : {Shape{1, 3, 5, 7}, Shape{2, 16, 9, 9}, Shape{3, 4, 1, 1}, Shape{2, 5, 3}}) {
    const std::int64_t c = shape[1];
    cases.push_back({OpId::BatchNorm,
                     "batch_norm " + shape_str(shape),
                     {random_tensor(shape, rng), random_tensor({c}, rng), random_tensor({c}, rng),
                      random_tensor({c}, rng), random_tensor({c}, rng, 0.1f, 2.0f)},
                     [](const std::vector<Tensor>& t) {
                       return batch_norm(t[0], t[1], t[2], t[3], t[4], 1e-5f);
                     }});
  }

  for (Shape shape : {Shape{7}, Shape{2, 3, 5, 7}, Shape{100003}}) {
    add_unary(cases, OpId::Relu, "relu", &relu, random_tensor(shape, rng));
    add_unary(cases, OpId::Gelu, "gelu", &gelu, random_tensor(shape, rng, -6.0f, 6.0f));
    add_unary(cases, OpId::QuickGelu, "quick_gelu", &quick_gelu,
              random_tensor(shape, rng, -6.0f, 6.0f));
    cases.push_back({OpId::Add,
                     "add " + shape_str(shape),
                     {random_tensor(shape, rng), random_tensor(shape, rng)},
                     [](const std::vector<Tensor>& t) { return add(t[0], t[1]); }});
  }

  struct Pool {
    Shape shape;
    int k, s, p;
  };
  for (const Pool& pl :
       {Pool{{1, 3, 11, 9}, 3, 2, 1}, Pool{{2, 4, 8, 8}, 2, 2, 0}, Pool{{2, 2, 7, 5}, 3, 1, 0},
        Pool{{1, 1, 4, 4}, 4, 4, 2}, Pool{{2, 8, 16, 16}, 3, 2, 1}}) {
    const std::string args = shape_str(pl.shape) + " k" + std::to_string(pl.k) + " s" +
                             std::to_string(pl.s) + " p" + std::to_string(pl.p);
    const int k = pl.k, s = pl.s, p = pl.p;
    cases.push_back({OpId::MaxPool2d,
                     "max_pool2d " + args,
                     {random_tensor(pl.shape, rng)},
                     [=](const std::vector<Tensor>& t) { return max_pool2d(t[0], k, s, p); }});
    cases.push_back({OpId::AvgPool2d,
                     "avg_pool2d " + args,
                     {random_tensor(pl.shape, rng)},
                     [=](const std::vector<Tensor>& t) { return avg_pool2d(t[0], k, s, p); }});
  }
  for (Shape shape : {Shape{1, 3, 1, 1}, Shape{2, 7, 5, 3}, Shape{3, 64, 7, 7}}) {
    add_unary(cases, OpId::AdaptiveAvgPool2d1x1, "adaptive_avg_pool2d_1x1",
              &adaptive_avg_pool2d_1x1, random_tensor(shape, rng));
  }

  struct Lin {
    Shape x;
    std::int64_t out;
    bool bias;
  };
  for (const Lin& l : {Lin{{5}, 3, true}, Lin{{1, 17}, 9, false}, Lin{{2, 7, 33}, 65, true},
                       Lin{{3, 197, 96}, 400, true}, Lin{{300, 70}, 500, false}}) {
    const std::int64_t in = l.x.back();
    cases.push_back({OpId::Linear,
                     "linear " + shape_str(l.x) + " -> " + std::to_string(l.out),
                     {random_tensor(l.x, rng), random_tensor({l.out, in}, rng, -0.3f, 0.3f),
                      l.bias ? random_tensor({l.out}, rng) : Tensor{}},
                     [](const std::vector<Tensor>& t) { return linear(t[0], t[1], t[2]); }});
    cases.push_back({OpId::Matmul,
                     "matmul " + shape_str(l.x) + " @ [" + std::to_string(in) + ", " +
                         std::to_string(l.out) + "]",
                     {random_tensor(l.x, rng), random_tensor({in, l.out}, rng, -0.3f, 0.3f)},
                     [](const std::vector<Tensor>& t) { return matmul(t[0], t[1]); }});
  }

  for (Shape shape : {Shape{1}, Shape{3, 7}, Shape{2, 197, 96}, Shape{4, 768}}) {
    const std::int64_t d = shape.back();
    cases.push_back(
        {OpId::LayerNorm,
         "layer_norm " + shape_str(shape),
         {random_tensor(shape, rng, 2.0f, 5.0f), random_tensor({d}, rng), random_tensor({d}, rng)},
         [](const std::vector<Tensor>& t) { return layer_norm(t[0], t[1], t[2], 1e-6f); }});
    cases.push_back(
        {OpId::LayerNorm,
         "layer_norm no affine " + shape_str(shape),
         {random_tensor(shape, rng)},
         [](const std::vector<Tensor>& t) { return layer_norm(t[0], Tensor{}, Tensor{}, 1e-5f); }});
    add_unary(cases, OpId::SoftmaxLastdim, "softmax_lastdim", &softmax_lastdim,
              random_tensor(shape, rng, -8.0f, 8.0f));
  }

  struct Mha {
    std::int64_t n, lq, lk, e;
    int heads;
    bool bias;
    std::int64_t out = 0;  // the output projection's width; 0: e (CLIP's attention pool: not)
  };
  for (const Mha& m :
       {Mha{1, 5, 5, 8, 2, true}, Mha{2, 7, 7, 12, 3, false}, Mha{2, 1, 10, 16, 4, true},
        Mha{1, 50, 50, 64, 8, true}, Mha{3, 4, 9, 6, 1, true}, Mha{2, 1, 10, 16, 4, true, 6},
        Mha{2, 3, 3, 8, 2, false, 20}}) {
    const std::int64_t e = m.e, out = m.out > 0 ? m.out : m.e;
    Tensor q = random_tensor({m.n, m.lq, e}, rng);
    Tensor kv = random_tensor({m.n, m.lk, e}, rng);
    const int heads = m.heads;
    cases.push_back(
        {OpId::MultiHeadAttention,
         "multi_head_attention n" + std::to_string(m.n) + " lq" + std::to_string(m.lq) + " lk" +
             std::to_string(m.lk) + " e" + std::to_string(e) + " h" + std::to_string(heads) +
             " out" + std::to_string(out),
         {q, m.lq == m.lk ? q : kv, m.lq == m.lk ? q : kv.clone(),
          random_tensor({3 * e, e}, rng, -0.5f, 0.5f),
          m.bias ? random_tensor({3 * e}, rng) : Tensor{},
          random_tensor({out, e}, rng, -0.5f, 0.5f), m.bias ? random_tensor({out}, rng) : Tensor{}},
         [heads](const std::vector<Tensor>& t) {
           return multi_head_attention(t[0], t[1], t[2], t[3], t[4], t[5], t[6], heads);
         }});
  }
  return cases;
}

// ---- the tests -----------------------------------------------------------------------------

TEST(BackendOps, EveryOpHasAReferenceKernel) {
  for (int i = 0; i < kOpCount; ++i) {
    const auto op = static_cast<OpId>(i);
    EXPECT_TRUE(has_kernel(op, Backend::Reference)) << op_name(op);
  }
}

TEST(BackendOps, EveryOpIsCovered) {
  std::vector<int> seen(kOpCount, 0);
  for (const Case& c : all_cases()) ++seen[static_cast<std::size_t>(c.op)];
  for (int i = 0; i < kOpCount; ++i)
    EXPECT_GT(seen[static_cast<std::size_t>(i)], 0) << op_name(static_cast<OpId>(i));
}

TEST(BackendOps, EveryBackendMatchesReference) {
  ScopedGemmIsa restore;
  int compared = 0;
  for (const Case& c : all_cases()) {
    const Tensor ref = run_on(c, Backend::Reference);
    for (Backend b : registered_backends(c.op)) {
      if (b == Backend::Reference) continue;
      if (backend_device(b) != Device::CPU &&
          !(transfer_to(backend_device(b)) && transfer_to_cpu(backend_device(b)))) {
        continue;  // a device backend without registered transfers cannot be fed from here
      }
      // The cpu backend once per GEMM kernel; other backends do not use it.
      const std::vector<GemmIsa> isas =
          b == Backend::Cpu ? gemm_available_isas() : std::vector<GemmIsa>{gemm_isa()};
      for (GemmIsa isa : isas) {
        set_gemm_isa(isa);
        const Tensor got = run_on(c, b);
        const double err = relative_error(ref, got);
        EXPECT_LE(err, kTolerance)
            << c.name << " on " << backend_name(b) << " (gemm " << gemm_isa_name(isa) << ")";
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 0);
}

// Frozen weights (a folded ConvBn's) are packed once and kept: the first call packs, later
// calls reuse the pack; both must give the bits of weights packed per call, under every kernel.
TEST(BackendOps, CpuConvWithFrozenWeightsMatchesPerCallPacking) {
  ScopedGemmIsa restore;
  int compared = 0;
  for (const Case& c : all_cases()) {
    if ((c.op != OpId::Conv2d && c.op != OpId::Conv2dBlocked) || !has_kernel(c.op, Backend::Cpu))
      continue;
    Case frozen = c;
    frozen.inputs[1] = c.inputs[1].clone();
    frozen.inputs[1].storage()->freeze();
    for (GemmIsa isa : gemm_available_isas()) {
      set_gemm_isa(isa);
      const Tensor per_call = run_on(c, Backend::Cpu);
      for (int call = 0; call < 2; ++call) {
        EXPECT_TRUE(bit_identical(per_call, run_on(frozen, Backend::Cpu)))
            << c.name << " (gemm " << gemm_isa_name(isa) << ", call " << call << ")";
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 0);
}

// prepare_conv2d_weight does the packing up front; it touches only frozen CPU weights.
TEST(BackendOps, PreparedConvWeightGivesTheSameBits) {
  std::mt19937 rng(21);
  const Tensor x = random_tensor({2, 12, 9, 9}, rng);
  const Tensor w = random_tensor({20, 6, 3, 3}, rng, -0.2f, 0.2f);
  const Tensor per_call = conv2d(x, w, Tensor{}, 1, 1, 2);
  prepare_conv2d_weight(w, 2);
  EXPECT_FALSE(w.storage()->frozen()) << "an unfrozen weight stays as it is";
  Tensor frozen = w.clone();
  frozen.storage()->freeze();
  prepare_conv2d_weight(frozen, 2);
  EXPECT_TRUE(bit_identical(conv2d(x, frozen, Tensor{}, 1, 1, 2), per_call));
  prepare_conv2d_weight(Tensor{}, 1);  // nothing to do, no error
}

TEST(BackendOps, CpuBackendIsBitIdenticalAcrossThreadCounts) {
  const int before = num_threads();
  for (const Case& c : all_cases()) {
    if (!has_kernel(c.op, Backend::Cpu)) continue;
    set_num_threads(1);
    const Tensor one = run_on(c, Backend::Cpu);
    set_num_threads(2);
    const Tensor two = run_on(c, Backend::Cpu);
    EXPECT_TRUE(bit_identical(one, two)) << c.name;
  }
  set_num_threads(before);
}

TEST(BackendOps, MaxPoolPropagatesNaNLikeTheReference) {
  std::mt19937 rng(5);
  Tensor x = random_tensor({1, 2, 9, 9}, rng);
  x.data<float>()[20] = std::nanf("");
  x.data<float>()[81 + 80] = std::nanf("");  // a corner of the second plane
  Case c{OpId::MaxPool2d, "max_pool2d with NaN", {x}, [](const std::vector<Tensor>& t) {
           return max_pool2d(t[0], 3, 2, 1);
         }};
  const Tensor ref = run_on(c, Backend::Reference);
  const Tensor got = run_on(c, Backend::Cpu);
  int nans = 0;
  for (std::int64_t i = 0; i < ref.numel(); ++i) {
    ASSERT_EQ(std::isnan(ref.at(i)), std::isnan(got.at(i))) << "at " << i;
    if (std::isnan(ref.at(i))) {
      ++nans;
    } else {
      EXPECT_EQ(ref.at(i), got.at(i)) << "at " << i;
    }
  }
  EXPECT_GE(nans, 2);
}

TEST(BackendOps, FusedConvTailEqualsSeparateOpsBitForBit) {
  // Models fuse a block's residual add and ReLU into the conv only because this holds.
  std::mt19937 rng(9);
  for (auto [n, c, hw, o, k, s] : {std::array<int, 6>{1, 16, 20, 24, 3, 1},
                                   {40, 32, 3, 16, 1, 1},
                                   {5, 64, 7, 300, 3, 1},
                                   {2, 8, 15, 16, 3, 2}}) {
    const Tensor x = random_tensor({n, c, hw, hw}, rng);
    const Tensor w = random_tensor({o, c, k, k}, rng, -0.2f, 0.2f);
    const Tensor b = random_tensor({o}, rng);
    const std::int64_t out_hw = (hw + 2 * (k / 2) - k) / s + 1;
    const Tensor r = random_tensor({n, o, out_hw, out_hw}, rng);
    for (Backend be : {Backend::Reference, Backend::Cpu}) {
      ScopedBackend scope(be);
      const Tensor fused = conv2d(x, w, b, s, k / 2, 1, r, true);
      const Tensor separate = relu(add(conv2d(x, w, b, s, k / 2), r));
      EXPECT_TRUE(bit_identical(fused, separate)) << backend_name(be) << " n" << n << " o" << o;
      const Tensor add_only = conv2d(x, w, b, s, k / 2, 1, r, false);
      EXPECT_TRUE(bit_identical(add_only, add(conv2d(x, w, b, s, k / 2), r))) << backend_name(be);
    }
  }
}

// A residual handed over that nothing else holds is overwritten with the result (same bits);
// one the caller still holds, or a frozen one, is left alone.
TEST(BackendOps, CpuConvWritesOverAResidualOnlyWhenNothingElseHoldsIt) {
  std::mt19937 rng(10);
  ScopedBackend scope(Backend::Cpu);
  for (auto [n, c, hw, o, k] : {std::array<int, 5>{2, 16, 20, 24, 3}, {5, 16, 14, 12, 1}}) {
    const Tensor x = random_tensor({n, c, hw, hw}, rng);
    const Tensor w = random_tensor({o, c, k, k}, rng, -0.2f, 0.2f);
    const Tensor b = random_tensor({o}, rng);
    const Tensor r = random_tensor({n, o, hw, hw}, rng);
    const Tensor before = r.clone();
    const Tensor held = conv2d(x, w, b, 1, k / 2, 1, r, true);
    EXPECT_TRUE(bit_identical(r, before)) << "a held residual was written";
    Tensor handed = r.clone();
    const void* handed_data = handed.raw_data();
    const Tensor reused = conv2d(x, w, b, 1, k / 2, 1, std::move(handed), true);
    EXPECT_EQ(reused.raw_data(), handed_data);
    EXPECT_TRUE(bit_identical(reused, held));
    Tensor frozen = r.clone();
    frozen.storage()->freeze();
    const void* frozen_data = frozen.raw_data();
    const Tensor fresh = conv2d(x, w, b, 1, k / 2, 1, std::move(frozen), true);
    EXPECT_NE(fresh.raw_data(), frozen_data);
    EXPECT_TRUE(bit_identical(fresh, held));
  }
}

TEST(BackendOps, ForceReferenceSwitchesDispatch) {
  EXPECT_EQ(select_backend(OpId::Conv2d, Device::CPU),
            has_kernel(OpId::Conv2d, Backend::Cpu) ? Backend::Cpu : Backend::Reference);
  force_reference(true);
  EXPECT_EQ(select_backend(OpId::Conv2d, Device::CPU), Backend::Reference);
  force_reference(false);
}

TEST(BackendOps, CudaBackendCoversEveryOpWhenPresent) {
#ifdef REPSCOPE_HAVE_CUDA
  if (!g_cuda_registered) GTEST_SKIP() << "no CUDA device: cuda cases skipped";
  for (int i = 0; i < kOpCount; ++i) {
    if (op_cpu_only(static_cast<OpId>(i))) continue;
    EXPECT_TRUE(has_kernel(static_cast<OpId>(i), Backend::Cuda)) << op_name(static_cast<OpId>(i));
  }
#else
  GTEST_SKIP() << "built without the CUDA backend";
#endif
}

TEST(BackendOps, CudaTensorsWithoutCudaBackendFailClearly) {
  if (has_kernel(OpId::Relu, Backend::Cuda)) GTEST_SKIP() << "cuda backend registered";
  try {
    select_backend(OpId::Relu, Device::CUDA);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("relu"), std::string::npos) << e.what();
  }
}

TEST(BackendOps, BlockedLayoutRoundTripsAndMatchesConv2d) {
  std::mt19937 rng(31);
  const Tensor x = random_tensor({3, 48, 9, 10}, rng);
  EXPECT_TRUE(bit_identical(from_blocked(to_blocked(x)), x));
  EXPECT_EQ(to_blocked(x).shape(), (Shape{3, 3, 9, 10, kChannelBlock}));
  // The blocked convolution is conv2d in another layout (within rounding: another summation
  // order), and its fused tail has the bits of the separate add and relu ops.
  ScopedGemmIsa restore;
  const Tensor w = random_tensor({32, 48, 3, 3}, rng, -0.2f, 0.2f), b = random_tensor({32}, rng);
  const Tensor r = random_tensor({3, 2, 5, 5, kChannelBlock}, rng);
  for (GemmIsa isa : gemm_available_isas()) {
    set_gemm_isa(isa);
    const Tensor blocked = conv2d_blocked(to_blocked(x), w, b, 2, 1);
    EXPECT_LE(relative_error(conv2d(x, w, b, 2, 1), from_blocked(blocked)), kTolerance);
    EXPECT_TRUE(
        bit_identical(conv2d_blocked(to_blocked(x), w, b, 2, 1, r, true), relu(add(blocked, r))))
        << gemm_isa_name(isa);
  }
}

// f() must throw an Error whose message contains `needle`.
void expect_error(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "expected an Error mentioning '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(BackendOps, BlockedLayoutErrorsNameTheProblem) {
  const Tensor xb = Tensor::zeros({1, 2, 6, 6, kChannelBlock});
  expect_error([] { to_blocked(Tensor::zeros({1, 20, 4, 4})); }, "not a multiple of 16");
  expect_error([] { from_blocked(Tensor::zeros({1, 20, 4, 4})); }, "channel-blocked");
  expect_error(
      [&] {
        conv2d_blocked(xb, Tensor::zeros({16, 16, 3, 3}), Tensor{}, 1, 1);
      },
      "input channels");
  expect_error(
      [&] {
        conv2d_blocked(xb, Tensor::zeros({24, 32, 3, 3}), Tensor{}, 1, 1);
      },
      "output channels");
  expect_error(
      [&] {
        conv2d_blocked(xb, Tensor::zeros({16, 32, 7, 7}), Tensor{}, 1, 0);
      },
      "too small");
  expect_error(
      [&] {
        conv2d_blocked(xb, Tensor::zeros({16, 32, 3, 3}), Tensor{}, 1, 1,
                       Tensor::zeros({1, 1, 6, 6}));
      },
      "residual");
  expect_error([&] { avg_pool2d_blocked(Tensor::zeros({1, 2, 6, 6}), 2, 2); }, "channel-blocked");
}

TEST(BackendOps, BadArgumentsNameTheTensor) {
  const Tensor x = Tensor::zeros({1, 4, 8, 8});
  expect_error([&] { conv2d(x, Tensor::zeros({2, 3, 3, 3}), Tensor{}, 1, 1); }, "weight");
  expect_error([&] { conv2d(x, Tensor::zeros({2, 4, 3, 3}), Tensor::zeros({3}), 1, 1); }, "bias");
  expect_error([&] { conv2d(x, Tensor::zeros({2, 4, 3, 3}), Tensor{}, 0, 1); }, "stride");
  expect_error([&] { conv2d(x, Tensor::zeros({3, 2, 3, 3}), Tensor{}, 1, 1, 2); }, "groups");
  expect_error([&] { conv2d(x, Tensor::zeros({2, 4, 9, 9}), Tensor{}, 1, 0); }, "too small");
  expect_error(
      [&] {
        conv2d(x, Tensor::zeros({2, 4, 3, 3}), Tensor{}, 1, 1, 1, Tensor::zeros({1, 2, 8, 7}));
      },
      "residual");
  expect_error(
      [&] {
        conv2d(x.to(DType::F64), Tensor::zeros({2, 4, 3, 3}), Tensor{}, 1, 1);
      },
      "f32");
  expect_error(
      [&] {
        conv2d(Tensor{}, Tensor::zeros({2, 4, 3, 3}), Tensor{}, 1, 1);
      },
      "'x' is undefined");
  expect_error(
      [&] {
        conv2d(Tensor::zeros({1, 0, 8, 8}), Tensor::zeros({2, 0, 3, 3}), Tensor{}, 1, 1);
      },
      "no input channels");
  EXPECT_EQ(
      shape_str(
          conv2d(Tensor::zeros({0, 4, 8, 8}), Tensor::zeros({2, 4, 3, 3}), Tensor{}, 1, 1).shape()),
      "[0, 2, 8, 8]");
  expect_error([&] { add(x, Tensor::zeros({1, 4, 8, 7})); }, "shapes differ");
  expect_error([&] { max_pool2d(x, 3, 2, 2); }, "padding");
  expect_error([&] { linear(Tensor::zeros({2, 5}), Tensor::zeros({3, 4}), Tensor{}); }, "weight");
  expect_error([&] { matmul(Tensor::zeros({2, 5}), Tensor::zeros({4, 3})); }, "inner dims");
  expect_error(
      [&] {
        layer_norm(Tensor::zeros({2, 5}), Tensor::zeros({4}), Tensor{}, 1e-5f);
      },
      "weight");
  expect_error(
      [&] { batch_norm(x, Tensor{}, Tensor{}, Tensor::zeros({3}), Tensor::zeros({4}), 1e-5f); },
      "running_mean");
  const Tensor q = Tensor::zeros({1, 3, 8});
  expect_error(
      [&] {
        multi_head_attention(q, q, q, Tensor::zeros({24, 8}), Tensor{}, Tensor::zeros({8, 8}),
                             Tensor{}, 3);
      },
      "num_heads");
  expect_error(
      [&] {
        multi_head_attention(q, q, q, Tensor::zeros({16, 8}), Tensor{}, Tensor::zeros({8, 8}),
                             Tensor{}, 2);
      },
      "in_proj_weight");
  expect_error(
      [&] {
        multi_head_attention(q, q, q, Tensor::zeros({24, 8}), Tensor{}, Tensor::zeros({8, 6}),
                             Tensor{}, 2);
      },
      "out_proj_weight");
  expect_error(
      [&] {
        multi_head_attention(q, q, q, Tensor::zeros({24, 8}), Tensor{}, Tensor::zeros({5, 8}),
                             Tensor::zeros({8}), 2);
      },
      "out_proj_bias");
}

}  // namespace
}  // namespace repscope::ops
