#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, builds with warnings as
# errors, runs the GoogleTest suite under AddressSanitizer + UndefinedBehaviorSanitizer, then the
# full suite (parity against the Python references included) on the optimised build.
#   scripts/test.sh          everything (what CI runs)
#   scripts/test.sh --quick  the optimised build's suite only
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=${REPSCOPE_JOBS:-$(nproc)}

bash scripts/install-deps.sh
bash scripts/setup-python.sh
export REPSCOPE_REQUIRE_PYTHON=1     # a missing reference environment fails tests instead of skipping them
export REPSCOPE_REQUIRE_CHROMIUM=1   # likewise the report-rendering test (chromium comes from install-deps)

if [ "$quick" = 0 ]; then
  echo "== sanitizers (ASan + UBSan)"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --preset asan -j "$jobs" --timeout 900
fi

echo "== optimised build (warnings as errors)"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs" --timeout 1200
