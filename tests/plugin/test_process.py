"""A scenario process: a larger young generation while it runs, its heap frozen at exit; in-process runs
leave the running process as it was."""

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
import atexit, gc, os, sys

atexit.register(lambda: print(f"frozen at exit: {gc.get_freeze_count() > 0}"))

def pytest_sessionfinish(session):
    print(f"young threshold at the end: {gc.get_threshold()[0]}")

def pytest_configure(config):
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    path = os.path.join(str(config.rootpath), f"hypothesis-{worker}.txt")
    # After the terminal summary: whether anything in this process imported hypothesis.
    config.add_cleanup(lambda: open(path, "w").write(str("hypothesis" in sys.modules)))
"""

SUITE = """\
scenarios:
  - name: canonical
    traces: [slightly-bad-cpu]
    policies: [heuristic, noop]
    steps: 2
"""


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_scenario_process_freezes_its_heap_at_exit_and_never_imports_hypothesis(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str, workers: str
) -> None:
    pytester.makeconftest(CONFTEST)
    (scenario_dir / "suite.yaml").write_text(SUITE)
    # Under xdist the controller collects nothing: it acts once reports of scenario cases arrive.
    result = pytester.runpytest_subprocess(
        "-q", "-s", "-n", workers, trace_dirs_arg, "-p", "no:cacheprovider"
    )
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*young threshold at the end: 10000", "*2 passed*", "frozen at exit: True"])
    # Nor does any of its processes import hypothesis (its plugin's summary would, for nothing).
    written = sorted(p.name for p in pytester.path.glob("hypothesis-*.txt"))
    expected = ["main"] if workers == "0" else ["gw0", "gw1", "main"]
    assert written == [f"hypothesis-{name}.txt" for name in expected]
    assert all(pytester.path.joinpath(name).read_text() == "False" for name in written)


def test_a_process_without_scenarios_exits_as_usual(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess("-q", "-s", "-n", "0", "-p", "no:cacheprovider")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*young threshold at the end: 700", "*1 passed*", "frozen at exit: False"])


def test_an_in_process_run_does_not_freeze_the_running_process(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    (scenario_dir / "suite.yaml").write_text(SUITE)
    before = gc.get_freeze_count()
    result = pytester.runpytest("-q", "-n", "0", trace_dirs_arg)
    assert result.ret == 0
    assert gc.get_freeze_count() == before


THRESHOLD_CONFTEST = """\
import gc

def pytest_runtest_setup(item):
    print(f"young threshold during {item.name}: {gc.get_threshold()[0]}")
"""


def test_the_young_generation_is_larger_while_scenarios_run_and_restored_after(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    from pytest_simarena.plugin.process import YOUNG_THRESHOLD

    pytester.makeconftest(THRESHOLD_CONFTEST)
    (scenario_dir / "suite.yaml").write_text(SUITE)
    before = gc.get_threshold()
    assert before[0] < YOUNG_THRESHOLD
    result = pytester.runpytest("-q", "-s", "-n", "0", trace_dirs_arg)
    assert result.ret == 0
    result.stdout.fnmatch_lines([f"young threshold during canonical*heuristic*: {YOUNG_THRESHOLD}"])
    assert gc.get_threshold() == before


def test_a_session_without_scenarios_keeps_the_thresholds(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(THRESHOLD_CONFTEST)
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest("-q", "-s", "-n", "0")
    assert result.ret == 0
    result.stdout.fnmatch_lines([f"young threshold during test_plain: {gc.get_threshold()[0]}"])


WORKER_CONFTEST = """\
import gc, os

def _write(config, what, value):
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    with open(os.path.join(str(config.rootpath), f"{what}-{worker}.txt"), "w") as out:
        out.write(str(value))

def pytest_configure(config):
    # Registered before the plugin's cleanup and pytest's, so it runs after both (last in, first out).
    config.add_cleanup(lambda: _write(config, "frozen-after", gc.get_freeze_count() > 0))

def pytest_sessionstart(session):
    # Registered after every configure, so it runs first: what pytest's own cleanup then sees.
    config = session.config
    config.add_cleanup(lambda: _write(config, "frozen", gc.get_freeze_count() > 0))

def pytest_runtest_setup(item):
    _write(item.config, "frozen-during", gc.get_freeze_count() > 0)
"""


@pytest.mark.parametrize("workers", ["0", "1"])
def test_a_scenario_process_freezes_its_heap_for_the_session_and_pytests_cleanup(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str, workers: str
) -> None:
    pytester.makeconftest(WORKER_CONFTEST)
    (scenario_dir / "suite.yaml").write_text(SUITE)
    args = ("-q", "-n", workers, trace_dirs_arg, "-p", "no:cacheprovider")
    assert pytester.runpytest_subprocess(*args).ret == 0
    runner = "main" if workers == "0" else "gw0"

    def read(what: str, who: str) -> str:
        return (pytester.path / f"{what}-{who}.txt").read_text()

    # What collection left alive is frozen while the cases run (full collections skip it).
    assert read("frozen-during", runner) == "True"
    # At pytest's cleanup (its collections looking for unraisable exceptions) the heap is frozen, in the
    # process that ran the cases and in an xdist controller; after it, everything is collectable again.
    assert read("frozen", runner) == "True" and read("frozen", "main") == "True"
    assert read("frozen-after", runner) == "False" and read("frozen-after", "main") == "False"


def test_an_in_process_run_inside_a_frozen_process_leaves_the_freeze_alone(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    (scenario_dir / "suite.yaml").write_text(SUITE)
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        assert pytester.runpytest("-q", "-n", "0", trace_dirs_arg).ret == 0
        # Nothing more frozen, nothing unfrozen (frozen objects freed by reference counting leave it).
        assert 0 < gc.get_freeze_count() <= before
    finally:
        gc.unfreeze()


GIVEN_TEST = """\
from hypothesis import given, strategies as st

@given(st.integers())
def test_given(n):
    assert n == n
"""


@pytest.mark.parametrize("workers", ["0", "2"])
def test_hypothesis_statistics_still_print_beside_scenarios(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str, workers: str
) -> None:
    (scenario_dir / "suite.yaml").write_text(SUITE)
    pytester.makepyfile(test_given=GIVEN_TEST)
    result = pytester.runpytest_subprocess(
        "-n", workers, trace_dirs_arg, "-p", "no:cacheprovider", "--hypothesis-show-statistics"
    )
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*Hypothesis Statistics*", "*test_given*", "*3 passed*"])
