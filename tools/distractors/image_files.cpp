#include "tools/distractors/image_files.h"

#include <algorithm>
#include <cctype>

#include "nn/error.h"

namespace repscope::distractors {
namespace fs = std::filesystem;

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* e : {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".ppm", ".pgm", ".pnm"})
    if (ext == e) return true;
  return false;
}

std::vector<fs::path> list_images(const fs::path& dir, const std::string& what) {
  std::error_code ec;
  check(fs::is_directory(dir, ec), what, ": '", dir.string(), "' is not a directory");
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && is_image_file(it->path()))
      files.push_back(fs::relative(it->path(), dir));
  }
  check(!ec, what, ": cannot list '", dir.string(), "': ", ec.message());
  check(!files.empty(), what, ": no images (png, jpg, bmp, gif, tga, pnm) in '", dir.string(), "'");
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.generic_string() < b.generic_string();
  });
  return files;
}

}  // namespace repscope::distractors
