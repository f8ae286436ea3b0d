"""Episode and Gymnasium throughput on the canonical traces, against a real cluster's 120 s per step.

Run: ``.venv/bin/python benchmarks/episodes.py [--repeat N]``. Prints, per policy, episodes/s and steps/s
of ``run_episode`` (in memory, and with the run folder written), then Gymnasium env steps/s (random
actions, reset on termination), each with the speed-up over a real cluster where a step waits 120 s.
Rates are given per wall-clock second and per CPU second of this process (``time.process_time``): on a
shared machine the CPU figure is the stable one. The logged mode fsyncs every file it writes.
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


def bench_episodes(policy: str, repeat: int, *, logged: bool) -> tuple[float, float, float]:
    """(episodes per wall second, steps per wall second, steps per CPU second)."""
    traces = [load_trace(p) for p in CANONICAL]
    steps = episodes = 0
    with tempfile.TemporaryDirectory() as tmp:
        cpu0 = time.process_time()
        start = time.perf_counter()
        for r in range(repeat):
            for i, trace in enumerate(traces):
                out = Path(tmp) / f"{r}-{i}" if logged else None
                result = run_episode(trace, policy, max_steps=10, out_dir=out)
                steps += len(result.steps)
                episodes += 1
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu0
    return episodes / elapsed, steps / elapsed, steps / cpu


def bench_gym(total_steps: int) -> tuple[float, float]:
    """(env steps per wall second, per CPU second)."""
    from pytest_simarena.gym import SimArenaEnv

    rng = random.Random(0)
    envs = [SimArenaEnv(str(p), max_steps=10) for p in CANONICAL]
    for env in envs:
        env.reset(seed=0)
    cpu0 = time.process_time()
    start = time.perf_counter()
    for n in range(total_steps):
        env = envs[n % len(envs)]
        _, _, terminated, truncated, _ = env.step(rng.randrange(len(env.action_names)))
        if terminated or truncated:
            env.reset()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    for env in envs:
        env.close()
    return total_steps / elapsed, total_steps / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20, help="Episodes per canonical trace and policy")
    parser.add_argument("--gym-steps", type=int, default=2000)
    args = parser.parse_args()
    names = ", ".join(p.stem for p in CANONICAL)
    print(f"canonical traces: {names}; real cluster: {REAL_STEP_SECONDS:g} s/step")
    for trace in CANONICAL:  # warm-up: imports and memo caches, so the first policy is not charged for them
        run_episode(load_trace(trace), "heuristic")
    head = ("policy", "mode", "episodes/s", "steps/s", "x real", "steps/cpu-s", "x real (cpu)")
    print(f"{head[0]:<16}{head[1]:<8}" + "".join(f"{h:>14}" for h in head[2:]))
    for policy in ("heuristic", "vpa", "noop", "random"):
        for logged in (False, True):
            eps, sps, cps = bench_episodes(policy, args.repeat, logged=logged)
            mode = "logged" if logged else "memory"
            x, xc = sps * REAL_STEP_SECONDS, cps * REAL_STEP_SECONDS
            print(f"{policy:<16}{mode:<8}{eps:>14.1f}{sps:>14.1f}{x:>14,.0f}{cps:>14.1f}{xc:>14,.0f}")
    gsps, gcps = bench_gym(args.gym_steps)
    gx, gxc = gsps * REAL_STEP_SECONDS, gcps * REAL_STEP_SECONDS
    print(f"{'gymnasium env':<16}{'random':<8}{'':>14}{gsps:>14.1f}{gx:>14,.0f}{gcps:>14.1f}{gxc:>14,.0f}")


if __name__ == "__main__":
    main()
