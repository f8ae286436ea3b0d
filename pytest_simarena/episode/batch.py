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
from pytest_simarena.settings import EpisodeSettings

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
    """Files as given, directories expanded to their trace files (sorted by name), names looked up in the
    project's trace folders, then the packaged traces."""
    from pytest_simarena.trace.catalog import TRACE_SUFFIXES, find_trace

    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix in TRACE_SUFFIXES))
        elif path.exists():
            found.append(path)
        else:
            found.append(find_trace(raw))  # a TraceError with a did-you-mean when nothing matches
    if not found:
        raise SimArenaError(f"no trace files ({', '.join(TRACE_SUFFIXES)}) in {', '.join(map(str, paths))}")
    return found


def policy_labels(policies: Sequence[str]) -> list[str]:
    """How results name each policy: a ``module:attribute`` policy by its ``name`` attribute when it has
    one (and no other policy of the batch has that label), anything else as given."""
    from pytest_simarena.policies.registry import make_policy

    labels = []
    for spec in policies:
        name = getattr(make_policy(spec), "name", None) if ":" in spec else None
        labels.append(name if isinstance(name, str) and name else spec)
    # Two policies that call themselves the same keep their specs, so rows stay distinguishable.
    return [label if labels.count(label) == 1 else spec for label, spec in zip(labels, policies, strict=True)]


def run_one(
    trace_path: str, policy: str, settings: EpisodeSettings, label: str | None = None
) -> dict[str, Any]:
    """One episode as a result row; never raises (errors are recorded in the row)."""
    import warnings

    from pytest_simarena.trace.io import load_trace

    from .loop import run_episode

    row: dict[str, Any] = {"trace": trace_path, "policy": label or policy}
    if label is not None and label != policy:
        row["policySpec"] = policy
    try:
        with warnings.catch_warnings():
            # Legacy traces warn once per load; in a batch the warning would repeat for every policy.
            warnings.simplefilter("ignore")
            trace = load_trace(trace_path)
        result = run_episode(trace, settings=settings.replace(policy=policy), trace_label=trace_path)
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


def _run_chunk(items: list[tuple[str, str, str]], settings: EpisodeSettings) -> list[dict[str, Any]]:
    return [run_one(trace, policy, settings, label) for trace, policy, label in items]


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
    settings: EpisodeSettings
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
        settings = self.settings.to_json()
        del settings["policy"]  # each row names its policy
        return {
            "settings": settings,
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
    settings: EpisodeSettings | None = None,
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
    settings = settings or EpisodeSettings()
    if jobs < 1:
        raise SimArenaError(f"--jobs {jobs}: expected at least 1")
    # Check names up front: a typo should be one error, not a row per trace.
    for policy in policies:
        settings.replace(policy=policy)  # a SettingError names the policy and the known ones
    labels = policy_labels(policies)
    work = [(str(t), p, label) for t in traces for p, label in zip(policies, labels, strict=True)]
    rows: list[dict[str, Any] | None] = [None] * len(work)
    if engine == "ray":
        from .ray_batch import run_on_ray

        rows[:] = run_on_ray(work, settings, run_one, address=address, num_cpus=jobs, on_result=on_result)
    elif jobs == 1:
        for i, (trace, policy, label) in enumerate(work):
            rows[i] = run_one(trace, policy, settings, label)
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
    return BatchResult([r for r in rows if r is not None], labels, settings, [str(t) for t in traces])
