"""The learning results table of docs/learning.md, reproduced by one command.

Run: ``.venv/bin/python benchmarks/learning.py [--steps 20000] [--envs 2] [--out runs/learning] [--ship]``.

It trains three agents with ``simarena train`` on every generated family except the held-out ones
(``HOLDOUT``): PPO and DQN on this project's env (proportional actions, 28 features, ``fit`` reward), and the
seed team's DQN (``--profile seed``: its 7 actions, 5 features, network 24-48 and hyper-parameters). Then
``simarena batch`` runs them, the heuristic, vpa, random, noop and the seed's bandit on the held-out
families' traces in traces/generated (never seen in training) and prints the markdown table with each
training's CPU time (the trainer's and its env subprocesses', from train.json) and throughput.
``--ship`` copies the trained networks into the package's shipped baselines (pytest_simarena/rl/baselines/).
Goal: PPO solves at least 95% of what the heuristic solves, trained in at most 15 CPU-minutes.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOLDOUT = ("cpu-slightly-over", "memory-far-over", "multi-container")
AGENTS = {
    "ppo-baseline": ["--algo", "ppo"],
    "dqn-baseline": ["--algo", "dqn"],
    "dqn-seed": ["--algo", "dqn", "--profile", "seed"],
}
OTHERS = ("heuristic", "vpa", "bandit", "random", "noop")
GOAL_RATIO = 0.95
GOAL_CPU_MINUTES = 15.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000, help="Env steps per agent (default 20000)")
    parser.add_argument("--envs", type=int, default=2, help="Env subprocesses per training (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/learning")
    parser.add_argument("--only", nargs="*", default=list(AGENTS), help="Agents to train (default all)")
    parser.add_argument("--ship", action="store_true", help="Copy the trained networks into the package")
    args = parser.parse_args()
    out = Path(args.out)
    simarena = [sys.executable, "-m", "pytest_simarena"]
    trained: dict[str, dict[str, float]] = {}
    for name in args.only:
        folder = out / name
        cpu0, wall0 = _children_cpu(), time.perf_counter()
        cmd = [*simarena, "train", "family:*", "--holdout", ",".join(HOLDOUT), "--steps", str(args.steps),
               "--envs", str(args.envs), "--seed", str(args.seed), "--out", str(folder), "--no-progress",
               *AGENTS[name]]  # fmt: skip
        print("$", " ".join(cmd[2:]), flush=True)
        subprocess.run(cmd, check=True, cwd=ROOT)
        record = json.loads((folder / "train.json").read_text())
        trained[name] = {
            # the trainer's CPU plus its env subprocesses' (train.json), not only what rusage sees
            "cpu": max(record["cpuSeconds"], _children_cpu() - cpu0),
            "wall": time.perf_counter() - wall0,
            "steps": record["envSteps"],
            "rate": record["stepsPerSecond"],
        }
        if args.ship:
            target = ROOT / "pytest_simarena" / "rl" / "baselines" / name
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / "policy.json", target / "policy.json")
    held = sorted(str(p) for f in HOLDOUT for p in (ROOT / "traces" / "generated").glob(f"{f}-*.sktrace"))
    policies = [f"rl:{out / name}" for name in AGENTS if (out / name / "policy.json").is_file()]
    cmd = [*simarena, "batch", *held, "--policy", *policies, *OTHERS, "--reward", "fit", "--seed",
           str(args.seed), "--out", str(out / "heldout"), "--json"]  # fmt: skip
    print("$", " ".join(cmd[2:4]), "<held-out traces> ...", flush=True)
    result = json.loads(subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, text=True).stdout)
    stats = {p["policy"]: p for p in result["policies"]}
    heuristic = stats["heuristic"]["solved"]
    print(f"\n{len(held)} held-out traces of {', '.join(HOLDOUT)} (never seen in training)\n")
    print(
        "| agent | solved | solve rate | vs heuristic | mean steps to solve | mean reward (fit) | training |"
    )
    print("|---|---|---|---|---|---|---|")
    for policy, row in stats.items():
        name = policy.rsplit("/", 1)[-1]
        ratio = row["solved"] / heuristic if heuristic else 0.0
        steps = "-" if row["meanStepsToSolve"] is None else f"{row['meanStepsToSolve']:.2f}"
        t = trained.get(name)
        train = f"{t['steps']:,} steps, {t['cpu'] / 60:.1f} CPU-min, {t['rate']:,.0f} steps/s" if t else "-"
        print(
            f"| {name} | {row['solved']}/{row['episodes']} | {row['solveRate']:.0%} | {ratio:.0%} | {steps} "
            f"| {row['meanReward']:.3f} | {train} |"
        )
    ppo = stats.get(f"rl:{out / 'ppo-baseline'}")
    if ppo is not None and "ppo-baseline" in trained:
        ratio = ppo["solved"] / heuristic if heuristic else 0.0
        cpu = trained["ppo-baseline"]["cpu"] / 60
        met = ratio >= GOAL_RATIO and cpu <= GOAL_CPU_MINUTES
        print(
            f"\nPPO: {ratio:.0%} of the heuristic's solves (goal >= {GOAL_RATIO:.0%}) in {cpu:.1f} "
            f"CPU-minutes (goal <= {GOAL_CPU_MINUTES:.0f}): {'met' if met else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
