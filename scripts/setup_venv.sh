#!/usr/bin/env bash
# Creates .venv (once) and installs VAE Studio into it.
# torch is pinned to the CPU wheel first: the package's own range (torch>=2.2) is then already
# satisfied, so pip never pulls a multi-GB CUDA build on a machine without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
TORCH_SPEC=${VAESTUDIO_TORCH:-torch==2.13.0}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
stamp=.venv/.vaestudio-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/python -m pip install --quiet "$TORCH_SPEC"
    .venv/bin/python -m pip install --quiet -e '.[dev]'
    touch "$stamp"
fi
