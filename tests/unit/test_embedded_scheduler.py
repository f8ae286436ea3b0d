"""Scheduler: NodeResourcesFit, taints, selectors, FitError texts, retries (kubernetes.md §1)."""

from __future__ import annotations

import pytest
from test_embedded_kit import NS, PREFIX, container, deployment, events, phases, pods_of, run, trace

from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster, NodeGroup
from pytest_simarena.backends.embedded.scheduler import backoff_for, fit_error

KWOK = {"type": "virtual"}
TAINT = ["kwok-provider=true:NoSchedule"]


def test_seed_cpu_slight_three_pending_with_exact_message() -> None:
    # issue 4 "Must show"; kubernetes.md §1.2 verbatim example shape.
    _, snap = run(trace((0, [deployment(cpu="17000m", memory="2Gi")])), 120)
    pods = pods_of(snap, "web-")
    assert [p["status"]["phase"] for p in pods] == ["Pending"] * 3
    # The default cluster plays 1.37 (versions.py): DynamicResources' PostFilter reason first, and 17 cpu is
    # more than a node's whole allocatable, so preemption is "not helpful" on every node.
    expected = (
        "0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, preemption: "
        "0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    for pod in pods:
        (cond,) = pod["status"]["conditions"]
        assert (cond["type"], cond["status"], cond["reason"], cond["message"]) == (
            "PodScheduled",
            "False",
            "Unschedulable",
            expected,
        )
        assert "nodeName" not in pod["spec"]
    failed = events(snap, "FailedScheduling")
    assert len(failed) == 3 and {e["message"] for e in failed} == {expected}
    assert {(e["type"], e["source"]["component"]) for e in failed} == {("Warning", "default-scheduler")}


def test_memory_over_node_is_insufficient_memory() -> None:
    _, snap = run(trace((0, [deployment(cpu="1", memory="33Gi")])), 60)
    assert phases(snap, "web-") == ["Pending"] * 3
    msg = pods_of(snap, "web-")[0]["status"]["conditions"][0]["message"]
    assert msg.startswith(
        "0/3 nodes are available: 3 Insufficient memory. no new claims to deallocate, preemption:"
    )


def test_request_equal_to_allocatable_fits_and_runs_ready() -> None:
    # §1.1: a request exactly equal to the free amount fits; one pod per node then.
    _, snap = run(trace((0, [deployment(cpu="16000m", memory="32Gi")])), 60)
    pods = pods_of(snap, "web-")
    assert phases(snap, "web-") == ["Running"] * 3
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["kwok-node-0", "kwok-node-1", "kwok-node-2"]
    for pod in pods:
        ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True"
        assert pod["status"]["containerStatuses"][0]["ready"] is True
    scheduled = events(snap, "Scheduled")
    assert {e["message"] for e in scheduled} == {
        f"Successfully assigned {NS}/{p['metadata']['name']} to {p['spec']['nodeName']}" for p in pods
    }


def test_one_millicore_over_does_not_fit() -> None:
    _, snap = run(trace((0, [deployment(replicas=1, cpu="16001m", memory="1Gi")])), 10)
    assert phases(snap, "web-") == ["Pending"]


def test_too_many_pods_counts_even_zero_request_pods() -> None:
    spec = ClusterSpec([NodeGroup("tiny", 1, "16", "32Gi", pods=2, labels=KWOK, taints=TAINT)])
    _, snap = run(trace((0, [deployment(replicas=3, cpu=None, memory=None)])), 10, spec)
    assert phases(snap, "web-") == ["Pending", "Running", "Running"]
    (pending,) = [p for p in pods_of(snap, "web-") if p["status"]["phase"] == "Pending"]
    assert pending["status"]["conditions"][0]["message"] == (
        "0/1 nodes are available: 1 Too many pods. no new claims to deallocate, preemption: "
        "0/1 nodes are available: 1 No preemption victims found for incoming pod."
    )


def test_reasons_are_sorted_as_strings_and_counted_per_node() -> None:
    # §1.2: sort.Strings over "count reason" -> "1 Insufficient memory" before "3 Insufficient cpu".
    spec = ClusterSpec(
        [
            NodeGroup("cpu-poor", 3, "2", "32Gi", labels=KWOK, taints=TAINT),
            NodeGroup("mem-poor", 1, "16", "1Gi", labels=KWOK, taints=TAINT),
        ]
    )
    _, snap = run(trace((0, [deployment(replicas=1, cpu="4", memory="2Gi")])), 5, spec)
    msg = pods_of(snap, "web-")[0]["status"]["conditions"][0]["message"]
    assert msg == (
        "0/4 nodes are available: 1 Insufficient memory, 3 Insufficient cpu. no new claims to deallocate, "
        "preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."
    )


def test_untolerated_taint_and_selector_are_unresolvable() -> None:
    # Applied without the driver's rewrite: no toleration for the kwok-provider taint (§1.1 filter order:
    # TaintToleration runs before NodeAffinity and NodeResourcesFit, so the taint is the reported reason).
    cluster = EmbeddedCluster(seed=0)
    cluster.apply(deployment(replicas=1, cpu="17"))
    cluster.run(5)
    (pod,) = cluster.observe(None).pods
    assert pod["status"]["conditions"][0]["message"] == (
        "0/3 nodes are available: 3 node(s) had untolerated taint(s). no new claims to deallocate, "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    # Nodes without the type=virtual label: the driver's nodeSelector does not match.
    plain = ClusterSpec.uniform(2, "16", "32Gi", labels={"type": "real"})
    _, snap = run(trace((0, [deployment(replicas=1)])), 5, plain)
    assert pods_of(snap, "web-")[0]["status"]["conditions"][0]["message"] == (
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. no new claims to "
        "deallocate, preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )


def test_init_container_max_overhead_and_limit_defaulting() -> None:
    # §1.1 worked example: max(sum of containers, largest init container) + overhead.
    fits = deployment(
        replicas=1,
        containers=[container("a", requests={"cpu": "8"}), container("b", requests={"cpu": "7"})],
        initContainers=[container("init", requests={"cpu": "15"})],
        # overhead is only admitted with a RuntimeClass that defines it (RuntimeClass admission plugin)
        overhead={"cpu": "1"},
        runtimeClassName="kata",
    )
    _, snap = run(trace((0, [fits])), 5, ClusterSpec.uniform(1, "16", "32Gi"))
    assert phases(snap, "web-") == ["Running"]
    too_big_init = deployment(
        replicas=1,
        containers=[container("a", requests={"cpu": "1"})],
        initContainers=[container("i", requests={"cpu": "17"})],
    )
    _, snap = run(trace((0, [too_big_init])), 5, ClusterSpec.uniform(1, "16", "32Gi"))
    assert phases(snap, "web-") == ["Pending"]
    # §2.1: only limits set -> requests copied from limits on the Pod, so it is scheduled by its limits.
    limits_only = deployment(replicas=1, containers=[container(limits={"cpu": "17", "memory": "1Gi"})])
    _, snap = run(trace((0, [limits_only])), 5)
    pod = pods_of(snap, "web-")[0]
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "17", "memory": "1Gi"}
    assert "3 Insufficient cpu" in pod["status"]["conditions"][0]["message"]


def test_default_scoring_spreads_identical_pods_over_empty_nodes() -> None:
    _, snap = run(trace((0, [deployment(replicas=6, cpu="1", memory="1Gi")])), 5)
    per_node: dict[str, int] = {}
    for pod in pods_of(snap, "web-"):
        per_node[pod["spec"]["nodeName"]] = per_node.get(pod["spec"]["nodeName"], 0) + 1
    assert per_node == {"kwok-node-0": 2, "kwok-node-1": 2, "kwok-node-2": 2}


def test_quiet_retry_comes_from_the_five_minute_flush_and_merges_events() -> None:
    # §1.4: nothing changes, so the pod is retried when the 30 s sweep finds it unschedulable > 5 min.
    _, snap = run(trace((0, [deployment(replicas=1, cpu="17")])), 700)
    (event,) = events(snap, "FailedScheduling")
    # attempts at 0, 330, 660 s; the events.k8s.io series wrote count 2 at 330 s, the 660 s repeat waits in
    # the recorder's cache for the 30-minute refresh (client-go tools/events)
    assert event["count"] == 2
    assert event["series"] == {"count": 2, "lastObservedTime": "2023-11-14T22:18:50Z"}
    assert (event["firstTimestamp"], event["lastTimestamp"]) == (
        "2023-11-14T22:13:20Z",
        "2023-11-14T22:18:50Z",
    )


def test_pending_pod_runs_soon_after_capacity_frees() -> None:
    # §1.4 event-driven requeue: deleting an assigned pod (scale-down) moves waiting pods back at once.
    big = deployment("big", replicas=3, cpu="10", memory="1Gi")
    late = deployment("late", replicas=1, cpu="10", memory="1Gi")
    tr = trace((0, [big]), (5, [late]), (60, [deployment("big", replicas=2, cpu="10", memory="1Gi")]))
    cluster = EmbeddedCluster(seed=3)
    cluster.start(tr, PREFIX)
    cluster.run(59)
    assert phases(cluster.observe(PREFIX), "late-") == ["Pending"]
    cluster.run(2)  # 61 s: scale-down at 60 freed a node; backoff of the pod (<= 10 s) already passed
    assert phases(cluster.observe(PREFIX), "late-") == ["Running"]


def test_added_node_schedules_waiting_pods() -> None:
    cluster = EmbeddedCluster(ClusterSpec.uniform(1, "4", "8Gi"), seed=0)
    cluster.start(trace((0, [deployment(replicas=2, cpu="3")])), PREFIX)
    cluster.run(30)
    assert phases(cluster.observe(PREFIX), "web-") == ["Pending", "Running"]
    cluster.add_node("extra", "4", "8Gi")
    cluster.run(10)
    assert phases(cluster.observe(PREFIX), "web-") == ["Running", "Running"]
    assert {p["spec"]["nodeName"] for p in pods_of(cluster.observe(PREFIX), "web-")} == {
        "kwok-node-0",
        "extra",
    }


def test_no_nodes_message() -> None:
    _, snap = run(trace((0, [deployment(replicas=1)])), 5, ClusterSpec([]))
    assert (
        pods_of(snap, "web-")[0]["status"]["conditions"][0]["message"]
        == "no nodes available to schedule pods"
    )


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (9, 10)])
def test_backoff_doubles_from_one_to_ten_seconds(attempts: int, seconds: float) -> None:
    assert backoff_for(attempts) == seconds


def test_fit_error_format_mixed_preemption_statuses() -> None:
    text = fit_error(
        4,
        {"Insufficient cpu": 3, "node(s) had untolerated taint {a: b}": 1},
        {"No preemption victims found for incoming pod": 3, "Preemption is not helpful for scheduling": 1},
        "1.33",
    )
    assert text == (
        "0/4 nodes are available: 1 node(s) had untolerated taint {a: b}, 3 Insufficient cpu. preemption: "
        "0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found "
        "for incoming pod."
    )


def test_large_cluster_schedules_and_never_overcommits() -> None:
    # Many identical nodes and pods: the bucketed scheduler must still respect every node's allocatable.
    spec = ClusterSpec.uniform(50, "4", "8Gi", pods=10)
    cluster = EmbeddedCluster(spec, seed=5)
    cluster.start(trace((0, [deployment(replicas=260, cpu="700m", memory="1Gi")])), PREFIX)
    cluster.run(5)
    snap = cluster.observe(PREFIX)
    used: dict[str, int] = {}
    for pod in pods_of(snap, "web-"):
        node = pod["spec"].get("nodeName")
        if node:
            used[node] = used.get(node, 0) + 700
    assert max(used.values()) <= 4000
    # 5 pods of 700m fit on a 4-cpu node: 250 run, 10 wait.
    assert phases(snap, "web-").count("Running") == 250
    assert phases(snap, "web-").count("Pending") == 10
