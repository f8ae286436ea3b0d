"""Engine replays: CPU per case of the scenario files the fast path does not cover, in-process (run_case).

The figure behind the suite's 3x goal (issue 13): the 930 replay tests may spend ~0.8 ms per case at 3x
pytest's floor; the cases whose traces the fast path does not cover (priority-preemption, multi, oom,
quota-bound, limitrange-bound, probe-lag, oom-ramp) replay every step on the full engine. Printed per file
(CPU ms per case, best of --repeat), with the engine replays of fast steps made to build their snapshots
and a digest of every case's HTML block (the same digest before and after = not one verdict changed).

    .venv/bin/python benchmarks/engine.py [--repeat 3] [--files multi,oom] [--profile out.prof]

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", default=",".join(ENGINE_FILES), help="scenario files (no .yaml)")
    parser.add_argument("--profile", help="write a cProfile of one pass over every file here")
    args = parser.parse_args(argv)
    by_file = _cases([f for f in args.files.split(",") if f])
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
