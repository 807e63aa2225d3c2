// Model input preprocessing: resize the shorter side, center crop, scale to [0, 1], normalize.
// Matches torchvision's transforms on a PIL image (`Resize(int)`, `CenterCrop`, `ToTensor`,
// `Normalize`), which is what OpenAI CLIP, torchvision's weights and timm use:
// - Resize(size): the shorter side becomes `size`, the longer `int(size * long / short)`
//   (torchvision 0.14), resampled with Pillow's filter (io/resize.h);
// - CenterCrop(h, w): top = int(round((H - h) / 2)), left = int(round((W - w) / 2)), Python's
//   round (half to even); an image smaller than the crop is zero-padded first as torchvision does;
// - ToTensor + Normalize: x = (v / 255 - mean) / std in float32, channels first.
// Images are converted to RGB before preprocessing (as torchvision's ImageFolder loader does).
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "io/image.h"
#include "io/resize.h"
#include "nn/tensor.h"

namespace repscope {

// One preprocessing recipe.
struct PreprocessSpec {
  std::string name;  // preset name or the custom spec string it came from
  int resize = 256;  // shorter side after resizing (0 = no resize)
  int crop = 224;    // square center crop size (0 = no crop)
  Resample interp = Resample::Bilinear;
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f};
  std::array<float, 3> std{0.229f, 0.224f, 0.225f};
};

// Named presets:
//   clip, clip-224, clip-288, clip-336, clip-384, clip-448: bicubic, shorter side to n, crop n,
//       CLIP mean/std;
//   imagenet:    torchvision IMAGENET1K_V1: bilinear 256 -> crop 224, ImageNet mean/std;
//   imagenet-v2: torchvision ResNet IMAGENET1K_V2: bilinear 232 -> crop 224;
//   timm-vit:    timm ViT (augreg): bicubic, crop_pct 0.9 -> resize floor(224 / 0.9) = 248,
//                crop 224, mean = std = 0.5.
// Anything containing '=' is a custom spec: comma-separated key=value pairs
//   size=N (crop size, required), resize=N (default: size, or floor(size / crop_pct)),
//   crop_pct=F, interp=NAME (default bilinear), mean=A:B:C, std=A:B:C (default ImageNet's),
//   e.g. "size=224,resize=256,interp=bicubic,mean=0.5:0.5:0.5,std=0.5:0.5:0.5".
// Throws Error naming the preset / key / value at fault.
PreprocessSpec preprocess_preset(std::string_view name_or_spec);
// The named presets, for help texts.
std::vector<std::string> preset_names();

// torchvision Resize(size) on a PIL image: shorter side to `size`, aspect kept.
Image resize_shorter_side(const Image& image, int size, Resample filter);
// torchvision CenterCrop((height, width)), zero-padding first when the image is smaller.
Image center_crop(const Image& image, int height, int width);
// ToTensor + Normalize of an RGB image (or a gray one, repeated as convert("RGB") would) into
// a 3 x H x W float32 buffer at `out`.
void normalize_into(const Image& image, const std::array<float, 3>& mean,
                    const std::array<float, 3>& std, float* out);

// The full recipe on one RGB image: a 1 x 3 x crop x crop float32 tensor.
Tensor preprocess(const Image& image, const PreprocessSpec& spec);
Tensor preprocess(const Image& image, std::string_view preset);
// Loads, decodes and preprocesses files into an N x 3 x crop x crop float32 batch (parallel
// over images). Errors name the file. Needs spec.crop > 0 (every image the same size).
Tensor preprocess_files(const std::vector<std::filesystem::path>& files, const PreprocessSpec& spec,
                        const DecodeOptions& options = {});

}  // namespace repscope
