// The one kernel registry behind nn/ops.h.
//
// Every op has a plain reference kernel (simple loops, obviously correct) and may have named
// backend overrides: "cpu" (the fast TBB kernels in nn/ops/cpu/) and "cuda" (registered
// from the cuda/ library at its start-up, without editing this one). The public functions in
// nn/ops.h validate their arguments and then call kernel_for<op>(device), so every kernel may
// assume valid, contiguous float32 inputs on its backend's device.
//
// Registering a kernel from another library:
//   ops::register_kernel<ops::OpId::Conv2d>(ops::Backend::Cuda, &my_cuda_conv2d);
// The function-pointer type is checked at compile time against OpSignature<op>.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "nn/tensor.h"

namespace repscope::ops {

enum class OpId : std::uint8_t {
  Conv2d,
  BatchNorm,
  Relu,
  Gelu,
  QuickGelu,
  Add,
  MaxPool2d,
  AvgPool2d,
  AdaptiveAvgPool2d1x1,
  Linear,
  Matmul,
  LayerNorm,
  SoftmaxLastdim,
  MultiHeadAttention,
  ToBlocked,
  FromBlocked,
  Conv2dBlocked,
  AvgPool2dBlocked,
  Count
};
inline constexpr int kOpCount = static_cast<int>(OpId::Count);
// "conv2d", "batch_norm", ... (the function names of nn/ops.h).
std::string_view op_name(OpId op);
// The channel-blocked layout's ops (nn/ops.h), which only the CPU backends implement.
bool op_cpu_only(OpId op);

enum class Backend : std::uint8_t { Reference, Cpu, Cuda, Count };
inline constexpr int kBackendCount = static_cast<int>(Backend::Count);
// "reference", "cpu", "cuda".
std::string_view backend_name(Backend b);
// The device whose tensors a backend's kernels take (Reference and Cpu: CPU).
Device backend_device(Backend b);

// The kernel signature of each op: the same parameters as its nn/ops.h function.
template <OpId op>
struct OpSignature;
using UnaryFn = Tensor (*)(const Tensor&);
// clang-format off
template <> struct OpSignature<OpId::Conv2d> {
  using Fn = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, int, int, int, const Tensor&,
                        bool); };
template <> struct OpSignature<OpId::BatchNorm> {
  using Fn = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, float); };
template <> struct OpSignature<OpId::Relu> { using Fn = UnaryFn; };
template <> struct OpSignature<OpId::Gelu> { using Fn = UnaryFn; };
template <> struct OpSignature<OpId::QuickGelu> { using Fn = UnaryFn; };
template <> struct OpSignature<OpId::Add> { using Fn = Tensor (*)(const Tensor&, const Tensor&); };
template <> struct OpSignature<OpId::MaxPool2d> { using Fn = Tensor (*)(const Tensor&, int, int, int); };
template <> struct OpSignature<OpId::AvgPool2d> { using Fn = Tensor (*)(const Tensor&, int, int, int); };
template <> struct OpSignature<OpId::AdaptiveAvgPool2d1x1> { using Fn = UnaryFn; };
template <> struct OpSignature<OpId::Linear> {
  using Fn = Tensor (*)(const Tensor&, const Tensor&, const Tensor&); };
template <> struct OpSignature<OpId::Matmul> { using Fn = Tensor (*)(const Tensor&, const Tensor&); };
template <> struct OpSignature<OpId::LayerNorm> {
  using Fn = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, float); };
template <> struct OpSignature<OpId::SoftmaxLastdim> { using Fn = UnaryFn; };
template <> struct OpSignature<OpId::MultiHeadAttention> {
  using Fn = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                        const Tensor&, const Tensor&, int); };
template <> struct OpSignature<OpId::ToBlocked> { using Fn = UnaryFn; };
template <> struct OpSignature<OpId::FromBlocked> { using Fn = UnaryFn; };
template <> struct OpSignature<OpId::Conv2dBlocked> {
  using Fn = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, int, int, const Tensor&, bool); };
template <> struct OpSignature<OpId::AvgPool2dBlocked> { using Fn = Tensor (*)(const Tensor&, int, int, int); };
// clang-format on
template <OpId op>
using KernelFn = typename OpSignature<op>::Fn;

namespace detail {
using AnyFn = void (*)();
void register_any(OpId op, Backend b, AnyFn fn);
AnyFn find_any(OpId op, Backend b);
}  // namespace detail

// Registers (or replaces) the kernel of `op` for backend `b`. Thread-safe; meant for start-up.
template <OpId op>
void register_kernel(Backend b, KernelFn<op> fn) {
  detail::register_any(op, b, reinterpret_cast<detail::AnyFn>(fn));
}

// The kernel of `op` registered for `b`, or nullptr.
template <OpId op>
KernelFn<op> find_kernel(Backend b) {
  return reinterpret_cast<KernelFn<op>>(detail::find_any(op, b));
}

bool has_kernel(OpId op, Backend b);
// Backends with a kernel for `op`, Reference first.
std::vector<Backend> registered_backends(OpId op);

// Process-wide switch: when on, every op on CPU tensors runs its reference kernel.
void force_reference(bool on);
bool reference_forced();

// Process-wide: run every op on the given backend (it must have a kernel for the op, and the
// tensors must live on its device), or std::nullopt for normal dispatch. For tests.
void force_backend(std::optional<Backend> b);
std::optional<Backend> forced_backend();

// RAII form of force_backend, restoring the previous setting on exit.
class ScopedBackend {
 public:
  explicit ScopedBackend(std::optional<Backend> b) : previous_(forced_backend()) {
    force_backend(b);
  }
  ~ScopedBackend() { force_backend(previous_); }
  ScopedBackend(const ScopedBackend&) = delete;
  ScopedBackend& operator=(const ScopedBackend&) = delete;

 private:
  std::optional<Backend> previous_;
};

// The backend that runs `op` on tensors of `device` under the current switches; throws Error
// when none is registered (e.g. CUDA tensors in a build without the cuda backend).
Backend select_backend(OpId op, Device device);

// The kernel select_backend picks.
template <OpId op>
KernelFn<op> kernel_for(Device device) {
  return find_kernel<op>(select_backend(op, device));
}

// Moving tensors between the CPU and a device, registered by the backend that owns the device
// (so the test harness can run device kernels on CPU-made inputs). nullptr when none registered.
using TransferFn = Tensor (*)(const Tensor&);
void register_transfer(Device device, TransferFn to_device, TransferFn to_cpu);
TransferFn transfer_to(Device device);
TransferFn transfer_to_cpu(Device device);

}  // namespace repscope::ops
