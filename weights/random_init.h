// Untrained baselines: every parameter initialised by its Init rule (the reference
// implementation's scheme, see nn/layers/param.h) from a counter-based generator, so the values
// depend only on (seed, parameter name, element index) — identical for any thread count. They
// follow the same distributions as torch's init but are not bit-equal to torch's RNG stream.
#pragma once

#include <cstdint>

#include "nn/model.h"

namespace repscope {

void random_init(Model& model, std::uint64_t seed);
// Fills one tensor (allocating it) by `init`; `stream` separates parameters.
Tensor random_tensor(const Shape& shape, const Init& init, std::uint64_t seed,
                     std::uint64_t stream);

}  // namespace repscope
