// conv2d through cuDNN (legacy convolution API, still shipped in cuDNN 9).
//
// The forward algorithm is chosen once per (shape, precision) by cudnnFindConvolutionForward-
// AlgorithmEx (timed on the real buffers, workspace from the pool up to kFindWorkspaceCap) and
// cached. Math type per precision: exact -> CUDNN_FMA_MATH and only FMA/default-math results
// are accepted (no TF32); tf32 -> CUDNN_TENSOR_OP_MATH on fp32 data; fp16/bf16 -> x and weight
// converted to half/bfloat16 (weights cached per storage), compute type FLOAT (fp32
// accumulation), output converted back to fp32. The bias is added by an own kernel in fp32.
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "cuda/backend.h"
#include "cuda/check.h"
#include "cuda/context.h"
#include "cuda/kernels.h"
#include "cuda/memory_pool.h"
#include "cuda/ops_internal.h"
#include "cuda/precision.h"
#include "nn/error.h"
#include "nn/ops.h"

namespace repscope::cuda {

using detail::in;
using detail::out;

namespace {

constexpr std::size_t kFindWorkspaceCap = std::size_t{512} << 20;
constexpr std::string_view kWhat = "conv2d";

// RAII holders for the cuDNN descriptors.
struct TensorDesc {
  cudnnTensorDescriptor_t d = nullptr;
  TensorDesc() { check_cudnn(cudnnCreateTensorDescriptor(&d), "conv2d: create tensor descriptor"); }
  ~TensorDesc() { cudnnDestroyTensorDescriptor(d); }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
};
struct FilterDesc {
  cudnnFilterDescriptor_t d = nullptr;
  FilterDesc() { check_cudnn(cudnnCreateFilterDescriptor(&d), "conv2d: create filter descriptor"); }
  ~FilterDesc() { cudnnDestroyFilterDescriptor(d); }
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
};
struct ConvDesc {
  cudnnConvolutionDescriptor_t d = nullptr;
  ConvDesc() {
    check_cudnn(cudnnCreateConvolutionDescriptor(&d), "conv2d: create conv descriptor");
  }
  ~ConvDesc() { cudnnDestroyConvolutionDescriptor(d); }
  ConvDesc(const ConvDesc&) = delete;
  ConvDesc& operator=(const ConvDesc&) = delete;
};

using Key = std::tuple<int, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                       std::int64_t, std::int64_t, int, int, int, int>;
struct Choice {
  cudnnConvolutionFwdAlgo_t algo;
  cudnnMathType_t math;
  std::size_t workspace;
};

struct AlgoCache {
  std::mutex mutex;
  std::map<Key, Choice> choices;
};
AlgoCache& algo_cache() {
  static auto* c = new AlgoCache;  // leaked: used until exit
  return *c;
}

// fp16/bf16 copies of weights, keyed by the weight's storage and offset; an entry whose storage
// is gone (weak_ptr expired) is replaced.
struct HalfWeight {
  std::weak_ptr<Storage> source;
  Tensor converted;
};
struct HalfCache {
  std::mutex mutex;
  std::map<std::tuple<const void*, std::size_t, int>, HalfWeight> entries;
};
HalfCache& half_cache() {
  static auto* c = new HalfCache;
  return *c;
}

bool is_tensor_op(cudnnMathType_t m) {
  return m == CUDNN_TENSOR_OP_MATH || m == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

Tensor to_half(const Tensor& x, Precision p) {
  Tensor h = empty(x.shape(), p == Precision::Bf16 ? DType::BF16 : DType::F16, kWhat);
  auto* dst = static_cast<std::uint16_t*>(h.raw_data());
  if (p == Precision::Bf16) {
    kernels::f32_to_bf16(in(x), dst, x.numel(), stream());
  } else {
    kernels::f32_to_f16(in(x), dst, x.numel(), stream());
  }
  check_launch(kWhat);
  return h;
}

Tensor cached_half_weight(const Tensor& w, Precision p) {
  HalfCache& c = half_cache();
  const auto key =
      std::make_tuple(static_cast<const void*>(w.storage().get()), w.offset(), static_cast<int>(p));
  std::lock_guard<std::mutex> lock(c.mutex);
  auto it = c.entries.find(key);
  if (it != c.entries.end() && !it->second.source.expired() &&
      it->second.converted.shape() == w.shape()) {
    return it->second.converted;
  }
  Tensor h = to_half(w, p);
  c.entries[key] = HalfWeight{w.storage(), h};
  return h;
}

int as_int(std::int64_t v) {
  check(v <= 0x7fffffff, "cuda: conv2d: dimension ", v, " exceeds cuDNN's 32-bit limit");
  return static_cast<int>(v);
}

}  // namespace

namespace {

// The convolution (+ bias) through cuDNN.
Tensor conv2d_cudnn(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride,
                    int padding, int groups) {
  DeviceContext& ctx = context();
  const Precision prec = precision();
  const bool half = prec == Precision::Fp16 || prec == Precision::Bf16;
  const cudnnDataType_t data_type =
      prec == Precision::Fp16 ? CUDNN_DATA_HALF
                              : (prec == Precision::Bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT);
  const cudnnMathType_t math = prec == Precision::Exact ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH;

  const std::int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  const std::int64_t o = weight.dim(0), kh = weight.dim(2), kw = weight.dim(3);
  const std::int64_t oh = (h + 2 * padding - kh) / stride + 1;
  const std::int64_t ow = (w + 2 * padding - kw) / stride + 1;
  Tensor y = empty({n, o, oh, ow}, DType::F32, kWhat);
  if (y.numel() == 0) return y;

  TensorDesc xd, yd;
  FilterDesc wd;
  ConvDesc cd;
  check_cudnn(cudnnSetTensor4dDescriptor(xd.d, CUDNN_TENSOR_NCHW, data_type, as_int(n), as_int(c),
                                         as_int(h), as_int(w)),
              "conv2d: input descriptor");
  check_cudnn(cudnnSetTensor4dDescriptor(yd.d, CUDNN_TENSOR_NCHW, data_type, as_int(n), as_int(o),
                                         as_int(oh), as_int(ow)),
              "conv2d: output descriptor");
  check_cudnn(cudnnSetFilter4dDescriptor(wd.d, data_type, CUDNN_TENSOR_NCHW, as_int(o),
                                         as_int(weight.dim(1)), as_int(kh), as_int(kw)),
              "conv2d: filter descriptor");
  check_cudnn(cudnnSetConvolution2dDescriptor(cd.d, padding, padding, stride, stride, 1, 1,
                                              CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
              "conv2d: convolution descriptor");
  check_cudnn(cudnnSetConvolutionGroupCount(cd.d, groups), "conv2d: group count");
  check_cudnn(cudnnSetConvolutionMathType(cd.d, math), "conv2d: math type");

  // Operands in the data type of the precision.
  Tensor xin = x, win = weight, yout = y;
  if (half) {
    xin = to_half(x, prec);
    win = cached_half_weight(weight, prec);
    yout = empty(y.shape(), xin.dtype(), kWhat);
  }

  const Key key{ctx.device, n, c, h, w, o, kh, kw, stride, padding, groups, static_cast<int>(prec)};
  Choice choice{};
  bool found = false;
  {
    AlgoCache& cache = algo_cache();
    std::lock_guard<std::mutex> lock(cache.mutex);
    if (auto it = cache.choices.find(key); it != cache.choices.end()) {
      choice = it->second;
      found = true;
    }
  }
  if (!found) {
    std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
    int returned = 0;
    void* ws = device_allocate(kFindWorkspaceCap, "conv2d: algorithm search workspace");
    cudnnStatus_t st = cudnnFindConvolutionForwardAlgorithmEx(
        ctx.cudnn, xd.d, xin.raw_data(), wd.d, win.raw_data(), cd.d, yd.d, yout.raw_data(),
        static_cast<int>(perf.size()), &returned, perf.data(), ws, kFindWorkspaceCap);
    device_release(ws);  // stream-ordered: later work on the stream runs after the search
    check_cudnn(st, "conv2d: cudnnFindConvolutionForwardAlgorithmEx");
    for (int i = 0; i < returned && !found; ++i) {
      const auto& p = perf[static_cast<std::size_t>(i)];
      if (p.status != CUDNN_STATUS_SUCCESS || p.memory > kFindWorkspaceCap) continue;
      if (prec == Precision::Exact && is_tensor_op(p.mathType)) continue;  // would use TF32
      choice = Choice{p.algo, prec == Precision::Exact ? CUDNN_FMA_MATH : p.mathType, p.memory};
      found = true;
    }
    if (!found) {
      // Fall back to the heuristics, which honour the descriptor's math type.
      check_cudnn(cudnnGetConvolutionForwardAlgorithm_v7(ctx.cudnn, xd.d, wd.d, cd.d, yd.d,
                                                         static_cast<int>(perf.size()), &returned,
                                                         perf.data()),
                  "conv2d: cudnnGetConvolutionForwardAlgorithm_v7");
      for (int i = 0; i < returned && !found; ++i) {
        const auto& p = perf[static_cast<std::size_t>(i)];
        if (p.status != CUDNN_STATUS_SUCCESS) continue;
        if (prec == Precision::Exact && is_tensor_op(p.mathType)) continue;
        std::size_t bytes = 0;
        if (cudnnGetConvolutionForwardWorkspaceSize(ctx.cudnn, xd.d, wd.d, cd.d, yd.d, p.algo,
                                                    &bytes) != CUDNN_STATUS_SUCCESS) {
          continue;
        }
        choice = Choice{p.algo, math, bytes};
        found = true;
      }
    }
    check(found, "cuda: conv2d: cuDNN offers no forward algorithm for x ", shape_str(x.shape()),
          ", weight ", shape_str(weight.shape()), " in precision ", precision_name(prec));
    AlgoCache& cache = algo_cache();
    std::lock_guard<std::mutex> lock(cache.mutex);
    cache.choices[key] = choice;
  }

  check_cudnn(cudnnSetConvolutionMathType(cd.d, choice.math), "conv2d: math type");
  void* ws = choice.workspace ? device_allocate(choice.workspace, "conv2d workspace") : nullptr;
  const float alpha = 1.0f, beta = 0.0f;
  const cudnnStatus_t st =
      cudnnConvolutionForward(ctx.cudnn, &alpha, xd.d, xin.raw_data(), wd.d, win.raw_data(), cd.d,
                              choice.algo, ws, choice.workspace, &beta, yd.d, yout.raw_data());
  device_release(ws);
  check_cudnn(st, "conv2d: cudnnConvolutionForward");

  if (half) {
    const auto* src = static_cast<const std::uint16_t*>(yout.raw_data());
    if (prec == Precision::Bf16) {
      kernels::bf16_to_f32(src, out(y), y.numel(), ctx.stream);
    } else {
      kernels::f16_to_f32(src, out(y), y.numel(), ctx.stream);
    }
    check_launch(kWhat);
  }
  if (bias.defined()) {
    kernels::add_channel_bias(out(y), in(bias), n, o, oh * ow, ctx.stream);
    check_launch(kWhat);
  }
  return y;
}

}  // namespace

// The residual add and ReLU of the fused op run as the backend's own add and relu kernels (through
// nn/ops.h, which dispatches CUDA tensors to them); cuDNN's fused conv-bias-activation would save
// the extra passes but has not been run on a GPU here.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding,
              int groups, const Tensor& residual, bool relu) {
  Tensor y = conv2d_cudnn(x, weight, bias, stride, padding, groups);
  if (residual.defined()) y = ops::add(y, residual);
  if (relu) y = ops::relu(y);
  return y;
}

}  // namespace repscope::cuda
