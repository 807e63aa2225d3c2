#include "nn/ops/builtin.h"
#include "nn/ops/registry.h"

namespace repscope::ops::detail {

void register_cpu_kernels() {}

}  // namespace repscope::ops::detail
