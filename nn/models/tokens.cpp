#include "nn/models/tokens.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "nn/error.h"
#include "nn/parallel.h"

namespace repscope {
namespace {

// One slot per device; written at start-up by the backend, read by every forward pass.
std::atomic<const TokenKernels*> g_cuda_kernels{nullptr};

// The registered kernels of `t`'s device, or nullptr for CPU tensors.
const TokenKernels* device_kernels(const Tensor& t, const char* what) {
  if (t.device() == Device::CPU) return nullptr;
  const TokenKernels* k = g_cuda_kernels.load(std::memory_order_acquire);
  check(k != nullptr, what, ": no kernels for ", device_name(t.device()),
        " tensors (is the CUDA backend registered?)");
  return k;
}

void check_same_device(const Tensor& a, const Tensor& b, const char* what, const char* name) {
  check(!b.defined() || b.device() == a.device(), what, ": ", name, " is on ",
        device_name(b.device()), ", the input on ", device_name(a.device()));
}

}  // namespace

void register_token_kernels(Device device, const TokenKernels& kernels) {
  check(device == Device::CUDA, "register_token_kernels: only CUDA kernels can be registered");
  check(kernels.patches_to_tokens && kernels.prepend_class_token && kernels.select_token &&
            kernels.attention_pool_tokens && kernels.concat0,
        "register_token_kernels: every kernel must be given");
  // Leaked on purpose: forward passes may still read the table during static destruction.
  g_cuda_kernels.store(new TokenKernels(kernels), std::memory_order_release);
}

Tensor patches_to_tokens(const Tensor& x) {
  check(x.ndim() == 4, "patches_to_tokens: expected [N, E, gh, gw], got ", shape_str(x.shape()));
  if (const TokenKernels* k = device_kernels(x, "patches_to_tokens")) {
    return k->patches_to_tokens(x);
  }
  const std::int64_t n = x.dim(0), e = x.dim(1), l = x.dim(2) * x.dim(3);
  Tensor out = Tensor::empty({n, l, e});
  const float* src = x.data<float>();
  float* dst = out.data<float>();
  parallel_for(0, n * l, 64, [&](std::int64_t b, std::int64_t end) {
    for (std::int64_t i = b; i < end; ++i) {
      const std::int64_t img = i / l, tok = i % l;
      const float* s = src + img * e * l + tok;
      float* d = dst + i * e;
      for (std::int64_t c = 0; c < e; ++c) d[c] = s[c * l];
    }
  });
  return out;
}

Tensor prepend_class_token(const Tensor& tokens, const Tensor& class_token, const Tensor& pos) {
  check(tokens.ndim() == 3, "prepend_class_token: expected [N, L, E], got ",
        shape_str(tokens.shape()));
  const std::int64_t n = tokens.dim(0), l = tokens.dim(1), e = tokens.dim(2);
  check(class_token.numel() == e, "class token has ", class_token.numel(), " values, width is ", e);
  check(!pos.defined() || pos.numel() == (l + 1) * e, "positional embedding ",
        pos.defined() ? shape_str(pos.shape()) : "", " does not fit ", l + 1, " tokens of width ",
        e, " (input size differs from the model's?)");
  check_same_device(tokens, class_token, "prepend_class_token", "the class token");
  check_same_device(tokens, pos, "prepend_class_token", "the positional embedding");
  if (const TokenKernels* k = device_kernels(tokens, "prepend_class_token")) {
    return k->prepend_class_token(tokens, class_token, pos);
  }
  Tensor out = Tensor::empty({n, l + 1, e});
  const float* src = tokens.data<float>();
  const float* cls = class_token.data<float>();
  const float* p = pos.defined() ? pos.data<float>() : nullptr;
  float* dst = out.data<float>();
  parallel_for(0, n * (l + 1), 64, [&](std::int64_t b, std::int64_t end) {
    for (std::int64_t i = b; i < end; ++i) {
      const std::int64_t img = i / (l + 1), tok = i % (l + 1);
      const float* s = tok == 0 ? cls : src + (img * l + tok - 1) * e;
      float* d = dst + i * e;
      if (p) {
        const float* q = p + tok * e;
        for (std::int64_t c = 0; c < e; ++c) d[c] = s[c] + q[c];
      } else {
        std::memcpy(d, s, static_cast<std::size_t>(e) * sizeof(float));
      }
    }
  });
  return out;
}

Tensor select_token(const Tensor& x, std::int64_t index) {
  check(x.ndim() == 3 && index >= 0 && index < x.dim(1), "select_token: bad input ",
        shape_str(x.shape()), " for token ", index);
  if (const TokenKernels* k = device_kernels(x, "select_token")) return k->select_token(x, index);
  const std::int64_t n = x.dim(0), l = x.dim(1), e = x.dim(2);
  Tensor out = Tensor::empty({n, e});
  for (std::int64_t i = 0; i < n; ++i) {
    std::memcpy(out.data<float>() + i * e, x.data<float>() + (i * l + index) * e,
                static_cast<std::size_t>(e) * sizeof(float));
  }
  return out;
}

Tensor attention_pool_tokens(const Tensor& x, const Tensor& pos) {
  check(x.ndim() == 4, "attention_pool_tokens: expected [N, C, H, W], got ", shape_str(x.shape()));
  const std::int64_t n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
  check(pos.defined() && pos.numel() == (hw + 1) * c,
        "attention_pool_tokens: positional embedding ",
        pos.defined() ? shape_str(pos.shape()) : "(none)", " does not fit ", hw + 1,
        " tokens of width ", c);
  check_same_device(x, pos, "attention_pool_tokens", "the positional embedding");
  if (const TokenKernels* k = device_kernels(x, "attention_pool_tokens")) {
    return k->attention_pool_tokens(x, pos);
  }
  Tensor tokens = Tensor::empty({n, hw + 1, c});
  const float* src = x.data<float>();
  const float* p = pos.data<float>();
  float* dst = tokens.data<float>();
  // A transpose of [C, HW] planes into [HW + 1, C] rows, done a block of channels at a time so
  // that each token row is written a cache line at a time (one channel at a time wrote every
  // value to a different line: ~6 ms for CLIP RN50's 16 × 50 × 2048 tokens). Each channel's
  // mean is still summed in position order, in double.
  constexpr std::int64_t kBlock = 16;
  const std::int64_t blocks = (c + kBlock - 1) / kBlock;
  parallel_for(0, n * blocks, 4, [&](std::int64_t begin, std::int64_t end) {
    double sum[kBlock];
    for (std::int64_t nb = begin; nb < end; ++nb) {
      const std::int64_t img = nb / blocks, ch0 = nb % blocks * kBlock;
      const std::int64_t width = std::min(kBlock, c - ch0);
      const float* planes = src + (img * c + ch0) * hw;
      float* rows = dst + img * (hw + 1) * c + ch0;
      for (std::int64_t b = 0; b < width; ++b) sum[b] = 0.0;
      for (std::int64_t j = 0; j < hw; ++j) {
        float* row = rows + (j + 1) * c;
        const float* pj = p + (j + 1) * c + ch0;
        for (std::int64_t b = 0; b < width; ++b) {
          const float v = planes[b * hw + j];
          sum[b] += v;
          row[b] = v + pj[b];
        }
      }
      for (std::int64_t b = 0; b < width; ++b)
        rows[b] = static_cast<float>(sum[b] / static_cast<double>(hw)) + p[ch0 + b];
    }
  });
  return tokens;
}

Tensor concat0(const Tensor* parts, std::size_t count) {
  check(count > 0 && parts[0].defined() && parts[0].ndim() >= 1, "concat0: nothing to stack");
  Shape shape = parts[0].shape();
  std::int64_t rows = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const Tensor& t = parts[i];
    bool same = t.defined() && t.ndim() == parts[0].ndim() && t.dtype() == DType::F32;
    for (std::size_t d = 1; same && d < shape.size(); ++d)
      same = t.dim(static_cast<int>(d)) == shape[d];
    check(same, "concat0: part ", i, " ", t.defined() ? shape_str(t.shape()) : "(undefined)",
          " does not stack with ", shape_str(shape));
    check_same_device(parts[0], t, "concat0", "a part");
    rows += t.dim(0);
  }
  if (const TokenKernels* k = device_kernels(parts[0], "concat0")) return k->concat0(parts, count);
  shape[0] = rows;
  Tensor out = Tensor::empty(shape);
  std::int64_t at = 0;
  for (std::size_t i = 0; i < count; ++i) {
    out.slice0(at, at + parts[i].dim(0)).copy_from(parts[i]);
    at += parts[i].dim(0);
  }
  return out;
}

}  // namespace repscope
