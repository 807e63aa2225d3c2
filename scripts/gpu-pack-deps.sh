#!/usr/bin/env bash
# Copies the build dependencies a GPU machine lacks (Eigen, oneTBB, stb, GoogleTest, Google
# Benchmark: headers, libraries and CMake package files, in their /usr layout) into DIR, so
# scripts/gpu-check.sh --deps DIR can build there without a package manager. Run it here, on a
# machine with the Debian packages of scripts/install-deps.sh. About 15 MB.
#   scripts/gpu-pack-deps.sh .gpudeps && echo /.gpudeps/ >> .git/info/exclude
set -euo pipefail
dir=${1:?usage: scripts/gpu-pack-deps.sh DIR}
lib=lib/x86_64-linux-gnu
mkdir -p "$dir/usr/include" "$dir/usr/$lib/cmake" "$dir/usr/share"
cp -a /usr/include/eigen3 /usr/include/tbb /usr/include/oneapi /usr/include/stb \
  /usr/include/gtest /usr/include/gmock /usr/include/benchmark "$dir/usr/include/"
cp -a /usr/share/eigen3 "$dir/usr/share/"
cp -a /usr/$lib/cmake/TBB /usr/$lib/cmake/GTest /usr/$lib/cmake/benchmark "$dir/usr/$lib/cmake/"
cp -a /usr/$lib/libtbb*.so* /usr/$lib/libgtest*.a /usr/$lib/libgmock*.a /usr/$lib/libbenchmark* \
  "$dir/usr/$lib/"
du -sh "$dir"
