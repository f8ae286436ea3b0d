"""Which workload an episode repairs, its target, and the trace's intended cluster (no cluster needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_simarena.episode.replay import _first_diff
from pytest_simarena.episode.target import default_target, intended_cluster, resolve_workload
from pytest_simarena.errors import SimArenaError
from pytest_simarena.trace.io import load_trace
from pytest_simarena.trace.model import Trace

ROOT = Path(__file__).resolve().parents[2]


def deployment(name: str, replicas: int = 3, namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": name}]}}},
    }


def trace_of(*objs: dict[str, Any], metadata: dict[str, Any] | None = None) -> Trace:
    events = [{"ts": 100 + i, "applied_objs": [o], "deleted_objs": []} for i, o in enumerate(objs)]
    return Trace(events=events, extra={"metadata": metadata} if metadata is not None else {})


def test_only_deployment_is_the_workload_and_first_replicas_the_target() -> None:
    # Target comes from the FIRST version: a later scale-up in the trace does not move the goal.
    trace = trace_of(deployment("web", 3), deployment("web", 7))
    ref = resolve_workload(trace)
    assert str(ref) == "Deployment default/web"
    assert default_target(trace, ref) == 3


def test_several_deployments_need_a_name_and_unknown_names_list_them() -> None:
    trace = trace_of(deployment("web"), deployment("api"))
    with pytest.raises(SimArenaError, match=r"which workload\? pass --workload NAME"):
        resolve_workload(trace)
    assert resolve_workload(trace, "api").name == "api"
    with pytest.raises(SimArenaError, match=r"no workload named 'db' \(workloads: Deployment default/web, "):
        resolve_workload(trace, "db")


def test_generator_metadata_names_workload_target_and_cluster() -> None:
    trace = load_trace(ROOT / "traces" / "canonical" / "mixed.sktrace")
    ref = resolve_workload(trace)
    assert (ref.name, default_target(trace, ref)) == ("web", 3)  # 5 replicas run, 3 wanted
    assert intended_cluster(trace) == {"cpu": "16", "memory": "32Gi", "nodes": 3, "pods": 110}


@pytest.mark.filterwarnings("ignore::pytest_simarena.errors.SimArenaWarning")
def test_seed_team_scenario_target_text(shared_traces: Path) -> None:
    trace = load_trace(shared_traces / "sim-arena" / "trace-replicas-over.msgpack")
    assert default_target(trace, resolve_workload(trace)) == 3
    assert intended_cluster(trace) is None


def test_first_difference_paths() -> None:
    assert _first_diff({"a": {"b": [1, 2]}}, {"a": {"b": [1, 3]}}) == "a.b[1]: 2 -> 3"
    assert _first_diff({"a": 1}, {"a": 1, "c": 2}) == "c: missing -> 2"
    assert _first_diff([1], [1, 2]) == ": 1 items -> 2 items"
    assert _first_diff({"x": [1]}, {"x": [1]}) is None
