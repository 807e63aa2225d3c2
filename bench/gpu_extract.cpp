// GPU extraction throughput: images/s of a forward pass over `--images` random images at
// `--batch`, either tapping the block outputs (downloaded through cuda::TapDownloader into pinned
// host memory, overlapping the next batch) or without taps. Prints one line:
//   gpu_extract model=resnet50 precision=exact taps=blocks batch=128 images=2048 seconds=... images_per_s=...
// A plain main (no Google Benchmark) so it builds on GPU machines that lack that library.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "cuda/backend.h"
#include "cuda/context.h"
#include "cuda/model_device.h"
#include "cuda/precision.h"
#include "cuda/tap_downloader.h"
#include "cuda/transfer.h"
#include "nn/error.h"
#include "weights/model_loader.h"

using namespace repscope;

int main(int argc, char** argv) {
  std::string model_name = "resnet50", precision = "exact", taps = "blocks";
  int batch = 128, images = 2048;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") model_name = v;
    else if (k == "--precision") precision = v;
    else if (k == "--taps") taps = v;
    else if (k == "--batch") batch = std::atoi(v.c_str());
    else if (k == "--images") images = std::atoi(v.c_str());
  }
  try {
    if (!cuda::register_backend()) {
      std::printf("gpu_extract model=%s skipped=no-cuda-device\n", model_name.c_str());
      return 0;
    }
    cuda::set_precision(cuda::parse_precision(precision));
    ModelSource source;
    source.model = model_name;
    source.random_seed = 1;
    LoadedModel loaded = load_model(source);
    Model& model = *loaded.model;
    if (!cuda::model_runs_on_cuda(model)) {
      std::printf("gpu_extract model=%s precision=%s taps=%s skipped=cpu-token-plumbing\n",
                  model_name.c_str(), precision.c_str(), taps.c_str());
      return 0;
    }
    cuda::move_parameters(model, Device::CUDA);
    const int px = model.input_size();
    Tensor host = Tensor::empty({batch, 3, px, px});
    std::mt19937 rng(3);
    std::normal_distribution<float> dist;
    for (std::int64_t i = 0; i < host.numel(); ++i) host.data<float>()[i] = dist(rng);
    const Tensor input = cuda::to_device(host);
    const TapSelection selection =
        taps == "none" ? TapSelection() : TapSelection::parse(taps, model.taps());
    cuda::TapDownloader down;
    std::size_t bytes = 0;
    const TapSink count = [&](const std::string&, const Tensor& v) { bytes += v.nbytes(); };
    TapContext ctx(selection, [&](const std::string& n, const Tensor& v) { down.enqueue(n, v); });
    auto run_batches = [&](int count_batches) {
      for (int b = 0; b < count_batches; ++b) {
        model.forward(input, ctx);
        down.drain(count, false);
      }
      down.drain(count, true);
      cuda::synchronize("gpu_extract");
    };
    run_batches(2);  // warm-up: cuDNN algorithm search, pool growth
    bytes = 0;
    const int batches = (images + batch - 1) / batch;
    const auto t0 = std::chrono::steady_clock::now();
    run_batches(batches);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "gpu_extract model=%s precision=%s taps=%s batch=%d images=%d seconds=%.3f "
        "images_per_s=%.1f tap_bytes=%zu\n",
        model_name.c_str(), precision.c_str(), taps.c_str(), batch, batches * batch, s,
        batches * batch / s, bytes);
  } catch (const Error& e) {
    std::fprintf(stderr, "gpu_extract: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
