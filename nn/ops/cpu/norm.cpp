// BatchNorm, LayerNorm and softmax, parallel over rows / planes.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "nn/ops/cpu/cpu.h"
#include "nn/ops/cpu/vector_math.h"
#include "nn/ops/kernel_util.h"
#include "nn/parallel.h"

namespace repscope::ops::cpu {

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, float eps) {
  const std::int64_t n = x.dim(0), c = x.dim(1);
  const std::int64_t inner = n * c == 0 ? 0 : x.numel() / (n * c);
  const float* wp = detail::optional_data(weight);
  const float* bp = detail::optional_data(bias);
  const float* mp = running_mean.data<float>();
  const float* vp = running_var.data<float>();
  // y = x * scale + shift per channel, the folded form torch's CPU kernel also uses.
  std::vector<float> scale(static_cast<std::size_t>(c)), shift(static_cast<std::size_t>(c));
  for (std::int64_t ch = 0; ch < c; ++ch) {
    const double s =
        (wp ? wp[ch] : 1.0) / std::sqrt(static_cast<double>(vp[ch]) + static_cast<double>(eps));
    scale[static_cast<std::size_t>(ch)] = static_cast<float>(s);
    shift[static_cast<std::size_t>(ch)] = static_cast<float>((bp ? bp[ch] : 0.0) - mp[ch] * s);
  }
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.data<float>();
  float* yp = out.data<float>();
  parallel_for(0, n * c, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(inner, 1)),
               [&](std::int64_t p0, std::int64_t p1) {
                 for (std::int64_t pl = p0; pl < p1; ++pl) {
                   const float s = scale[static_cast<std::size_t>(pl % c)];
                   const float t = shift[static_cast<std::size_t>(pl % c)];
                   const float* src = xp + pl * inner;
                   float* dst = yp + pl * inner;
                   for (std::int64_t i = 0; i < inner; ++i) dst[i] = src[i] * s + t;
                 }
               });
  return out;
}

namespace {

// Reductions over 16 lanes at a time (GCC/Clang vector types, lowered to whatever the target
// has): a single running value is a dependency chain of d steps. A max is the same in any
// order; a double sum's order changes its rounding only (~1e-16 of it, which a float result
// shows only at the rarest ties).
constexpr int kLanes = 16;
typedef float Floats __attribute__((vector_size(kLanes * sizeof(float))));
typedef double Doubles __attribute__((vector_size(kLanes * sizeof(double))));

// (Through a reference: returning a vector type would tie the ABI to the target's vectors.)
void load_floats(Floats& v, const float* p) {
  std::memcpy(&v, p, sizeof v);
}

// sum of row[i] (shift = 0) or of (row[i] - shift)², in double.
template <bool kSquares>
double lane_sum(const float* row, std::int64_t d, double shift = 0.0) {
  Doubles lanes = {};
  std::int64_t i = 0;
  for (; i + kLanes <= d; i += kLanes) {
    Floats f;
    load_floats(f, row + i);
    const Doubles v = __builtin_convertvector(f, Doubles);
    if constexpr (kSquares) {
      const Doubles c = v - shift;
      lanes += c * c;
    } else {
      lanes += v;
    }
  }
  double sum = 0.0;
  for (int j = 0; j < kLanes; ++j) sum += lanes[j];
  for (; i < d; ++i) sum += kSquares ? (row[i] - shift) * (row[i] - shift) : row[i];
  return sum;
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  const std::int64_t d = x.dim(-1), rows = detail::leading_rows(x);
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.data<float>();
  const float* wp = detail::optional_data(weight);
  const float* bp = detail::optional_data(bias);
  float* yp = out.data<float>();
  parallel_for(0, rows, std::max<std::int64_t>(1, 8192 / d), [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const float* row = xp + r * d;
      float* dst = yp + r * d;
      // Two passes in double: the mean first, then the centred sum of squares.
      const double mean = lane_sum<false>(row, d) / static_cast<double>(d);
      const double ss = lane_sum<true>(row, d, mean);
      const float rstd = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(d) + eps));
      const float m = static_cast<float>(mean);
      for (std::int64_t i = 0; i < d; ++i) {
        float v = (row[i] - m) * rstd;
        if (wp) v *= wp[i];
        if (bp) v += bp[i];
        dst[i] = v;
      }
    }
  });
  return out;
}

void softmax_rows(float* data, std::int64_t rows, std::int64_t d) {
  const float lowest = -std::numeric_limits<float>::infinity();
  for (std::int64_t r = 0; r < rows; ++r) {
    float* row = data + r * d;
    Floats lane_max = lowest - Floats{};
    std::int64_t i = 0;
    for (; i + kLanes <= d; i += kLanes) {
      Floats v;
      load_floats(v, row + i);
      lane_max = v > lane_max ? v : lane_max;
    }
    float mx = lowest;
    for (int j = 0; j < kLanes; ++j) mx = std::max(mx, lane_max[j]);
    for (; i < d; ++i) mx = std::max(mx, row[i]);
    for (i = 0; i < d; ++i) row[i] -= mx;
    vector_exp(row, row, d);
    const float inv = static_cast<float>(1.0 / lane_sum<false>(row, d));
    for (i = 0; i < d; ++i) row[i] *= inv;
  }
}

Tensor softmax_lastdim(const Tensor& x) {
  const std::int64_t d = x.dim(-1), rows = detail::leading_rows(x);
  Tensor out = x.clone();
  float* yp = out.data<float>();
  parallel_for(0, rows, std::max<std::int64_t>(1, 8192 / d),
               [&](std::int64_t r0, std::int64_t r1) { softmax_rows(yp + r0 * d, r1 - r0, d); });
  return out;
}

}  // namespace repscope::ops::cpu
