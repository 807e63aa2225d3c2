// A model parameter as the weight loaders and the random initialiser see it: its name in the
// model's naming scheme, where it lives, the shape it must have, and how an untrained model
// initialises it (mirroring the reference implementation's init for that parameter).
#pragma once

#include <string>
#include <vector>

#include "nn/tensor.h"

namespace repscope {

// One initialisation rule. Numbers are fully resolved (fan-in etc. already applied), so the
// initialiser needs nothing but the rule and the element count.
struct Init {
  enum class Kind { Zeros, Ones, Constant, Normal, Uniform, TruncNormal };
  Kind kind = Kind::Zeros;
  double a = 0;   // Constant: the value; Normal/TruncNormal: std; Uniform: half-width (U(-a, a))
  double lo = 0;  // TruncNormal: absolute lower cut (torch.nn.init.trunc_normal_'s a)
  double hi = 0;  // TruncNormal: absolute upper cut (b)

  static Init zeros() { return {Kind::Zeros, 0, 0, 0}; }
  static Init ones() { return {Kind::Ones, 0, 0, 0}; }
  static Init constant(double v) { return {Kind::Constant, v, 0, 0}; }
  static Init normal(double std) { return {Kind::Normal, std, 0, 0}; }
  static Init uniform(double bound) { return {Kind::Uniform, bound, 0, 0}; }
  static Init trunc_normal(double std, double lo = -2, double hi = 2) {
    return {Kind::TruncNormal, std, lo, hi};
  }
};

struct Param {
  std::string name;  // key in the model's own naming scheme, e.g. "layer1.0.conv1.weight"
  Tensor* tensor;    // where the loaded / initialised value goes (owned by the model)
  Shape shape;       // required shape
  Init init;         // untrained initialisation
};

using ParamList = std::vector<Param>;

}  // namespace repscope
