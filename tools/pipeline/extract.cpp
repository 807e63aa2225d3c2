#include "tools/pipeline/extract.h"

#include "tools/pipeline/background_appender.h"
#include "tools/pipeline/device.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <iostream>
#include <map>

#include "io/file_util.h"
#include "io/npy.h"
#include "io/preprocess.h"
#include "nn/error.h"
#include "nn/parallel.h"
#include "tools/progress.h"
#include "tools/version.h"

namespace fs = std::filesystem;

namespace repscope::pipeline {
namespace {

constexpr const char* kProgressFile = "extract_progress.json";
// Tap rows waiting to be written at most (ResNet-50's block outputs are ~430 MB per batch of
// 16): beyond it the forward waits for the writes.
constexpr std::size_t kMaxQueuedTapBytes = std::size_t{256} << 20;

// Per-image shape after pooling.
Shape pooled_shape(const TapInfo& t, Pool pool) {
  if (pool == Pool::None || t.shape.size() <= 1) return t.shape;
  if (pool == Pool::Cls) {
    check(t.shape.size() == 2, "--pool cls: layer '", t.name, "' ", shape_str(t.shape),
          " is not a token sequence [tokens, width]; select token layers or use --pool mean");
    return {t.shape[1]};
  }
  return {t.shape[0]};
}

Tensor pool_batch(const Tensor& v, Pool pool) {
  if (pool == Pool::None || v.ndim() <= 2) return v;
  const std::int64_t n = v.dim(0);
  Tensor out;
  if (v.ndim() == 4) {  // [N, C, H, W] -> [N, C]
    const std::int64_t c = v.dim(1), hw = v.dim(2) * v.dim(3);
    out = Tensor::empty({n, c});
    const float* src = v.data<float>();
    float* dst = out.data<float>();
    parallel_for(0, n * c, 16, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) {
        double s = 0;
        for (std::int64_t k = 0; k < hw; ++k) s += src[i * hw + k];
        dst[i] = static_cast<float>(s / static_cast<double>(hw));
      }
    });
    return out;
  }
  // [N, T, E]
  const std::int64_t t = v.dim(1), e = v.dim(2);
  out = Tensor::empty({n, e});
  const float* src = v.data<float>();
  float* dst = out.data<float>();
  for (std::int64_t i = 0; i < n; ++i) {
    if (pool == Pool::Cls) {
      std::memcpy(dst + i * e, src + i * t * e, static_cast<std::size_t>(e) * sizeof(float));
      continue;
    }
    for (std::int64_t c = 0; c < e; ++c) {
      double s = 0;
      for (std::int64_t k = 0; k < t; ++k) s += src[(i * t + k) * e + c];
      dst[i * e + c] = static_cast<float>(s / static_cast<double>(t));
    }
  }
  return out;
}

// FNV-1a over the image labels: identifies the image list in the progress record.
std::string labels_hash(const std::vector<std::string>& labels) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const auto& l : labels) {
    for (unsigned char c : l) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ 0x0aU) * 1099511628211ULL;
  }
  static const char* hex = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) s[static_cast<std::size_t>(i)] = hex[h & 15];
  return s;
}

// Preprocesses one batch; with OnError::Skip, images that fail are dropped and recorded.
Tensor load_batch(const ImageList& images, std::size_t begin, std::size_t end,
                  const PreprocessSpec& spec, OnError on_error, std::vector<std::size_t>& kept,
                  std::vector<SkippedImage>& skipped) {
  std::vector<fs::path> chunk(images.files.begin() + static_cast<std::ptrdiff_t>(begin),
                              images.files.begin() + static_cast<std::ptrdiff_t>(end));
  if (on_error == OnError::Stop) {
    Tensor x = preprocess_files(chunk, spec);
    for (std::size_t i = begin; i < end; ++i) kept.push_back(i);
    return x;
  }
  try {
    Tensor x = preprocess_files(chunk, spec);
    for (std::size_t i = begin; i < end; ++i) kept.push_back(i);
    return x;
  } catch (const Error&) {
    // Find the bad images one by one; the good ones keep their order.
  }
  std::vector<Tensor> good;
  for (std::size_t i = begin; i < end; ++i) {
    try {
      good.push_back(preprocess_files({images.files[i]}, spec));
      kept.push_back(i);
    } catch (const Error& e) {
      skipped.push_back({images.labels[i], e.what()});
    }
  }
  const std::int64_t s = spec.crop;
  Tensor x = Tensor::empty({static_cast<std::int64_t>(good.size()), 3, s, s});
  for (std::size_t k = 0; k < good.size(); ++k) {
    std::memcpy(x.data<float>() + static_cast<std::int64_t>(k) * 3 * s * s, good[k].data<float>(),
                good[k].nbytes());
  }
  return x;
}

struct ProgressRecord {
  Json settings;
  std::int64_t batches_done = 0;
  std::int64_t rows = 0;
  std::vector<std::size_t> kept;
  std::vector<SkippedImage> skipped;
};

Json record_json(const ProgressRecord& r) {
  Json j = Json::object();
  j.set("settings", r.settings);
  j.set("batches_done", r.batches_done);
  j.set("rows", r.rows);
  Json kept = Json::array();
  for (auto k : r.kept) kept.push_back(static_cast<std::int64_t>(k));
  j.set("kept", kept);
  Json skipped = Json::array();
  for (const auto& s : r.skipped) {
    Json e = Json::object();
    e.set("image", s.label);
    e.set("error", s.error);
    skipped.push_back(e);
  }
  j.set("skipped", skipped);
  return j;
}

std::optional<ProgressRecord> read_record(const fs::path& path) {
  if (!fs::exists(path)) return std::nullopt;
  try {
    const Json j = read_json_file(path);
    ProgressRecord r;
    r.settings = j.at("settings");
    r.batches_done = j.at("batches_done").as_int();
    r.rows = j.at("rows").as_int();
    for (const auto& k : j.at("kept").elements())
      r.kept.push_back(static_cast<std::size_t>(k.as_int()));
    for (const auto& s : j.at("skipped").elements())
      r.skipped.push_back({s.at("image").as_string(), s.at("error").as_string()});
    return r;
  } catch (const Error& e) {
    std::cerr << "note: ignoring unreadable progress record " << path.string() << ": " << e.what()
              << "\n";
    return std::nullopt;
  }
}

}  // namespace

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".ppm" ||
         ext == ".pgm" || ext == ".tga" || ext == ".gif";
}

ImageList list_images(const fs::path& source, const std::string& option) {
  ImageList list;
  if (fs::is_directory(source)) {
    std::vector<std::string> rel;
    for (const auto& e : fs::recursive_directory_iterator(source)) {
      if (e.is_regular_file() && is_image_file(e.path())) {
        // lexically: fs::relative would resolve symlinked files to their targets.
        rel.push_back(e.path().lexically_relative(source).generic_string());
      }
    }
    std::sort(rel.begin(), rel.end());
    for (const auto& r : rel) list.files.push_back(source / r);
    list.labels = rel;
  } else {
    check(fs::is_regular_file(source), option, " ", source.string(),
          ": no such directory or list file");
    const std::string text = read_text_file(source);
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(pos, end - pos);
      pos = end + 1;
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
        line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      fs::path p = line;
      list.files.push_back(p.is_absolute() ? p : source.parent_path() / p);
      list.labels.push_back(line);
    }
  }
  check(!list.files.empty(), option, " ", source.string(), ": no image files found");
  return list;
}

Pool parse_pool(const std::string& s, const std::string& option) {
  if (s == "none") return Pool::None;
  if (s == "mean") return Pool::Mean;
  if (s == "cls") return Pool::Cls;
  fail(option, ": '", s, "' is not one of none, mean, cls");
}

std::string pool_name(Pool pool) {
  switch (pool) {
    case Pool::None:
      return "none";
    case Pool::Mean:
      return "mean";
    case Pool::Cls:
      return "cls";
  }
  return "?";
}

OnError parse_on_error(const std::string& s) {
  if (s == "stop") return OnError::Stop;
  if (s == "skip") return OnError::Skip;
  fail("--on-error: '", s, "' is not one of stop, skip");
}

std::string layer_file_name(const std::string& tap) {
  std::string f = tap;
  for (char& c : f) {
    if (c == '/' || c == '\\') c = '_';
  }
  return f + ".npy";
}

void check_writable_dir(const fs::path& dir, const std::string& option) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  check(!ec && fs::is_directory(dir), option, " ", dir.string(),
        ": cannot create the output directory", ec ? ": " + ec.message() : std::string());
  const fs::path probe = dir / ".repscope-write-test";
  {
    std::ofstream f(probe);
    f << "x";
    check(static_cast<bool>(f), option, " ", dir.string(), ": the directory is not writable");
  }
  fs::remove(probe, ec);
}

void check_device(const std::string& device) {
  if (device == "cpu") return;
  check(device == "cuda", "--device: '", device, "' is not one of cpu, cuda");
#ifdef REPSCOPE_HAVE_CUDA
  fail(
      "--device cuda: this version runs models on the CPU only (the CUDA backend is not yet "
      "wired into model execution); use --device cpu");
#else
  fail(
      "--device cuda: this build of repscope has no CUDA support (configure with "
      "-DREPSCOPE_CUDA=ON on a machine with the CUDA toolkit); use --device cpu");
#endif
}

ExtractResult run_extraction(const ExtractOptions& opt) {
  const auto started = std::chrono::steady_clock::now();
  check(opt.batch > 0, "--batch must be positive, got ", opt.batch);
  check(opt.dtype == DType::F32 || opt.dtype == DType::F16, "--dtype must be f32 or f16");
  check(opt.images.files.size() == opt.images.labels.size() && !opt.images.files.empty(),
        "extract: no images");

  const ComputeDevice device = parse_compute_device(opt.device, opt.precision);
  // The weights' SHA-256 (for the manifest) is computed on its own thread while the model loads:
  // both read the whole file, and for a ViT-B the hash alone is ~0.2 s.
  std::future<std::string> weights_sha_future;
  if (opt.source.weights) {
    weights_sha_future =
        std::async(std::launch::async, [path = *opt.source.weights] { return sha256_file(path); });
  }
  LoadedModel loaded = load_model(opt.source);
  const Model& model = *loaded.model;
  for (const auto& w : loaded.warnings)
    std::cerr << "warning: unused tensor in weights: " << w << "\n";
  const auto taps = model.taps();
  const auto selection = TapSelection::parse(opt.layers, taps);
  check(!selection.empty(), "--layers selects no layer");
  const std::string preset = opt.preset.value_or(model.default_preset());
  const PreprocessSpec spec = preprocess_preset(preset);
  check(spec.crop == model.input_size(), "--preset ", preset, " crops to ", spec.crop, " px but ",
        model.name(), " takes ", model.input_size(), " px");
  check_writable_dir(opt.out_dir);

  ExtractResult result;
  std::map<std::string, Shape> row_shapes;
  Json layer_list = Json::array();
  for (const auto& t : taps) {
    if (!selection.contains(t.name)) continue;
    const Shape shape = pooled_shape(t, opt.pool);
    row_shapes[t.name] = shape;
    result.layers.push_back({t.name, opt.out_dir / layer_file_name(t.name), shape, t.module_type});
    Json entry = Json::object();
    entry.set("name", t.name);
    entry.set("file", layer_file_name(t.name));
    Json js = Json::array();
    for (auto d : shape) js.push_back(d);
    entry.set("shape", js);
    entry.set("module_type", t.module_type);
    layer_list.push_back(entry);
  }

  const std::string weights_sha = opt.source.weights ? weights_sha_future.get() : std::string();
  Json settings = Json::object();
  settings.set("model", model.name());
  if (opt.source.weights) {
    settings.set("weights_sha256", weights_sha);
  } else {
    settings.set("random_init_seed", static_cast<std::int64_t>(*opt.source.random_seed));
  }
  settings.set("preset", preset);
  Json names = Json::array();
  for (const auto& n : selection.names()) names.push_back(n);
  settings.set("layers", names);
  settings.set("dtype", std::string(dtype_name(opt.dtype)));
  settings.set("pool", pool_name(opt.pool));
  // Only GPU runs record these, so interrupted CPU runs of earlier versions still resume.
  if (device.device != Device::CPU) settings.set("compute_precision", device.precision);
  settings.set("batch", opt.batch);
  settings.set("on_error", opt.on_error == OnError::Skip ? "skip" : "stop");
  settings.set("images", static_cast<std::int64_t>(opt.images.files.size()));
  settings.set("images_hash", labels_hash(opt.images.labels));

  // Continue an interrupted run when its record matches these settings.
  const fs::path record_path = opt.out_dir / kProgressFile;
  ProgressRecord record;
  record.settings = settings;
  std::map<std::string, NpyStreamWriter> writers;
  if (opt.resume) {
    if (auto previous = read_record(record_path)) {
      if (previous->settings == settings) {
        try {
          for (const auto& l : result.layers) {
            writers.emplace(
                l.name, NpyStreamWriter::resume(l.file, opt.dtype, l.row_shape, previous->rows));
          }
          record = *previous;
          result.resumed_rows = record.rows;
          if (!opt.quiet)
            std::cerr << "resuming an interrupted extraction in " << opt.out_dir.string()
                      << " after " << record.rows << " images\n";
        } catch (const Error& e) {
          std::cerr << "note: cannot resume (" << e.what() << "); starting over\n";
          writers.clear();
        }
      } else if (!opt.quiet) {
        std::cerr << "note: " << record_path.string()
                  << " is from a run with other settings; starting over\n";
      }
    }
  }
  if (writers.empty()) {
    record = ProgressRecord{};
    record.settings = settings;
    for (const auto& l : result.layers) {
      writers.emplace(l.name, NpyStreamWriter(l.file, opt.dtype, l.row_shape,
                                              NpyStreamWriter::Options{.resumable = true}));
    }
  }

  prepare_device(device, *loaded.model);
  std::int64_t kill_after = -1;
  if (const char* k = std::getenv("REPSCOPE_TEST_KILL_AFTER_BATCHES")) kill_after = std::atoll(k);

  // Declared after `writers`, so it is gone (its thread joined) before they are.
  BackgroundAppender appender(kMaxQueuedTapBytes);
  const auto n = static_cast<std::int64_t>(opt.images.files.size());
  const auto images_started = std::chrono::steady_clock::now();
  cli::Progress progress(opt.progress_label, n, opt.quiet);
  progress.advance(std::min(n, record.batches_done * opt.batch));
  for (std::int64_t b = record.batches_done * opt.batch; b < n; b += opt.batch) {
    const std::int64_t e = std::min(n, b + opt.batch);
    const Tensor x =
        load_batch(opt.images, static_cast<std::size_t>(b), static_cast<std::size_t>(e), spec,
                   opt.on_error, record.kept, record.skipped);
    if (x.dim(0) > 0) {
      const bool kill_now = kill_after >= 0 && record.batches_done == kill_after;
      TapContext ctx(selection, [&](const std::string& name, const Tensor& value) {
        Tensor pooled = pool_batch(to_host(value), opt.pool);
        appender.submit(writers.at(name), opt.dtype == DType::F32 ? pooled : pooled.to(opt.dtype));
        if (kill_now) {  // tests: a kill in the middle of a batch, this tap's rows on disk
          appender.drain();
          std::raise(SIGKILL);
        }
      });
      model.forward(to_compute_device(device, x), ctx);
      appender.drain();  // the batch is complete on disk before the record says so
    }
    record.batches_done += 1;
    record.rows += x.dim(0);
    write_json_file(record_path, record_json(record));
    progress.advance(e - b);
  }
  progress.finish();
  check(record.rows > 0, "no image could be read (all ", n, " skipped)");

  for (auto& [name, w] : writers) w.close();
  const auto images_done = std::chrono::steady_clock::now();
  std::string order;
  for (auto k : record.kept) order += opt.images.labels[k] + "\n";
  write_text_file_atomic(opt.out_dir / "images.txt", order);

  Json manifest = Json::object();
  manifest.set("repscope_version", std::string(cli::kVersion));
  manifest.set("model", model.name());
  manifest.set("naming", model.scheme());
  if (opt.source.weights) {
    manifest.set("weights", fs::absolute(*opt.source.weights).string());
    manifest.set("weights_sha256", weights_sha);
  } else {
    manifest.set("random_init_seed", static_cast<std::int64_t>(*opt.source.random_seed));
    manifest.set("note", "random-init weights: an untrained network");
  }
  manifest.set("preset", preset);
  manifest.set("input_size", model.input_size());
  manifest.set("images", record.rows);
  manifest.set("image_order", "images.txt");
  manifest.set("device", device.name);
  manifest.set("compute_precision", device.precision);
  manifest.set("stored_dtype", std::string(dtype_name(opt.dtype)));
  manifest.set("pool", pool_name(opt.pool));
  manifest.set("layers", layer_list);
  Json skipped = Json::array();
  for (const auto& s : record.skipped) {
    Json entry = Json::object();
    entry.set("image", s.label);
    entry.set("error", s.error);
    skipped.push_back(entry);
  }
  manifest.set("skipped_images", skipped);
  write_json_file(opt.out_dir / "manifest.json", manifest);
  std::error_code ec;
  fs::remove(record_path, ec);

  result.setup_seconds = std::chrono::duration<double>(images_started - started).count();
  result.images_seconds = std::chrono::duration<double>(images_done - images_started).count();
  result.images_this_run = record.rows - result.resumed_rows;
  result.kept = record.kept;
  result.skipped = record.skipped;
  result.manifest = manifest;
  return result;
}

}  // namespace repscope::pipeline
