// Internal: registration of the kernels that live in the nn library itself.
#pragma once

namespace repscope::ops::detail {

// nn/ops/reference/register.cpp: every op's plain reference kernel.
void register_reference_kernels();
// nn/ops/cpu/register.cpp: the fast TBB kernels ("cpu" backend).
void register_cpu_kernels();

}  // namespace repscope::ops::detail
