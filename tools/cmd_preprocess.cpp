// repscope preprocess: decode images and write the model-input batch (N x 3 x H x W float32 NPY)
// exactly as Pillow + torchvision / CLIP / timm would produce it.
#include <filesystem>
#include <iostream>

#include "io/image.h"
#include "io/npy.h"
#include "io/preprocess.h"
#include "nn/error.h"
#include "nn/parallel.h"
#include "tools/args.h"
#include "tools/command.h"

namespace repscope::cli {
namespace {

int run_preprocess(const std::vector<std::string>& argv) {
  std::string presets;
  for (const auto& n : preset_names()) presets += (presets.empty() ? "" : ", ") + n;
  Args args("preprocess", "repscope preprocess --preset P IMAGE... --out FILE.npy",
            "Decodes the images (JPEG, PNG, BMP, TGA, GIF first frame, PNM) to RGB as Pillow's\n"
            "Image.open(p).convert(\"RGB\") does, resizes the shorter side and center-crops with\n"
            "Pillow's resampling (bit-identical), scales to [0, 1] and normalizes, and writes the\n"
            "N x 3 x H x W float32 batch in argument order. Presets: " +
                presets +
                ";\nor a custom spec 'size=N[,resize=N|crop_pct=F][,interp=NAME][,mean=A:B:C]"
                "[,std=A:B:C]'.",
            "repscope preprocess --preset clip a.jpg b.png --out batch.npy\n"
            "repscope preprocess --preset 'size=224,resize=256,interp=bicubic' *.jpg --out x.npy");
  args.option("preset", "P", "preset name or custom spec (see above)")
      .option("out", "FILE", "output .npy file")
      .option("threads", "N", "worker threads (0 = all cores)", "0")
      .flag("stb", "decode JPEGs with stb_image instead of libjpeg-turbo (not Pillow-exact)")
      .positionals("IMAGE...", "image files");
  if (!args.parse(argv)) return 0;
  const PreprocessSpec spec = preprocess_preset(args.require("preset"));
  const std::filesystem::path out = args.require("out");
  check(!args.positional().empty(), "no IMAGE given (see 'repscope preprocess --help')");
  set_num_threads(static_cast<int>(args.get_int("threads")));
  std::vector<std::filesystem::path> files(args.positional().begin(), args.positional().end());
  DecodeOptions options;
  if (args.get_flag("stb")) options.jpeg = JpegBackend::Stb;
  const Tensor batch = preprocess_files(files, spec, options);
  write_npy(out, batch);
  std::cerr << "repscope preprocess: " << files.size() << " image(s), preset " << spec.name << " ("
            << resample_name(spec.interp) << ", resize " << spec.resize << ", crop " << spec.crop
            << ") -> " << out.string() << " " << shape_str(batch.shape()) << "\n";
  return 0;
}

}  // namespace
}  // namespace repscope::cli

REPSCOPE_COMMAND(preprocess, "preprocess",
                 "decode and preprocess images into a model-input NPY batch",
                 repscope::cli::run_preprocess);
