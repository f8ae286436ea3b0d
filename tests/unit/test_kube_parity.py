"""Parity verdicts: what kubectl would show, compared across backends (kubernetes.md §1.2, §8)."""

from __future__ import annotations

from pathlib import Path

from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
from pytest_simarena.backends.kube.parity import (
    KWOK_NOTE,
    Verdict,
    compare,
    embedded_version,
    replay,
    scheduling_reasons,
    spec_from_nodes,
    verdicts,
)
from pytest_simarena.trace import load_trace

CANONICAL = Path(__file__).resolve().parents[2] / "traces" / "canonical"


def _pod(message: str) -> dict[str, object]:
    cond = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}
    return {"status": {"phase": "Pending", "conditions": [cond]}}


def test_reasons_ignore_node_counts_and_the_control_plane_taint() -> None:
    real = _pod(
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "3 Insufficient cpu. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."
    )
    embedded = _pod("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: ...")
    assert scheduling_reasons([real]) == scheduling_reasons([embedded]) == ("Insufficient cpu",)
    both = _pod(
        "0/3 nodes are available: 2 Insufficient memory, 3 Insufficient nvidia.com/gpu, 1 Too many pods."
    )
    assert scheduling_reasons([both]) == (
        "Insufficient memory",
        "Insufficient nvidia.com/gpu",
        "Too many pods",
    )


def test_canonical_verdicts_on_the_embedded_cluster() -> None:
    got = {}
    for name in ("very-bad-cpu", "very-bad-memory", "mixed"):
        snap = replay(EmbeddedCluster(), load_trace(CANONICAL / f"{name}.sktrace"), "virtual", 120)
        got[name] = [v.label() for v in verdicts(snap).values()]
    assert got == {
        "very-bad-cpu": ["pending (Insufficient cpu) 0/3"],
        "very-bad-memory": ["pending (Insufficient memory) 0/3"],
        "mixed": ["pending (Insufficient cpu, Insufficient memory) 0/5"],
    }


def test_replay_cleans_up_after_itself() -> None:
    cluster = EmbeddedCluster()
    replay(cluster, load_trace(CANONICAL / "very-bad-cpu.sktrace"), "p1", 30)
    assert cluster.observe("p1").pods == []


def test_compare_marks_differences_and_explains_kwok_ones() -> None:
    e = {
        "Deployment default/web": Verdict("Deployment default/web", "oom-killed", (), 0, 3),
        "Deployment default/api": Verdict("Deployment default/api", "pending", ("Insufficient cpu",), 0, 2),
        "Deployment default/db": Verdict("Deployment default/db", "healthy", (), 1, 1),
    }
    r = {
        "Deployment default/web": Verdict("Deployment default/web", "healthy", (), 3, 3),
        "Deployment default/api": Verdict("Deployment default/api", "pending", ("Insufficient cpu",), 1, 2),
    }
    rows = {row.workload: row for row in compare("t.sktrace", e, r)}
    assert not rows["Deployment default/web"].same and rows["Deployment default/web"].note == KWOK_NOTE
    assert rows["Deployment default/api"].same  # counts differ, verdict agrees
    assert not rows["Deployment default/db"].same and rows["Deployment default/db"].real is None


def test_spec_from_nodes_rebuilds_the_same_capacities() -> None:
    nodes = EmbeddedCluster(ClusterSpec.uniform(2, "8", "16Gi", 50)).observe("x").nodes
    spec = spec_from_nodes(nodes)
    assert spec is not None
    (group,) = spec.node_groups
    assert (group.count, group.cpu, group.memory, group.pods) == (2, "8", "16Gi", 50)
    assert group.labels == {"type": "virtual"}
    assert group.taints == [{"key": "kwok-provider", "value": "true", "effect": "NoSchedule"}]
    assert spec_from_nodes([]) is None


def test_the_embedded_side_plays_the_servers_version_or_says_why_not() -> None:
    same = embedded_version({"major": "1", "minor": "34", "gitVersion": "v1.34.2"})
    assert (same.server, same.embedded, same.same) == ("v1.34.2", "1.34.2", True)
    assert same.line == "versions: real v1.34.2, embedded 1.34.2 (the same rules)"
    eks = embedded_version({"major": "1", "minor": "35+", "gitVersion": "v1.35.1-eks-3025e55"})
    assert (eks.embedded, eks.same) == ("1.35.1", True)
    assert embedded_version({"major": "1", "minor": "36+", "gitVersion": ""}).embedded == "1.36"
    old = embedded_version({"major": "1", "minor": "31", "gitVersion": "v1.31.4"})
    assert (old.embedded, old.same) == ("1.37", False)
    assert old.line == (
        "versions: real v1.31.4 (Kubernetes 1.31) is outside the supported 1.33..1.37; the embedded side "
        "plays 1.37, so version-dependent texts may differ"
    )
    hidden = embedded_version({})
    assert (hidden.server, hidden.same) == ("unknown", False)
