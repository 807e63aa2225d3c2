#include "cuda/context.h"

#include <array>
#include <charconv>
#include <memory>
#include <mutex>

#include "cuda/check.h"
#include "cuda/runtime.h"
#include "nn/error.h"

namespace repscope::cuda {
namespace {

constexpr int kMaxDevices = 64;

struct Contexts {
  std::mutex mutex;
  std::array<DeviceContext*, kMaxDevices> by_device{};
};

// Leaked on purpose: tensors released during static destruction still reach valid handles.
Contexts& contexts() {
  static auto* c = new Contexts;
  return *c;
}

DeviceContext* create_context(int device) {
  auto ctx = std::make_unique<DeviceContext>();
  ctx->device = device;
  check_cuda(cudaSetDevice(device), str("set device ", device));
  check_cuda(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking), "create stream");
  check_cublas(cublasCreate(&ctx->cublas), "cublasCreate");
  check_cublas(cublasSetStream(ctx->cublas, ctx->stream), "cublasSetStream");
  check_cudnn(cudnnCreate(&ctx->cudnn), "cudnnCreate");
  check_cudnn(cudnnSetStream(ctx->cudnn, ctx->stream), "cudnnSetStream");
  check_cuda(cudaDeviceGetAttribute(&ctx->sm_count, cudaDevAttrMultiProcessorCount, device),
             "query multiprocessor count");
  return ctx.release();
}

}  // namespace

void set_device(int device) {
  const int n = device_count();
  check(device >= 0 && device < n, "CUDA device ", device, " does not exist (", n,
        n == 1 ? " device" : " devices", " present)");
  check_cuda(cudaSetDevice(device), str("set device ", device));
}

int current_device() {
  int d = 0;
  check_cuda(cudaGetDevice(&d), "get device");
  return d;
}

DeviceContext& context() {
  const int d = current_device();
  check(d >= 0 && d < kMaxDevices, "CUDA device index ", d, " out of range");
  Contexts& c = contexts();
  std::lock_guard<std::mutex> lock(c.mutex);
  DeviceContext*& slot = c.by_device[static_cast<std::size_t>(d)];
  if (slot == nullptr) slot = create_context(d);
  return *slot;
}

cudaStream_t stream() {
  return context().stream;
}

void synchronize(std::string_view what) {
  check_cuda(cudaStreamSynchronize(stream()), what);
}

int parse_cuda_device(std::string_view text) {
  if (text == "cuda") return 0;
  constexpr std::string_view prefix = "cuda:";
  if (text.substr(0, prefix.size()) == prefix && text.size() > prefix.size()) {
    int n = -1;
    const char* b = text.data() + prefix.size();
    const char* e = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(b, e, n);
    if (ec == std::errc() && ptr == e && n >= 0) return n;
  }
  fail("bad device '", text, "' (expected cuda or cuda:N)");
}

}  // namespace repscope::cuda
