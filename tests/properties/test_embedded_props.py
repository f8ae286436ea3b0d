"""Properties of the embedded cluster that hold for any trace and any cluster (hypothesis).

- on every node the requests of the pods placed there never exceed allocatable (k8s §1.1), nor the pod
  count its ``pods`` allocatable;
- no pod is Running without a node;
- per workload, ready <= running <= total;
- determinism: same seed, trace and cluster -> identical ``event_log`` (issue 4 "Clock").
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster, NodeGroup
from pytest_simarena.backends.protocol import ClusterSnapshot
from pytest_simarena.kubeview import node_usage, pod_status, summarize
from pytest_simarena.strategies import traces as sim_traces
from pytest_simarena.trace.model import Trace
from pytest_simarena.trace.usage import USAGE_ANNOTATION

Obj = dict[str, Any]
PREFIX = "virtual"
T0 = 1_700_000_000
KWOK_TAINT = {"key": "kwok-provider", "value": "true", "effect": "NoSchedule"}
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@st.composite
def cluster_specs(draw: st.DrawFn) -> ClusterSpec:
    """1-3 node groups of 1-4 KWOK-like nodes, 1-32 cpu, 1-64Gi, 1-12 pods."""
    groups = []
    for i in range(draw(st.integers(1, 3))):
        groups.append(
            NodeGroup(
                f"g{i}",
                draw(st.integers(1, 4)),
                f"{draw(st.integers(1, 32_000))}m",
                f"{draw(st.integers(1, 64 * 1024))}Mi",
                draw(st.integers(1, 12)),
                {"type": "virtual"},
                [KWOK_TAINT],
            )
        )
    return ClusterSpec(groups)


@st.composite
def containers(draw: st.DrawFn, name: str) -> Obj:
    requests: Obj = {}
    limits: Obj = {}
    if draw(st.booleans()):
        requests["cpu"] = f"{draw(st.integers(0, 12_000))}m"
    if draw(st.booleans()):
        requests["memory"] = f"{draw(st.integers(0, 16 * 1024))}Mi"
    if draw(st.booleans()):
        # a memory limit at or above the request (request > limit is rejected, tested in the fidelity table)
        floor = int(requests.get("memory", "0Mi")[:-2])
        limits["memory"] = f"{draw(st.integers(max(floor, 1), floor + 2048))}Mi"
    resources = {k: v for k, v in (("requests", requests), ("limits", limits)) if v}
    return {"name": name, "image": "pause", "resources": resources}


@st.composite
def deployments(draw: st.DrawFn, name: str) -> Obj:
    n_containers = draw(st.integers(1, 2))
    cs = [draw(containers(f"c{i}")) for i in range(n_containers)]
    meta: Obj = {"labels": {"app": name}}
    if draw(st.booleans()):
        # declared usage: some containers may exceed their memory limit and be OOM-killed (k8s §4)
        usage = {c["name"]: {"memory": f"{draw(st.integers(1, 4096))}Mi"} for c in cs}
        meta["annotations"] = {USAGE_ANNOTATION: json.dumps(usage)}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": draw(st.sampled_from(["default", "shop"]))},
        "spec": {
            "replicas": draw(st.integers(0, 6)),
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": meta, "spec": {"containers": cs}},
        },
    }


@st.composite
def traces(draw: st.DrawFn) -> Trace:
    """1-3 Deployments at t=0, then 0-4 later events re-applying one with new replicas or deleting it."""
    names = [f"w{i}" for i in range(draw(st.integers(1, 3)))]
    current = {n: draw(deployments(n)) for n in names}
    events: list[Obj] = [{"ts": T0, "applied_objs": list(current.values()), "deleted_objs": []}]
    ts = T0
    for _ in range(draw(st.integers(0, 4))):
        ts += draw(st.integers(1, 120))
        name = draw(st.sampled_from(names))
        obj = json.loads(json.dumps(current[name]))
        if draw(st.integers(0, 4)) == 0:
            events.append({"ts": ts, "applied_objs": [], "deleted_objs": [obj]})
        else:
            obj["spec"]["replicas"] = draw(st.integers(0, 8))
            current[name] = obj
            events.append({"ts": ts, "applied_objs": [obj], "deleted_objs": []})
    config = {"trackedObjects": {"apps/v1.Deployment": {"podSpecTemplatePaths": ["/spec/template"]}}}
    return Trace(events=events, config=config)


def _check_invariants(snap: ClusterSnapshot) -> None:
    for node in node_usage(snap):
        assert node.requested_cpu <= node.allocatable_cpu, node
        assert node.requested_memory <= node.allocatable_memory, node
        assert node.pods <= node.allocatable_pods, node
    for pod in snap.pods:
        if pod["status"].get("phase") == "Running" or pod_status(pod) == "Running":
            assert pod["spec"].get("nodeName"), pod["metadata"]["name"]
    for s in summarize(snap):
        assert 0 <= s.ready <= s.running <= s.total, s
        assert s.pending + s.running <= s.total, s
    # label what the examples exercised (shown with --hypothesis-show-statistics)
    seen = {pod_status(p) for p in snap.pods}
    for status in sorted(seen):
        event(f"pod status {status}")


def test_invariant_checker_catches_an_overcommitted_node_and_a_nodeless_running_pod() -> None:
    node = {"metadata": {"name": "n"}, "status": {"allocatable": {"cpu": "1", "memory": "1Gi", "pods": "10"}}}

    def pod(name: str, node_name: str | None) -> Obj:
        spec: Obj = {"containers": [{"name": "c", "resources": {"requests": {"cpu": "600m"}}}]}
        if node_name:
            spec["nodeName"] = node_name
        return {"metadata": {"name": name}, "spec": spec, "status": {"phase": "Running"}}

    over = ClusterSnapshot(time=0, prefix=PREFIX, nodes=[node], pods=[pod("a", "n"), pod("b", "n")])
    with pytest.raises(AssertionError):
        _check_invariants(over)
    nodeless = ClusterSnapshot(time=0, prefix=PREFIX, nodes=[node], pods=[pod("a", None)])
    with pytest.raises(AssertionError):
        _check_invariants(nodeless)


@SETTINGS
@given(
    spec=cluster_specs(),
    tr=traces(),
    seed=st.integers(0, 2**16),
    checkpoints=st.lists(st.integers(1, 200), min_size=1, max_size=4),
)
def test_placed_requests_never_exceed_allocatable_and_counts_are_consistent(
    spec: ClusterSpec, tr: Trace, seed: int, checkpoints: list[int]
) -> None:
    cluster = EmbeddedCluster(spec, seed=seed)
    cluster.start(tr, PREFIX)
    _check_invariants(cluster.observe(PREFIX))
    for step in checkpoints:
        cluster.run(step)
        _check_invariants(cluster.observe(PREFIX))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(spec=cluster_specs(), tr=traces(), seed=st.integers(0, 2**16))
def test_same_seed_same_event_log(spec: ClusterSpec, tr: Trace, seed: int) -> None:
    logs = []
    snaps = []
    for _ in range(2):
        cluster = EmbeddedCluster(spec, seed=seed)
        cluster.start(tr, PREFIX)
        cluster.run(400)
        logs.append(list(cluster.event_log))
        snaps.append(cluster.observe(PREFIX))
    assert logs[0] == logs[1]
    names = [sorted(p["metadata"]["name"] for p in s.pods) for s in snaps]
    assert names[0] == names[1]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    tr=st.one_of(
        sim_traces(profile="near_capacity", deletions=True),
        sim_traces(profile="broken", usage=True),
    ),
    seed=st.integers(0, 2**16),
)
def test_trace_layer_traces_on_the_default_cluster(tr: Trace, seed: int) -> None:
    """The trace layer's own strategies (pytest_simarena.strategies): near node capacity, and broken."""
    runs = []
    for _ in range(2):
        cluster = EmbeddedCluster(ClusterSpec.default(), seed=seed)
        cluster.start(tr, PREFIX)
        for step in (0, 30, tr.duration + 120):
            cluster.run(step)
            _check_invariants(cluster.observe(PREFIX))
        runs.append(list(cluster.event_log))
    assert runs[0] == runs[1]


def _reference_request(containers: list[Obj], inits: list[Obj], res: str, spec: Obj) -> tuple[int, int]:
    """PodRequests summed in exact quantities and rounded once (component-helpers; kubernetes.md §1.1),
    written out in Fractions as the oracle of PodTemplate's unit-scaled sums."""
    from math import ceil

    from pytest_simarena.quantities import parse_quantity

    scale = 1000 if res == "cpu" else 1
    default_nz = Fraction(100, 1000) if res == "cpu" else Fraction(200 * 1024 * 1024)

    def req(c: Obj) -> tuple[Fraction, Fraction]:
        requests = (c.get("resources") or {}).get("requests") or {}
        if res in requests:
            value = parse_quantity(requests[res])
            return value, value
        return Fraction(0), default_nz

    total, side, top = [Fraction(0)] * 2, [Fraction(0)] * 2, [Fraction(0)] * 2
    for c in containers:
        total = [a + b for a, b in zip(total, req(c), strict=True)]
    for c in inits:
        r = req(c)
        if c.get("restartPolicy") == "Always":
            total = [a + b for a, b in zip(total, r, strict=True)]
            side = [a + b for a, b in zip(side, r, strict=True)]
            cur = side
        else:
            cur = [a + b for a, b in zip(r, side, strict=True)]
        top = [max(a, b) for a, b in zip(top, cur, strict=True)]
    overhead = (spec.get("overhead") or {}).get(res)
    extra = parse_quantity(overhead) if overhead is not None else Fraction(0)
    r0, r1 = (ceil((max(t, i) + extra) * scale) for t, i in zip(total, top, strict=True))
    return r0, r1


@st.composite
def _request_containers(draw: st.DrawFn, sidecars: bool) -> Obj:
    from pytest_simarena.strategies import quantities

    requests = {
        res: draw(quantities(res, 0))  # type: ignore[arg-type]
        for res in ("cpu", "memory")
        if draw(st.booleans())
    }
    container: Obj = {"name": "c", "resources": {"requests": requests}} if requests else {"name": "c"}
    if sidecars and draw(st.booleans()):
        container["restartPolicy"] = "Always"
    return container


@settings(max_examples=300, deadline=None)
@given(
    containers=st.lists(_request_containers(False), min_size=1, max_size=4),
    inits=st.lists(_request_containers(True), max_size=3),
    overhead=st.none() | st.fixed_dictionaries({"cpu": st.just("250m"), "memory": st.just("1500m")}),
)
def test_pod_requests_are_the_exact_sums_rounded_once(
    containers: list[Obj], inits: list[Obj], overhead: Obj | None
) -> None:
    """PodTemplate sums requests in the scheduler's unit (ints when whole): the same as summing the exact
    quantities and rounding once, sub-millicore parts, sidecars, init maxima and overhead included."""
    from pytest_simarena.backends.embedded.pods import PodTemplate

    spec: Obj = {"overhead": overhead} if overhead else {}
    for res in ("cpu", "memory"):
        got = PodTemplate._pod_request(containers, inits, res, spec)
        assert got == _reference_request(containers, inits, res, spec)
        assert all(type(v) is int for v in got)
