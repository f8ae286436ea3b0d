"""Episode and Gymnasium throughput on the canonical traces, against a real cluster's 120 s per step.

Run: ``.venv/bin/python benchmarks/episodes.py [--repeat N]``. Prints, per policy, episodes/s and steps/s
of ``run_episode`` (in memory, and with the run folder written), then Gymnasium env steps/s (random
actions, reset on termination), each with the speed-up over a real cluster where a step waits 120 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_simarena.episode.loop import run_episode  # noqa: E402
from pytest_simarena.trace.io import load_trace  # noqa: E402

REAL_STEP_SECONDS = 120.0
CANONICAL = sorted((ROOT / "traces" / "canonical").glob("*.sktrace"))


def bench_episodes(policy: str, repeat: int, *, logged: bool) -> tuple[float, float, int]:
    traces = [load_trace(p) for p in CANONICAL]
    steps = episodes = 0
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for r in range(repeat):
            for i, trace in enumerate(traces):
                out = Path(tmp) / f"{r}-{i}" if logged else None
                result = run_episode(trace, policy, max_steps=10, out_dir=out)
                steps += len(result.steps)
                episodes += 1
        elapsed = time.perf_counter() - start
    return episodes / elapsed, steps / elapsed, steps


def bench_gym(total_steps: int) -> float:
    from pytest_simarena.gym import SimArenaEnv

    rng = random.Random(0)
    envs = [SimArenaEnv(str(p), max_steps=10) for p in CANONICAL]
    for env in envs:
        env.reset(seed=0)
    start = time.perf_counter()
    for n in range(total_steps):
        env = envs[n % len(envs)]
        _, _, terminated, truncated, _ = env.step(rng.randrange(len(env.action_names)))
        if terminated or truncated:
            env.reset()
    elapsed = time.perf_counter() - start
    for env in envs:
        env.close()
    return total_steps / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20, help="Episodes per canonical trace and policy")
    parser.add_argument("--gym-steps", type=int, default=2000)
    args = parser.parse_args()
    names = ", ".join(p.stem for p in CANONICAL)
    print(f"canonical traces: {names}; real cluster: {REAL_STEP_SECONDS:g} s/step")
    print(f"{'policy':<16}{'mode':<10}{'episodes/s':>12}{'steps/s':>12}{'x real':>14}")
    for policy in ("heuristic", "vpa", "noop", "random"):
        for logged in (False, True):
            eps, sps, _ = bench_episodes(policy, args.repeat, logged=logged)
            mode = "logged" if logged else "memory"
            print(f"{policy:<16}{mode:<10}{eps:>12.1f}{sps:>12.1f}{sps * REAL_STEP_SECONDS:>14,.0f}")
    gym_sps = bench_gym(args.gym_steps)
    print(f"{'gymnasium env':<16}{'random':<10}{'':>12}{gym_sps:>12.1f}{gym_sps * REAL_STEP_SECONDS:>14,.0f}")


if __name__ == "__main__":
    main()
