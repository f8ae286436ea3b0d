"""What the scenario suite and its HTML report cost against pytest's own floor (issue 13's report goals).

Runs, in subprocesses, side by side and best of ``--repeat``:

- floor: as many trivial parametrized tests as the suite has scenario tests, ``-n 0``, with the same
  ``--html --self-contained-html`` report (pytest + pytest-html + this plugin loaded, nothing to do);
- suite + html: ``pytest scenarios -n 0 --html ... --self-contained-html`` (episodes, per-test blocks with
  the pod timeline, the summary charts, results.json);
- suite, no report, ``-n 0`` and ``-n 2``.

and prints wall seconds (the goals are on wall time) and CPU seconds (user + sys of the whole process
tree: steadier on a shared machine), with each goal and the anchor the issue measured before this work.
In-process, it also times one test's HTML block (``episode_html``) against the episode it describes.

    python benchmarks/report.py [--repeat 3] [--scenarios scenarios] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GOAL_HTML_RATIO = 3.0  # suite with the report / floor with the report, -n 0
ANCHOR_HTML_RATIO = 12.5  # measured by the issue before this work (matplotlib chart per test)
GOAL_XDIST_SPEEDUP = 1.7  # -n 0 / -n 2, no report
ANCHOR_XDIST_SPEEDUP = 1.16  # measured by the issue (with the report)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _pytest(cwd: Path, *args: str, pyc: bool | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one pytest run (exits on a failure that is not a test failure).

    ``pyc=True`` lets the run cache bytecode even when PYTHONDONTWRITEBYTECODE is set here.
    """
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if pyc:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return wall, cpu


def _best(runs: int, cwd: Path, *args: str, pyc: bool | None = None) -> tuple[float, float]:
    results = [_pytest(cwd, *args, pyc=pyc) for _ in range(runs)]
    return min(r[0] for r in results), min(r[1] for r in results)


def _count(scenarios: str) -> int:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", scenarios],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in reversed(proc.stdout.splitlines()):
        if " collected" in line or line.endswith("tests collected") or " tests " in line:
            return int(line.split()[0])
    sys.exit(f"could not count the tests of {scenarios}:\n{proc.stdout[-1000:]}")


def _html_block_cost() -> tuple[float, float, int]:
    """In-process: ms per episode (run_case) and ms per HTML block for the canonical scenarios."""
    from pytest_simarena.policies.registry import BUILTIN_POLICIES
    from pytest_simarena.report.html import episode_html
    from pytest_simarena.scenario.model import Context, load_scenarios
    from pytest_simarena.scenario.run import ClusterPool, RunConfig, run_case

    traces = (ROOT / "traces" / "canonical", ROOT / "traces" / "generated")
    ctx = Context(rootpath=ROOT, trace_dirs=traces, builtin_policies=tuple(BUILTIN_POLICIES))
    cases = [c for s in load_scenarios(ROOT / "scenarios" / "canonical.yaml", ctx) for c in s.cases]
    pool, config = ClusterPool(), RunConfig()
    t0 = time.perf_counter()
    outcomes = [run_case(c, pool=pool, config=config, prefix="bench") for c in cases]
    episodes = time.perf_counter() - t0
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for outcome in outcomes:
            episode_html(outcome)
        best = min(best, time.perf_counter() - t0)
    return 1000 * episodes / len(cases), 1000 * best / len(cases), len(cases)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenarios", default="scenarios", help="what the suite runs (relative to the root)")
    parser.add_argument("--workers", default="2", help="-n for the parallel run")
    args = parser.parse_args(argv)

    n = _count(args.scenarios)
    print(f"{n} scenario tests ({args.scenarios}), best of {args.repeat}, cpu = user+sys of the process tree")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        floor_dir = out / "floor"
        floor_dir.mkdir()
        (floor_dir / "test_floor.py").write_text(
            f"import pytest\n\n\n@pytest.mark.parametrize('i', range({n}))\ndef test_trivial(i):\n"
            "    assert i >= 0\n"
        )
        html = ("--self-contained-html",)
        floor = _best(args.repeat, floor_dir, "-n", "0", f"--html={out}/floor.html", *html)
        suite_html = _best(args.repeat, ROOT, args.scenarios, "-n", "0", f"--html={out}/suite.html", *html)
        serial = _best(args.repeat, ROOT, args.scenarios, "-n", "0")
        parallel = _best(args.repeat, ROOT, args.scenarios, "-n", args.workers)
        # What every extra xdist worker pays again before running a test: start-up and collection.
        collect = _best(args.repeat, ROOT, args.scenarios, "--collect-only")
        cached = None
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            _pytest(ROOT, args.scenarios, "--collect-only", pyc=True)  # writes the bytecode caches
            cached = _best(args.repeat, ROOT, args.scenarios, "--collect-only", pyc=True)
        size = (out / "suite.html").stat().st_size

    def row(label: str, figures: tuple[float, float], note: str = "") -> None:
        wall, cpu = figures
        print(f"  {label:<34}{wall:8.2f} s wall {cpu:8.2f} s cpu {1000 * wall / n:7.2f} ms/test  {note}")

    print("runs")
    row("floor: trivial tests + html, -n 0", floor)
    row("suite + html, -n 0", suite_html, f"report {size / 1e6:.1f} MB")
    row("suite, no report, -n 0", serial)
    row(f"suite, no report, -n {args.workers}", parallel)
    row("start-up + collection only", collect, "(paid again by each xdist worker)")
    if cached is not None:
        row("  the same with bytecode caches", cached, "(PYTHONDONTWRITEBYTECODE unset)")
    ratio, ratio_cpu = suite_html[0] / floor[0], suite_html[1] / floor[1]
    speedup = serial[0] / parallel[0]
    report_share = (suite_html[0] - serial[0]) / floor[0]
    report_share_cpu = (suite_html[1] - serial[1]) / floor[1]
    ok = "MET" if ratio <= GOAL_HTML_RATIO else "NOT MET"
    print("figures (goal | anchor before this work)")
    print(
        f"  suite+html / floor+html (-n 0)  {ratio:6.2f}x wall ({ratio_cpu:.2f}x cpu)  "
        f"goal <= {GOAL_HTML_RATIO:g}x | anchor {ANCHOR_HTML_RATIO:g}x  {ok}"
    )
    print(
        f"    of which the report itself    {report_share:6.2f}x floor wall, {report_share_cpu:.2f}x cpu "
        f"(suite+html minus suite without it, over the floor)"
    )
    ok = "MET" if speedup >= GOAL_XDIST_SPEEDUP else "NOT MET"
    print(
        f"  -n 0 / -n {args.workers} without the report    {speedup:6.2f}x faster        "
        f"goal >= {GOAL_XDIST_SPEEDUP:g}x | anchor {ANCHOR_XDIST_SPEEDUP:g}x (with the report)  {ok}"
    )
    episode_ms, block_ms, cases = _html_block_cost()
    print(
        f"  HTML block per test (in-process) {block_ms:6.2f} ms vs {episode_ms:.2f} ms for its episode "
        f"({block_ms / episode_ms:.2f}x; {cases} canonical cases)"
    )
    work = serial[1] - collect[1]
    print(
        f"  per-process fixed cost          {collect[1]:6.2f} s cpu vs {work:.2f} s cpu of tests: with "
        f"{args.workers} workers the best speed-up is about "
        f"{serial[1] / (collect[1] + work / int(args.workers)):.2f}x"
    )
    print(f"  cpus available: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} (shared machine)")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print(
            "  PYTHONDONTWRITEBYTECODE is set: every process compiles (and pytest rewrites) all its modules"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
