#!/usr/bin/env bash
# The test suite (unit, properties, fidelity, plugin); extra arguments go to pytest.
source "$(dirname "$0")/_venv.sh"
exec python -m pytest -n auto -q "$@"
