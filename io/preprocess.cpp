// torchvision-style preprocessing on top of the Pillow-exact resize.
#include "io/preprocess.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "nn/error.h"
#include "nn/parallel.h"

namespace repscope {
namespace {

constexpr std::array<float, 3> kImagenetMean{0.485f, 0.456f, 0.406f};
constexpr std::array<float, 3> kImagenetStd{0.229f, 0.224f, 0.225f};
constexpr std::array<float, 3> kClipMean{0.48145466f, 0.4578275f, 0.40821073f};
constexpr std::array<float, 3> kClipStd{0.26862954f, 0.26130258f, 0.27577711f};
constexpr std::array<float, 3> kHalf{0.5f, 0.5f, 0.5f};
constexpr int kClipSizes[] = {224, 288, 336, 384, 448};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int parse_positive_int(std::string_view text, std::string_view what) {
  int v = 0;
  const auto* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  check(r.ec == std::errc() && r.ptr == end && v > 0 && v <= 65536, what, ": '", text,
        "' is not a positive integer size");
  return v;
}

double parse_double(std::string_view text, std::string_view what) {
  double v = 0;
  const auto* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  check(r.ec == std::errc() && r.ptr == end && std::isfinite(v), what, ": '", text,
        "' is not a number");
  return v;
}

// "A:B:C" -> three floats. Parsed as double then rounded to float, as Python's float list
// becomes a float32 tensor in torchvision's Normalize.
std::array<float, 3> parse_triple(std::string_view text, std::string_view what) {
  std::array<float, 3> out{};
  std::size_t i = 0;
  while (true) {
    const auto colon = text.find(':');
    check(i < 3, what, ": '", text, "' needs exactly 3 values separated by ':'");
    out[i++] = static_cast<float>(parse_double(trim(text.substr(0, colon)), what));
    if (colon == std::string_view::npos) break;
    text.remove_prefix(colon + 1);
  }
  check(i == 3, what, ": needs exactly 3 values separated by ':' (got ", i, ")");
  return out;
}

PreprocessSpec parse_custom_spec(std::string_view spec) {
  PreprocessSpec s;
  s.name = std::string(spec);
  s.mean = kImagenetMean;
  s.std = kImagenetStd;
  int size = 0, resize = 0;
  double crop_pct = 0;
  std::string_view rest = spec;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    check(eq != std::string_view::npos, "preprocess spec '", spec, "': item '", item,
          "' is not key=value");
    const std::string_view key = trim(item.substr(0, eq));
    const std::string_view value = trim(item.substr(eq + 1));
    const std::string what = str("preprocess spec key '", key, "'");
    if (key == "size" || key == "crop") {
      size = parse_positive_int(value, what);
    } else if (key == "resize") {
      resize = parse_positive_int(value, what);
    } else if (key == "crop_pct") {
      crop_pct = parse_double(value, what);
      check(crop_pct > 0 && crop_pct <= 1.0, what, ": ", value, " must be in (0, 1]");
    } else if (key == "interp" || key == "interpolation") {
      s.interp = parse_resample(value, what);
    } else if (key == "mean") {
      s.mean = parse_triple(value, what);
    } else if (key == "std") {
      s.std = parse_triple(value, what);
      for (float v : s.std) check(v > 0, what, ": values must be positive");
    } else {
      fail("preprocess spec '", spec, "': unknown key '", key,
           "' (expected size, resize, crop_pct, interp, mean, std)");
    }
  }
  check(size > 0, "preprocess spec '", spec, "': 'size=N' (the crop size) is required");
  check(resize == 0 || crop_pct == 0, "preprocess spec '", spec,
        "': give either resize or crop_pct, not both");
  s.crop = size;
  // timm: scale_size = math.floor(img_size / crop_pct)
  s.resize =
      resize > 0 ? resize : (crop_pct > 0 ? static_cast<int>(std::floor(size / crop_pct)) : size);
  return s;
}

}  // namespace

PreprocessSpec preprocess_preset(std::string_view name) {
  name = trim(name);
  check(
      !name.empty(), "preprocess preset: empty name (one of ",
      [] {
        std::string all;
        for (const auto& n : preset_names()) all += (all.empty() ? "" : ", ") + n;
        return all;
      }(),
      ", or a custom spec like 'size=224,resize=256,interp=bicubic')");
  if (name.find('=') != std::string_view::npos) return parse_custom_spec(name);
  PreprocessSpec s;
  s.name = std::string(name);
  if (name == "imagenet" || name == "imagenet-v1") {
    s.resize = 256, s.crop = 224, s.interp = Resample::Bilinear;
    s.mean = kImagenetMean, s.std = kImagenetStd;
    return s;
  }
  if (name == "imagenet-v2") {
    s.resize = 232, s.crop = 224, s.interp = Resample::Bilinear;
    s.mean = kImagenetMean, s.std = kImagenetStd;
    return s;
  }
  if (name == "timm-vit") {
    s.resize = static_cast<int>(std::floor(224 / 0.9)), s.crop = 224, s.interp = Resample::Bicubic;
    s.mean = kHalf, s.std = kHalf;
    return s;
  }
  if (name == "clip" || name.starts_with("clip-")) {
    int n = 224;
    if (name != "clip")
      n = parse_positive_int(name.substr(5), str("preprocess preset '", name, "'"));
    bool known = false;
    for (int k : kClipSizes) known = known || k == n;
    check(known, "preprocess preset '", name,
          "': CLIP input sizes are 224, 288, 336, 384 and 448 (use a custom spec for others)");
    s.resize = n, s.crop = n, s.interp = Resample::Bicubic;
    s.mean = kClipMean, s.std = kClipStd;
    return s;
  }
  std::string all;
  for (const auto& n : preset_names()) all += (all.empty() ? "" : ", ") + n;
  fail("unknown preprocess preset '", name, "' (expected one of ", all,
       ", or a custom spec like 'size=224,resize=256,interp=bicubic')");
}

std::vector<std::string> preset_names() {
  return {"clip",     "clip-288", "clip-336",    "clip-384",
          "clip-448", "imagenet", "imagenet-v2", "timm-vit"};
}

Image resize_shorter_side(const Image& image, int size, Resample filter) {
  check(size >= 1, "resize: size ", size, " must be positive");
  check(!image.empty(), "resize: image is empty");
  const int w = image.width, h = image.height;
  const bool wide = w > h;
  const std::int64_t shorter = wide ? h : w, longer = wide ? w : h;
  // torchvision 0.14 _compute_resized_output_size: int(size * long / short), true division.
  const int new_long = static_cast<int>(static_cast<double>(std::int64_t{size} * longer) /
                                        static_cast<double>(shorter));
  check(new_long >= 1, "resize: ", w, "x", h, " image resized to shorter side ", size,
        " would have an empty side");
  return wide ? resize(image, new_long, size, filter) : resize(image, size, new_long, filter);
}

namespace {
// Python's round() on d / 2 (half to even) for d >= 0.
int half_round_even(int d) {
  const int q = d / 2;
  if (d % 2 == 0) return q;
  return q % 2 == 0 ? q : q + 1;
}
}  // namespace

Image center_crop(const Image& image, int height, int width) {
  check(height >= 1 && width >= 1, "center crop: size ", height, "x", width, " must be positive");
  const Image* src = &image;
  Image padded;
  if (width > image.width || height > image.height) {
    // torchvision pads left/top by (crop - size) // 2 and right/bottom by the rest, with zeros.
    const int pad_left = width > image.width ? (width - image.width) / 2 : 0;
    const int pad_top = height > image.height ? (height - image.height) / 2 : 0;
    padded = Image(std::max(width, image.width), std::max(height, image.height), image.channels);
    for (int y = 0; y < image.height; ++y) {
      std::memcpy(padded.row(y + pad_top) + static_cast<std::size_t>(pad_left) * image.channels,
                  image.row(y), image.row_bytes());
    }
    src = &padded;
  }
  const int top = half_round_even(src->height - height);
  const int left = half_round_even(src->width - width);
  Image out(width, height, src->channels);
  for (int y = 0; y < height; ++y) {
    std::memcpy(out.row(y), src->row(y + top) + static_cast<std::size_t>(left) * src->channels,
                out.row_bytes());
  }
  return out;
}

void normalize_into(const Image& image, const std::array<float, 3>& mean,
                    const std::array<float, 3>& std, float* out) {
  check(image.channels == 3 || image.channels == 1,
        "normalize: expected an RGB or gray image, got ", image.channels, " channels");
  const std::size_t plane = static_cast<std::size_t>(image.width) * image.height;
  const std::size_t step = static_cast<std::size_t>(image.channels);
  for (int c = 0; c < 3; ++c) {
    float* o = out + plane * static_cast<std::size_t>(c);
    // A gray image gives all three channels (its convert("RGB") would repeat it).
    const std::uint8_t* p = image.pixels.data() + (step == 3 ? c : 0);
    const float m = mean[static_cast<std::size_t>(c)], s = std[static_cast<std::size_t>(c)];
    // Same float32 operations as ToTensor (v / 255) then Normalize ((x - mean) / std).
    for (std::size_t i = 0; i < plane; ++i)
      o[i] = (static_cast<float>(p[step * i]) / 255.0f - m) / s;
  }
}

namespace {
Image prepare(const Image& image, const PreprocessSpec& spec) {
  check(image.channels == 3 || image.channels == 1,
        "preprocess: expected an RGB or gray image, got ", image.channels, " channels");
  Image out = spec.resize > 0 ? resize_shorter_side(image, spec.resize, spec.interp) : image;
  if (spec.crop > 0) out = center_crop(out, spec.crop, spec.crop);
  return out;
}
}  // namespace

Tensor preprocess(const Image& image, const PreprocessSpec& spec) {
  const Image ready = prepare(image, spec);
  Tensor t = Tensor::empty({1, 3, ready.height, ready.width});
  normalize_into(ready, spec.mean, spec.std, t.data<float>());
  return t;
}

Tensor preprocess(const Image& image, std::string_view preset) {
  return preprocess(image, preprocess_preset(preset));
}

Tensor preprocess_files(const std::vector<std::filesystem::path>& files, const PreprocessSpec& spec,
                        const DecodeOptions& options) {
  check(spec.crop > 0, "preprocess '", spec.name,
        "': a batch needs a crop size (images must all end up the same size)");
  const auto n = static_cast<std::int64_t>(files.size());
  Tensor batch = Tensor::empty({n, 3, spec.crop, spec.crop});
  const std::size_t per_image = static_cast<std::size_t>(3) * spec.crop * spec.crop;
  float* out = batch.data<float>();
  DecodeOptions decode = options;
  decode.keep_gray = true;  // resized once, expanded to RGB when normalised
  parallel_for(0, n, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      const auto& path = files[static_cast<std::size_t>(i)];
      const Image ready = prepare(load_image(path, decode), spec);
      normalize_into(ready, spec.mean, spec.std, out + per_image * static_cast<std::size_t>(i));
    }
  });
  return batch;
}

}  // namespace repscope
