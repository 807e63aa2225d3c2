// repscope extract: run a model over images and write the selected layers' activations as NPY.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>

#include "io/file_util.h"
#include "io/json.h"
#include "io/npy.h"
#include "io/preprocess.h"
#include "nn/error.h"
#include "nn/models/registry.h"
#include "nn/parallel.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/version.h"
#include "weights/model_loader.h"

namespace fs = std::filesystem;

namespace repscope::cli {
namespace {

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".ppm" ||
         ext == ".pgm" || ext == ".tga" || ext == ".gif";
}

// A directory: every image file below it, sorted by relative path (byte order, '/' separated).
// A file: one path per line (blank lines and '#' comments skipped), relative to the list's folder.
std::vector<fs::path> list_images(const fs::path& source, std::vector<std::string>& labels) {
  std::vector<fs::path> files;
  if (fs::is_directory(source)) {
    std::vector<std::string> rel;
    for (const auto& e : fs::recursive_directory_iterator(source)) {
      if (e.is_regular_file() && is_image_file(e.path())) {
        rel.push_back(fs::relative(e.path(), source).generic_string());
      }
    }
    std::sort(rel.begin(), rel.end());
    for (const auto& r : rel) files.push_back(source / r);
    labels = rel;
  } else {
    check(fs::is_regular_file(source), "--images ", source.string(),
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
      files.push_back(p.is_absolute() ? p : source.parent_path() / p);
      labels.push_back(line);
    }
  }
  check(!files.empty(), "--images ", source.string(), ": no image files found");
  return files;
}

enum class Pool { None, Mean, Cls };

Pool parse_pool(const std::string& s) {
  if (s == "none") return Pool::None;
  if (s == "mean") return Pool::Mean;
  if (s == "cls") return Pool::Cls;
  fail("--pool: '", s, "' is not one of none, mean, cls");
}

// Per-image shape after pooling: mean over H, W of [C, H, W] or over tokens of [T, E]; cls takes
// token 0 of [T, E].
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

std::string file_name_for(const std::string& tap) {
  std::string f = tap;
  for (char& c : f) {
    if (c == '/' || c == '\\') c = '_';
  }
  return f + ".npy";
}

int run_extract(const std::vector<std::string>& argv) {
  Args args("extract",
            "repscope extract --model M (--weights W | --random-init SEED) --images DIR|LIST "
            "--layers SPEC --out DIR [options]",
            "Runs the model over the images batch by batch and writes, per selected layer, "
            "DIR/<layer>.npy of\nshape (N_images, ...per-image shape) (or pooled), plus "
            "DIR/images.txt (the image order) and\nDIR/manifest.json (model, weights sha256, "
            "preset, layers and shapes, versions, precision).\nImages from a directory are all "
            "image files below it, sorted by relative path (byte order).\nFiles are streamed: "
            "memory does not grow with the number of images; each file appears only\nwhen "
            "complete.",
            "repscope extract --model resnet50 --weights resnet50.safetensors --images floc/ "
            "--layers paper1 --out acts/");
  args.option("model", "M", "model name, or auto to infer it from --weights", "auto")
      .option("weights", "FILE", "safetensors weights")
      .option("random-init", "SEED", "untrained model initialised as the reference does")
      .option("images", "DIR|LIST", "image folder (recursive) or a text file of paths")
      .option("layers", "SPEC",
              "names, globs, presets (all, blocks, leaves, paper1), comma-separated")
      .option("out", "DIR", "output folder")
      .option("preset", "P", "preprocessing preset (default: the model's)")
      .option("batch", "N", "images per batch", "16")
      .option("threads", "N", "worker threads (0 = all cores)", "0")
      .option("dtype", "T", "stored precision: f32 or f16", "f32")
      .option("pool", "P", "none, mean (over space or tokens) or cls (token 0)", "none")
      .flag("allow-unused", "warn about (instead of rejecting) unused tensors in --weights")
      .flag("quiet", "no progress output");
  if (!args.parse(argv)) return 0;
  set_num_threads(static_cast<int>(args.get_int("threads")));
  ModelSource src;
  src.model = args.get("model");
  if (auto w = args.get_optional("weights")) src.weights = fs::path(*w);
  if (auto s = args.get_optional("random-init")) {
    src.random_seed = static_cast<std::uint64_t>(args.get_int("random-init"));
  }
  src.allow_unused = args.get_flag("allow-unused");
  const fs::path out_dir = args.require("out");
  const std::int64_t batch = args.get_int("batch");
  check(batch > 0, "--batch must be positive, got ", batch);
  const DType dtype = parse_dtype(args.get("dtype"), "--dtype");
  check(dtype == DType::F32 || dtype == DType::F16, "--dtype must be f32 or f16");
  const Pool pool = parse_pool(args.get("pool"));
  std::vector<std::string> labels;
  const auto files = list_images(args.require("images"), labels);

  LoadedModel loaded = load_model(src);
  const Model& model = *loaded.model;
  for (const auto& w : loaded.warnings)
    std::cerr << "warning: unused tensor in weights: " << w << "\n";
  const auto taps = model.taps();
  const auto selection = TapSelection::parse(args.require("layers"), taps);
  check(!selection.empty(), "--layers selects no layer");
  const std::string preset = args.get_optional("preset").value_or(model.default_preset());
  const PreprocessSpec spec = preprocess_preset(preset);
  check(spec.crop == model.input_size(), "--preset ", preset, " crops to ", spec.crop, " px but ",
        model.name(), " takes ", model.input_size(), " px");

  std::map<std::string, Shape> row_shapes;
  Json layer_list = Json::array();
  for (const auto& t : taps) {
    if (!selection.contains(t.name)) continue;
    row_shapes[t.name] = pooled_shape(t, pool);
    Json entry = Json::object();
    entry.set("name", t.name);
    entry.set("file", file_name_for(t.name));
    Json shape = Json::array();
    for (auto d : row_shapes[t.name]) shape.push_back(d);
    entry.set("shape", shape);
    entry.set("module_type", t.module_type);
    layer_list.push_back(entry);
  }
  fs::create_directories(out_dir);
  std::map<std::string, NpyStreamWriter> writers;
  for (const auto& [name, shape] : row_shapes) {
    writers.emplace(name, NpyStreamWriter(out_dir / file_name_for(name), dtype, shape));
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto n = static_cast<std::int64_t>(files.size());
  for (std::int64_t b = 0; b < n; b += batch) {
    const std::int64_t e = std::min(n, b + batch);
    std::vector<fs::path> chunk(files.begin() + b, files.begin() + e);
    const Tensor x = preprocess_files(chunk, spec);
    TapContext ctx(selection, [&](const std::string& name, const Tensor& value) {
      Tensor pooled = pool_batch(value, pool);
      writers.at(name).append(dtype == DType::F32 ? pooled : pooled.to(dtype));
    });
    model.forward(x, ctx);
    if (!args.get_flag("quiet")) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::cerr << "\rextract: " << e << "/" << n << " images, " << s << " s" << std::flush;
    }
  }
  if (!args.get_flag("quiet")) std::cerr << "\n";
  for (auto& [name, w] : writers) w.close();
  std::string order;
  for (const auto& l : labels) order += l + "\n";
  write_text_file_atomic(out_dir / "images.txt", order);

  Json manifest = Json::object();
  manifest.set("repscope_version", std::string(kVersion));
  manifest.set("model", model.name());
  manifest.set("naming", model.scheme());
  if (src.weights) {
    manifest.set("weights", fs::absolute(*src.weights).string());
    manifest.set("weights_sha256", sha256_file(*src.weights));
  } else {
    manifest.set("random_init_seed", static_cast<std::int64_t>(*src.random_seed));
  }
  manifest.set("preset", preset);
  manifest.set("input_size", model.input_size());
  manifest.set("images", n);
  manifest.set("image_order", "images.txt");
  manifest.set("compute_precision", "f32");
  manifest.set("stored_dtype", std::string(dtype_name(dtype)));
  manifest.set("pool", args.get("pool"));
  manifest.set("layers", layer_list);
  write_json_file(out_dir / "manifest.json", manifest);
  return 0;
}

}  // namespace
}  // namespace repscope::cli

REPSCOPE_COMMAND(extract, "extract", "write layer activations of a model over images as NPY files",
                 repscope::cli::run_extract);
