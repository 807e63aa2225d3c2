#include "cuda/precision.h"

#include <atomic>

#include "nn/error.h"

namespace repscope::cuda {
namespace {
std::atomic<int> g_precision{static_cast<int>(Precision::Exact)};
}  // namespace

void set_precision(Precision p) {
  g_precision.store(static_cast<int>(p));
}

Precision precision() {
  return static_cast<Precision>(g_precision.load());
}

std::string_view precision_name(Precision p) {
  switch (p) {
    case Precision::Exact:
      return "exact";
    case Precision::Tf32:
      return "tf32";
    case Precision::Fp16:
      return "fp16";
    case Precision::Bf16:
      return "bf16";
  }
  return "?";
}

std::string_view precision_name() {
  return precision_name(precision());
}

Precision parse_precision(std::string_view name) {
  for (Precision p : {Precision::Exact, Precision::Tf32, Precision::Fp16, Precision::Bf16}) {
    if (name == precision_name(p)) return p;
  }
  fail("unknown precision '", name, "' (choices: exact, tf32, fp16, bf16)");
}

}  // namespace repscope::cuda
