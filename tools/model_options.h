// The options every model-running command shares (--model, --weights, --random-init,
// --allow-unused), declared and read in one place so their spelling and help never drift.
#pragma once

#include "tools/args.h"
#include "weights/model_loader.h"

namespace repscope::cli {

// Declares --model, --weights, --random-init and --allow-unused on `args`.
void add_model_options(Args& args);
// The ModelSource those options describe (load_model checks that exactly one of --weights and
// --random-init is given).
ModelSource model_source(const Args& args);

}  // namespace repscope::cli
