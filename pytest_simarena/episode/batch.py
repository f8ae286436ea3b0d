"""Batch runs: every trace x every policy, in worker processes, with results that do not depend on --jobs.

Each episode is independent (its own backend, seeded by ``seed``), so running them on N processes gives
the same rows as running them in one; rows are kept in trace-major, policy-minor order. A failing
episode (unreadable trace, unknown workload, crashing policy) becomes a row with ``error`` set and the
batch goes on.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

from pytest_simarena.errors import SimArenaError

TRACE_SUFFIXES = (".sktrace", ".msgpack", ".json")
ENGINES = ("local", "ray")
CSV_FIELDS = (
    "trace",
    "policy",
    "workload",
    "target",
    "solved",
    "stepsToSolve",
    "steps",
    "totalReward",
    "blockedActions",
    "error",
)


def expand_traces(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given, directories expanded to their trace files (sorted by name)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix in TRACE_SUFFIXES))
        elif path.exists():
            found.append(path)
        else:
            raise SimArenaError(f"{path}: no such trace file or directory")
    if not found:
        raise SimArenaError(f"no trace files ({', '.join(TRACE_SUFFIXES)}) in {', '.join(map(str, paths))}")
    return found


@dataclass(frozen=True, slots=True)
class BatchSettings:
    """The episode options every run of a batch shares (as ``simarena batch`` flags give them)."""

    reward: str = "binary"
    max_steps: int = 10
    step_seconds: float = 120.0
    seed: int = 0
    hold: int = 1
    cluster: str | None = None
    workload: str | None = None
    target: int | None = None


def run_one(trace_path: str, policy: str, settings: BatchSettings) -> dict[str, Any]:
    """One episode as a result row; never raises (errors are recorded in the row)."""
    import warnings

    from pytest_simarena.trace.io import load_trace

    from .loop import run_episode

    row: dict[str, Any] = {"trace": trace_path, "policy": policy}
    try:
        with warnings.catch_warnings():
            # Legacy traces warn once per load; in a batch the warning would repeat for every policy.
            warnings.simplefilter("ignore")
            trace = load_trace(trace_path)
        result = run_episode(
            trace,
            policy,
            reward=settings.reward,
            max_steps=settings.max_steps,
            step_seconds=settings.step_seconds,
            seed=settings.seed,
            hold=settings.hold,
            cluster=settings.cluster,
            workload=settings.workload,
            target=settings.target,
            trace_label=trace_path,
        )
    except SimArenaError as exc:
        return {**row, "workload": None, "target": None, "solved": False, "stepsToSolve": None, "steps": 0,
                "totalReward": 0.0, "blockedActions": 0, "error": str(exc)}  # fmt: skip
    except Exception as exc:  # a user policy's bug must not stop the batch
        return {**row, "workload": None, "target": None, "solved": False, "stepsToSolve": None, "steps": 0,
                "totalReward": 0.0, "blockedActions": 0, "error": f"{type(exc).__name__}: {exc}"}  # fmt: skip
    return {
        **row,
        "workload": result.workload,
        "target": result.target,
        "solved": result.solved,
        "stepsToSolve": result.steps_to_solve,
        "steps": len(result.steps),
        "totalReward": result.total_reward,
        "blockedActions": result.blocked_actions,
        "error": result.error,
    }


def _run_chunk(items: list[tuple[str, str]], settings: BatchSettings) -> list[dict[str, Any]]:
    return [run_one(trace, policy, settings) for trace, policy in items]


@dataclass(frozen=True, slots=True)
class PolicyStats:
    """One policy's results over the batch: episodes, solved, errors, mean steps to solve, mean reward."""

    policy: str
    episodes: int
    solved: int
    errors: int
    mean_steps_to_solve: float | None
    mean_reward: float

    @property
    def solve_rate(self) -> float:
        return self.solved / self.episodes if self.episodes else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "episodes": self.episodes,
            "solved": self.solved,
            "solveRate": self.solve_rate,
            "meanStepsToSolve": self.mean_steps_to_solve,
            "meanReward": self.mean_reward,
            "errors": self.errors,
        }


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Every result row of a batch (one per trace x policy) with the settings they ran with."""

    rows: list[dict[str, Any]]
    policies: list[str]
    settings: BatchSettings
    traces: list[str] = field(default_factory=list)

    def stats(self) -> list[PolicyStats]:
        """Per policy, in the order the policies were given."""
        out = []
        for policy in self.policies:
            rows = [r for r in self.rows if r["policy"] == policy]
            solved = [r for r in rows if r["solved"]]
            out.append(
                PolicyStats(
                    policy=policy,
                    episodes=len(rows),
                    solved=len(solved),
                    errors=sum(1 for r in rows if r["error"]),
                    mean_steps_to_solve=mean(r["stepsToSolve"] for r in solved) if solved else None,
                    mean_reward=mean(r["totalReward"] for r in rows) if rows else 0.0,
                )
            )
        return out

    def to_json(self) -> dict[str, Any]:
        s = self.settings
        return {
            "settings": {
                "reward": s.reward,
                "maxSteps": s.max_steps,
                "stepSeconds": s.step_seconds,
                "seed": s.seed,
                "hold": s.hold,
                "cluster": s.cluster,
                "workload": s.workload,
                "target": s.target,
            },
            "traces": self.traces,
            "policies": [p.to_json() for p in self.stats()],
            "results": self.rows,
        }

    def write(self, out_dir: str | Path) -> tuple[Path, Path]:
        """``results.json`` and ``results.csv`` in ``out_dir``; returns both paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        json_path, csv_path = out / "results.json", out / "results.csv"
        json_path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        with open(csv_path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS, lineterminator="\n")
            writer.writeheader()
            for row in self.rows:
                writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in CSV_FIELDS})
        return json_path, csv_path


def run_batch(
    traces: Sequence[str | Path],
    policies: Sequence[str],
    settings: BatchSettings | None = None,
    *,
    jobs: int = 1,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    engine: str = "local",
    address: str | None = None,
) -> BatchResult:
    """Every trace x every policy; ``jobs`` > 1 uses that many worker processes; ``engine="ray"`` runs
    each episode as a Ray task (on the cluster at ``address``, else a local one with ``jobs`` CPUs)."""
    if engine not in ENGINES:
        raise SimArenaError(f"--engine {engine!r}: expected one of {', '.join(ENGINES)}")
    settings = settings or BatchSettings()
    if jobs < 1:
        raise SimArenaError(f"--jobs {jobs}: expected at least 1")
    # Check names up front: a typo should be one error, not a row per trace.
    from pytest_simarena.policies.registry import make_policy
    from pytest_simarena.rewards import make_reward

    for policy in policies:
        make_policy(policy)
    make_reward(settings.reward)
    work = [(str(t), p) for t in traces for p in policies]
    rows: list[dict[str, Any] | None] = [None] * len(work)
    if engine == "ray":
        from .ray_batch import run_on_ray

        rows[:] = run_on_ray(work, settings, address=address, num_cpus=jobs, on_result=on_result)
    elif jobs == 1:
        for i, (trace, policy) in enumerate(work):
            rows[i] = run_one(trace, policy, settings)
            if on_result:
                on_result(rows[i])  # type: ignore[arg-type]
    else:
        # Episodes take milliseconds, so ship them in chunks: one round trip per chunk, not per episode.
        size = max(1, len(work) // (jobs * 8))
        chunks = [list(range(i, min(i + size, len(work)))) for i in range(0, len(work), size)]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_run_chunk, [work[i] for i in chunk], settings): chunk for chunk in chunks}
            for future in as_completed(futures):
                for i, row in zip(futures[future], future.result(), strict=True):
                    rows[i] = row
                    if on_result:
                        on_result(row)
    return BatchResult([r for r in rows if r is not None], list(policies), settings, [str(t) for t in traces])
