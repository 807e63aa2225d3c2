#!/usr/bin/env bash
# Unpacks Debian's OpenBLAS (pthread flavour) into a private folder WITHOUT installing it, so only
# the benchmark's torch runs use it (LD_LIBRARY_PATH); the system's libblas.so.3 alternative (the
# reference BLAS the parity tests run against) is left alone. Prints the folder to pass as
# `bench/cpu_vs_torch.py --torch-blas`.
set -euo pipefail
dest=${1:-/tmp/repscope_openblas}
mkdir -p "$dest"
cd "$dest"
ls libopenblas0-pthread_*.deb >/dev/null 2>&1 || apt-get download libopenblas0-pthread >&2
dpkg -x libopenblas0-pthread_*.deb x
echo "$dest/x/usr/lib/x86_64-linux-gnu/openblas-pthread"
