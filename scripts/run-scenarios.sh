#!/usr/bin/env bash
# The main job: every scenario (trace x policy) on the embedded cluster, in parallel, writing
# reports/report.html, reports/junit.xml and reports/results.json. Extra arguments go to pytest.
source "$(dirname "$0")/_venv.sh"
mkdir -p reports
exec python -m pytest scenarios -n auto --dist loadfile -q \
  --html=reports/report.html --self-contained-html --junitxml=reports/junit.xml "$@"
