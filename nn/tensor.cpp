#include "nn/tensor.h"

#include <cstdlib>
#include <cstring>
#include <limits>

#include "nn/error.h"
#include "nn/host_allocator.h"

namespace repscope {

std::string_view device_name(Device d) {
  return d == Device::CPU ? "cpu" : "cuda";
}

std::int64_t shape_numel(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    REPSCOPE_CHECK(d >= 0, "negative dimension in shape ", shape_str(shape));
    if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d)
      fail("shape ", shape_str(shape), " is too large");
    n *= d;
  }
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::shared_ptr<Storage> Storage::allocate(std::size_t bytes) {
  void* p = host_allocate(bytes, kTensorAlignment);
  auto s = std::shared_ptr<Storage>(new Storage(p, bytes, Device::CPU));
  s->release_ = [bytes](void* q) { host_free(q, bytes); };
  s->allocated_ = true;
  return s;
}

std::shared_ptr<Storage> Storage::wrap(void* data, std::size_t bytes, Device device,
                                       std::shared_ptr<const void> keep_alive) {
  auto s = std::shared_ptr<Storage>(new Storage(data, bytes, device));
  s->keep_alive_ = std::move(keep_alive);
  return s;
}

std::shared_ptr<Storage> Storage::adopt(void* data, std::size_t bytes, Device device,
                                        std::function<void(void*)> release) {
  auto s = std::shared_ptr<Storage>(new Storage(data, bytes, device));
  s->release_ = std::move(release);
  return s;
}

Storage::~Storage() {
  if (release_) release_(data_);
}

std::shared_ptr<const void> Storage::derived(
    const std::string& key, const std::function<std::shared_ptr<const void>()>& make) const {
  check(frozen(), "Storage::derived('", key, "'): the storage is not frozen");
  auto find = [&]() -> std::shared_ptr<const void> {
    for (const auto& [k, v] : derived_) {
      if (k == key) return v;
    }
    return nullptr;
  };
  {
    std::lock_guard lock(derived_mutex_);
    if (auto found = find()) return found;
  }
  std::shared_ptr<const void> made = make();
  std::lock_guard lock(derived_mutex_);
  if (auto found = find()) return found;
  derived_.emplace_back(key, made);
  return made;
}

Tensor Tensor::empty(Shape shape, DType dtype) {
  const std::int64_t n = shape_numel(shape);
  Tensor t;
  t.storage_ = Storage::allocate(static_cast<std::size_t>(n) * dtype_size(dtype));
  t.shape_ = std::move(shape);
  t.dtype_ = dtype;
  return t;
}

Tensor Tensor::zeros(Shape shape, DType dtype) {
  Tensor t = empty(std::move(shape), dtype);
  std::memset(t.raw_data(), 0, t.nbytes());
  return t;
}

Tensor Tensor::full(Shape shape, float value) {
  Tensor t = empty(std::move(shape), DType::F32);
  t.fill(value);
  return t;
}

Tensor Tensor::from_vector(Shape shape, std::span<const float> values) {
  Tensor t = empty(std::move(shape), DType::F32);
  REPSCOPE_CHECK(static_cast<std::int64_t>(values.size()) == t.numel(),
                 "from_vector: ", values.size(), " values for shape ", shape_str(t.shape_));
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(float));
  return t;
}

Tensor Tensor::view_of(std::shared_ptr<Storage> storage, std::size_t offset, Shape shape,
                       DType dtype) {
  check(storage != nullptr, "view_of: null storage");
  const auto bytes = static_cast<std::size_t>(shape_numel(shape)) * dtype_size(dtype);
  check(offset <= storage->bytes() && bytes <= storage->bytes() - offset, "view_of: ", bytes,
        " bytes at offset ", offset, " exceed the storage's ", storage->bytes(), " bytes");
  Tensor t;
  t.storage_ = std::move(storage);
  t.offset_ = offset;
  t.shape_ = std::move(shape);
  t.dtype_ = dtype;
  return t;
}

std::int64_t Tensor::dim(int i) const {
  const int n = ndim();
  const int k = i < 0 ? i + n : i;
  REPSCOPE_CHECK(k >= 0 && k < n, "dimension ", i, " out of range for a tensor of shape ",
                 shape_str(shape_));
  return shape_[static_cast<std::size_t>(k)];
}

Device Tensor::device() const {
  return storage_ ? storage_->device() : Device::CPU;
}

bool Tensor::reusable() const {
  return storage_ && storage_.use_count() == 1 && storage_->allocated() && !storage_->frozen();
}

void* Tensor::raw_data() const {
  check(storage_ != nullptr, "access to an undefined tensor");
  return static_cast<unsigned char*>(storage_->data()) + offset_;
}

void throw_dtype_mismatch(DType have, DType want) {
  fail("tensor holds ", dtype_name(have), " but was accessed as ", dtype_name(want));
}

Tensor Tensor::reshape(Shape shape) const {
  std::int64_t known = 1;
  int infer = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      REPSCOPE_CHECK(infer < 0, "reshape to ", shape_str(shape), ": more than one -1");
      infer = static_cast<int>(i);
    } else {
      REPSCOPE_CHECK(shape[i] >= 0, "reshape to ", shape_str(shape), ": negative dimension");
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    REPSCOPE_CHECK(known != 0 && numel() % known == 0, "cannot reshape ", shape_str(shape_), " to ",
                   shape_str(shape));
    shape[static_cast<std::size_t>(infer)] = numel() / known;
  }
  REPSCOPE_CHECK(shape_numel(shape) == numel(), "cannot reshape ", shape_str(shape_), " (", numel(),
                 " elements) to ", shape_str(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::slice0(std::int64_t begin, std::int64_t end) const {
  check(ndim() >= 1, "slice0 of a 0-d tensor");
  REPSCOPE_CHECK(0 <= begin && begin <= end && end <= shape_[0], "slice [", begin, ", ", end,
                 ") out of range for shape ", shape_str(shape_));
  const std::int64_t row = shape_[0] == 0 ? 0 : numel() / shape_[0];
  Tensor t = *this;
  t.offset_ = offset_ + static_cast<std::size_t>(begin * row) * dtype_size(dtype_);
  t.shape_[0] = end - begin;
  return t;
}

Tensor Tensor::operator[](std::int64_t i) const {
  Tensor t = slice0(i, i + 1);
  t.shape_.erase(t.shape_.begin());
  return t;
}

Tensor Tensor::clone() const {
  check(device() == Device::CPU, "clone of a ", device_name(device()), " tensor on the CPU path");
  Tensor t = empty(shape_, dtype_);
  if (nbytes()) std::memcpy(t.raw_data(), raw_data(), nbytes());
  return t;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == dtype_) return *this;
  check(device() == Device::CPU, "dtype conversion of a ", device_name(device()),
        " tensor on the CPU path");
  Tensor t = empty(shape_, dtype);
  convert_elements(raw_data(), dtype_, t.raw_data(), dtype, static_cast<std::size_t>(numel()));
  return t;
}

void Tensor::copy_from(const Tensor& src) {
  REPSCOPE_CHECK(src.numel() == numel(), "copy_from: ", shape_str(src.shape_), " into ",
                 shape_str(shape_));
  check(src.device() == Device::CPU && device() == Device::CPU, "copy_from: CPU tensors only");
  convert_elements(src.raw_data(), src.dtype_, raw_data(), dtype_,
                   static_cast<std::size_t>(numel()));
}

void Tensor::fill(float value) {
  expect_dtype(DType::F32, "fill");
  float* p = data<float>();
  for (std::int64_t i = 0, n = numel(); i < n; ++i) p[i] = value;
}

void Tensor::expect_shape(const Shape& expected, std::string_view what) const {
  bool ok = expected.size() == shape_.size();
  for (std::size_t i = 0; ok && i < expected.size(); ++i)
    ok = expected[i] == -1 || expected[i] == shape_[i];
  REPSCOPE_CHECK(ok, what, ": expected shape ", shape_str(expected), ", got ", shape_str(shape_));
}

void Tensor::expect_dtype(DType expected, std::string_view what) const {
  check(dtype_ == expected, what, ": expected dtype ", dtype_name(expected), ", got ",
        dtype_name(dtype_));
}

}  // namespace repscope
