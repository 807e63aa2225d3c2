#!/usr/bin/env bash
# Creates .venv: the Python reference environment the parity tests compare against.
# It sees Debian's torch/torchvision/numpy/scipy/Pillow/statsmodels (--system-site-packages) and adds
# the PyPI packages of tests/python/requirements.txt, pinned so pip never replaces Debian's builds.
# Idempotent: a venv whose requirements are unchanged is left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
req="$root/tests/python/requirements.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/python" -c "import torch, safetensors" 2>/dev/null; then
  echo "setup-python: .venv is up to date"
  exit 0
fi

# Debian's interpreter, so Debian's python3-torch is importable.
/usr/bin/python3 -m venv --system-site-packages "$venv"
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
/usr/bin/python3 - >"$constraints" <<'PY'
import importlib.metadata as md
for dist in ["torch", "torchvision", "numpy", "scipy", "Pillow", "statsmodels", "pandas"]:
    try:
        print(f"{dist}=={md.version(dist)}")
    except md.PackageNotFoundError:
        pass
PY
"$venv/bin/python" -m pip install -q --disable-pip-version-check -c "$constraints" -r "$req"
echo "$want" >"$stamp"
echo "setup-python: .venv ready ($("$venv/bin/python" -c 'import torch, torchvision; print("torch", torch.__version__, "torchvision", torchvision.__version__)'))"
