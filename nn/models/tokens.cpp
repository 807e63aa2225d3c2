#include "nn/models/tokens.h"

#include <cstring>

#include "nn/error.h"
#include "nn/parallel.h"

namespace repscope {

Tensor patches_to_tokens(const Tensor& x) {
  check(x.ndim() == 4, "patches_to_tokens: expected [N, E, gh, gw], got ", shape_str(x.shape()));
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
  check(x.ndim() == 3 && index < x.dim(1), "select_token: bad input ", shape_str(x.shape()));
  const std::int64_t n = x.dim(0), l = x.dim(1), e = x.dim(2);
  Tensor out = Tensor::empty({n, e});
  for (std::int64_t i = 0; i < n; ++i) {
    std::memcpy(out.data<float>() + i * e, x.data<float>() + (i * l + index) * e,
                static_cast<std::size_t>(e) * sizeof(float));
  }
  return out;
}

}  // namespace repscope
