#include "tools/scramble.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <unsupported/Eigen/FFT>

#include "io/image_write.h"
#include "nn/error.h"
#include "nn/parallel.h"
#include "tools/progress.h"
#include "tools/stimuli/rng.h"

// stb_image with static linkage: private to this file, no clash with other users of stb.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_HDR
#define STBI_NO_PSD
#define STBI_NO_PIC
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wnull-dereference"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#endif
#include <stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace repscope::scramble {

namespace fs = std::filesystem;
using cd = std::complex<double>;

Mode parse_mode(std::string_view text, std::string_view what) {
  if (text == "block") return Mode::Block;
  if (text == "phase") return Mode::Phase;
  fail(what, ": expected 'block' or 'phase', got '", text, "'");
}

Image8 block_scramble(const Image8& image, int grid, std::uint64_t seed) {
  check(grid >= 1, "block scramble: --grid must be at least 1, got ", grid);
  const int tw = image.width / grid, th = image.height / grid;
  check(tw >= 1 && th >= 1, "block scramble: a ", grid, "x", grid, " grid does not fit a ",
        image.width, "x", image.height, " image");
  const int x0 = (image.width - tw * grid) / 2, y0 = (image.height - th * grid) / 2;
  std::vector<int> order(static_cast<std::size_t>(grid * grid));
  std::iota(order.begin(), order.end(), 0);
  stimuli::Rng rng(seed, 0xB10C);
  rng.shuffle(order.data(), order.size());
  Image8 out = image;
  const auto row_bytes = static_cast<std::size_t>(tw * image.channels);
  for (int dst = 0; dst < grid * grid; ++dst) {
    const int src = order[static_cast<std::size_t>(dst)];
    const int sx = x0 + (src % grid) * tw, sy = y0 + (src / grid) * th;
    const int dx = x0 + (dst % grid) * tw, dy = y0 + (dst / grid) * th;
    for (int r = 0; r < th; ++r) {
      const auto src_offset =
          (static_cast<std::size_t>(sy + r) * static_cast<std::size_t>(image.width) +
           static_cast<std::size_t>(sx)) *
          static_cast<std::size_t>(image.channels);
      std::copy_n(image.pixels.data() + src_offset, row_bytes, &out.at(dx, dy + r, 0));
    }
  }
  return out;
}

void fft2d(std::vector<cd>& data, int h, int w, bool inverse) {
  check(
      h >= 1 && w >= 1 && data.size() == static_cast<std::size_t>(h) * static_cast<std::size_t>(w),
      "fft2d: data size does not match ", h, "x", w);
  Eigen::FFT<double> fft;  // unscaled forward; inverse scaled by 1/n (Eigen's default)
  std::vector<cd> in(static_cast<std::size_t>(std::max(h, w))), out(in.size());
  auto run = [&](std::vector<cd>& src, std::vector<cd>& dst, int n) {
    std::vector<cd> a(src.begin(), src.begin() + n), b(static_cast<std::size_t>(n));
    if (inverse) {
      fft.inv(b, a);
    } else {
      fft.fwd(b, a);
    }
    std::copy(b.begin(), b.end(), dst.begin());
  };
  for (int y = 0; y < h; ++y) {
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(y) * w, w, in.begin());
    run(in, out, w);
    std::copy_n(out.begin(), w, data.begin() + static_cast<std::ptrdiff_t>(y) * w);
  }
  for (int x = 0; x < w; ++x) {
    for (int y = 0; y < h; ++y)
      in[static_cast<std::size_t>(y)] = data[static_cast<std::size_t>(y * w + x)];
    run(in, out, h);
    for (int y = 0; y < h; ++y)
      data[static_cast<std::size_t>(y * w + x)] = out[static_cast<std::size_t>(y)];
  }
}

std::vector<double> amplitude_spectrum(const std::vector<double>& plane, int h, int w) {
  std::vector<cd> f(plane.begin(), plane.end());
  fft2d(f, h, w, false);
  std::vector<double> amp(f.size());
  std::transform(f.begin(), f.end(), amp.begin(), [](const cd& z) { return std::abs(z); });
  return amp;
}

std::vector<std::vector<double>> phase_scramble_planes(const Image8& image, std::uint64_t seed) {
  const int h = image.height, w = image.width;
  const auto n = static_cast<std::size_t>(h) * static_cast<std::size_t>(w);
  check(n > 0, "phase scramble: empty image");
  // The phase of white noise's spectrum is Hermitian-symmetric, so adding it keeps the result real.
  stimuli::Rng rng(seed, 0x9A5E);
  std::vector<cd> noise(n);
  for (auto& z : noise) z = rng.uniform();
  fft2d(noise, h, w, false);
  std::vector<cd> rotation(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double a = std::abs(noise[i]);
    // The DC term keeps phase 0 so the mean luminance is kept.
    rotation[i] = i > 0 && a > 0 ? noise[i] / a : cd(1, 0);
  }
  const int colour = image.channels == 4 ? 3 : image.channels;
  std::vector<std::vector<double>> planes(static_cast<std::size_t>(image.channels),
                                          std::vector<double>(n));
  for (int c = 0; c < image.channels; ++c) {
    auto& plane = planes[static_cast<std::size_t>(c)];
    for (std::size_t i = 0; i < n; ++i)
      plane[i] =
          image.pixels[i * static_cast<std::size_t>(image.channels) + static_cast<std::size_t>(c)];
    if (c >= colour) continue;  // alpha copied as is
    std::vector<cd> f(plane.begin(), plane.end());
    fft2d(f, h, w, false);
    for (std::size_t i = 0; i < n; ++i) f[i] *= rotation[i];
    fft2d(f, h, w, true);
    for (std::size_t i = 0; i < n; ++i) plane[i] = f[i].real();
  }
  return planes;
}

Image8 phase_scramble(const Image8& image, std::uint64_t seed) {
  const auto planes = phase_scramble_planes(image, seed);
  Image8 out = image;
  const auto n = static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height);
  for (std::size_t c = 0; c < planes.size(); ++c) {
    for (std::size_t i = 0; i < n; ++i) {
      out.pixels[i * planes.size() + c] =
          static_cast<std::uint8_t>(std::clamp(std::lround(planes[c][i]), 0L, 255L));
    }
  }
  return out;
}

Image8 scramble_image(const Image8& image, Mode mode, int grid, std::uint64_t seed) {
  return mode == Mode::Block ? block_scramble(image, grid, seed) : phase_scramble(image, seed);
}

Image8 read_image(const fs::path& path) {
  int w = 0, h = 0, c = 0;
  const std::string p = path.string();
  check(stbi_info(p.c_str(), &w, &h, &c) != 0, p, ": cannot read image (", stbi_failure_reason(),
        ")");
  const int want = c <= 2 ? 1 : c;  // grey+alpha is flattened to grey
  std::uint8_t* data = stbi_load(p.c_str(), &w, &h, &c, want);
  check(data != nullptr, p, ": cannot decode image (", stbi_failure_reason(), ")");
  Image8 img;
  img.width = w;
  img.height = h;
  img.channels = want;
  img.pixels.assign(data, data + static_cast<std::size_t>(w) * static_cast<std::size_t>(h) *
                                     static_cast<std::size_t>(want));
  stbi_image_free(data);
  return img;
}

void write_image(const fs::path& path, const Image8& image) {
  write_png(path, image.pixels, image.width, image.height, image.channels);
}

bool has_image_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  for (const char* e : {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".ppm", ".pgm", ".pnm"}) {
    if (ext == e) return true;
  }
  return false;
}

DirectoryResult scramble_directory(const fs::path& in, const fs::path& out,
                                   const DirectoryOptions& options) {
  check(fs::is_directory(in), "--in ", in.string(), ": not a directory");
  const fs::path in_abs = fs::weakly_canonical(in), out_abs = fs::weakly_canonical(out);
  auto inside = [](const fs::path& child, const fs::path& parent) {
    auto [pe, ce] = std::mismatch(parent.begin(), parent.end(), child.begin(), child.end());
    return pe == parent.end();
  };
  check(!inside(out_abs, in_abs), "--out ", out.string(), " lies inside --in ", in.string(),
        ": the scrambled images would mix with the originals");
  if (options.mode == Mode::Block)
    check(options.grid >= 1, "--grid must be at least 1, got ", options.grid);

  std::vector<fs::path> files;
  DirectoryResult result;
  for (auto it =
           fs::recursive_directory_iterator(in, fs::directory_options::follow_directory_symlink);
       it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_regular_file()) continue;
    if (has_image_extension(it->path())) {
      files.push_back(fs::relative(it->path(), in));
    } else {
      ++result.skipped;
    }
  }
  std::sort(files.begin(), files.end());
  check(!files.empty(), "--in ", in.string(), ": no images found");
  std::vector<fs::path> targets(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    targets[i] = out / fs::path(files[i]).replace_extension(".png");
    fs::create_directories(targets[i].parent_path());
  }
  // a.jpg and a.png would both become a.png.
  {
    std::vector<fs::path> sorted = targets;
    std::sort(sorted.begin(), sorted.end());
    auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    check(dup == sorted.end(), in.string(), ": two images would both be written to ",
          dup == sorted.end() ? std::string() : dup->string());
  }
  cli::Progress progress("scramble", static_cast<std::int64_t>(files.size()), options.quiet);
  parallel_for(0, static_cast<std::int64_t>(files.size()), 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      const auto& rel = files[static_cast<std::size_t>(i)];
      const Image8 img = read_image(in / rel);
      const std::uint64_t key = stimuli::hash_string(rel.generic_string());
      const Image8 scrambled =
          scramble_image(img, options.mode, options.grid, stimuli::mix64(options.seed ^ key));
      write_image(targets[static_cast<std::size_t>(i)], scrambled);
      progress.advance();
    }
  });
  progress.finish();
  result.images = static_cast<std::int64_t>(files.size());
  return result;
}

}  // namespace repscope::scramble
