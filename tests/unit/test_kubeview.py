"""kubeview: kubectl's columns and workload summaries from API objects (kubernetes.md §5.3, §1.1)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_simarena.backends.protocol import ClusterSnapshot
from pytest_simarena.kubeview import (
    WorkloadSummary,
    event_view,
    explain_exit_code,
    format_table,
    human_duration,
    node_usage,
    original_namespace,
    parse_time,
    pod_ready,
    pod_requests,
    pod_restarts,
    pod_status,
    pod_view,
    pods_by_workload,
    render_events,
    render_nodes,
    render_workloads,
    summarize,
)

Obj = dict[str, Any]
T0 = "2024-03-19T23:48:58Z"  # dsb-scaling's first event, as an RFC3339 epoch
T0_S = parse_time(T0) or 0.0


def _ts(seconds: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(T0_S + seconds, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def running(name: str = "app", *, ready: bool = True, restarts: int = 0, last: Obj | None = None) -> Obj:
    cs: Obj = {
        "name": name,
        "ready": ready,
        "restartCount": restarts,
        "state": {"running": {"startedAt": T0}},
    }
    if last:
        cs["lastState"] = {"terminated": last}
    return cs


def waiting(reason: str, name: str = "app", *, restarts: int = 0, last: Obj | None = None) -> Obj:
    cs: Obj = {
        "name": name,
        "ready": False,
        "restartCount": restarts,
        "state": {"waiting": {"reason": reason}},
    }
    if last:
        cs["lastState"] = {"terminated": last}
    return cs


def terminated(
    reason: str | None, code: int, name: str = "app", *, signal: int = 0, restarts: int = 0
) -> Obj:
    term: Obj = {"exitCode": code}
    if reason:
        term["reason"] = reason
    if signal:
        term["signal"] = signal
    return {"name": name, "ready": False, "restartCount": restarts, "state": {"terminated": term}}


def pod(
    statuses: list[Obj] | None = None,
    *,
    phase: str = "Running",
    containers: int | list[Obj] = 1,
    init: list[Obj] | None = None,
    init_statuses: list[Obj] | None = None,
    conditions: list[Obj] | None = None,
    name: str = "web-5d8f9c7b6-x2k4q",
    namespace: str = "virtual-default",
    node: str | None = "kwok-node-0",
    owner: tuple[str, str] | None = None,
    reason: str | None = None,
    deleting: bool = False,
    requests: Obj | None = None,
) -> Obj:
    if isinstance(containers, int):
        names = ["app"] if containers == 1 else [f"c{i}" for i in range(containers)]
        containers = [{"name": n, "resources": {"requests": dict(requests or {})}} for n in names]
    meta: Obj = {"name": name, "namespace": namespace, "creationTimestamp": T0}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    if deleting:
        meta["deletionTimestamp"] = _ts(50)
    spec: Obj = {"containers": containers}
    if node:
        spec["nodeName"] = node
    if init is not None:
        spec["initContainers"] = init
    status: Obj = {"phase": phase, "conditions": conditions or []}
    if statuses is not None:
        status["containerStatuses"] = statuses
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    if reason:
        status["reason"] = reason
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


UNSCHEDULABLE_MSG = (
    "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
    "3 No preemption victims found for incoming pod."
)
UNSCHEDULED = [
    {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": UNSCHEDULABLE_MSG}
]
READY_TRUE = [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}]
READY_FALSE = [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "False"}]
OOM_LAST = {"reason": "OOMKilled", "exitCode": 137, "finishedAt": _ts(30)}

# (id naming the printPod rule, pod, STATUS, READY, RESTARTS)  -- kubernetes.md §5.3
STATUS_CASES = [
    (
        "unscheduled-is-phase-Pending",
        pod(None, phase="Pending", node=None, conditions=UNSCHEDULED),
        "Pending",
        "0/1",
        0,
    ),
    (
        "waiting-reason-ContainerCreating",
        pod([waiting("ContainerCreating")], phase="Pending"),
        "ContainerCreating",
        "0/1",
        0,
    ),
    ("running-ready", pod([running()], conditions=READY_TRUE), "Running", "1/1", 0),
    ("running-not-ready-container", pod([running(ready=False)], conditions=READY_FALSE), "Running", "0/1", 0),
    ("just-OOMKilled-terminated", pod([terminated("OOMKilled", 137, restarts=1)]), "OOMKilled", "0/1", 1),
    (
        "CrashLoopBackOff-after-OOM",
        pod([waiting("CrashLoopBackOff", restarts=3, last=OOM_LAST)], conditions=READY_FALSE),
        "CrashLoopBackOff",
        "0/1",
        3,
    ),
    (
        "running-again-after-OOM-counts-restarts",
        pod([running(restarts=2, last=OOM_LAST)], conditions=READY_TRUE),
        "Running",
        "1/1",
        2,
    ),
    ("succeeded-Completed", pod([terminated("Completed", 0)], phase="Succeeded"), "Completed", "0/1", 0),
    ("failed-Error", pod([terminated("Error", 1)], phase="Failed"), "Error", "0/1", 0),
    ("terminated-no-reason-ExitCode", pod([terminated(None, 2)], phase="Failed"), "ExitCode:2", "0/1", 0),
    (
        "terminated-no-reason-Signal",
        pod([terminated(None, 137, signal=9)], phase="Failed"),
        "Signal:9",
        "0/1",
        0,
    ),
    (
        "pod-reason-Evicted-wins",
        pod([terminated(None, 0)], phase="Failed", reason="Evicted"),
        "ExitCode:0",
        "0/1",
        0,
    ),
    ("pod-reason-Evicted-no-statuses", pod([], phase="Failed", reason="Evicted"), "Evicted", "0/1", 0),
    (
        "first-container-in-spec-order-wins",
        pod([waiting("CrashLoopBackOff", "c0"), waiting("ContainerCreating", "c1")], containers=2),
        "CrashLoopBackOff",
        "0/2",
        0,
    ),
    (
        "Completed-with-a-running-container-and-Ready-is-Running",
        pod([terminated("Completed", 0, "c0"), running("c1")], containers=2, conditions=READY_TRUE),
        "Running",
        "1/2",
        0,
    ),
    (
        "Completed-with-a-running-container-not-Ready-is-NotReady",
        pod([terminated("Completed", 0, "c0"), running("c1")], containers=2, conditions=READY_FALSE),
        "NotReady",
        "1/2",
        0,
    ),
    (
        "deleting-running-is-Terminating",
        pod([running()], deleting=True, conditions=READY_TRUE),
        "Terminating",
        "1/1",
        0,
    ),
    (
        "deleting-succeeded-stays-Completed",
        pod([terminated("Completed", 0)], phase="Succeeded", deleting=True),
        "Completed",
        "0/1",
        0,
    ),
    ("deleting-NodeLost-is-Unknown", pod([running()], deleting=True, reason="NodeLost"), "Unknown", "1/1", 0),
    (
        "SchedulingGated-condition",
        pod(
            None,
            phase="Pending",
            node=None,
            conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}],
        ),
        "SchedulingGated",
        "0/1",
        0,
    ),
    (
        "first-init-running-is-Init-0-of-2",
        pod(
            [waiting("PodInitializing")],
            phase="Pending",
            init=[{"name": "i0"}, {"name": "i1"}],
            init_statuses=[running("i0", ready=False), waiting("PodInitializing", "i1")],
        ),
        "Init:0/2",
        "0/1",
        0,
    ),
    (
        "second-init-after-first-done-is-Init-1-of-2",
        pod(
            [waiting("PodInitializing")],
            phase="Pending",
            init=[{"name": "i0"}, {"name": "i1"}],
            init_statuses=[terminated("Completed", 0, "i0"), running("i1", ready=False)],
        ),
        "Init:1/2",
        "0/1",
        0,
    ),
    (
        "init-crash-loop-is-Init-CrashLoopBackOff-counting-init-restarts",
        pod(
            [waiting("PodInitializing")],
            phase="Pending",
            init=[{"name": "i0"}],
            init_statuses=[waiting("CrashLoopBackOff", "i0", restarts=4)],
        ),
        "Init:CrashLoopBackOff",
        "0/1",
        4,
    ),
    (
        "init-failed-is-Init-Error",
        pod(
            [waiting("PodInitializing")],
            phase="Failed",
            init=[{"name": "i0"}],
            init_statuses=[terminated("Error", 1, "i0")],
        ),
        "Init:Error",
        "0/1",
        0,
    ),
    (
        "init-failed-no-reason-is-Init-ExitCode",
        pod(
            [waiting("PodInitializing")],
            phase="Failed",
            init=[{"name": "i0"}],
            init_statuses=[terminated(None, 3, "i0")],
        ),
        "Init:ExitCode:3",
        "0/1",
        0,
    ),
    (
        "sidecar-counts-in-READY-total",
        pod(
            [running()],
            init=[{"name": "proxy", "restartPolicy": "Always"}],
            init_statuses=[{**running("proxy"), "started": True}],
            conditions=READY_TRUE,
        ),
        "Running",
        "2/2",
        0,
    ),
]


@pytest.mark.parametrize(
    ("pod_obj", "status", "ready", "restarts"),
    [pytest.param(p, s, r, n, id=i) for i, p, s, r, n in STATUS_CASES],
)
def test_kubectl_pod_columns(pod_obj: Obj, status: str, ready: str, restarts: int) -> None:
    assert pod_status(pod_obj) == status
    assert pod_ready(pod_obj) == ready
    assert pod_restarts(pod_obj) == restarts


def test_pod_view_explains_unschedulable_and_oom() -> None:
    pending = pod_view(pod(None, phase="Pending", node=None, conditions=UNSCHEDULED), prefix="virtual")
    assert pending["namespace"] == "default"
    assert pending["node"] is None
    assert (pending["reason"], pending["message"]) == ("Unschedulable", UNSCHEDULABLE_MSG)
    looping = pod_view(pod([waiting("CrashLoopBackOff", restarts=2, last=OOM_LAST)], conditions=READY_FALSE))
    assert looping["status"] == "CrashLoopBackOff"
    assert looping["reason"] == "CrashLoopBackOff"
    assert looping["exitCode"] == 137
    assert "OOM" in looping["exitCodeMeaning"]
    healthy = pod_view(pod([running()], conditions=READY_TRUE))
    assert (healthy["reason"], healthy["message"]) == ("", "")
    assert "exitCode" not in healthy


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (137, "SIGKILL"),
        (137, "OOM"),
        (143, "SIGTERM"),
        (0, "success"),
        (1, "error"),
        (127, "not found"),
        (134, "SIGABRT"),
        (130, "SIGINT"),
    ],
)
def test_explain_exit_code(code: int, words: str) -> None:
    text = explain_exit_code(code)
    assert text.startswith(f"{code} = ")
    assert words in text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (59, "59s"),
        (119, "119s"),
        (120, "2m"),
        (200, "3m20s"),
        (600, "10m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 60 * 5, "3h5m"),
        (20 * 3600, "20h"),
        (50 * 3600, "2d2h"),
        (-5, "<invalid>"),
    ],
)
def test_human_duration_matches_kubectl_ages(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_pod_requests_init_max_vs_sum_worked_example() -> None:
    # kubernetes.md §1.1: init {2, 1G} and {2, 3G}; containers {2, 1G} and {1, 1G} -> cpu 3, mem 3G.
    p = {
        "spec": {
            "initContainers": [
                {"name": "i0", "resources": {"requests": {"cpu": "2", "memory": "1G"}}},
                {"name": "i1", "resources": {"requests": {"cpu": "2", "memory": "3G"}}},
            ],
            "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "2", "memory": "1G"}}},
                {"name": "b", "resources": {"requests": {"cpu": "1", "memory": "1G"}}},
            ],
        }
    }
    assert pod_requests(p) == (3000, 3_000_000_000)


def test_pod_requests_overhead_limits_default_and_sidecars() -> None:
    p = {
        "spec": {
            "overhead": {"cpu": "250m", "memory": "120Mi"},
            "initContainers": [
                {
                    "name": "side",
                    "restartPolicy": "Always",
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                },
                {"name": "migrate", "resources": {"requests": {"cpu": "4", "memory": "64Mi"}}},
            ],
            # only limits: the API copies them into requests (§2.1)
            "containers": [{"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}],
        }
    }
    # regular sum 1000m+100m sidecar = 1100m; init "migrate" runs with the sidecar: 4100m; max = 4100m + 250m
    cpu, mem = pod_requests(p)
    assert cpu == 4350
    assert mem == (1024 + 64 + 120) * 2**20


def _deployment(name: str, replicas: int, *, ns: str = "virtual-default", status: Obj | None = None) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}", "creationTimestamp": T0},
        "spec": {
            "replicas": replicas,
            "template": {"metadata": {"annotations": {"static.simkube.io/original-namespace": "default"}}},
        },
        "status": status or {},
    }


def _owned(obj: Obj, kind: str, name: str, uid: str | None = None) -> Obj:
    ref: Obj = {"kind": kind, "name": name, "controller": True}
    if uid:
        ref["uid"] = uid
    obj["metadata"]["ownerReferences"] = [ref]
    return obj


def _snapshot() -> ClusterSnapshot:
    dep = _deployment(
        "web",
        3,
        status={
            "replicas": 3,
            "updatedReplicas": 3,
            "readyReplicas": 2,
            "availableReplicas": 2,
            "unavailableReplicas": 1,
            "conditions": [
                {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"},
                {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"},
            ],
        },
    )
    rs = _owned(
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": "web-5d8f9c7b6", "namespace": "virtual-default", "uid": "uid-rs"},
            "spec": {"replicas": 3},
            "status": {"replicas": 3, "readyReplicas": 2},
        },
        "Deployment",
        "web",
        "uid-web",
    )
    req = {"cpu": "4", "memory": "8Gi"}
    pods = [
        _owned(
            pod([running()], name="web-5d8f9c7b6-aaaaa", conditions=READY_TRUE, requests=req),
            "ReplicaSet",
            "web-5d8f9c7b6",
            "uid-rs",
        ),
        _owned(
            pod(
                [running(restarts=1, last=OOM_LAST)],
                name="web-5d8f9c7b6-bbbbb",
                node="kwok-node-1",
                conditions=READY_TRUE,
                requests=req,
            ),
            "ReplicaSet",
            "web-5d8f9c7b6",
            "uid-rs",
        ),
        _owned(
            pod(
                None,
                phase="Pending",
                node=None,
                name="web-5d8f9c7b6-ccccc",
                conditions=UNSCHEDULED,
                requests={"cpu": "17"},
            ),
            "ReplicaSet",
            "web-5d8f9c7b6",
        ),
    ]
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "virtual-default", "uid": "uid-db", "creationTimestamp": T0},
        "spec": {"replicas": 2},
        "status": {"replicas": 1, "readyReplicas": 0},
    }
    pods.append(
        _owned(
            pod(
                [waiting("CrashLoopBackOff", restarts=3, last=OOM_LAST)],
                name="db-0",
                conditions=READY_FALSE,
                requests={"memory": "1Gi"},
            ),
            "StatefulSet",
            "db",
            "uid-db",
        )
    )
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": "hello",
            "namespace": "virtual-batch",
            "uid": "uid-cron",
            "creationTimestamp": T0,
        },
        "spec": {
            "schedule": "* * * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "metadata": {"annotations": {"static.simkube.io/original-namespace": "batch"}}
                    }
                }
            },
        },
        "status": {"active": [{"name": "hello-28000000"}]},
    }
    job = _owned(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "hello-28000000", "namespace": "virtual-batch", "uid": "uid-job"},
            "spec": {"completions": 1},
            "status": {"succeeded": 1},
        },
        "CronJob",
        "hello",
        "uid-cron",
    )
    # a succeeded job pod on node 0: it no longer holds its requests
    pods.append(
        _owned(
            pod(
                [terminated("Completed", 0)],
                phase="Succeeded",
                name="hello-28000000-zzzzz",
                namespace="virtual-batch",
                requests={"cpu": "8"},
            ),
            "Job",
            "hello-28000000",
            "uid-job",
        )
    )
    bare = pod(
        [running()], name="bare-pod-1", namespace="virtual-testing", node="kwok-node-1", conditions=READY_TRUE
    )
    bare["metadata"]["annotations"] = {"static.simkube.io/original-namespace": "testing"}
    pods.append(bare)
    nodes = [
        {
            "metadata": {"name": f"kwok-node-{i}"},
            "status": {"allocatable": {"cpu": "16", "memory": "32Gi", "pods": "110"}},
        }
        for i in range(3)
    ]
    events: list[Obj] = [
        {
            "type": "Warning",
            "reason": "FailedScheduling",
            "message": UNSCHEDULABLE_MSG,
            "involvedObject": {"kind": "Pod", "namespace": "virtual-default", "name": "web-5d8f9c7b6-ccccc"},
            "count": 4,
            "firstTimestamp": _ts(0),
            "lastTimestamp": _ts(30),
        },
        {
            "type": "Normal",
            "reason": "ScalingReplicaSet",
            "message": "Scaled up replica set web-5d8f9c7b6 from 0 to 3",
            "involvedObject": {"kind": "Deployment", "namespace": "virtual-default", "name": "web"},
            "firstTimestamp": _ts(0),
            "lastTimestamp": _ts(0),
        },
    ]
    return ClusterSnapshot(
        time=60.0,
        prefix="virtual",
        nodes=nodes,
        pods=pods,
        workloads=[dep, rs, sts, cron, job],
        events=events,
    )


def test_summarize_walks_owner_references_to_top_level_workloads() -> None:
    summaries = {(s.kind, s.name): s for s in summarize(_snapshot())}
    assert set(summaries) == {
        ("Deployment", "web"),
        ("StatefulSet", "db"),
        ("CronJob", "hello"),
        ("Pod", "bare-pod-1"),
    }
    web = summaries["Deployment", "web"]
    assert web == WorkloadSummary(
        kind="Deployment",
        namespace="default",
        name="web",
        desired=3,
        ready=2,
        available=2,
        updated=3,
        pending=1,
        running=2,
        crash_looping=0,
        oom_killed=1,
        restarts=1,
        total=3,
        conditions=web.conditions,
    )
    assert web.condition("Available") == {
        "type": "Available",
        "status": "False",
        "reason": "MinimumReplicasUnavailable",
    }
    db = summaries["StatefulSet", "db"]
    assert (db.desired, db.ready, db.running, db.crash_looping, db.oom_killed, db.restarts) == (
        2,
        0,
        1,
        1,
        1,
        3,
    )
    hello = summaries["CronJob", "hello"]
    assert (hello.namespace, hello.desired, hello.total, hello.running, hello.pending) == (
        "batch",
        1,
        1,
        0,
        0,
    )
    bare = summaries["Pod", "bare-pod-1"]
    assert (bare.namespace, bare.desired, bare.ready, bare.running, bare.total) == ("testing", 1, 1, 1, 1)
    assert web.to_dict()["crashLooping"] == 0 and db.to_dict()["oomKilled"] == 1


def test_pods_by_workload_follows_owners_and_observations_use_it() -> None:
    from pytest_simarena.episode.observation import workload_pods
    from pytest_simarena.trace.model import WorkloadRef

    snapshot = _snapshot()
    groups = {
        key: sorted(p["metadata"]["name"] for p in pods) for key, pods in pods_by_workload(snapshot).items()
    }
    assert groups == {
        ("Deployment", "virtual-default", "web"): [
            "web-5d8f9c7b6-aaaaa",
            "web-5d8f9c7b6-bbbbb",
            "web-5d8f9c7b6-ccccc",
        ],
        ("StatefulSet", "virtual-default", "db"): ["db-0"],
        ("CronJob", "virtual-batch", "hello"): ["hello-28000000-zzzzz"],  # pod -> Job -> CronJob
        ("Pod", "virtual-testing", "bare-pod-1"): ["bare-pod-1"],
    }
    # The observation looks its workload up in the run's namespace (<prefix>-<traced namespace>).
    web = workload_pods(snapshot, WorkloadRef("apps/v1.Deployment", "default", "web"))
    assert len(web) == 3 and all(any(p is q for q in snapshot.pods) for p in web)  # the snapshot's dicts
    assert workload_pods(snapshot, WorkloadRef("batch/v1.CronJob", "batch", "hello"))[0]["metadata"][
        "name"
    ] == ("hello-28000000-zzzzz")
    assert workload_pods(snapshot, WorkloadRef("apps/v1.Deployment", "other", "web")) == []


def test_original_namespace_falls_back_to_cutting_the_prefix() -> None:
    obj = {"metadata": {"namespace": "simarena-gw0-test-cpu-dsb"}}
    assert original_namespace(obj, "simarena-gw0-test-cpu") == "dsb"
    assert original_namespace(obj, "other") == "simarena-gw0-test-cpu-dsb"


def test_node_usage_counts_bound_non_terminal_pods() -> None:
    usage = {n.name: n for n in node_usage(_snapshot())}
    assert list(usage) == ["kwok-node-0", "kwok-node-1", "kwok-node-2"]
    n0 = usage["kwok-node-0"]
    # web-aaaaa (4 cpu, 8Gi) and db-0 (1Gi); the Succeeded job pod's 8 cpu are free again
    assert (n0.requested_cpu, n0.requested_memory, n0.pods) == (4000, 9 * 2**30, 2)
    assert (n0.allocatable_cpu, n0.allocatable_memory, n0.allocatable_pods) == (16000, 32 * 2**30, 110)
    assert usage["kwok-node-1"].to_dict() == {
        "name": "kwok-node-1",
        "allocatable": {"cpu": "16", "memory": "32Gi", "pods": "110"},
        "requested": {"cpu": "4", "memory": "8Gi", "pods": "2"},
    }
    assert usage["kwok-node-2"].pods == 0


def test_render_workloads_like_kubectl_get_deploy_pods() -> None:
    snap = _snapshot()
    text = render_workloads(snap, now=T0_S + 60)
    lines = text.splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert lines[1].split() == ["default", "deployment.apps/web", "2/3", "3", "2", "60s"]
    assert (
        "statefulset.apps/db" in text and "cronjob.batch/hello" in text and "job.batch/hello-28000000" in text
    )
    assert "replicaset.apps/" not in text  # owned by the Deployment: kubectl get deploy,pods hides it
    pod_lines = {ln.split()[1]: ln.split() for ln in lines if "pod/" in ln}
    assert pod_lines["pod/web-5d8f9c7b6-ccccc"][2:5] == ["0/1", "Pending", "0"]
    assert pod_lines["pod/web-5d8f9c7b6-bbbbb"][2:6] == ["1/1", "Running", "1", "(30s"]
    assert pod_lines["pod/db-0"][2:4] == ["0/1", "CrashLoopBackOff"]
    assert pod_lines["pod/hello-28000000-zzzzz"][3] == "Completed"


def test_render_events_like_kubectl_get_events() -> None:
    text = render_events(_snapshot(), now=T0_S + 60)
    lines = text.splitlines()
    assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    # oldest first: ScalingReplicaSet (last seen 60s ago) before the FailedScheduling merged 4 times
    assert lines[1].split()[:4] == ["60s", "Normal", "ScalingReplicaSet", "deployment/web"]
    assert lines[2].split()[:5] == ["30s", "(x4)", "Warning", "FailedScheduling", "pod/web-5d8f9c7b6-ccccc"]
    assert lines[2].endswith(UNSCHEDULABLE_MSG)
    view = event_view(_snapshot().events[1], prefix="virtual")
    assert view["count"] == 1  # singleton events have no count
    assert view["involvedObject"]["namespace"] == "default"


def test_render_nodes_and_empty_snapshots() -> None:
    text = render_nodes(_snapshot())
    assert text.splitlines()[1].split() == ["kwok-node-0", "4/16", "(25%)", "9Gi/32Gi", "(28%)", "2/110"]
    empty = ClusterSnapshot(time=0.0, prefix="virtual")
    assert render_workloads(empty) == "No resources found."
    assert render_events(empty) == "No events found."
    assert summarize(empty) == []


def test_format_table_pads_three_spaces() -> None:
    assert format_table(["A", "BB"], [["xyz", "1"]]) == "A     BB\nxyz   1"
