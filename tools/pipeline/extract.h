// Running a model over images into a directory of per-layer NPY files: what `repscope extract`
// does, and the first step of the `localizer` and `rsa` pipelines.
//
// Output directory (see docs/pipelines.md):
//   <layer>.npy     [N_kept, ...per-image shape] (pooled when asked), rows in image order
//   images.txt      the kept images' labels, one per line, in row order
//   manifest.json   model, weights sha256 or seed, preset, layers and shapes, skipped images
// Every file appears only when complete. While running, each layer streams into
// "<layer>.npy.partial" (NpyStreamWriter's resumable mode) and `extract_progress.json` records,
// after every batch, how many batches and rows are complete. A rerun with the same settings
// finds that record and continues after the last complete batch; the finished files are
// byte-identical to those of an uninterrupted run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/json.h"
#include "nn/dtype.h"
#include "nn/tensor.h"
#include "weights/model_loader.h"

namespace repscope::pipeline {

// The images of a run, in row order; `labels` name them in images.txt and in errors.
struct ImageList {
  std::vector<std::filesystem::path> files;
  std::vector<std::string> labels;
};

// True for the extensions we decode (jpg, jpeg, png, bmp, ppm, pgm, tga, gif; any case).
bool is_image_file(const std::filesystem::path& path);

// A directory: every image file below it, sorted by relative path (byte order, '/' separated;
// labels are those relative paths). A file: one path per line (blank lines and '#' comments
// skipped), relative to the list's folder (labels are the lines). `option` names the argument in
// errors ("--images"). Throws Error when the source is missing or holds no image.
ImageList list_images(const std::filesystem::path& source, const std::string& option = "--images");

// Reduction applied to each layer's per-image value before it is stored.
enum class Pool {
  None,  // as is
  Mean,  // mean over H, W of [C, H, W] or over tokens of [T, E] (a "channel" unit)
  Cls,   // token 0 of [T, E]
};
Pool parse_pool(const std::string& name, const std::string& option = "--pool");
std::string pool_name(Pool pool);

// What an image that cannot be read or decoded does to the run.
enum class OnError { Stop, Skip };
OnError parse_on_error(const std::string& name);

struct ExtractOptions {
  ModelSource source;             // model name, weights file or random-init seed
  std::string layers = "blocks";  // TapSelection spec
  ImageList images;
  std::filesystem::path out_dir;
  std::optional<std::string> preset;  // default: the model's
  std::int64_t batch = 16;
  DType dtype = DType::F32;  // stored precision: F32 or F16
  Pool pool = Pool::None;
  OnError on_error = OnError::Stop;
  bool resume = true;          // continue an interrupted run of the same settings found in out_dir
  bool quiet = false;          // no progress display
  std::string device = "cpu";  // --device: cpu, cuda, cuda:N (tools/pipeline/device.h)
  std::string precision = "exact";  // --precision: exact; on CUDA also tf32, fp16, bf16
  std::string progress_label = "extract";
};

struct ExtractedLayer {
  std::string name;
  std::filesystem::path file;  // out_dir / <layer>.npy
  Shape row_shape;             // per image, after pooling
  std::string module_type;
};

struct SkippedImage {
  std::string label;
  std::string error;
};

struct ExtractResult {
  std::vector<ExtractedLayer> layers;  // execution order
  std::vector<std::size_t> kept;       // indices into options.images of the stored rows
  std::vector<SkippedImage> skipped;   // with OnError::Skip
  std::int64_t resumed_rows = 0;       // rows found complete from an interrupted run
  Json manifest;                       // as written to manifest.json
  // Wall-clock seconds. Setup: loading the model and weights (with their SHA-256) and opening
  // the outputs. Images: reading and preprocessing the images, the forward passes, writing every
  // row and closing the NPYs (fsync included) for the images_this_run images of this run.
  double setup_seconds = 0.0, images_seconds = 0.0;
  std::int64_t images_this_run = 0;
};

// Checks everything that can be checked before any work (model and weights, layer spec,
// preset, batch size, output directory writable), then extracts. Throws Error naming the image,
// layer, file or argument at fault; an interrupted run leaves only .partial files and the
// progress record behind.
//
// Testing hook: when the environment variable REPSCOPE_TEST_KILL_AFTER_BATCHES=K is set, the
// process kills itself with SIGKILL after K complete batches, midway through storing batch K+1
// (so the resume path sees a batch half-written).
ExtractResult run_extraction(const ExtractOptions& options);

// The file name a layer is stored under: '/' and '\' become '_', plus ".npy".
std::string layer_file_name(const std::string& layer);

// Throws Error naming `dir` unless it exists (or can be created) and a file can be written in it.
void check_writable_dir(const std::filesystem::path& dir, const std::string& option = "--out");

// Throws Error unless `device` is "cpu"; "cuda" gives a clear error saying why it is unavailable.
void check_device(const std::string& device);

}  // namespace repscope::pipeline
