"""How much the pytest plugin costs on top of the bare episode loop.

Prints, for the canonical traces x every built-in policy (or ``--traces GLOB``):

- bare: ``run_episode`` called directly (fresh seeded embedded cluster per episode, as the plugin does);
- library: ``scenario.run.run_case`` (trace load + episode + expectations; what an item's runtest does);
- pytest: ``pytest scenarios`` in a subprocess (-n 0), wall time minus a ``--collect-only`` run
  (interpreter + pytest start-up + collection, reported separately), and with ``--html`` too.

Per-test time and the ratios pytest/bare and library/bare are the plugin's overhead.

    python benchmarks/plugin.py [--repeat 3] [--traces 'traces/canonical/*.sktrace'] [--html]
"""

from __future__ import annotations

import argparse
import glob
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _scenario_file(folder: Path, traces: list[str]) -> Path:
    scenarios = folder / "scenarios"
    scenarios.mkdir(parents=True, exist_ok=True)
    lines = ["scenarios:", "  - name: bench", "    policies: all", "    traces:"]
    lines += [f"      - '{t}'" for t in traces]
    path = scenarios / "bench.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _pytest(folder: Path, *extra: str) -> float:
    cmd = [sys.executable, "-m", "pytest", "scenarios", "-q", "-p", "no:cacheprovider", "-n", "0", *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1 = some expectations failed: still a timing
        sys.exit(f"pytest failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", default=str(ROOT / "traces/canonical/*.sktrace"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--html", action="store_true", help="also time a run writing the HTML report")
    args = parser.parse_args(argv)

    from pytest_simarena.episode.loop import run_episode
    from pytest_simarena.policies.registry import BUILTIN_POLICIES
    from pytest_simarena.scenario.model import Context, load_scenarios
    from pytest_simarena.scenario.run import ClusterPool, RunConfig, cluster_for, run_case
    from pytest_simarena.trace import load_trace

    traces = sorted(glob.glob(args.traces))
    if not traces:
        sys.exit(f"no traces match {args.traces}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = _scenario_file(folder, traces)
        ctx = Context(rootpath=folder, builtin_policies=tuple(BUILTIN_POLICIES))
        cases = [c for s in load_scenarios(path, ctx) for c in s.cases]
        config = RunConfig()
        n = len(cases)
        print(
            f"{n} scenario tests ({len(traces)} traces x {len(BUILTIN_POLICIES)} policies), "
            f"{config.steps} steps max, best of {args.repeat}"
        )

        bare_times, lib_times = [], []
        for _ in range(args.repeat):
            pool = ClusterPool()
            t0 = time.perf_counter()
            for case in cases:
                trace = load_trace(case.trace)
                seed = case.derived_seed(config.base_seed)
                backend, _owned = pool.for_case(cluster_for(case.cluster, trace), seed)
                try:
                    run_episode(
                        trace,
                        case.policy,
                        backend=backend,
                        max_steps=config.steps,
                        seed=seed,
                        step_seconds=config.step_duration,
                        reward=config.reward,
                        prefix="bench",
                    )
                finally:
                    backend.close()
            bare_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for case in cases:
                run_case(case, pool=pool, config=config, prefix="bench")
            lib_times.append(time.perf_counter() - t0)
        bare, lib = min(bare_times), min(lib_times)

        startup = min(_pytest(folder, "--collect-only") for _ in range(args.repeat))
        full = min(_pytest(folder) for _ in range(args.repeat))
        tests_only = max(full - startup, 1e-9)
        print(f"bare run_episode        {bare:8.3f} s  {1000 * bare / n:8.2f} ms/test")
        print(
            f"library run_case        {lib:8.3f} s  {1000 * lib / n:8.2f} ms/test  "
            f"ratio {lib / bare:5.2f}x bare"
        )
        print(f"pytest start+collect    {startup:8.3f} s")
        print(
            f"pytest tests (-n 0)     {tests_only:8.3f} s  {1000 * tests_only / n:8.2f} ms/test  "
            f"ratio {tests_only / bare:5.2f}x bare"
        )
        print(f"pytest wall (-n 0)      {full:8.3f} s  {1000 * full / n:8.2f} ms/test incl. start-up")
        if args.html:
            html = min(
                _pytest(folder, f"--html={folder}/r.html", "--self-contained-html")
                for _ in range(args.repeat)
            )
            html_tests = html - startup
            print(
                f"pytest + html (-n 0)    {html_tests:8.3f} s  {1000 * html_tests / n:8.2f} ms/test  "
                f"ratio {html_tests / bare:5.2f}x bare (charts and tables per test)"
            )
        spread = statistics.pstdev(bare_times) / bare if len(bare_times) > 1 else 0.0
        print(f"(bare spread over repeats: {100 * spread:.1f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
