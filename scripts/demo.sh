#!/usr/bin/env bash
# The main job on built-in defaults, from a fresh clone: installs the build dependencies, builds
# repscope, generates a small synthetic stimulus set, and runs the category-selectivity localizer on
# an UNTRAINED (random-init) ResNet-50. Prints the report's path. Nothing is downloaded.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${REPSCOPE_JOBS:-$(nproc)}
out=${1:-$root/out/demo}

bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs" --target repscope_cli
bin=$root/build/release/repscope

if ! "$bin" --help | grep -q "^  localizer"; then
  echo "repscope built; the localizer pipeline is not in this version yet:" >&2
  "$bin" --help
  exit 0
fi

mkdir -p "$out"
"$bin" stimuli synth --out "$out/stimuli" --seed 1
"$bin" localizer --model resnet50 --random-init 1 --stimuli "$out/stimuli" --out "$out/localizer"
echo
echo "Report: $out/localizer/report.html"
echo "(ResNet-50 with random weights: an untrained baseline, not a trained network.)"
