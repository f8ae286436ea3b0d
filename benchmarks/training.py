"""Training throughput: env steps per second with Stable-Baselines3 PPO on the learning env.

Run: ``.venv/bin/python benchmarks/training.py [--steps 4096]``. Prints, for the env alone (random
actions) and for PPO learning in one process (envs=1, so all work is in this process), env steps per
wall-clock second and per CPU second of this process (``time.process_time``; on a shared machine the CPU
figure is the stable one), against the goal of 2,000 env steps/s on 2 cores. ``simarena train`` reports
the same wall-clock figure for its own run (train.json ``stepsPerSecond``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL = 2000.0


def bench_env(steps: int) -> tuple[float, float]:
    import numpy as np

    from pytest_simarena.rl.env import LearnEnv

    env = LearnEnv(["family:*"])
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(int(rng.integers(env.action_space.n)))  # type: ignore[attr-defined]
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - wall), steps / (time.process_time() - cpu)


def bench_ppo(steps: int) -> tuple[float, float]:
    import torch
    from stable_baselines3 import PPO

    from pytest_simarena.rl.env import LearnEnv

    torch.set_num_threads(1)
    model = PPO(
        "MlpPolicy", LearnEnv(["family:*"]), n_steps=512, batch_size=64, n_epochs=5, seed=0, device="cpu"
    )
    wall, cpu = time.perf_counter(), time.process_time()
    model.learn(steps)
    return model.num_timesteps / (time.perf_counter() - wall), model.num_timesteps / (
        time.process_time() - cpu
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4096)
    args = parser.parse_args()
    print(f"{'':<22}{'steps/s (wall)':>16}{'steps/CPU-s':>14}{'goal':>8}")
    for name, bench in (("env, random actions", bench_env), ("PPO learning (1 env)", bench_ppo)):
        wall, cpu = bench(args.steps)
        print(f"{name:<22}{wall:>16,.0f}{cpu:>14,.0f}{GOAL:>8,.0f}  ({cpu / GOAL:.2f} x goal per CPU-second)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
