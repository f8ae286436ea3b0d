"""A scenario process exits without the final garbage collections; an in-process run leaks nothing."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

# libyaml's C module survives pytester's restore of sys.modules and keeps building the node classes of the
# first yaml import: importing yaml here, before any pytester run, keeps a single copy of it in this process
# (tests/conftest.py does the same for numpy).
import yaml  # noqa: F401

# Registered when the conftest is imported, before the plugin's handler: atexit runs handlers last in,
# first out, so this one runs after the plugin's and sees whether it froze the heap.
CONFTEST = """\
import atexit, gc

atexit.register(lambda: print(f"frozen at exit: {gc.get_freeze_count() > 0}"))
"""

SUITE = """\
scenarios:
  - name: canonical
    traces: [slightly-bad-cpu]
    policies: [heuristic, noop]
    steps: 2
"""


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_scenario_process_freezes_its_heap_at_exit(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str, workers: str
) -> None:
    pytester.makeconftest(CONFTEST)
    (scenario_dir / "suite.yaml").write_text(SUITE)
    # Under xdist the controller collects nothing: it freezes once reports of scenario cases arrive.
    result = pytester.runpytest_subprocess("-q", "-n", workers, trace_dirs_arg, "-p", "no:cacheprovider")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*2 passed*", "frozen at exit: True"])


def test_a_process_without_scenarios_exits_as_usual(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess("-q", "-n", "0", "-p", "no:cacheprovider")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*1 passed*", "frozen at exit: False"])


def test_an_in_process_run_does_not_freeze_the_running_process(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    (scenario_dir / "suite.yaml").write_text(SUITE)
    before = gc.get_freeze_count()
    result = pytester.runpytest("-q", "-n", "0", trace_dirs_arg)
    assert result.ret == 0
    assert gc.get_freeze_count() == before
