"""Controllers: Deployment rollouts, status and conditions (kubernetes.md §6), ReplicaSet, StatefulSet,
Job/CronJob, validation (§2.3) and cascading deletes."""

from __future__ import annotations

import re

import pytest
from test_embedded_kit import (
    NS,
    PREFIX,
    condition,
    container,
    deployment,
    events,
    phases,
    pods_of,
    run,
    statefulset,
    trace,
    workload,
)

from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster, InvalidObject
from pytest_simarena.backends.embedded.controllers import SAFE_ALPHABET, resolve_int_or_percent


def test_names_events_and_status_of_a_healthy_deployment() -> None:
    _cluster, snap = run(trace((0, [deployment(replicas=3)])), 30)
    rs = workload(
        snap, "ReplicaSet", next(w["metadata"]["name"] for w in snap.workloads if w["kind"] == "ReplicaSet")
    )
    rs_name = rs["metadata"]["name"]
    assert re.fullmatch(rf"web-[{SAFE_ALPHABET}]{{1,10}}", rs_name)
    for pod in pods_of(snap, "web-"):
        assert re.fullmatch(rf"{rs_name}-[{SAFE_ALPHABET}]{{5}}", pod["metadata"]["name"])
        (ref,) = pod["metadata"]["ownerReferences"]
        assert (ref["kind"], ref["name"], ref["uid"], ref["controller"]) == (
            "ReplicaSet",
            rs_name,
            rs["metadata"]["uid"],
            True,
        )
        assert pod["metadata"]["labels"]["pod-template-hash"] == rs_name.split("-", 1)[1]
    dep = workload(snap, "Deployment", "web")
    status = dep["status"]
    assert {k: status[k] for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")} == {
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
    }
    assert "unavailableReplicas" not in status  # zero fields are omitted (§6.4)
    assert (condition(dep, "Available")["reason"], condition(dep, "Progressing")["reason"]) == (
        "MinimumReplicasAvailable",
        "NewReplicaSetAvailable",
    )
    assert condition(dep, "Progressing")["message"] == f'ReplicaSet "{rs_name}" has successfully progressed.'
    assert [e["message"] for e in events(snap, "ScalingReplicaSet")] == [
        f"Scaled up replica set {rs_name} from 0 to 3"
    ]
    created = events(snap, "SuccessfulCreate")
    assert sorted(e["message"] for e in created) == sorted(
        f"Created pod: {p['metadata']['name']}" for p in pods_of(snap, "web-")
    )
    assert dep["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"


def test_pending_deployment_status_then_progress_deadline() -> None:
    # §6.4 fresh Deployment with all pods Pending; §6.5 ProgressDeadlineExceeded after 600 s (+1 s requeue).
    cluster = EmbeddedCluster(seed=0)
    cluster.start(trace((0, [deployment(cpu="17")])), PREFIX)
    cluster.run(600)
    dep = workload(cluster.observe(PREFIX), "Deployment", "web")
    assert dep["status"] == {**dep["status"], "replicas": 3, "updatedReplicas": 3, "unavailableReplicas": 3}
    assert "readyReplicas" not in dep["status"] and "availableReplicas" not in dep["status"]
    assert condition(dep, "Available")["reason"] == "MinimumReplicasUnavailable"
    assert condition(dep, "Progressing")["status"] == "True"
    cluster.run(2)
    dep = workload(cluster.observe(PREFIX), "Deployment", "web")
    prog = condition(dep, "Progressing")
    rs_name = next(
        w["metadata"]["name"] for w in cluster.observe(PREFIX).workloads if w["kind"] == "ReplicaSet"
    )
    assert (prog["status"], prog["reason"], prog["message"]) == (
        "False",
        "ProgressDeadlineExceeded",
        f'ReplicaSet "{rs_name}" has timed out progressing.',
    )
    assert phases(cluster.observe(PREFIX), "web-") == ["Pending"] * 3  # nothing else changes


@pytest.mark.parametrize(
    ("replicas", "surge", "unavailable"), [(1, 1, 0), (2, 1, 0), (3, 1, 0), (4, 1, 1), (5, 2, 1), (10, 3, 2)]
)
def test_fenceposts_round_surge_up_and_unavailable_down(replicas: int, surge: int, unavailable: int) -> None:
    # §6.2 ResolveFenceposts table.
    s = resolve_int_or_percent("25%", replicas, round_up=True, field="maxSurge")
    u = resolve_int_or_percent("25%", replicas, round_up=False, field="maxUnavailable")
    if s == 0 and u == 0:
        u = 1
    assert (s, u) == (surge, unavailable)


def test_rolling_update_replaces_pods_within_surge() -> None:
    old = deployment(replicas=4, cpu="1")
    new = deployment(replicas=4, cpu="2")
    cluster, snap = run(trace((0, [old]), (30, [new])), 60)
    rss = [w for w in snap.workloads if w["kind"] == "ReplicaSet"]
    assert len(rss) == 2
    by_rev = {w["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: w for w in rss}
    assert (by_rev["1"]["spec"]["replicas"], by_rev["2"]["spec"]["replicas"]) == (0, 4)
    running = [p for p in pods_of(snap, "web-") if p["status"]["phase"] == "Running"]
    assert len(running) == 4
    assert {p["spec"]["containers"][0]["resources"]["requests"]["cpu"] for p in running} == {"2"}
    # 4 replicas: surge 1, unavailable 1 -> the first step adds one new pod and removes one old one.
    messages = [e["message"] for e in cluster.observe(PREFIX).events if e["reason"] == "ScalingReplicaSet"]
    new_rs, old_rs = by_rev["2"]["metadata"]["name"], by_rev["1"]["metadata"]["name"]
    assert messages[:3] == [
        f"Scaled up replica set {old_rs} from 0 to 4",
        f"Scaled up replica set {new_rs} from 0 to 1",
        f"Scaled down replica set {old_rs} from 4 to 3",
    ]
    assert (
        workload(snap, "Deployment", "web")["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        == "2"
    )


def test_rolling_update_stuck_on_unschedulable_template_keeps_old_pods_serving() -> None:
    # §6.3: with 3 replicas (surge 1, unavailable 0) one new pod is created and stays Pending.
    _cluster, snap = run(
        trace((0, [deployment(replicas=3, cpu="1")]), (10, [deployment(replicas=3, cpu="17")])), 120
    )
    by_cpu: dict[str, list[str]] = {}
    for pod in pods_of(snap, "web-"):
        by_cpu.setdefault(pod["spec"]["containers"][0]["resources"]["requests"]["cpu"], []).append(
            pod["status"]["phase"]
        )
    assert by_cpu == {"1": ["Running"] * 3, "17": ["Pending"]}
    dep = workload(snap, "Deployment", "web")
    assert condition(dep, "Available")["status"] == "True"
    assert dep["status"]["replicas"] == 4 and dep["status"]["updatedReplicas"] == 1


def test_recreate_removes_old_pods_before_creating_new_ones() -> None:
    recreate = {"type": "Recreate"}
    _cluster, snap = run(
        trace(
            (0, [deployment(replicas=2, cpu="9", strategy=recreate)]),
            (10, [deployment(replicas=2, cpu="10", strategy=recreate)]),
        ),
        20,
        ClusterSpec.uniform(2, "16", "32Gi"),
    )
    # 2 x 9 + 2 x 10 would not fit on 2 nodes at once; Recreate never needs both.
    assert phases(snap, "web-") == ["Running", "Running"]
    assert {p["spec"]["containers"][0]["resources"]["requests"]["cpu"] for p in pods_of(snap, "web-")} == {
        "10"
    }


def test_replica_changes_scale_the_replica_set_and_delete_unready_pods_first() -> None:
    tr = trace((0, [deployment(replicas=5, cpu="9")]), (30, [deployment(replicas=3, cpu="9")]))
    cluster, snap = run(tr, 20)
    assert phases(snap, "web-") == ["Pending"] * 2 + ["Running"] * 3  # one 9-cpu pod per 16-cpu node
    cluster.run(20)
    snap = cluster.observe(PREFIX)
    # Pending (unassigned) pods are deleted first (ActivePodsWithRanks).
    assert phases(snap, "web-") == ["Running"] * 3
    rs = next(w for w in snap.workloads if w["kind"] == "ReplicaSet")
    assert any(
        e["message"] == f"Scaled down replica set {rs['metadata']['name']} from 5 to 3" for e in snap.events
    )
    assert len([e for e in snap.events if e["reason"] == "SuccessfulDelete"]) == 2


def test_request_above_limit_is_rejected_like_the_api_server() -> None:
    bad = deployment(replicas=1, containers=[container(requests={"cpu": "3"}, limits={"cpu": "2"})])
    cluster = EmbeddedCluster(seed=0)
    with pytest.raises(InvalidObject) as info:
        cluster.apply(bad, prefix=PREFIX)
    # kubernetes.md §2.3 recent wording, on the requests path with the canonical value.
    assert str(info.value) == (
        'The Deployment "web" is invalid: spec.template.spec.containers[0].resources.requests: '
        'Invalid value: "3": must be less than or equal to cpu limit of 2'
    )
    # During replay the apply fails, nothing is created, and the user sees why.
    cluster, snap = run(trace((0, [bad])), 10)
    assert snap.workloads == [] and snap.pods == []
    (event,) = events(snap, "FailedApply")
    assert event["type"] == "Warning" and "must be less than or equal to cpu limit of 2" in event["message"]
    assert any(line.startswith("0.000 error events[0].applied_objs[0]") for line in cluster.event_log)


def test_deployment_must_restart_always() -> None:
    cluster = EmbeddedCluster(seed=0)
    with pytest.raises(
        InvalidObject,
        match=r'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ):
        cluster.apply(deployment(restartPolicy="Never"), prefix=PREFIX)


def test_statefulset_ordered_ready_names_and_blocking() -> None:
    _, snap = run(trace((0, [statefulset(replicas=3)])), 10)
    assert sorted(p["metadata"]["name"] for p in snap.pods) == ["db-0", "db-1", "db-2"]
    sts = workload(snap, "StatefulSet", "db")
    assert (sts["status"]["replicas"], sts["status"]["readyReplicas"]) == (3, 3)
    assert [e["message"] for e in events(snap, "SuccessfulCreate")] == [
        f"create Pod db-{i} in StatefulSet db successful" for i in range(3)
    ]
    # Pod 0 cannot be scheduled: OrderedReady never creates pod 1.
    _, snap = run(trace((0, [statefulset(replicas=3, cpu="17")])), 60)
    assert [(p["metadata"]["name"], p["status"]["phase"]) for p in snap.pods] == [("db-0", "Pending")]


def test_deleting_a_deployment_cascades_to_replica_sets_and_pods() -> None:
    dep = deployment(replicas=2)
    cluster, snap = run(
        trace(
            (0, [dep]),
            (
                30,
                [],
                [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "metadata": {"name": "web", "namespace": "default"},
                    }
                ],
            ),
        ),
        20,
    )
    assert len(snap.pods) == 2
    cluster.run(20)
    snap = cluster.observe(PREFIX)
    assert snap.pods == [] and snap.workloads == []
    # freed capacity is visible to new pods
    cluster.apply(deployment("again", replicas=3, cpu="16"), prefix=PREFIX)
    cluster.run(1)
    assert phases(cluster.observe(PREFIX), "again-") == ["Running"] * 3


def test_cronjob_trace_creates_jobs_each_minute_and_pods_complete(shared_traces) -> None:  # type: ignore[no-untyped-def]
    import warnings

    from pytest_simarena.trace import load_trace

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tr = load_trace(shared_traces / "simkube" / "cronjob.sktrace")
    cluster = EmbeddedCluster(seed=0)
    cluster.start(tr, PREFIX)
    cluster.run(180)  # CronJob created at :23 past the minute, deleted at 205 s
    snap = cluster.observe(PREFIX)
    jobs = sorted(w["metadata"]["name"] for w in snap.workloads if w["kind"] == "Job")
    # schedule "* * * * *": jobs at 1743286860, ...920, ...980 (unix minutes 29054781..3)
    assert jobs == ["hello-simkube-29054781", "hello-simkube-29054782", "hello-simkube-29054783"]
    done = [p for p in snap.pods if p["status"]["phase"] == "Succeeded"]
    assert len(done) == 2  # the recorded runs last 30 s; the third job's pod (from 157 s) ends at 187 s
    for pod in done:
        state = pod["status"]["containerStatuses"][0]["state"]["terminated"]
        assert (state["reason"], state["exitCode"]) == ("Completed", 0)
    assert [e["message"] for e in events(snap, "SawCompletedJob")] == [
        "Saw completed job: hello-simkube-29054781, status: Complete",
        "Saw completed job: hello-simkube-29054782, status: Complete",
    ]
    assert workload(snap, "CronJob", "hello-simkube")["status"]["lastScheduleTime"] == "2025-03-29T22:23:00Z"
    cluster.run(10)
    assert len([p for p in cluster.observe(PREFIX).pods if p["status"]["phase"] == "Succeeded"]) == 3
    cluster.run(20)
    assert cluster.observe(PREFIX).workloads == [] and cluster.observe(PREFIX).pods == []
    assert NS == "virtual-default"


def test_min_ready_seconds_delays_availability() -> None:
    cluster = EmbeddedCluster(seed=0)
    cluster.start(trace((0, [deployment(replicas=2, deployment_spec={"minReadySeconds": 30})])), PREFIX)
    cluster.run(29)
    dep = workload(cluster.observe(PREFIX), "Deployment", "web")
    assert dep["status"]["readyReplicas"] == 2 and "availableReplicas" not in dep["status"]
    assert condition(dep, "Available")["status"] == "False"
    cluster.run(2)
    dep = workload(cluster.observe(PREFIX), "Deployment", "web")
    assert dep["status"]["availableReplicas"] == 2
    assert condition(dep, "Available")["status"] == "True"
    assert condition(dep, "Progressing")["reason"] == "NewReplicaSetAvailable"


def test_statefulset_scales_down_from_the_highest_ordinal() -> None:
    tr = trace((0, [statefulset(replicas=3)]), (20, [statefulset(replicas=1)]))
    cluster, snap = run(tr, 10)
    assert sorted(p["metadata"]["name"] for p in snap.pods) == ["db-0", "db-1", "db-2"]
    cluster.run(20)
    snap = cluster.observe(PREFIX)
    assert [p["metadata"]["name"] for p in snap.pods] == ["db-0"]
    deleted = [e["message"] for e in events(snap, "SuccessfulDelete")]
    assert deleted == [
        "delete Pod db-2 in StatefulSet db successful",
        "delete Pod db-1 in StatefulSet db successful",
    ]


def test_observing_never_changes_the_run() -> None:
    tr = trace(
        (0, [deployment(replicas=4, cpu="5", deployment_spec={"minReadySeconds": 10})]),
        (40, [deployment(replicas=2, cpu="6")]),
    )
    quiet = EmbeddedCluster(seed=2)
    quiet.start(tr, PREFIX)
    quiet.run(200)
    watched = EmbeddedCluster(seed=2)
    watched.start(tr, PREFIX)
    for _ in range(40):
        watched.run(5)
        watched.observe(PREFIX)
    assert watched.event_log == quiet.event_log
    assert watched.observe(PREFIX) == quiet.observe(PREFIX)


def test_a_rejected_update_leaves_the_running_deployment_untouched() -> None:
    bad = deployment(replicas=3, containers=[container(requests={"memory": "2Gi"}, limits={"memory": "1Gi"})])
    _, snap = run(trace((0, [deployment(replicas=2)]), (10, [bad])), 30)
    assert phases(snap, "web-") == ["Running", "Running"]
    dep = workload(snap, "Deployment", "web")
    assert (dep["spec"]["replicas"], dep["metadata"]["generation"]) == (2, 1)
    (event,) = events(snap, "FailedApply")
    assert event["message"] == (
        'The Deployment "web" is invalid: spec.template.spec.containers[0].resources.requests: '
        'Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi'
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"replicas": "three"},
            'Deployment "web" cannot be handled as a Deployment: json: cannot unmarshal string into Go '
            "struct field DeploymentSpec.spec.replicas of type int32",
        ),
        (
            {"replicas": -2},
            'The Deployment "web" is invalid: spec.replicas: Invalid value: -2: '
            "must be greater than or equal to 0",
        ),
        (
            # int32 out of range: encoding/json's UnmarshalTypeError (a fuzzed trace asked for 2**64-1 pods)
            {"replicas": 2**64 - 1},
            'Deployment "web" cannot be handled as a Deployment: json: cannot unmarshal number '
            "18446744073709551615 into Go struct field DeploymentSpec.spec.replicas of type int32",
        ),
        (
            {"selector": "web"},  # found by fuzzing: it used to break the ReplicaSet build after the apply
            'Deployment "web" cannot be handled as a Deployment: json: cannot unmarshal string into Go '
            "struct field DeploymentSpec.spec.selector of type v1.LabelSelector",
        ),
        (
            {"selector": {"matchLabels": {"app": 3}}},
            "json: cannot unmarshal number into Go struct field LabelSelector.spec.selector.matchLabels "
            "of type string",
        ),
        (
            {"template": {"spec": {"containers": [{"name": "web", "resources": "lots"}]}}},
            "spec.template.spec.containers[0].resources: Invalid value: 'lots': must be an object",
        ),
        (
            {"template": {"spec": {"containers": [{"image": "x"}]}}},
            "spec.template.spec.containers[0].name: Required value",
        ),
    ],
)
def test_malformed_objects_are_rejected_with_a_message_not_a_crash(
    spec: dict[str, object], message: str
) -> None:
    obj = deployment()
    obj["spec"].update(spec)
    cluster, snap = run(trace((0, [obj])), 5)
    assert snap.pods == [] and snap.workloads == []
    (event,) = events(snap, "FailedApply")
    assert message in event["message"]
    assert sum(" error events[0].applied_objs[0]: " in line for line in cluster.event_log) == 1
