"""Engine replays: CPU per case of the scenario files the fast path does not cover, in-process (run_case).

The figure behind the suite's 3x goal (issue 13): the 930 replay tests may spend ~0.8 ms per case at 3x
pytest's floor; the cases whose traces the fast path does not cover (priority-preemption, multi, oom,
quota-bound, limitrange-bound, probe-lag, oom-ramp) replay every step on the full engine. Printed per file
(CPU ms per case, best of --repeat), with the engine replays of fast steps made to build their snapshots
and a digest of every case's HTML block (the same digest before and after = not one verdict changed).

    .venv/bin/python benchmarks/engine.py [--repeat 3] [--files multi,oom] [--profile out.prof]
    .venv/bin/python benchmarks/engine.py --phases [--files all]   # where a case's CPU goes, per file

``--phases`` splits each case's CPU (every replay file by default) into its set-up (trace, cluster,
settings: run_case outside the episode), the steps the fast path computed, the steps the engine replayed
(start, 120 simulated seconds, the snapshot; fast_step's refusal included), the observations, the
actions, the expectations and the HTML block, with the collector set as in a scenario process (young
threshold 10,000, the heap frozen before the cases, plugin/process.py).

Side by side with main: ``PYTHONPATH=/tmp/main-tree .venv/bin/python benchmarks/engine.py`` runs this
script on main's package (a ``git archive main`` in /tmp/main-tree), in alternation with this branch.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENGINE_FILES = (
    "priority-preemption",
    "multi",
    "oom",
    "quota-bound",
    "limitrange-bound",
    "probe-lag",
    "oom-ramp",
)
GOAL_MS = 0.8  # per case, the share of a replay test at 3x the floor (docs/speed.md, round 4)
REPLAY_FILES = ("canonical", "cpu", "memory", "replicas", *ENGINE_FILES)  # scenarios/ but agents.yaml


def _cases(names: list[str]) -> dict[str, list[Any]]:
    from pytest_simarena.policies.registry import BUILTIN_POLICIES
    from pytest_simarena.scenario.model import Context, load_scenarios

    traces = tuple(ROOT / "traces" / d for d in ("canonical", "generated", "extra"))
    ctx = Context(rootpath=ROOT, trace_dirs=traces, builtin_policies=tuple(BUILTIN_POLICIES))
    return {
        name: [c for s in load_scenarios(ROOT / "scenarios" / f"{name}.yaml", ctx) for c in s.cases]
        for name in names
    }


def _shadow_counter() -> list[int]:
    """Counts the engine replays of fast steps (fastpath.ShadowReplay/FullReplay runs)."""
    from pytest_simarena.backends.embedded import fastpath

    count = [0]
    for cls_name, method in (("ShadowReplay", "snapshot"), ("FullReplay", "run")):
        cls = getattr(fastpath, cls_name, None)
        original = getattr(cls, method, None)
        if original is None:
            continue

        def counted(self: Any, _original: Any = original) -> Any:
            if getattr(self, "_done", None) is None:
                count[0] += 1
            return _original(self)

        setattr(cls, method, counted)
    return count


def _run(cases: list[Any]) -> tuple[float, str, bool]:
    from pytest_simarena.episode.loop import clear_step_memos
    from pytest_simarena.report.html import episode_html
    from pytest_simarena.scenario.run import ClusterPool, RunConfig, run_case

    clear_step_memos()  # cold, as in the suite: no (trace, seed) repeats across its cases
    pool, config = ClusterPool(), RunConfig()
    digest = hashlib.sha256()
    cpu, passed = 0.0, True
    for i, case in enumerate(cases):
        # One case at a time, its outcome dropped after its block, as the suite does (the heap the
        # collector walks stays the suite's).
        t0 = time.process_time()
        outcome = run_case(case, pool=pool, config=config, prefix=f"bench-{i}")
        cpu += time.process_time() - t0
        digest.update(episode_html(outcome).encode())
        passed = passed and outcome.passed
    return cpu, digest.hexdigest()[:12], passed


class _Phases:
    """CPU seconds per phase of the cases run while it is entered (functions wrapped, then put back)."""

    def __init__(self) -> None:
        from pytest_simarena.backends.embedded import cluster
        from pytest_simarena.episode import loop
        from pytest_simarena.scenario import run

        self.cpu: dict[str, float] = {}
        self.fast_steps = 0
        self.steps = 0
        self._targets = (
            (run, "run_case", "case"),
            (loop, "run_episode", "episode"),
            (cluster.EmbeddedCluster, "run_trace", "replay"),
            (cluster, "fast_step", "fast"),
            (loop, "_observation", "observation"),
            (loop, "apply_step_action", "action"),
            (run, "check", "expectations"),
        )
        self._saved: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> _Phases:
        for owner, name, label in self._targets:
            original = getattr(owner, name)
            self._saved.append((owner, name, original))
            setattr(owner, name, self._timed(original, label))
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in self._saved:
            setattr(owner, name, original)
        self._saved.clear()

    def _timed(self, fn: Any, label: str) -> Any:
        cpu = self.cpu

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.process_time()
            try:
                out = fn(*args, **kwargs)
            finally:
                cpu[label] = cpu.get(label, 0.0) + time.process_time() - t0
            if label == "fast":
                self.fast_steps += out is not None
            elif label == "replay":
                self.steps += 1
            return out

        return timed

    def row(self, cases: int, html: float) -> str:
        """Milliseconds per case: exclusive parts that add up to the whole."""
        c = self.cpu.get
        parts = {
            "set-up": c("case", 0) - c("episode", 0) - c("expectations", 0),
            "fast steps": c("fast", 0),
            "engine steps": c("replay", 0) - c("fast", 0),
            "observations": c("observation", 0),
            "actions": c("action", 0),
            "rest of the loop": c("episode", 0) - c("replay", 0) - c("observation", 0) - c("action", 0),
            "expectations": c("expectations", 0),
            "html block": html,
        }
        total = sum(parts.values())
        cells = " ".join(f"{1000 * v / cases:6.2f}" for v in parts.values())
        return f"{cells} | {1000 * total / cases:6.2f}  {self.fast_steps}/{self.steps - self.fast_steps}"


PHASES_HEAD = "set-up   fast engine   obs.  action  loop  expect.  html | total  steps fast/engine"


def _phases(by_file: dict[str, list[Any]]) -> int:
    import gc

    from pytest_simarena.episode.loop import clear_step_memos
    from pytest_simarena.report.html import episode_html
    from pytest_simarena.scenario import run
    from pytest_simarena.scenario.run import ClusterPool, RunConfig

    # As a scenario process runs them (plugin/process.py): a young generation of 10,000, and the heap
    # alive before the cases frozen.
    gc.set_threshold(10_000, *gc.get_threshold()[1:])
    gc.collect()
    gc.freeze()
    print("CPU ms per case, one cold pass per file (step memos cleared)")
    print(f"{'file':20} {'cases':>5}  {PHASES_HEAD}")
    totals, count = [0.0, 0], 0
    for name, cases in by_file.items():
        clear_step_memos()
        pool, config = ClusterPool(), RunConfig()
        html = 0.0
        with _Phases() as phases:
            for i, case in enumerate(cases):
                outcome = run.run_case(case, pool=pool, config=config, prefix=f"bench-{i}")
                t0 = time.process_time()
                episode_html(outcome)
                html += time.process_time() - t0
        print(f"{name:20} {len(cases):>5}  {phases.row(len(cases), html)}")
        totals[0] += phases.cpu.get("case", 0.0) + html
        count += len(cases)
    print(f"{'all':20} {count:>5}  {1000 * totals[0] / count:.2f} ms per case, {totals[0]:.2f} s")
    gc.unfreeze()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", default=",".join(ENGINE_FILES), help="scenario files (no .yaml)")
    parser.add_argument("--profile", help="write a cProfile of one pass over every file here")
    parser.add_argument("--phases", action="store_true", help="where each file's case CPU goes")
    args = parser.parse_args(argv)
    if args.phases and args.files == ",".join(ENGINE_FILES):
        args.files = ",".join(REPLAY_FILES)
    by_file = _cases([f for f in args.files.split(",") if f])
    if args.phases:
        return _phases(by_file)
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [_run(cases) for cases in by_file.values()])
        profile.dump_stats(args.profile)
        print(f"profile written to {args.profile}")
        return 0
    import pytest_simarena

    print(f"package: {Path(pytest_simarena.__file__).parent}")
    shadows = _shadow_counter()
    total_cpu, total_cases = 0.0, 0
    header = f"{'file':22} {'cases':>5} {'CPU ms/case':>12} {'fast-step replays':>18}  digest"
    print(f"{header}  (goal {GOAL_MS} ms)")
    for name, cases in by_file.items():
        best = float("inf")
        digests, replays, passed = set(), 0, True
        for _ in range(args.repeat):
            before = shadows[0]
            cpu, digest, ok = _run(cases)
            best, replays, passed = min(best, cpu), shadows[0] - before, passed and ok
            digests.add(digest)
        note = "" if passed else "  SOME CASES FAILED"
        note += "" if len(digests) == 1 else f"  NOT DETERMINISTIC: {sorted(digests)}"
        per_case = 1000 * best / len(cases)
        print(f"{name:22} {len(cases):>5} {per_case:>12.2f} {replays:>18}  {min(digests)}{note}")
        total_cpu += best
        total_cases += len(cases)
    print(f"{'all':22} {total_cases:>5} {1000 * total_cpu / total_cases:>12.2f}  (total {total_cpu:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
