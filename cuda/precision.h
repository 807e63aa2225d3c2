// Process-wide numeric precision of the CUDA backend.
//
//   exact  fp32 everywhere, TF32 off (cuBLAS CUBLAS_COMPUTE_32F, cuDNN CUDNN_FMA_MATH). Default.
//   tf32   conv and GEMM inputs rounded to TF32 on tensor cores (10-bit mantissa), fp32 accumulate.
//   fp16   conv and GEMM inputs rounded to fp16, fp32 accumulation; element-wise ops, norms and
//          softmax compute in fp32. Activations between ops stay fp32 in memory (the op API is
//          f32), so the numerics are those of fp16 conv/GEMM operands, not of fp16 storage.
//   bf16   as fp16 with bfloat16 operands.
// The name goes into the extraction manifest (precision_name()).
#pragma once

#include <string_view>

namespace repscope::cuda {

enum class Precision { Exact, Tf32, Fp16, Bf16 };

void set_precision(Precision p);
Precision precision();
// "exact", "tf32", "fp16", "bf16".
std::string_view precision_name(Precision p);
std::string_view precision_name();
// Parses one of the names above; throws Error naming the value and the choices.
Precision parse_precision(std::string_view name);

// RAII: sets a precision for a scope (tests, benchmarks), restoring the previous one.
class ScopedPrecision {
 public:
  explicit ScopedPrecision(Precision p) : previous_(precision()) { set_precision(p); }
  ~ScopedPrecision() { set_precision(previous_); }
  ScopedPrecision(const ScopedPrecision&) = delete;
  ScopedPrecision& operator=(const ScopedPrecision&) = delete;

 private:
  Precision previous_;
};

}  // namespace repscope::cuda
