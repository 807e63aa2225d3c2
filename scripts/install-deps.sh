#!/usr/bin/env bash
# Installs the Debian packages repscope builds and tests with. Idempotent: packages already
# present are skipped, so CI and developers can run it every time.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libeigen3-dev libtbb-dev libstb-dev libturbojpeg0-dev libjpeg62-turbo-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format
  fonts-dejavu-core
  # Headless browser for the report rendering test (tests/tools/test_report_render.cpp).
  chromium
  # Reference implementations for the parity tests (Python is never needed at run time).
  python3 python3-venv python3-pip python3-numpy python3-scipy python3-pil
  python3-torch python3-torchvision python3-statsmodels python3-pandas
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi
