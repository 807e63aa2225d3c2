// Multi-head attention as torch computes it: project q, k, v (one GEMM for self-attention, else
// one each), scale q by 1/sqrt(head_dim), then per (batch, head): scores = q kᵀ, row softmax,
// context = p v; finally the output projection. The per-head work runs in parallel with its own
// score buffer.
#include <cmath>
#include <vector>

#include "nn/gemm.h"
#include "nn/ops/cpu/cpu.h"
#include "nn/ops/kernel_util.h"
#include "nn/parallel.h"

namespace repscope::ops::cpu {
namespace {

// x [rows, e] @ w[row0 : row0 + e]ᵀ + b[row0 : row0 + e] -> [rows, e].
Tensor project(const Tensor& x, const float* w, const float* b, std::int64_t row0, std::int64_t e) {
  const std::int64_t rows = x.numel() / e;
  Tensor out = Tensor::empty({rows, e});
  GemmEpilogue epilogue;
  epilogue.col_bias = b ? b + row0 : nullptr;
  gemm_parallel(rows, e, e, x.data<float>(), e, false, w + row0 * e, e, true, out.data<float>(), e,
                false, epilogue);
  return out;
}

}  // namespace

Tensor multi_head_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                            const Tensor& in_proj_weight, const Tensor& in_proj_bias,
                            const Tensor& out_proj_weight, const Tensor& out_proj_bias,
                            int num_heads) {
  const std::int64_t n = query.dim(0), lq = query.dim(1), e = query.dim(2), lk = key.dim(1);
  const std::int64_t hd = e / num_heads;
  const float* wi = in_proj_weight.data<float>();
  const float* bi = detail::optional_data(in_proj_bias);
  // Self-attention (one tensor for q, k and v, as in every ViT): one GEMM against the whole
  // in_proj weight, as torch does, packing x once; q, k and v are then column blocks of a
  // [rows, 3e] result (each element computed exactly as by its own projection).
  const bool self_attention = query.raw_data() == key.raw_data() &&
                              key.raw_data() == value.raw_data() && query.shape() == key.shape() &&
                              key.shape() == value.shape();
  Tensor q, k, v;
  float* qp = nullptr;
  const float *kp = nullptr, *vp = nullptr;
  std::int64_t ld = e;  // row pitch of q, k and v
  if (self_attention) {
    const std::int64_t rows = query.numel() / e;
    q = Tensor::empty({rows, 3 * e});
    GemmEpilogue epilogue;
    epilogue.col_bias = bi;
    gemm_parallel(rows, 3 * e, e, query.data<float>(), e, false, wi, e, true, q.data<float>(),
                  3 * e, false, epilogue);
    ld = 3 * e;
    qp = q.data<float>();
    kp = qp + e;
    vp = qp + 2 * e;
  } else {
    q = project(query, wi, bi, 0, e);
    k = project(key, wi, bi, e, e);
    v = project(value, wi, bi, 2 * e, e);
    qp = q.data<float>();
    kp = k.data<float>();
    vp = v.data<float>();
  }
  // torch scales q (not the scores) before the q kᵀ product.
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
  parallel_for(0, n * lq, 256, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      for (std::int64_t c = 0; c < e; ++c) qp[r * ld + c] *= scale;
    }
  });

  Tensor context = Tensor::empty({n, lq, e});
  float* cp = context.data<float>();
  parallel_for(0, n * num_heads, 1, [&](std::int64_t t0, std::int64_t t1) {
    thread_local std::vector<float> scores;
    scores.resize(static_cast<std::size_t>(lq * lk));
    for (std::int64_t t = t0; t < t1; ++t) {
      const std::int64_t b = t / num_heads, h = t % num_heads;
      const float* qh = qp + b * lq * ld + h * hd;
      const float* kh = kp + b * lk * ld + h * hd;
      const float* vh = vp + b * lk * ld + h * hd;
      gemm(lq, lk, hd, qh, ld, false, kh, ld, true, scores.data(), lk);
      softmax_rows(scores.data(), lq, lk);
      gemm(lq, hd, lk, scores.data(), lk, false, vh, ld, false, cp + b * lq * e + h * hd, e);
    }
  });
  return linear(context, out_proj_weight, out_proj_bias);
}

}  // namespace repscope::ops::cpu
