"""Which workload an episode repairs and how many replicas it must reach, read from the trace.

The workload: ``--workload NAME`` (with optional kind/namespace), else ``extra["metadata"]["workload"]``
(written by the trace generator), else the trace's only Deployment (or only workload).
The target: ``--target N``, else ``extra["metadata"]["target"]`` (an int, or ``{"replicas": N}``), else the
seed team's ``metadata.scenario.target`` text (``"3 pods ready"``), else ``spec.replicas`` of the
workload's FIRST applied version in the original trace.
"""

from __future__ import annotations

import re
from typing import Any

from pytest_simarena.errors import SimArenaError
from pytest_simarena.trace.model import Trace, WorkloadRef

from .observation import desired_replicas


def _metadata(trace: Trace) -> dict[str, Any]:
    meta = trace.extra.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        return _as_int(value.get("replicas"))
    if isinstance(value, str):
        found = re.match(r"\s*(\d+)\b", value)
        return int(found.group(1)) if found else None
    return None


def resolve_workload(
    trace: Trace, name: str | None = None, *, kind: str | None = None, namespace: str | None = None
) -> WorkloadRef:
    """The workload to repair; SimArenaError listing the trace's workloads when it is absent or ambiguous."""
    label = trace.path or "trace"

    def known() -> str:  # for the error messages only (listing the workloads reads every event)
        return ", ".join(str(r) for r in trace.workloads()) or "none"

    if name is None:
        recorded = _metadata(trace).get("workload")
        if isinstance(recorded, dict):
            name = recorded.get("name")
            kind = kind or recorded.get("kind")
            namespace = namespace or recorded.get("namespace")
        elif isinstance(recorded, str):
            name = recorded
            meta = _metadata(trace)
            # The generator records the workload's kind and namespace beside its name.
            if kind is None and isinstance(meta.get("kind"), str):
                kind = meta["kind"]
            if namespace is None and isinstance(meta.get("namespace"), str):
                namespace = meta["namespace"]
    if name is None:
        candidates = [r for r in trace.workloads() if kind is None or r.kind == kind]
        deployments = [r for r in candidates if r.kind == "Deployment"]
        if len(deployments) == 1:
            return deployments[0]
        if len(candidates) == 1:
            return candidates[0]
        raise SimArenaError(f"{label}: which workload? pass --workload NAME (workloads: {known()})")
    found = trace.find(name, kind=kind, namespace=namespace)
    if not found and kind is None:
        found = trace.find(name, kind=None, namespace=namespace)
    if not found:
        raise SimArenaError(f"{label}: no workload named {name!r} (workloads: {known()})")
    if len(found) > 1:
        deployments = [r for r in found if r.kind == "Deployment"]
        if len(deployments) == 1:
            return deployments[0]
        choices = ", ".join(str(r) for r in found)
        raise SimArenaError(f"{label}: {name!r} is ambiguous ({choices}); pass --kind/--namespace")
    return found[0]


def intended_cluster(trace: Trace) -> dict[str, Any] | None:
    """The uniform cluster the trace was made for (``metadata.cluster``: nodes, cpu, memory, pods), if any.

    The generator notes it when a family needs a cluster other than the default (e.g. 8.5 cpu on 8-cpu
    nodes); an episode without ``--cluster`` runs on it so the trace breaks as intended.
    """
    cluster = _metadata(trace).get("cluster")
    if not isinstance(cluster, dict) or not {"nodes", "cpu", "memory"} <= set(cluster):
        return None
    return dict(cluster)


def default_target(trace: Trace, ref: WorkloadRef) -> int:
    """The replicas the episode must reach when no ``--target`` is given (rules in the module docstring)."""
    meta = _metadata(trace)
    for value in (
        meta.get("target"),
        (meta.get("scenario") or {}).get("target") if isinstance(meta.get("scenario"), dict) else None,
    ):
        found = _as_int(value)
        if found is not None:
            return found
    versions = trace.versions_of(ref)
    if not versions:
        return 0
    first = Trace(events=[{"ts": 0, "applied_objs": [versions[0]], "deleted_objs": []}], config=trace.config)
    return desired_replicas(first, ref)
