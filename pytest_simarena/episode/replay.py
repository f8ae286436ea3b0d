"""``simarena replay RUN_DIR``: re-execute a logged run and check it reproduces byte for byte.

The run folder holds everything needed: step 0's trace (the input, in ``traces.msgpack``, or
``step-000.sktrace`` in a folder of the older layout), ``summary.json`` (policy,
reward, seed, backend, workload, target, steps, step length, hold, cluster copy). The run is executed
again into a temporary folder and its ``steps.jsonl`` and ``summary.json`` are compared with the logged
ones; the first difference is reported as ``steps.jsonl line 3 (step 2): observation.ready: 3 -> 2``.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_simarena.backends.protocol import ClusterBackend
from pytest_simarena.errors import SimArenaError
from pytest_simarena.trace.io import loads

from .loop import run_episode
from .results import EpisodeResult
from .runlog import STEPS_FILE, SUMMARY_FILE, TRACES_FILE, step_trace_bytes


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """Whether the re-execution matched; ``difference`` names the first mismatch when it did not."""

    reproduced: bool
    difference: str | None
    result: EpisodeResult
    steps: int


def _first_diff(a: Any, b: Any, path: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            if key not in a or key not in b:
                return f"{path}{key}: {'missing' if key not in a else json.dumps(a[key])} -> " + (
                    "missing" if key not in b else json.dumps(b[key])
                )
            found = _first_diff(a[key], b[key], f"{path}{key}.")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = _first_diff(x, y, f"{path.rstrip('.')}[{i}].")
            if found:
                return found
        if len(a) != len(b):
            return f"{path.rstrip('.')}: {len(a)} items -> {len(b)} items"
        return None
    if a != b:
        return f"{path.rstrip('.')}: {json.dumps(a)} -> {json.dumps(b)}"
    return None


def compare_runs(logged: Path, fresh: Path) -> str | None:
    """The first difference between two run folders' steps.jsonl and summary.json, or None."""
    old_lines = (logged / STEPS_FILE).read_text(encoding="utf-8").splitlines()
    new_lines = (fresh / STEPS_FILE).read_text(encoding="utf-8").splitlines()
    for n, (old, new) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if old != new:
            try:
                detail = _first_diff(json.loads(old), json.loads(new)) or "formatting differs"
                step = json.loads(old).get("step")
            except json.JSONDecodeError:
                detail, step = "line is not JSON", "?"
            return f"{STEPS_FILE} line {n} (step {step}): {detail}"
    if len(old_lines) != len(new_lines):
        return f"{STEPS_FILE}: logged {len(old_lines)} steps, replay ran {len(new_lines)}"
    old_summary = (logged / SUMMARY_FILE).read_bytes()
    new_summary = (fresh / SUMMARY_FILE).read_bytes()
    if old_summary != new_summary:
        old_doc, new_doc = json.loads(old_summary), json.loads(new_summary)
        _unrecorded_version(old_doc, new_doc)
        if old_doc == new_doc:
            return None
        detail = _first_diff(old_doc, new_doc) or "formatting differs"
        return f"{SUMMARY_FILE}: {detail}"
    return None


def _unrecorded_version(old: Any, new: Any) -> None:
    """A log from before clusters had a version records none; the replay (run at versions.UNRECORDED) does:
    that field is not a difference of the run, so it is left out of the comparison."""
    try:
        old_spec, new_spec = old["options"]["clusterSpec"], new["options"]["clusterSpec"]
    except (KeyError, TypeError):
        return
    if isinstance(old_spec, dict) and isinstance(new_spec, dict) and "kubernetesVersion" not in old_spec:
        new_spec.pop("kubernetesVersion", None)


def _summary(run_dir: Path) -> dict[str, Any]:
    path = run_dir / SUMMARY_FILE
    if not run_dir.is_dir():
        raise SimArenaError(f"{run_dir}: not a run folder (no such directory)")
    if not path.is_file():
        raise SimArenaError(f"{path}: missing; is {run_dir} a run folder written by 'simarena run'?")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SimArenaError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise SimArenaError(f"{path}: expected a JSON object")
    for key in (
        "policy",
        "reward",
        "seed",
        "backend",
        "trace",
        "target",
        "maxSteps",
        "stepSeconds",
        "options",
    ):
        if key not in data:
            raise SimArenaError(f"{path}: missing field {key!r}")
    return data


def replay_run(run_dir: str | Path) -> ReplayReport:
    """Re-run the episode logged in ``run_dir`` and compare (see module docstring)."""
    run_dir = Path(run_dir)
    summary = _summary(run_dir)
    options = summary["options"]
    name, data = step_trace_bytes(run_dir, 0)
    source = run_dir / TRACES_FILE
    trace = loads(data, path=f"{source}: {name}" if source.is_file() else str(run_dir / name))
    cluster = options.get("cluster")
    backend: str | ClusterBackend = summary["backend"]
    recorded_spec = options.get("clusterSpec")
    if backend == "embedded" and recorded_spec is not None:
        # Rebuild exactly the simulated cluster the run used (a scenario's cluster, the trace's intended
        # one, or a --cluster file); the seed is the run's, as make_backend would give it.
        from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster

        spec = ClusterSpec.from_record(
            recorded_spec, source=f"{run_dir / 'summary.json'}: options.clusterSpec"
        )
        backend = EmbeddedCluster(spec, seed=summary["seed"], isolated=bool(options.get("isolated")))
    with tempfile.TemporaryDirectory(prefix="simarena-replay-") as tmp:
        result = run_episode(
            trace,
            summary["policy"],
            backend=backend,
            reward=summary["reward"],
            workload=options.get("workload"),
            kind=options.get("kind"),
            namespace=options.get("namespace"),
            target=summary["target"],
            max_steps=summary["maxSteps"],
            step_seconds=summary["stepSeconds"],
            hold=summary.get("hold", 1),
            seed=summary["seed"],
            prefix=options.get("prefix", "virtual"),
            cluster=(run_dir / cluster) if cluster else None,
            out_dir=tmp,
            trace_label=summary["trace"],
            policy_options=options.get("policyOptions") or None,
        )
        difference = compare_runs(run_dir, Path(tmp))
    return ReplayReport(difference is None, difference, result, len(result.steps))
