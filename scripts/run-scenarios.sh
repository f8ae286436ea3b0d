#!/usr/bin/env bash
# The main job: every scenario (trace x policy) on the embedded cluster, in parallel, writing
# reports/report.html, reports/junit.xml and reports/results.json. Extra arguments go to pytest.
source "$(dirname "$0")/_venv.sh"
mkdir -p reports
# xdist's default scheduler (load): grouping by file (loadfile) left one worker with most of the wall
# time (agents.yaml's live kubectl cases) and was the slowest of the three (docs/speed.md, round 5).
exec python -m pytest scenarios -n auto -q \
  --html=reports/report.html --self-contained-html --junitxml=reports/junit.xml "$@"
