#!/usr/bin/env bash
# Builds and runs every GPU test and GPU benchmark of repscope on a machine with a CUDA GPU, in
# one call, and prints a short table at the end. Everything is also written to $OUT (when set)
# or build/gpu-check/.
#
#   scripts/gpu-check.sh [--deps DIR] [--images N] [--batch B] [--no-bench]
#
# Needs nvcc, cmake, ninja, cuDNN (toolkit or the nvidia-cudnn Python wheel) and, for the
# comparison, python3 with PyTorch 2.x + torchvision. Libraries such a machine lacks (Eigen,
# oneTBB, stb, GoogleTest, Google Benchmark) come from --deps DIR, made beforehand by
# scripts/gpu-pack-deps.sh on a machine that has them (see docs/cuda.md).
set -uo pipefail
cd "$(dirname "$0")/.."
deps="" images=2048 batch=128 bench=1
while [ $# -gt 0 ]; do
  case "$1" in
    --deps) deps=$(realpath "$2"); shift 2 ;;
    --images) images=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --no-bench) bench=0; shift ;;
    *) echo "gpu-check: unknown argument $1" >&2; exit 2 ;;
  esac
done
out=${OUT:-build/gpu-check}
mkdir -p "$out"
log="$out/gpu-check.log"
: >"$log"
say() { echo "$@" | tee -a "$log"; }

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee -a "$log"
nvcc --version | tail -1 | tee -a "$log"

cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DREPSCOPE_CUDA=ON -DREPSCOPE_WITH_LIBJPEG=OFF
  -DCMAKE_CUDA_ARCHITECTURES=90 -DREPSCOPE_BUILD_BENCH=ON)
if [ -n "$deps" ]; then
  cmake_args+=("-DCMAKE_PREFIX_PATH=$deps/usr")
  export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
fi
# cuDNN: the toolkit's, else the one PyTorch's wheel brings.
if [ ! -e /usr/local/cuda/include/cudnn.h ]; then
  cudnn=$(python3 -c 'import nvidia.cudnn as c; print(list(c.__path__)[0])' 2>/dev/null || true)
  if [ -n "$cudnn" ]; then
    lib=$(ls "$cudnn"/lib/libcudnn.so* | head -1)
    cmake_args+=("-DCUDNN_INCLUDE_DIR=$cudnn/include" "-DCUDNN_LIBRARY=$lib")
    export LD_LIBRARY_PATH="$cudnn/lib:$LD_LIBRARY_PATH"
    say "cuDNN from the Python wheel: $cudnn"
  fi
fi

build=build/gpu
say "== configure + build ($build)"
if ! cmake -S . -B "$build" "${cmake_args[@]}" >>"$log" 2>&1; then
  tail -30 "$log"; say "gpu-check: configure failed"; exit 1
fi
targets=(test_cuda_runtime test_cuda_ops test_cuda_models test_backend_ops gpu_extract)
if ! cmake --build "$build" --target "${targets[@]}" -j"$(nproc)" >>"$log" 2>&1; then
  grep -E "error|FAILED" "$log" | head -40; say "gpu-check: build failed"; exit 1
fi

say "== tests"
failed=0
for t in test_cuda_runtime test_cuda_ops test_backend_ops test_cuda_models; do
  if "$build/tests/$t" >"$out/$t.txt" 2>&1; then status=ok; else status=FAILED; failed=1; fi
  say "$t: $status ($(grep -cE '^\[       OK \]' "$out/$t.txt") passed, $(grep -cE '^\[  SKIPPED \]' "$out/$t.txt") skipped lines, $(grep -cE '^\[  FAILED  \]' "$out/$t.txt") failed lines)"
  grep -E "precision|worst|device 0" "$out/$t.txt" | tee -a "$log"
done

results="$out/bench.txt"
: >"$results"
if [ "$bench" = 1 ]; then
  say "== benchmarks ($images images, batch $batch)"
  run_pair() {  # model precision taps
    "$build/gpu_extract" --model "$1" --precision "$2" --taps "$3" --batch "$batch" --images "$images" 2>&1 | tee -a "$results" "$log"
    python3 bench/gpu_vs_torch.py --model "$1" --precision "$2" --taps "$3" --batch "$batch" --images "$images" 2>&1 | tail -1 | tee -a "$results" "$log"
  }
  for m in resnet50 vit_b_16 clip_rn50; do run_pair "$m" exact blocks; done
  for m in resnet50 vit_b_16; do
    for p in tf32 fp16; do run_pair "$m" "$p" none; done
  done
fi

say ""
say "== summary (images/s; ratio = repscope / PyTorch)"
python3 - "$results" <<'PY' | tee -a "$log" "$out/summary.txt"
import re, sys
rows = {}
for line in open(sys.argv[1]):
    kv = dict(re.findall(r"(\w+)=(\S+)", line))
    if "model" not in kv:
        continue
    key = (kv["model"], kv.get("precision", "?"), kv.get("taps", "?"))
    side = "repscope" if line.startswith("gpu_extract") else "torch"
    rows.setdefault(key, {})[side] = kv.get("images_per_s", kv.get("skipped", "?"))
print(f"{'model':<10} {'precision':<9} {'taps':<7} {'repscope':>10} {'pytorch':>10} {'ratio':>6}")
for (m, p, t), v in rows.items():
    r, q = v.get("repscope", "-"), v.get("torch", "-")
    try:
        ratio = f"{float(r) / float(q):.2f}"
    except ValueError:
        ratio = "-"
    print(f"{m:<10} {p:<9} {t:<7} {r:>10} {q:>10} {ratio:>6}")
PY
say "tests: $([ $failed = 0 ] && echo all passed || echo SOME FAILED) (details in $out)"
exit $failed
