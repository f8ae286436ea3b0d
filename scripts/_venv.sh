# Sourced by the run scripts: make .venv (Python >= 3.11) with the project, its dev extra and the extras
# the tests exercise (agents, rl, ray) installed.
# Reinstalls only when pyproject.toml or this script changed since the last install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "pytest-simarena needs Python >= 3.11 (found $("$PYTHON" --version 2>&1)); set PYTHON=python3.11" >&2
    exit 2
  }
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.simarena-installed
want=$(cat pyproject.toml scripts/_venv.sh | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  # The tests run the rl, ray and agents extras for real. Torch first, pinned to a CPU build: PyPI's
  # default Linux torch is a CUDA build of several GB (docs/learning.md). Where no CPU wheel is at hand,
  # set TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu.
  .venv/bin/python -m pip install --quiet ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} 'torch==2.13.0'
  .venv/bin/python -m pip install --quiet -e '.[dev,agents,rl,ray]'
  echo "$want" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
