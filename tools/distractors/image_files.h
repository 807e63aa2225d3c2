// Image folders as sorted lists: the order every saliency/distractor output follows and the order
// users align their embedding rows with.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace repscope::distractors {

// True for the extensions repscope decodes: png, jpg, jpeg, bmp, gif, tga, ppm, pgm, pnm
// (case-insensitive).
bool is_image_file(const std::filesystem::path& path);

// Image files under `dir` (recursive), as paths relative to `dir`, sorted by their generic
// (forward-slash) string, byte-wise. Throws Error naming `what` and the folder when it is not a
// directory or holds no images.
std::vector<std::filesystem::path> list_images(const std::filesystem::path& dir,
                                               const std::string& what);

}  // namespace repscope::distractors
