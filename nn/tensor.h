// Tensor: an N-d, contiguous, row-major (NCHW) array with a dtype and a device tag.
//
// Storage is reference counted and shared between views (reshape, batch slices), 64-byte aligned
// when repscope allocates it, and may instead wrap memory owned elsewhere (a memory-mapped
// safetensors file, a CUDA allocation) through a keep-alive handle. Every tensor is contiguous:
// views that would need strides are not offered, so kernels can assume dense row-major data.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "nn/dtype.h"

namespace repscope {

enum class Device : std::uint8_t { CPU, CUDA };
std::string_view device_name(Device d);

using Shape = std::vector<std::int64_t>;
std::int64_t shape_numel(const Shape& shape);
// "[2, 3, 224, 224]"
std::string shape_str(const Shape& shape);

inline constexpr std::size_t kTensorAlignment = 64;

// A block of memory and how to release it.
class Storage {
 public:
  // Allocates `bytes` 64-byte aligned on the CPU (uninitialised).
  static std::shared_ptr<Storage> allocate(std::size_t bytes);
  // Wraps memory owned elsewhere; `keep_alive` is held until the last tensor using it is gone.
  static std::shared_ptr<Storage> wrap(void* data, std::size_t bytes, Device device,
                                       std::shared_ptr<const void> keep_alive);
  // Memory from a custom allocator (the CUDA backend registers its own this way).
  static std::shared_ptr<Storage> adopt(void* data, std::size_t bytes, Device device,
                                        std::function<void(void*)> release);

  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  Device device() const { return device_; }
  // True for memory from allocate() (writable, ours), false for wrapped or adopted memory.
  bool allocated() const { return allocated_; }

  // Declares the values final, so kernels may keep work derived from them (a GEMM operand packed
  // for the kernel in use) with the storage and reuse it until the storage is freed. Nothing
  // can detect a later write, which would leave that work stale: freeze only storage its owner
  // keeps out of everyone else's reach (a layer's private, derived weights: ConvBn's folded
  // convolution), never tensors users hold.
  void freeze() { frozen_.store(true, std::memory_order_release); }
  bool frozen() const { return frozen_.load(std::memory_order_acquire); }
  // The derived value stored under `key`, made by `make` the first time it is asked for. The
  // maker runs without a lock held (it may run parallel work): callers racing on a first use
  // may each make it, and all get the one kept first. Throws Error unless the storage is frozen.
  std::shared_ptr<const void> derived(
      const std::string& key, const std::function<std::shared_ptr<const void>()>& make) const;

 private:
  Storage(void* data, std::size_t bytes, Device device)
      : data_(data), bytes_(bytes), device_(device) {}
  void* data_;
  std::size_t bytes_;
  Device device_;
  std::function<void(void*)> release_;
  std::shared_ptr<const void> keep_alive_;
  bool allocated_ = false;
  std::atomic<bool> frozen_{false};
  mutable std::mutex derived_mutex_;
  mutable std::vector<std::pair<std::string, std::shared_ptr<const void>>> derived_;
};

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor: defined() is false

  // Uninitialised CPU tensor.
  static Tensor empty(Shape shape, DType dtype = DType::F32);
  static Tensor zeros(Shape shape, DType dtype = DType::F32);
  static Tensor full(Shape shape, float value);
  // Copies `values` (count must equal the shape's element count).
  static Tensor from_vector(Shape shape, std::span<const float> values);
  // A tensor over existing storage starting at byte `offset`; checks the bytes fit.
  static Tensor view_of(std::shared_ptr<Storage> storage, std::size_t offset, Shape shape,
                        DType dtype);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  // Size of dimension i; negative i counts from the end. Throws on out-of-range i.
  std::int64_t dim(int i) const;
  std::int64_t numel() const { return shape_numel(shape_); }
  DType dtype() const { return dtype_; }
  Device device() const;
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype_); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  std::size_t offset() const { return offset_; }
  // True when no other tensor uses this one's storage and that storage is plain CPU memory from
  // Storage::allocate, not frozen: nothing else can observe it, so an op that was handed this
  // tensor by value (std::move) may write its result over it instead of allocating.
  bool reusable() const;

  void* raw_data() const;
  // Typed access; throws if T does not match the dtype (float for F32, double for F64, ...).
  template <typename T>
  T* data() const;
  // CPU F32 element access by flat index, for tests and small code.
  float at(std::int64_t flat_index) const { return data<float>()[flat_index]; }

  // Same storage, new shape; one dimension may be -1. Element count must match.
  Tensor reshape(Shape shape) const;
  // Rows [begin, end) of dimension 0 as a view (a batch slice).
  Tensor slice0(std::int64_t begin, std::int64_t end) const;
  // Row i of dimension 0 with that dimension dropped.
  Tensor operator[](std::int64_t i) const;

  // A new tensor with its own copy of the data.
  Tensor clone() const;
  // Converted copy (or *this when the dtype already matches).
  Tensor to(DType dtype) const;
  // Copies src's elements into *this; shapes' element counts and dtypes must match.
  void copy_from(const Tensor& src);
  void fill(float value);

  // Throws Error naming `what` unless the shape equals `expected` (-1 matches any size).
  void expect_shape(const Shape& expected, std::string_view what) const;
  void expect_dtype(DType expected, std::string_view what) const;

 private:
  std::shared_ptr<Storage> storage_;
  std::size_t offset_ = 0;
  Shape shape_;
  DType dtype_ = DType::F32;
};

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::F32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::F64;
}
template <>
constexpr DType dtype_of<std::int64_t>() {
  return DType::I64;
}
template <>
constexpr DType dtype_of<std::int32_t>() {
  return DType::I32;
}
template <>
constexpr DType dtype_of<std::int16_t>() {
  return DType::I16;
}
template <>
constexpr DType dtype_of<std::int8_t>() {
  return DType::I8;
}
template <>
constexpr DType dtype_of<std::uint8_t>() {
  return DType::U8;
}
template <>
constexpr DType dtype_of<std::uint16_t>() {
  return DType::F16;
}  // raw f16/bf16 bits
template <>
constexpr DType dtype_of<bool>() {
  return DType::Bool;
}

void throw_dtype_mismatch(DType have, DType want);

template <typename T>
T* Tensor::data() const {
  using U = std::remove_const_t<T>;
  constexpr DType want = dtype_of<U>();
  if (dtype_ != want && !(want == DType::F16 && dtype_ == DType::BF16) &&
      !(want == DType::U8 && dtype_ == DType::Bool)) {
    throw_dtype_mismatch(dtype_, want);
  }
  return static_cast<T*>(raw_data());
}

}  // namespace repscope
