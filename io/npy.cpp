#include "io/npy.h"

#include "io/file_util.h"
#include "nn/error.h"

namespace repscope {

// Stub: the implementation lands in the next commit.
std::uint64_t NpyHeader::data_bytes() const {
  return static_cast<std::uint64_t>(shape_numel(shape)) * dtype_size(dtype);
}
NpyHeader parse_npy_header(std::span<const std::uint8_t>, std::string_view source) {
  fail(source, ": npy not implemented yet");
}
std::string npy_descr(DType) {
  fail("npy not implemented yet");
}
Tensor read_npy(const std::filesystem::path& path) {
  fail(path.string(), ": npy not implemented yet");
}
void write_npy(const std::filesystem::path& path, const Tensor&) {
  fail(path.string(), ": npy not implemented yet");
}
NpyMappedFile NpyMappedFile::open(const std::filesystem::path& path) {
  fail(path.string(), ": npy not implemented yet");
}
Tensor NpyMappedFile::tensor() const {
  fail(path_.string(), ": npy not implemented yet");
}
Tensor map_npy(const std::filesystem::path& path) {
  return NpyMappedFile::open(path).tensor();
}

struct NpyStreamWriter::Impl {
  Shape row_shape;
  DType dtype = DType::F32;
};
NpyStreamWriter::NpyStreamWriter(const std::filesystem::path& path, DType dtype, Shape row_shape)
    : NpyStreamWriter(path, dtype, std::move(row_shape), Options{}) {}
NpyStreamWriter::NpyStreamWriter(const std::filesystem::path& path, DType, Shape, Options) {
  fail(path.string(), ": npy not implemented yet");
}
NpyStreamWriter NpyStreamWriter::resume(const std::filesystem::path& path, DType, Shape,
                                        std::int64_t) {
  fail(path.string(), ": npy not implemented yet");
}
NpyStreamWriter::NpyStreamWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NpyStreamWriter::NpyStreamWriter(NpyStreamWriter&&) noexcept = default;
NpyStreamWriter& NpyStreamWriter::operator=(NpyStreamWriter&&) noexcept = default;
NpyStreamWriter::~NpyStreamWriter() = default;
void NpyStreamWriter::append(const Tensor&) {
  fail("npy not implemented yet");
}
std::int64_t NpyStreamWriter::rows() const {
  return 0;
}
const Shape& NpyStreamWriter::row_shape() const {
  return impl_->row_shape;
}
DType NpyStreamWriter::dtype() const {
  return impl_->dtype;
}
void NpyStreamWriter::close() {
  fail("npy not implemented yet");
}
bool NpyStreamWriter::closed() const {
  return false;
}

}  // namespace repscope
