#include "cuda/stats.h"

#include <algorithm>

#include "cuda/check.h"
#include "cuda/context.h"
#include "cuda/kernels.h"
#include "cuda/memory_pool.h"
#include "cuda/transfer.h"
#include "nn/error.h"

namespace repscope::cuda {

std::vector<double> gram_rdm(const Tensor& patterns, GramMetric metric,
                             std::int64_t tile_features) {
  check(patterns.defined() && patterns.ndim() >= 2 && patterns.dtype() == DType::F32,
        "cuda::gram_rdm: patterns must be f32 [N, P...], got ",
        patterns.defined() ? shape_str(patterns.shape()) : "undefined");
  check(tile_features >= 1, "cuda::gram_rdm: tile_features must be >= 1");
  const Tensor x = to_device(patterns);
  const std::int64_t n = x.dim(0), p = n == 0 ? 0 : x.numel() / n;
  std::vector<double> out(static_cast<std::size_t>(n * (n - 1) / 2));
  if (n < 2) return out;
  check(p >= 1, "cuda::gram_rdm: patterns have no features");
  DeviceContext& ctx = context();
  cudaStream_t s = ctx.stream;

  Tensor means;
  if (metric == GramMetric::Correlation) {
    means = empty({n}, DType::F64, "gram_rdm");
    kernels::row_means(x.data<float>(), means.data<double>(), n, p, s);
    check_launch("gram_rdm");
  }
  const std::int64_t tile = std::min(tile_features, p);
  Tensor block = empty({n, tile}, DType::F64, "gram_rdm");
  Tensor gram = empty({n, n}, DType::F64, "gram_rdm");
  for (std::int64_t c0 = 0; c0 < p; c0 += tile) {
    const std::int64_t cols = std::min(tile, p - c0);
    kernels::tile_to_f64(x.data<float>(), p, c0, cols,
                         means.defined() ? means.data<double>() : nullptr, block.data<double>(), n,
                         s);
    check_launch("gram_rdm");
    // Row-major block [n, cols] is the column-major cols x n matrix A; G = A^T A (lower part).
    const double alpha = 1.0, beta = c0 == 0 ? 0.0 : 1.0;
    check_cublas(
        cublasDsyrk(ctx.cublas, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_T, static_cast<int>(n),
                    static_cast<int>(cols), &alpha, block.data<double>(), static_cast<int>(cols),
                    &beta, gram.data<double>(), static_cast<int>(n)),
        "gram_rdm: cublasDsyrk");
  }
  int code = 0;
  switch (metric) {
    case GramMetric::Correlation:
    case GramMetric::Cosine:
      code = 0;
      break;
    case GramMetric::Euclidean:
      code = 1;
      break;
    case GramMetric::MeanSquaredEuclidean:
      code = 2;
      break;
    case GramMetric::SquaredEuclidean:
      code = 3;
      break;
  }
  Tensor rdm = empty({static_cast<std::int64_t>(out.size())}, DType::F64, "gram_rdm");
  kernels::gram_to_rdm(gram.data<double>(), rdm.data<double>(), n, code, static_cast<double>(p), s);
  check_launch("gram_rdm");
  check_cuda(cudaMemcpyAsync(out.data(), rdm.raw_data(), rdm.nbytes(), cudaMemcpyDeviceToHost, s),
             "gram_rdm: copy result");
  synchronize("gram_rdm");
  return out;
}

double CategoryMoments::mean(int c, std::int64_t u) const {
  return sum[static_cast<std::size_t>(c * units + u)] / count[static_cast<std::size_t>(c)];
}

double CategoryMoments::var(int c, std::int64_t u) const {
  const double n = count[static_cast<std::size_t>(c)];
  const double s = sum[static_cast<std::size_t>(c * units + u)];
  const double q = sumsq[static_cast<std::size_t>(c * units + u)];
  return (q - s * s / n) / (n - 1.0);
}

CategoryMoments category_moments(const Tensor& activations, std::span<const int> labels,
                                 int categories) {
  check(activations.defined() && activations.ndim() >= 1 && activations.dtype() == DType::F32,
        "cuda::category_moments: activations must be f32 [N, ...]");
  const std::int64_t n = activations.dim(0);
  check(static_cast<std::int64_t>(labels.size()) == n, "cuda::category_moments: ", labels.size(),
        " labels for ", n, " images");
  check(categories >= 1, "cuda::category_moments: categories must be >= 1");
  CategoryMoments m;
  m.categories = categories;
  m.units = n == 0 ? 0 : activations.numel() / n;
  m.count.assign(static_cast<std::size_t>(categories), 0.0);
  std::vector<std::int32_t> lab(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    check(labels[i] >= -1 && labels[i] < categories, "cuda::category_moments: label ", labels[i],
          " of image ", i, " is outside [-1, ", categories, ")");
    lab[i] = labels[i];
    if (labels[i] >= 0) m.count[static_cast<std::size_t>(labels[i])] += 1.0;
  }
  const std::size_t cells = static_cast<std::size_t>(categories * m.units);
  m.sum.assign(cells, 0.0);
  m.sumsq.assign(cells, 0.0);
  if (n == 0 || m.units == 0) return m;
  const Tensor x = to_device(activations);
  Tensor d_labels = empty({n}, DType::I32, "category_moments");
  Tensor d_sum = empty({categories, m.units}, DType::F64, "category_moments");
  Tensor d_sumsq = empty({categories, m.units}, DType::F64, "category_moments");
  cudaStream_t s = stream();
  check_cuda(cudaMemcpyAsync(d_labels.raw_data(), lab.data(), lab.size() * sizeof(std::int32_t),
                             cudaMemcpyHostToDevice, s),
             "category_moments: upload labels");
  kernels::category_moments(x.data<float>(), d_labels.data<std::int32_t>(), d_sum.data<double>(),
                            d_sumsq.data<double>(), n, m.units, categories, s);
  check_launch("category_moments");
  check_cuda(
      cudaMemcpyAsync(m.sum.data(), d_sum.raw_data(), d_sum.nbytes(), cudaMemcpyDeviceToHost, s),
      "category_moments: download");
  check_cuda(cudaMemcpyAsync(m.sumsq.data(), d_sumsq.raw_data(), d_sumsq.nbytes(),
                             cudaMemcpyDeviceToHost, s),
             "category_moments: download");
  synchronize("category_moments");
  return m;
}

}  // namespace repscope::cuda
