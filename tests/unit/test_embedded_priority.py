"""PriorityClass admission, preemption's victim and node choice, and the priority-preemption family.

Expected values follow kubernetes/kubernetes: plugin/pkg/admission/priority/admission.go,
pkg/apis/scheduling/validation/validation.go, pkg/scheduler/framework/preemption/preemption.go
(pickOneNodeForPreemption) and plugins/defaultpreemption/default_preemption.go (SelectVictimsOnNode).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster, InvalidObject, NodeGroup
from pytest_simarena.quantities import parse_cpu
from pytest_simarena.trace.generator import generate, generate_trace
from pytest_simarena.trace.validate import validate

Obj = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]
COMMITTED_EXTRA = ROOT / "traces" / "extra"


def _pc(name: str, value: int, **kw: Any) -> Obj:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": value,
        **kw,
    }


def _pod(name: str, cpu: str, cls: str | None = None, node: str | None = None) -> Obj:
    spec: Obj = {"containers": [{"name": "app", "image": "x", "resources": {"requests": {"cpu": cpu}}}]}
    if cls is not None:
        spec["priorityClassName"] = cls
    if node is not None:
        spec["nodeName"] = node
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }


def _cluster(nodes: int = 1, cpu: str = "4") -> EmbeddedCluster:
    return EmbeddedCluster(ClusterSpec([NodeGroup("n", nodes, cpu, "32Gi", 110, {}, [])]), seed=3)


def _names(c: EmbeddedCluster) -> list[str]:
    return sorted(p["metadata"]["name"] for p in c.observe("default").pods)


# --- PriorityClass objects ---------------------------------------------------------------------------------


def test_a_second_global_default_is_forbidden() -> None:
    c = _cluster()
    c.apply(_pc("a", 1, globalDefault=True))
    with pytest.raises(
        InvalidObject, match=r"PriorityClass a is already marked as default\. Only one default can exist"
    ):
        c.apply(_pc("b", 2, globalDefault=True))
    c.apply(
        _pc("a", 1, globalDefault=True, description="same class again")
    )  # an update of the default is fine


def test_system_prefix_is_reserved_and_value_is_immutable() -> None:
    c = _cluster()
    with pytest.raises(InvalidObject, match="priority class names with 'system-' prefix are reserved"):
        c.apply(_pc("system-mine", 5))
    c.apply(_pc("web", 5))
    with pytest.raises(InvalidObject, match=r"value: Forbidden: may not be changed in an update\."):
        c.apply(_pc("web", 6))


def test_a_bare_pod_with_an_unknown_class_is_refused_and_a_stated_priority_must_match() -> None:
    c = _cluster()
    with pytest.raises(
        InvalidObject, match='pods "p" is forbidden: no PriorityClass with name nope was found'
    ):
        c.apply(_pod("p", "1", "nope"))
    c.apply(_pc("web", 5))
    stated = _pod("q", "1", "web")
    stated["spec"]["priority"] = 7
    with pytest.raises(InvalidObject, match=r"the integer value of priority \(7\) must not be provided"):
        c.apply(stated)
    stated["spec"]["priority"] = 5
    c.apply(stated)
    c.run(1)
    assert _names(c) == ["q"]


def test_the_lowest_global_default_wins_and_deleting_the_class_stops_new_pods() -> None:
    c = _cluster()
    c.apply(_pc("normal", 50, globalDefault=True))
    c.apply(_pod("a", "100m"))
    c.delete("PriorityClass", "", "normal")
    c.apply(_pod("b", "100m"))
    c.run(1)
    pods = {p["metadata"]["name"]: p["spec"] for p in c.observe("default").pods}
    assert pods["a"]["priority"] == 50 and pods["a"]["priorityClassName"] == "normal"
    assert "priority" not in pods["b"]  # no class applies: rendered as before PriorityClasses existed


# --- preemption: victims and node choice -------------------------------------------------------------------


def test_fewest_victims_wins_when_priorities_tie() -> None:
    # pickOneNodeForPreemption: the highest victim priority ties (100); the sums differ by count: n-0 needs
    # 2 victims of 100, n-1 one (100 + 2^31 < 2 x (100 + 2^31)), so n-1.
    c = _cluster(nodes=2, cpu="2")
    for obj in (_pc("low", 100), _pc("high", 1000)):
        c.apply(obj)
    c.apply(_pod("a1", "1", "low", "n-0"))
    c.apply(_pod("a2", "1", "low", "n-0"))
    c.apply(_pod("b1", "2", "low", "n-1"))
    c.run(1)
    c.apply(_pod("urgent", "2", "high"))
    c.run(5)
    snap = c.observe("default")
    assert _names(c) == ["a1", "a2", "urgent"]
    (urgent,) = [p for p in snap.pods if p["metadata"]["name"] == "urgent"]
    assert urgent["spec"]["nodeName"] == "n-1"


def test_latest_start_of_highest_victims_breaks_the_remaining_tie() -> None:
    # Same priority, same count: the node whose highest-priority victims started latest loses them.
    c = _cluster(nodes=2, cpu="1")
    for obj in (_pc("low", 100), _pc("high", 1000)):
        c.apply(obj)
    c.apply(_pod("old", "1", "low", "n-0"))
    c.run(10)
    c.apply(_pod("young", "1", "low", "n-1"))
    c.run(10)
    c.apply(_pod("urgent", "1", "high"))
    c.run(5)
    assert _names(c) == ["old", "urgent"]


def test_preemption_policy_never_waits_instead_of_preempting() -> None:
    c = _cluster(cpu="1")
    for obj in (_pc("low", 100), _pc("polite", 1000, preemptionPolicy="Never")):
        c.apply(obj)
    c.apply(_pod("low", "1", "low"))
    c.run(1)
    c.apply(_pod("polite", "1", "polite"))
    c.run(5)
    assert _names(c) == ["low", "polite"]
    assert [e for e in c.observe("default").events if e["reason"] == "Preempted"] == []


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from(["250m", "500m", "1", "2"])), min_size=1, max_size=8
    ),
    st.integers(0, 3),
    st.sampled_from(["500m", "1", "2", "3"]),
    st.integers(0, 1000),
)
def test_preemption_never_evicts_an_equal_or_higher_priority_pod_nor_overcommits(
    placed: list[tuple[int, str]], level: int, size: str, seed: int
) -> None:
    c = EmbeddedCluster(ClusterSpec([NodeGroup("n", 2, "3", "32Gi", 110, {}, [])]), seed=seed)
    for k in range(4):
        c.apply(_pc(f"p{k}", 10 * k))
    for i, (k, cpu) in enumerate(placed):
        c.apply(_pod(f"v{i}-p{k}", cpu, f"p{k}"))
    c.run(2)
    before = {p["metadata"]["name"] for p in c.observe("default").pods if p["spec"].get("nodeName")}
    c.apply(_pod(f"new-p{level}", size, f"p{level}"))
    c.run(30)
    snap = c.observe("default")
    gone = before - {p["metadata"]["name"] for p in snap.pods}
    assert all(int(name.rsplit("-p", 1)[1]) < level for name in gone)
    preempted = {e["involvedObject"]["name"] for e in snap.events if e["reason"] == "Preempted"}
    assert preempted == gone
    for node in snap.nodes:
        used = sum(
            parse_cpu(p["spec"]["containers"][0]["resources"]["requests"]["cpu"])
            for p in snap.pods
            if p["spec"].get("nodeName") == node["metadata"]["name"]
        )
        assert used <= 3000


# --- the priority-preemption family ------------------------------------------------------------------------


def test_family_traces_are_valid_deterministic_and_reproduce_the_committed_ones(tmp_path: Path) -> None:
    first = generate_trace("priority-preemption", 0, 3)
    assert [str(p) for p in validate(first) if str(getattr(p, "severity", "error")).startswith("e")] == []
    kinds = [o["kind"] for o in first.events[0]["applied_objs"]]
    assert kinds[:2] == ["PriorityClass", "PriorityClass"]
    written = generate(tmp_path, seed=0, count=10, families=["priority-preemption"])
    for path in written:
        assert path.read_bytes() == (COMMITTED_EXTRA / path.name).read_bytes(), path.name


def test_family_preempts_every_low_pod() -> None:
    trace = generate_trace("priority-preemption", 0, 1)
    meta = trace.extra["metadata"]
    c = EmbeddedCluster(seed=0)
    c.start(trace)
    c.run(60)
    snap = c.observe()
    low = [p for p in snap.pods if p["metadata"]["name"].startswith(meta["workload"] + "-")]
    assert low and all(p["status"]["phase"] == "Pending" for p in low)
    assert sum(e["reason"] == "Preempted" for e in snap.events) == meta["target"]


def test_from_manifests_takes_a_priority_class_and_applies_it_first(tmp_path: Path) -> None:
    from pytest_simarena.trace.manifests import trace_from_manifests

    (tmp_path / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      priorityClassName: important\n"
        "      containers: [{name: web, image: nginx, resources: {requests: {cpu: 100m}}}]\n"
        "---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\n"
        "metadata: {name: important}\nvalue: 5000\n"
    )
    trace = trace_from_manifests([tmp_path / "app.yaml"])
    assert [o["kind"] for o in trace.events[0]["applied_objs"]] == ["PriorityClass", "Deployment"]
    c = EmbeddedCluster(seed=0)
    c.start(trace)
    c.run(10)
    (pod,) = c.observe().pods
    assert (pod["spec"]["priority"], pod["status"]["phase"]) == (5000, "Running")
