"""Fidelity on real traces: the seed team's scenarios and SimKube's example traces (../shared/traces).

Expected outcomes come from the rules (k8s = shared/notes/kubernetes.md, sk = shared/notes/simkube.md) and
the seed team's scenario registry (shared/traces/README.md), never from the engine's own output.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from fidelity_kit import PREFIX, condition, name_of, pods_of, statuses

from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
from pytest_simarena.backends.protocol import ClusterSnapshot
from pytest_simarena.kubeview import parse_time, pod_status, summarize
from pytest_simarena.trace import load_trace
from pytest_simarena.trace.model import Trace


def _load(path: Path) -> Trace:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the seed's legacy traces are normalized with a warning
        return load_trace(path)


def _run(
    tr: Trace, seconds: float, spec: ClusterSpec | None = None
) -> tuple[EmbeddedCluster, ClusterSnapshot]:
    c = EmbeddedCluster(spec or ClusterSpec.default(), seed=0)
    c.start(tr, PREFIX)
    c.run(seconds)
    return c, c.observe(PREFIX)


def _set_requests(tr: Trace, **requests: str) -> Trace:
    """The trace with every container's requests changed (what the seed's agent does to fix it)."""
    edited = tr.copy()
    for _, _, obj in edited.applied():
        for c in obj["spec"]["template"]["spec"]["containers"]:
            c.setdefault("resources", {}).setdefault("requests", {}).update(requests)
    return edited


def _fit_error(reasons: str, preemption: str = "3 No preemption victims found for incoming pod") -> str:
    # The default cluster plays Kubernetes 1.37: DynamicResources' PostFilter says "no new claims to
    # deallocate" before DefaultPreemption (dynamicresources.go PostFilter; DRA on by default from 1.34).
    return (
        f"0/3 nodes are available: {reasons}. no new claims to deallocate, preemption: "
        f"0/3 nodes are available: {preemption}."
    )


# Every seed pod asks more than a node's whole allocatable: from 1.34 NodeResourcesFit marks those nodes
# UnschedulableAndUnresolvable (noderesources/fit.go, PR 131345), so preemption calls them not helpful.
NOT_HELPFUL_3 = "3 Preemption is not helpful for scheduling"


SEED_PENDING = [
    # (trace, FitError reasons) -- shared/traces/README.md scenario registry; k8s §1.1, §1.2, §9.A
    ("trace-cpu-slight.msgpack", "3 Insufficient cpu"),  # 3 x 17000m on 16-cpu nodes
    ("trace-cpu-heavy.msgpack", "3 Insufficient cpu"),  # 3 x 20000m
    ("trace-mem-slight.msgpack", "3 Insufficient memory"),  # 3 x 33Gi on 32Gi nodes
    ("trace-mem-heavy.msgpack", "3 Insufficient memory"),  # 3 x 40Gi
    ("trace-cpu-mem.msgpack", "3 Insufficient cpu, 3 Insufficient memory"),  # 3 x (17, 33Gi)
]


@pytest.mark.parametrize(
    ("name", "reasons"), SEED_PENDING, ids=[f"seed-{n[6:-8]}-pending[k8s-1.2]" for n, _ in SEED_PENDING]
)
def test_seed_scenarios_stay_pending_with_exact_text(shared_traces: Path, name: str, reasons: str) -> None:
    _, snap = _run(_load(shared_traces / "sim-arena" / name), 60)
    pods = pods_of(snap, "web")
    assert statuses(pods) == ["Pending"] * 3
    for p in pods:
        cond = condition(p, "PodScheduled")
        assert cond is not None and (cond["reason"], cond["message"]) == (
            "Unschedulable",
            _fit_error(reasons, NOT_HELPFUL_3),
        )
    (web,) = summarize(snap)
    assert (web.desired, web.ready, web.pending) == (3, 0, 3)


SEED_FIXED = [
    # after the agent's repair, each pod fits a node exactly (k8s §1.1: request == free fits)
    ("trace-cpu-slight.msgpack", {"cpu": "16000m"}),
    ("trace-cpu-heavy.msgpack", {"cpu": "16"}),
    ("trace-mem-slight.msgpack", {"memory": "32Gi"}),
    ("trace-mem-heavy.msgpack", {"memory": "32Gi"}),
    ("trace-cpu-mem.msgpack", {"cpu": "16", "memory": "32Gi"}),
]


@pytest.mark.parametrize(
    ("name", "requests"), SEED_FIXED, ids=[f"seed-{n[6:-8]}-fixed-runs[k8s-1.1]" for n, _ in SEED_FIXED]
)
def test_seed_scenarios_after_reduction_run_and_ready(
    shared_traces: Path, name: str, requests: dict[str, str]
) -> None:
    _, snap = _run(_set_requests(_load(shared_traces / "sim-arena" / name), **requests), 60)
    pods = pods_of(snap, "web")
    assert statuses(pods) == ["Running"] * 3
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["kwok-node-0", "kwok-node-1", "kwok-node-2"]
    (web,) = summarize(snap)
    assert (web.desired, web.ready, web.available, web.pending) == (3, 3, 3, 0)


def test_seed_replicas_over_runs_all_five(shared_traces: Path) -> None:
    _, snap = _run(_load(shared_traces / "sim-arena" / "trace-replicas-over.msgpack"), 60)
    assert statuses(pods_of(snap, "web")) == ["Running"] * 5


def _container_seconds(pod: dict[str, Any]) -> float:
    term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    start, end = parse_time(term["startedAt"]), parse_time(term["finishedAt"])
    assert start is not None and end is not None
    return end - start


def test_cronjob_trace_jobs_each_minute_pods_succeed_after_30s(shared_traces: Path) -> None:
    """sk-1.7/3.4: 30 s lifecycles; CronJob '* * * * *' fires on minute boundaries (t = 37, 97, 157)."""
    tr = _load(shared_traces / "simkube" / "cronjob.sktrace")
    c, snap = _run(tr, 200)
    jobs = sorted(name_of(o) for o in snap.workloads if o.get("kind") == "Job")
    # CronJob controller names a Job <cronjob>-<scheduled unix time in minutes> [mem]
    assert jobs == ["hello-simkube-29054781", "hello-simkube-29054782", "hello-simkube-29054783"]
    pods = pods_of(snap, "hello-simkube")
    assert statuses(pods) == ["Completed"] * 3
    assert [p["status"]["phase"] for p in pods] == ["Succeeded"] * 3
    assert [_container_seconds(p) for p in pods] == [30.0, 30.0, 30.0]
    c.run(tr.duration + 120 - 200)  # the CronJob is deleted at t=205; its Jobs and pods are collected
    snap = c.observe(PREFIX)
    assert pods_of(snap, "hello-simkube") == []
    assert [o for o in snap.workloads if o.get("kind") in ("CronJob", "Job")] == []


def test_bare_pods_trace_finish_after_recorded_durations(shared_traces: Path) -> None:
    """sk-1.7: 3 Finished lifecycles (12 s, 30 s, 30 s) complete; the Running-only one runs on."""
    tr = _load(shared_traces / "simkube" / "bare-pods.sktrace")
    _, snap = _run(tr, tr.duration + 120)
    by_name = {name_of(p): p for p in snap.pods}
    assert sorted(by_name) == [
        "bare-pod-1781282449",
        "bare-pod-1781282509",
        "bare-pod-1781282570",
        "bare-pod-1781282630",
    ]
    assert {n: pod_status(p) for n, p in by_name.items()} == {
        "bare-pod-1781282449": "Completed",
        "bare-pod-1781282509": "Completed",
        "bare-pod-1781282570": "Completed",
        "bare-pod-1781282630": "Running",
    }
    assert _container_seconds(by_name["bare-pod-1781282449"]) == 12.0
    assert _container_seconds(by_name["bare-pod-1781282509"]) == 30.0
    assert {s.namespace for s in summarize(snap)} == {"testing"}


def test_bare_pods_at_speed_2_halve_offsets_and_durations(shared_traces: Path) -> None:
    """sk-3.4: events at (ts - first ts) / speed; completion at start + (end - start) / speed."""
    tr = _load(shared_traces / "simkube" / "bare-pods.sktrace")
    c = EmbeddedCluster(ClusterSpec.default(), seed=0)
    c.start(tr, PREFIX, speed=2.0)
    c.run(tr.duration / 2 + 60)
    by_name = {name_of(p): p for p in c.observe(PREFIX).pods}
    assert _container_seconds(by_name["bare-pod-1781282449"]) == 6.0
    assert _container_seconds(by_name["bare-pod-1781282509"]) == 15.0
    created = {n: parse_time(p["metadata"]["creationTimestamp"]) for n, p in by_name.items()}
    first = created["bare-pod-1781282449"]
    assert first is not None
    # applied at 0, 42, 102, 162 s in the trace -> 0, 21, 51, 81 s at speed 2
    assert sorted((t or 0) - first for t in created.values()) == [0, 21, 51, 81]


def _by_deployment(snap: ClusterSnapshot) -> dict[str, tuple[int, int]]:
    return {s.name: (s.running, s.pending) for s in summarize(snap) if s.pending}


def test_dsb_scaling_peak_overflows_48_cpus_by_exactly_4(shared_traces: Path) -> None:
    """k8s-1.1: every dsb pod requests 1 cpu; 3 x 16 cpu = 48 pods fit. At 812 s the cluster is exactly
    full (48); post-storage-service 3->5 at 819 s and nginx-thrift 8->10 at 827 s stay Pending."""
    tr = _load(shared_traces / "simkube" / "dsb-scaling.sktrace")
    c, snap = _run(tr, 900)
    counts = [s for s in summarize(snap)]
    assert sum(s.running for s in counts) == 48 and sum(s.pending for s in counts) == 4
    assert _by_deployment(snap) == {"nginx-thrift": (8, 2), "post-storage-service": (3, 2)}
    messages = {
        (condition(p, "PodScheduled") or {}).get("message") for p in snap.pods if pod_status(p) == "Pending"
    }
    assert messages == {_fit_error("3 Insufficient cpu")}
    c.run(tr.duration + 120 - 900)  # text-service 5->1 at 988 s frees 4 cpus; the end state (42) all runs
    snap = c.observe(PREFIX)
    assert sum(s.running for s in summarize(snap)) == 42
    assert [p for p in snap.pods if pod_status(p) != "Running"] == []


def test_dsb_scaling_on_two_nodes_keeps_32_running_and_the_last_scaled_pending(shared_traces: Path) -> None:
    """2 x 16 cpu = 32 pods (k8s-1.1). Scale-downs delete pending pods first and free cpu goes to pods whose
    back-off has ended, oldest last attempt first (k8s-1.4): see docs/embedded-cluster.md for the walk."""
    tr = _load(shared_traces / "simkube" / "dsb-scaling.sktrace")
    _, snap = _run(tr, tr.duration + 120, ClusterSpec.uniform(2, "16", "32Gi"))
    summaries = summarize(snap)
    assert sum(s.running for s in summaries) == 32 and sum(s.pending for s in summaries) == 10
    assert _by_deployment(snap) == {"nginx-thrift": (2, 8), "post-storage-service": (3, 2)}
    messages = {
        (condition(p, "PodScheduled") or {}).get("message") for p in snap.pods if pod_status(p) == "Pending"
    }
    assert messages == {
        "0/2 nodes are available: 2 Insufficient cpu. no new claims to deallocate, preemption: "
        "0/2 nodes are available: 2 No preemption victims found for incoming pod."
    }


ALL_TRACES = sorted(
    str(p.relative_to(Path(__file__).resolve().parents[3] / "shared" / "traces"))
    for p in (Path(__file__).resolve().parents[3] / "shared" / "traces").glob("*/*")
    if p.suffix in (".sktrace", ".msgpack", ".json")
)


@pytest.mark.parametrize("rel", ALL_TRACES)
def test_every_shared_trace_replays(shared_traces: Path, rel: str) -> None:
    """Issue 4 'Must show': every trace in ../shared/traces replays to its end plus 120 s."""
    tr = _load(shared_traces / rel)
    c, snap = _run(tr, tr.duration + 120)
    assert c.now == pytest.approx(tr.duration + 120)
    for p in snap.pods:
        assert pod_status(p) in ("Pending", "Running", "Completed"), (name_of(p), pod_status(p))
