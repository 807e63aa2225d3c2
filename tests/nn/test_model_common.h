// Shared parts of the model parity tests: run a reference script, load its weights and input,
// compare every tap against the reference within a relative tolerance.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "nn/model.h"
#include "tests/support/test_env.h"
#include "weights/weight_store.h"

namespace repscope::test {

// max |a - b| / max |b| (b the reference).
inline double relative_max_error(const Tensor& ours, const Tensor& ref) {
  const float* a = ours.data<float>();
  const float* b = ref.data<float>();
  double diff = 0, scale = 0;
  for (std::int64_t i = 0; i < ref.numel(); ++i) {
    diff = std::max(diff, static_cast<double>(std::fabs(a[i] - b[i])));
    scale = std::max(scale, static_cast<double>(std::fabs(b[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

struct ParityReport {
  double worst = 0;
  std::string worst_tap;
  int compared = 0;
};

// Runs `model` on the reference input with every tap selected; checks each reference tap's
// shape and relative error (<= tol, <= final_tol for `final_tap`), and that the produced taps
// have the per-image shapes taps() announces.
inline ParityReport compare_all_taps(const Model& model, const std::filesystem::path& dir,
                                     double tol, const std::string& final_tap, double final_tol) {
  const SafetensorsFile input = SafetensorsFile::open(dir / "input.safetensors");
  const SafetensorsFile ref = SafetensorsFile::open(dir / "taps.safetensors");
  const Tensor x = input.tensor_f32("input");
  const auto infos = model.taps();
  const auto got = model.run(x, TapSelection::parse("all", infos));
  ParityReport report;
  for (const auto& info : infos) {
    auto it = got.find(info.name);
    EXPECT_NE(it, got.end()) << "tap " << info.name << " announced but never produced";
    if (it == got.end()) continue;
    Shape expect(info.shape.size() + 1, x.dim(0));
    std::copy(info.shape.begin(), info.shape.end(), expect.begin() + 1);
    EXPECT_EQ(shape_str(it->second.shape()), shape_str(expect)) << "tap " << info.name;
  }
  for (const auto& name : ref.names()) {
    auto it = got.find(name);
    EXPECT_NE(it, got.end()) << "reference tap " << name << " missing from ours";
    if (it == got.end()) continue;
    const Tensor r = ref.tensor_f32(name);
    if (r.numel() != it->second.numel()) {
      ADD_FAILURE() << "tap " << name << ": ours " << shape_str(it->second.shape()) << " ref "
                    << shape_str(r.shape());
      continue;
    }
    const double err = relative_max_error(it->second.reshape(r.shape()), r);
    const double limit = name == final_tap ? final_tol : tol;
    EXPECT_LE(err, limit) << "tap " << name;
    if (err > report.worst) {
      report.worst = err;
      report.worst_tap = name;
    }
    ++report.compared;
  }
  return report;
}

}  // namespace repscope::test
