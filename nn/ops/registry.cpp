#include "nn/ops/registry.h"

#include <array>
#include <atomic>
#include <mutex>

#include "nn/error.h"
#include "nn/ops/builtin.h"

namespace repscope::ops {
namespace {

// One slot per (op, backend); lock-free reads so dispatch costs two atomic loads.
using Table = std::array<std::atomic<detail::AnyFn>, kOpCount * kBackendCount>;

Table& raw_table() {
  static Table table{};
  return table;
}

std::atomic<detail::AnyFn>& slot(OpId op, Backend b) {
  const int o = static_cast<int>(op);
  const int k = static_cast<int>(b);
  check(o >= 0 && o < kOpCount, "ops registry: op id ", o, " out of range");
  check(k >= 0 && k < kBackendCount, "ops registry: backend id ", k, " out of range");
  return raw_table()[static_cast<std::size_t>(o * kBackendCount + k)];
}

// The reference and cpu kernels live in this library; they are registered on first use rather
// than by static initialisers, which a static-library link may silently drop.
void ensure_builtin_kernels() {
  static std::once_flag once;
  std::call_once(once, [] {
    detail::register_reference_kernels();
    detail::register_cpu_kernels();
  });
}

std::atomic<bool> g_force_reference{false};
// -1 = no forced backend, else the Backend value.
std::atomic<int> g_forced_backend{-1};

struct Transfers {
  std::atomic<TransferFn> to_device{nullptr};
  std::atomic<TransferFn> to_cpu{nullptr};
};
std::array<Transfers, 2> g_transfers;

Transfers& transfers(Device d) {
  return g_transfers[static_cast<std::size_t>(d) & 1u];
}

}  // namespace

std::string_view op_name(OpId op) {
  switch (op) {
    case OpId::Conv2d:
      return "conv2d";
    case OpId::BatchNorm:
      return "batch_norm";
    case OpId::Relu:
      return "relu";
    case OpId::Gelu:
      return "gelu";
    case OpId::QuickGelu:
      return "quick_gelu";
    case OpId::Add:
      return "add";
    case OpId::MaxPool2d:
      return "max_pool2d";
    case OpId::AvgPool2d:
      return "avg_pool2d";
    case OpId::AdaptiveAvgPool2d1x1:
      return "adaptive_avg_pool2d_1x1";
    case OpId::Linear:
      return "linear";
    case OpId::Matmul:
      return "matmul";
    case OpId::LayerNorm:
      return "layer_norm";
    case OpId::SoftmaxLastdim:
      return "softmax_lastdim";
    case OpId::MultiHeadAttention:
      return "multi_head_attention";
    case OpId::ToBlocked:
      return "to_blocked";
    case OpId::FromBlocked:
      return "from_blocked";
    case OpId::Conv2dBlocked:
      return "conv2d_blocked";
    case OpId::AvgPool2dBlocked:
      return "avg_pool2d_blocked";
    case OpId::Count:
      break;
  }
  return "?";
}

bool op_cpu_only(OpId op) {
  return op == OpId::ToBlocked || op == OpId::FromBlocked || op == OpId::Conv2dBlocked ||
         op == OpId::AvgPool2dBlocked;
}

std::string_view backend_name(Backend b) {
  switch (b) {
    case Backend::Reference:
      return "reference";
    case Backend::Cpu:
      return "cpu";
    case Backend::Cuda:
      return "cuda";
    case Backend::Count:
      break;
  }
  return "?";
}

Device backend_device(Backend b) {
  return b == Backend::Cuda ? Device::CUDA : Device::CPU;
}

namespace detail {

void register_any(OpId op, Backend b, AnyFn fn) {
  slot(op, b).store(fn, std::memory_order_release);
}

AnyFn find_any(OpId op, Backend b) {
  ensure_builtin_kernels();
  return slot(op, b).load(std::memory_order_acquire);
}

}  // namespace detail

bool has_kernel(OpId op, Backend b) {
  return detail::find_any(op, b) != nullptr;
}

std::vector<Backend> registered_backends(OpId op) {
  std::vector<Backend> out;
  for (int k = 0; k < kBackendCount; ++k) {
    if (has_kernel(op, static_cast<Backend>(k))) out.push_back(static_cast<Backend>(k));
  }
  return out;
}

void force_reference(bool on) {
  g_force_reference.store(on);
}
bool reference_forced() {
  return g_force_reference.load();
}

void force_backend(std::optional<Backend> b) {
  g_forced_backend.store(b ? static_cast<int>(*b) : -1);
}

std::optional<Backend> forced_backend() {
  const int v = g_forced_backend.load();
  if (v < 0) return std::nullopt;
  return static_cast<Backend>(v);
}

Backend select_backend(OpId op, Device device) {
  if (const auto forced = forced_backend()) {
    check(has_kernel(op, *forced), "ops::", op_name(op), ": backend '", backend_name(*forced),
          "' was forced but has no kernel for this op");
    check(backend_device(*forced) == device, "ops::", op_name(op), ": backend '",
          backend_name(*forced), "' was forced but the tensors are on ", device_name(device));
    return *forced;
  }
  if (device == Device::CUDA) {
    check(!op_cpu_only(op), "ops::", op_name(op),
          ": the channel-blocked layout is CPU-only (keep CUDA tensors in NCHW)");
    check(has_kernel(op, Backend::Cuda), "ops::", op_name(op),
          ": tensors are on CUDA but no cuda kernel is registered for this op "
          "(build with REPSCOPE_CUDA=ON, or move the tensors to the CPU)");
    return Backend::Cuda;
  }
  if (!reference_forced() && has_kernel(op, Backend::Cpu)) return Backend::Cpu;
  check(has_kernel(op, Backend::Reference), "ops::", op_name(op),
        ": no reference kernel registered");
  return Backend::Reference;
}

void register_transfer(Device device, TransferFn to_device, TransferFn to_cpu) {
  transfers(device).to_device.store(to_device);
  transfers(device).to_cpu.store(to_cpu);
}

TransferFn transfer_to(Device device) {
  return transfers(device).to_device.load();
}
TransferFn transfer_to_cpu(Device device) {
  return transfers(device).to_cpu.load();
}

}  // namespace repscope::ops
