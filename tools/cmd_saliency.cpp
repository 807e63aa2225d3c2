// repscope saliency: Itti–Koch–Niebur saliency maps of images, as NPY (float32) and PNG.
#include <iostream>
#include <map>
#include <sstream>

#include "io/file_util.h"
#include "io/image.h"
#include "io/image_write.h"
#include "io/npy.h"
#include "io/saliency/itti_koch.h"
#include "nn/error.h"
#include "nn/parallel.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/distractors/image_files.h"
#include "tools/progress.h"

namespace repscope::cli {
namespace {
namespace fs = std::filesystem;

struct Input {
  fs::path file;
  std::string name;  // output name without extension (relative path for folder inputs)
};

Tensor map_tensor(const saliency::Map& m) {
  Tensor t = Tensor::empty({m.height, m.width}, DType::F32);
  float* d = t.data<float>();
  for (std::size_t i = 0; i < m.values.size(); ++i) d[i] = static_cast<float>(m.values[i]);
  return t;
}

int run_saliency(const std::vector<std::string>& argv) {
  Args args(
      "saliency", "repscope saliency IMAGE|DIR... --out DIR [options]",
      "Computes the Itti–Koch–Niebur (1998) saliency map of every image (folders are searched\n"
      "recursively, in sorted order) and writes <out>/<name>.npy (float32 [H, W]) and\n"
      "<out>/<name>.png (8-bit, scaled so the map's maximum is 255). Maps are at pyramid scale 4\n"
      "(about 1/16 of the image per side) unless --resolution image resizes them (bilinear) to\n"
      "the image. <out>/images.txt lists the inputs in output order. Model and defaults:\n"
      "docs/saliency.md.",
      "repscope saliency stimuli/ --out saliency --stack saliency/maps.npy");
  args.positionals("IMAGE|DIR...", "image files or folders of images")
      .option("out", "DIR", "output folder")
      .option("resolution", "WHICH", "map size: 'map' (scale 4) or 'image'", "map")
      .option("stack", "FILE", "also write all maps as one float32 [N, H, W] NPY (same-size maps)")
      .option("features", "FILE",
              "also write the maps flattened, float32 [N, H·W]: a `repscope rsa` target whose "
              "cosine RDM is the saliency RDM")
      .option("map-level", "L", "pyramid scale of the maps", "4")
      .option("color-threshold", "F", "hue only where intensity > F · max", "0.1")
      .option("weights", "I,C,O", "weights of the intensity, colour and orientation maps", "1,1,1")
      .flag("conspicuity", "also write <name>_intensity/_color/_orientation .npy (before N(.))")
      .flag("no-png", "write only the NPY maps")
      .option("threads", "N", "worker threads (0 = all cores)", "0")
      .flag("quiet", "no progress display");
  if (!args.parse(argv)) return 0;
  check(!args.positional().empty(), "saliency: no images given");
  const fs::path out = args.require("out");
  const std::string resolution = args.get("resolution");
  check(resolution == "map" || resolution == "image",
        "--resolution: expected 'map' or 'image', got '", resolution, "'");
  saliency::IttiKochOptions o;
  o.map_level = static_cast<int>(args.get_int("map-level"));
  o.color_threshold = args.get_double("color-threshold");
  {
    const std::string w = args.get("weights");
    double a = 0, b = 0, c = 0;
    char s1 = 0, s2 = 0;
    std::istringstream in(w);
    check((in >> a >> s1 >> b >> s2 >> c) && s1 == ',' && s2 == ',' && (in >> std::ws).eof(),
          "--weights: expected three numbers 'I,C,O', got '", w, "'");
    o.weight_intensity = a, o.weight_color = b, o.weight_orientation = c;
  }
  saliency::validate(o);
  const bool png = !args.get_flag("no-png"), conspicuity = args.get_flag("conspicuity");
  const bool quiet = args.get_flag("quiet");
  set_num_threads(static_cast<int>(args.get_int("threads")));

  std::vector<Input> inputs;
  for (const auto& p : args.positional()) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& rel : distractors::list_images(p, "saliency")) {
        inputs.push_back({fs::path(p) / rel, fs::path(rel).replace_extension().generic_string()});
      }
    } else {
      check(fs::is_regular_file(p, ec), "saliency: '", p,
            "' is neither an image file nor a folder");
      inputs.push_back({p, fs::path(p).stem().string()});
    }
  }
  std::map<std::string, std::string> seen;
  for (const auto& in : inputs) {
    const auto [it, fresh] = seen.emplace(in.name, in.file.string());
    check(fresh, "saliency: '", it->second, "' and '", in.file.string(),
          "' would both be written as '", in.name, ".npy'");
  }

  std::vector<saliency::Map> maps(inputs.size());
  Progress progress("saliency", static_cast<std::int64_t>(inputs.size()), quiet);
  parallel_for(0, static_cast<std::int64_t>(inputs.size()), 1, [&](std::int64_t a, std::int64_t b) {
    for (auto i = static_cast<std::size_t>(a); i < static_cast<std::size_t>(b); ++i) {
      const Image image = load_image(inputs[i].file);
      saliency::SaliencyMaps m = saliency::compute_saliency(image, o);
      auto sized = [&](const saliency::Map& x) {
        return resolution == "image" ? saliency::resize_bilinear(x, image.width, image.height) : x;
      };
      const fs::path base = out / inputs[i].name;
      fs::create_directories(base.parent_path());
      maps[i] = sized(m.saliency);
      write_npy(fs::path(base.string() + ".npy"), map_tensor(maps[i]));
      if (png)
        write_png(fs::path(base.string() + ".png"), saliency::to_u8(maps[i]), maps[i].width,
                  maps[i].height, 1);
      if (conspicuity) {
        write_npy(fs::path(base.string() + "_intensity.npy"), map_tensor(sized(m.intensity)));
        write_npy(fs::path(base.string() + "_color.npy"), map_tensor(sized(m.color)));
        write_npy(fs::path(base.string() + "_orientation.npy"), map_tensor(sized(m.orientation)));
      }
      progress.advance();
    }
  });
  progress.finish();
  std::string list;
  for (const auto& in : inputs) list += in.file.string() + "\n";
  write_text_file_atomic(out / "images.txt", list);
  for (const char* which_c : {"stack", "features"}) {
    const std::string which = which_c;
    if (!args.has(which)) continue;
    const fs::path stack = args.get(which);
    const int w = maps[0].width, h = maps[0].height;
    const auto n = static_cast<std::int64_t>(maps.size());
    Tensor t = which == "stack" ? Tensor::empty({n, h, w}, DType::F32)
                                : Tensor::empty({n, std::int64_t{h} * w}, DType::F32);
    float* d = t.data<float>();
    for (std::size_t i = 0; i < maps.size(); ++i) {
      check(maps[i].width == w && maps[i].height == h, "--", which, ": map of '",
            inputs[i].file.string(), "' is ", maps[i].width, "x", maps[i].height,
            " but the first is ", w, "x", h, " (stacking needs images of one size)");
      for (std::size_t k = 0; k < maps[i].values.size(); ++k)
        d[i * maps[i].values.size() + k] = static_cast<float>(maps[i].values[k]);
    }
    write_npy(stack, t);
  }
  if (!quiet)
    std::cerr << "saliency: wrote " << inputs.size() << " maps to " << out.string() << "\n";
  return 0;
}

}  // namespace
REPSCOPE_COMMAND(saliency, "saliency", "Itti–Koch saliency maps of images (NPY and PNG)",
                 run_saliency);
}  // namespace repscope::cli
