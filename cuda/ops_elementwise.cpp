// Element-wise, normalisation, pooling, softmax and token ops on repscope's own kernels.
#include <algorithm>

#include "cuda/backend.h"
#include "cuda/check.h"
#include "cuda/context.h"
#include "cuda/kernels.h"
#include "cuda/memory_pool.h"
#include "cuda/ops_internal.h"
#include "nn/error.h"

namespace repscope::cuda {

using detail::in;
using detail::out;

namespace {

using MapKernel = void (*)(const float*, float*, std::int64_t, cudaStream_t);

Tensor map(const Tensor& x, MapKernel k, std::string_view what) {
  Tensor y = empty_like(x, what);
  k(in(x), out(y), x.numel(), stream());
  check_launch(what);
  return y;
}

}  // namespace

Tensor relu(const Tensor& x) {
  return map(x, &kernels::relu, "relu");
}
Tensor gelu(const Tensor& x) {
  return map(x, &kernels::gelu, "gelu");
}
Tensor quick_gelu(const Tensor& x) {
  return map(x, &kernels::quick_gelu, "quick_gelu");
}

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = empty_like(a, "add");
  kernels::add(in(a), in(b), out(y), a.numel(), stream());
  check_launch("add");
  return y;
}

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, float eps) {
  const std::int64_t n = x.dim(0), c = x.dim(1);
  const std::int64_t inner = n * c == 0 ? 0 : x.numel() / (n * c);
  Tensor y = empty_like(x, "batch_norm");
  kernels::batch_norm(in(x), in(weight), in(bias), in(running_mean), in(running_var), eps, out(y),
                      n, c, inner, stream());
  check_launch("batch_norm");
  return y;
}

namespace {

using PoolKernel = void (*)(const float*, float*, std::int64_t, int, int, int, int, int, int, int,
                            cudaStream_t);

Tensor pool(const Tensor& x, int k, int stride, int pad, PoolKernel kernel, std::string_view what) {
  const auto h = static_cast<int>(x.dim(2)), w = static_cast<int>(x.dim(3));
  const int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
  Tensor y = empty({x.dim(0), x.dim(1), oh, ow}, DType::F32, what);
  kernel(in(x), out(y), x.dim(0) * x.dim(1), h, w, oh, ow, k, stride, pad, stream());
  check_launch(what);
  return y;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  return pool(x, kernel, stride, padding, &kernels::max_pool2d, "max_pool2d");
}

Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  return pool(x, kernel, stride, padding, &kernels::avg_pool2d, "avg_pool2d");
}

Tensor adaptive_avg_pool2d_1x1(const Tensor& x) {
  Tensor y = empty({x.dim(0), x.dim(1), 1, 1}, DType::F32, "adaptive_avg_pool2d_1x1");
  kernels::row_mean(in(x), out(y), x.dim(0) * x.dim(1), x.dim(2) * x.dim(3), stream());
  check_launch("adaptive_avg_pool2d_1x1");
  return y;
}

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  const std::int64_t d = x.dim(-1);
  Tensor y = empty_like(x, "layer_norm");
  kernels::layernorm_v2(in(x), in(weight), in(bias), out(y), x.numel() / d, d, eps, stream());
  check_launch("layer_norm");
  return y;
}

Tensor softmax_lastdim(const Tensor& x) {
  const std::int64_t d = x.dim(-1);
  Tensor y = empty_like(x, "softmax_lastdim");
  kernels::softmax_v2(in(x), out(y), x.numel() / d, d, stream());
  check_launch("softmax_lastdim");
  return y;
}

Tensor patches_to_tokens(const Tensor& x) {
  check(x.ndim() == 4 && x.device() == Device::CUDA,
        "cuda::patches_to_tokens: expected a CUDA [N, E, gh, gw] tensor, got ",
        shape_str(x.shape()));
  const std::int64_t n = x.dim(0), e = x.dim(1), l = x.dim(2) * x.dim(3);
  Tensor y = empty({n, l, e}, DType::F32, "patches_to_tokens");
  kernels::patches_to_tokens(in(x), out(y), n, e, l, stream());
  check_launch("patches_to_tokens");
  return y;
}

Tensor prepend_class_token(const Tensor& tokens, const Tensor& class_token, const Tensor& pos) {
  check(tokens.ndim() == 3, "cuda::prepend_class_token: expected [N, L, E], got ",
        shape_str(tokens.shape()));
  const std::int64_t n = tokens.dim(0), l = tokens.dim(1), e = tokens.dim(2);
  check(class_token.numel() == e, "class token has ", class_token.numel(), " values, width is ", e);
  check(!pos.defined() || pos.numel() == (l + 1) * e, "positional embedding ",
        pos.defined() ? shape_str(pos.shape()) : "", " does not fit ", l + 1, " tokens of width ",
        e);
  Tensor y = empty({n, l + 1, e}, DType::F32, "prepend_class_token");
  kernels::prepend_class_token(in(tokens), in(class_token), in(pos), out(y), n, l, e, stream());
  check_launch("prepend_class_token");
  return y;
}

Tensor select_token(const Tensor& x, std::int64_t index) {
  check(x.ndim() == 3 && index >= 0 && index < x.dim(1), "cuda::select_token: bad input ",
        shape_str(x.shape()), " for token ", index);
  Tensor y = empty({x.dim(0), x.dim(2)}, DType::F32, "select_token");
  kernels::select_token(in(x), out(y), x.dim(0), x.dim(1), x.dim(2), index, stream());
  check_launch("select_token");
  return y;
}

Tensor attention_pool_tokens(const Tensor& x, const Tensor& pos) {
  check(x.ndim() == 4 && x.device() == Device::CUDA && pos.device() == Device::CUDA,
        "cuda::attention_pool_tokens: expected a CUDA [N, C, H, W] tensor and CUDA positions, got ",
        shape_str(x.shape()));
  const std::int64_t n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
  check(pos.numel() == (hw + 1) * c, "cuda::attention_pool_tokens: positional embedding ",
        shape_str(pos.shape()), " does not fit ", hw + 1, " tokens of width ", c);
  Tensor y = empty({n, hw + 1, c}, DType::F32, "attention_pool_tokens");
  kernels::attention_pool_tokens(in(x), in(pos), out(y), n, c, hw, stream());
  check_launch("attention_pool_tokens");
  return y;
}

Tensor concat0(const Tensor* parts, std::size_t count) {
  check(count > 0 && parts[0].defined() && parts[0].ndim() >= 1, "cuda::concat0: nothing to stack");
  Shape shape = parts[0].shape();
  shape[0] = 0;
  for (std::size_t i = 0; i < count; ++i) {
    check(parts[i].device() == Device::CUDA && parts[i].dtype() == parts[0].dtype() &&
              parts[i].numel() / std::max<std::int64_t>(parts[i].dim(0), 1) ==
                  parts[0].numel() / std::max<std::int64_t>(parts[0].dim(0), 1),
          "cuda::concat0: part ", i, " ", shape_str(parts[i].shape()), " does not stack with ",
          shape_str(parts[0].shape()));
    shape[0] += parts[i].dim(0);
  }
  Tensor y = empty(shape, parts[0].dtype(), "concat0");
  auto* dst = static_cast<char*>(y.raw_data());
  for (std::size_t i = 0; i < count; ++i) {
    check_cuda(cudaMemcpyAsync(dst, parts[i].raw_data(), parts[i].nbytes(), cudaMemcpyDeviceToDevice,
                               stream()),
               "concat0");
    dst += parts[i].nbytes();
  }
  return y;
}

}  // namespace repscope::cuda
