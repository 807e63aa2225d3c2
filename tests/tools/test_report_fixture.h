// Writes a realistic result directory for the report tests: 16 layers × 6 categories of
// selectivity, RSA against two targets with a noise ceiling, three 48×48 RDMs with category
// structure, an MDS table and a manifest. `shift` changes the numbers (a second "run").
#pragma once

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "io/file_util.h"
#include "io/npy.h"
#include "nn/tensor.h"

namespace repscope::test {

inline void write_report_fixture(const std::filesystem::path& dir, double shift = 0.0) {
  std::filesystem::create_directories(dir);
  const std::vector<std::string> cats = {"faces", "bodies",           "scenes",
                                         "words", "scrambled_scenes", "scrambled_words"};
  std::vector<std::string> layers = {"conv1",    "layer1.0", "layer1.1", "layer1.2",
                                     "layer2.0", "layer2.1", "layer2.2", "layer2.3",
                                     "layer3.0", "layer3.1", "layer3.2", "layer3.3",
                                     "layer4.0", "layer4.1", "layer4.2", "fc"};
  std::string sel = "layer,category,proportion,n_units,n_selective\n";
  for (std::size_t l = 0; l < layers.size(); ++l) {
    for (std::size_t c = 0; c < cats.size(); ++c) {
      const double t = static_cast<double>(l) / static_cast<double>(layers.size() - 1);
      const double p =
          std::max(0.0, 0.02 + (0.25 - 0.03 * static_cast<double>(c)) * t * t +
                            0.03 * std::sin(3.0 * t + static_cast<double>(c)) + shift * 0.05);
      sel += layers[l] + "," + cats[c] + "," + std::to_string(p) + ",50176," +
             std::to_string(static_cast<int>(p * 50176)) + "\n";
    }
  }
  write_text_file_atomic(dir / "selectivity_summary.csv", sel);
  std::string rsa = "layer,target,r,p,nc_lower,nc_upper\n";
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const double t = static_cast<double>(l) / static_cast<double>(layers.size() - 1);
    const double r1 = 0.05 + 0.35 * t - 0.1 * t * t + shift * 0.05,
                 r2 = 0.3 * std::sin(3.0 * t) - shift * 0.03;
    rsa += layers[l] + ",\"IT, human\"," + std::to_string(r1) + "," +
           std::to_string(r1 > 0.15 ? 0.001 : 0.3) + ",0.38,0.52\n";
    rsa += layers[l] + ",V1," + std::to_string(r2) + "," + std::to_string(r2 > 0.1 ? 0.01 : 0.4) +
           ",0.2,0.31\n";
  }
  write_text_file_atomic(dir / "rsa.csv", rsa);
  const int n = 48;
  std::string stim = "path,category\n";
  for (int i = 0; i < n; ++i)
    stim += cats[static_cast<std::size_t>(i / 8)] + "/img" + std::to_string(i) + ".png," +
            cats[static_cast<std::size_t>(i / 8)] + "\n";
  write_text_file_atomic(dir / "stimuli.csv", stim);
  for (const char* layer : {"layer1.0", "layer3.2", "fc"}) {
    std::vector<float> v(static_cast<std::size_t>(n * n));
    const double structure = layer[0] == 'f' ? 0.6 : layer[5] == '3' ? 0.4 : 0.1;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        const double noise = 0.2 * std::sin(1.7 * (i + j) + 0.3 * i * j);
        v[static_cast<std::size_t>(i * n + j)] =
            i == j ? 0.0f
                   : static_cast<float>(0.6 + noise * 0.3 - (i / 8 == j / 8 ? structure : 0.0));
      }
    }
    write_npy(dir / (std::string("rdm_") + layer + ".npy"), Tensor::from_vector({n, n}, v));
  }
  std::string mds = "label,category,x,y\n";
  for (int i = 0; i < 24; ++i) {
    const double a = i / 4 * 1.047 + 0.2 * std::sin(i);
    mds += "img" + std::to_string(i) + "," + cats[static_cast<std::size_t>(i / 4)] + "," +
           std::to_string(std::cos(a) + 0.1 * std::sin(7.0 * i)) + "," +
           std::to_string(std::sin(a) + 0.1 * std::cos(5.0 * i)) + "\n";
  }
  write_text_file_atomic(dir / "mds_fc.csv", mds);
  write_text_file_atomic(dir / "manifest.json",
                         "{\"model\": \"resnet50\", \"weights\": \"random-init\", \"seed\": 1, "
                         "\"layers\": [\"conv1\", \"fc\"],"
                         " \"stimuli\": {\"dir\": \"stimuli\", \"images\": 144}}");
  write_text_file_atomic(dir / "unit_counts.csv", "layer,units\nconv1,802816\nfc,1000\n");
}

}  // namespace repscope::test
