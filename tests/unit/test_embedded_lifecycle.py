"""Kubelet: KWOK-like start, lifecycleParams delays, OOM kills, CrashLoopBackOff (kubernetes.md §4-§8)."""

from __future__ import annotations

import pytest
from test_embedded_kit import PREFIX, container, deployment, events, pods_of, run, trace

from pytest_simarena.backends.embedded import EmbeddedCluster, LifecycleParams
from pytest_simarena.backends.embedded.lifecycle import go_duration
from pytest_simarena.errors import SimArenaError

OOM = deployment(
    replicas=1,
    containers=[container(requests={"cpu": "100m", "memory": "256Mi"}, limits={"memory": "256Mi"})],
    usage={"web": {"memory": "600Mi"}},
)


def _restarts(cluster: EmbeddedCluster) -> int:
    pods = pods_of(cluster.observe(PREFIX), "web-")
    return sum(int(c["restartCount"]) for p in pods for c in p["status"].get("containerStatuses", []))


def _running(cluster: EmbeddedCluster) -> bool:
    return [p["status"]["phase"] for p in pods_of(cluster.observe(PREFIX), "web-")] == ["Running"]


def test_kwok_like_start_is_immediate_and_ready() -> None:
    _, snap = run(trace((0, [deployment(replicas=1)])), 0)
    (pod,) = pods_of(snap, "web-")
    status = pod["status"]
    assert status["phase"] == "Running"
    assert [(c["type"], c["status"]) for c in status["conditions"]] == [
        ("PodReadyToStartContainers", "True"),
        ("Initialized", "True"),
        ("Ready", "True"),
        ("ContainersReady", "True"),
        ("PodScheduled", "True"),
    ]
    (cs,) = status["containerStatuses"]
    assert (cs["ready"], cs["restartCount"], list(cs["state"])) == (True, 0, ["running"])
    assert status["startTime"] == "2023-11-14T22:13:20Z" and status["qosClass"] == "Burstable"


def test_oom_restart_times_follow_the_kubelet_backoff() -> None:
    # §4.3: the container is killed as it starts; first restart at once, then 10 s doubling to 5 min.
    cluster = EmbeddedCluster(seed=0)
    cluster.start(trace((0, [OOM])), PREFIX)
    times = []
    for k in range(1, 9):
        assert cluster.run_until(lambda k=k: _restarts(cluster) >= k, 700)
        times.append(cluster.now)
    assert times == [0, 10, 30, 70, 150, 310, 610, 910]


def test_oom_state_message_and_backoff_event() -> None:
    _cluster, snap = run(trace((0, [OOM])), 45)
    (pod,) = pods_of(snap, "web-")
    ref = f"{pod['metadata']['name']}_{pod['metadata']['namespace']}({pod['metadata']['uid']})"
    (cs,) = pod["status"]["containerStatuses"]
    assert cs["state"] == {
        "waiting": {
            "reason": "CrashLoopBackOff",
            "message": f"back-off 40s restarting failed container=web pod={ref}",
        }
    }
    assert cs["lastState"]["terminated"] == {
        "exitCode": 137,
        "reason": "OOMKilled",
        "startedAt": "2023-11-14T22:13:50Z",
        "finishedAt": "2023-11-14T22:13:50Z",
    }
    assert (cs["restartCount"], cs["ready"], pod["status"]["phase"]) == (3, False, "Running")
    ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False",
        "ContainersNotReady",
        "containers with unready status: [web]",
    )
    (backoff,) = events(snap, "BackOff")
    assert (backoff["type"], backoff["message"], backoff["count"]) == (
        "Warning",
        f"Back-off restarting failed container web in pod {ref}",
        3,  # one per crash that entered back-off: at 0, 10 and 30 s
    )
    assert backoff["involvedObject"]["fieldPath"] == "spec.containers{web}"
    dep = next(w for w in snap.workloads if w["kind"] == "Deployment")
    assert dep["status"].get("availableReplicas") is None and dep["status"]["unavailableReplicas"] == 1


def test_usage_within_limit_and_cpu_over_limit_do_nothing_visible() -> None:
    calm = deployment(
        replicas=1,
        containers=[
            container(requests={"cpu": "100m", "memory": "1Gi"}, limits={"cpu": "200m", "memory": "1Gi"})
        ],
        usage={"web": {"memory": "900Mi", "cpu": "2"}},  # cpu above its limit only throttles (§4.2)
    )
    _, snap = run(trace((0, [calm])), 300)
    (pod,) = pods_of(snap, "web-")
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 0
    assert pod["status"]["containerStatuses"][0]["ready"] is True
    assert events(snap, "BackOff") == []


def test_oom_with_restart_policy_never_fails_the_pod() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "once",
            "namespace": "default",
            "annotations": {"simarena.io/usage": '{"web": {"memory": "2Gi"}}'},
        },
        "spec": {"restartPolicy": "Never", "containers": [container(limits={"memory": "1Gi"})]},
    }
    _, snap = run(trace((0, [pod])), 30)
    (seen,) = snap.pods
    assert seen["status"]["phase"] == "Failed"
    assert seen["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] == "OOMKilled"


def test_lifecycle_params_delay_start_with_seeded_jitter() -> None:
    params = {"imagePullDelay": 2000, "imagePullJitter": 1000, "podStartupDelay": 3000, "podStartupJitter": 0}
    cluster = EmbeddedCluster(seed=4, lifecycle=params)
    cluster.start(trace((0, [deployment(replicas=1)])), PREFIX)
    cluster.run(1.5)
    (pod,) = pods_of(cluster.observe(PREFIX), "web-")
    assert pod["status"]["phase"] == "Pending" and "containerStatuses" not in pod["status"]
    cluster.run(1.6)  # 3.1 s: past the create stage (2-3 s), before ready (5-6 s)
    (pod,) = pods_of(cluster.observe(PREFIX), "web-")
    assert pod["status"]["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert cluster.run_until(lambda: _running(cluster), 10)
    first = cluster.now
    assert 5.0 <= first <= 6.0
    again = EmbeddedCluster(seed=4, lifecycle=LifecycleParams(2000, 1000, 3000, 0))
    again.start(trace((0, [deployment(replicas=1)])), PREFIX)
    again.run_until(lambda: _running(again), 10)
    assert again.now == first


def test_bad_lifecycle_params_name_the_field() -> None:
    with pytest.raises(SimArenaError, match=r"lifecycle.podStartDelay: unknown parameter"):
        EmbeddedCluster(lifecycle={"podStartDelay": 1})
    with pytest.raises(SimArenaError, match=r"lifecycle.imagePullDelay: must be a non-negative integer"):
        EmbeddedCluster(lifecycle={"imagePullDelay": -5})


@pytest.mark.parametrize(
    ("seconds", "text"), [(10, "10s"), (20, "20s"), (40, "40s"), (80, "1m20s"), (160, "2m40s"), (300, "5m0s")]
)
def test_go_duration_strings(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


def test_kubectl_status_shows_oomkilled_then_crashloopbackoff() -> None:
    # §4.3/§5.3: between a kill and the kubelet's next sync the container is terminated{OOMKilled}.
    from pytest_simarena.kubeview import pod_status

    cluster = EmbeddedCluster(seed=0)
    cluster.start(trace((0, [OOM])), PREFIX)
    seen = []
    for t in (0.5, 5, 10.5, 20, 30.5, 40):
        cluster.run(t - cluster.now)
        (pod,) = pods_of(cluster.observe(PREFIX), "web-")
        seen.append(pod_status(pod))
    assert seen == ["OOMKilled", "CrashLoopBackOff"] * 3
    (pod,) = pods_of(cluster.observe(PREFIX), "web-")
    assert pod["status"]["phase"] == "Running"


def test_init_containers_complete_or_crash_loop_before_the_app_starts() -> None:
    from pytest_simarena.kubeview import pod_restarts, pod_status

    ok = deployment(replicas=1, initContainers=[container("setup", requests={"cpu": "1"})])
    _, snap = run(trace((0, [ok])), 5)
    (pod,) = pods_of(snap, "web-")
    (init,) = pod["status"]["initContainerStatuses"]
    assert (init["name"], init["state"]["terminated"]["reason"], init["state"]["terminated"]["exitCode"]) == (
        "setup",
        "Completed",
        0,
    )
    assert (pod_status(pod), pod["status"]["phase"]) == ("Running", "Running")
    # An init container above its memory limit never completes: Init:CrashLoopBackOff, phase Pending (§5.1).
    bad = deployment(
        replicas=1,
        initContainers=[container("setup", requests={"memory": "64Mi"}, limits={"memory": "64Mi"})],
        usage={"setup": {"memory": "1Gi"}},
    )
    _, snap = run(trace((0, [bad])), 45)
    (pod,) = pods_of(snap, "web-")
    assert (pod_status(pod), pod_restarts(pod), pod["status"]["phase"]) == (
        "Init:CrashLoopBackOff",
        3,
        "Pending",
    )
    initialized = next(c for c in pod["status"]["conditions"] if c["type"] == "Initialized")
    assert (initialized["status"], initialized["message"]) == (
        "False",
        "containers with incomplete status: [setup]",
    )
    assert pod["status"]["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}


def test_backoff_resets_when_the_last_restart_is_over_ten_minutes_old() -> None:
    # §4.3 backoff.go: an entry older than 2 x 5 min has expired: the next exit restarts at once, 10 s again.
    from pytest_simarena.backends.embedded.clock import Clock
    from pytest_simarena.backends.embedded.events import EventRecorder
    from pytest_simarena.backends.embedded.lifecycle import Kubelet
    from pytest_simarena.backends.embedded.pods import ContainerState

    clock = Clock()
    kubelet = Kubelet(
        clock,
        EventRecorder(clock),
        LifecycleParams(),
        on_change=lambda pod: None,
        on_terminal=lambda pod: None,
        run_duration=lambda pod: None,
    )
    cluster = EmbeddedCluster()
    cluster.apply(deployment(replicas=1), prefix=PREFIX)
    cluster.run(1)
    pod = next(iter(cluster.pods["virtual-default"].values()))
    c = ContainerState("web")
    c.state, c.reason, c.exit_code = "terminated", "Error", 1
    c.backoff, c.backoff_update, c.restarts = 300.0, 0.0, 6
    clock.now = c.started = c.finished = 700.0  # ran from the last restart (t=0) for 700 s > 600 s
    kubelet._sync_container(pod, c)
    assert (c.state, c.restarts, c.backoff) == ("running", 7, 10.0)


def test_jittered_lifecycle_delays_never_stall_the_back_off_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    # Regression: with jittered KWOK stage delays (simkube.md §3.2 lifecycleParams) a crash-looping
    # container's retry, due at exactly finished + back-off (k8s notes §4.3), computed now - finished as
    # 19.999... < 20 and re-entered back-off at the same instant forever. The clock's guard turns such a
    # stall into a BackendError; lowered here so a regression fails fast instead of hanging.
    from pathlib import Path

    from pytest_simarena.backends.embedded import clock as clock_module
    from pytest_simarena.trace import load_trace

    monkeypatch.setattr(clock_module, "MAX_CALLBACKS_PER_INSTANT", 100_000)
    trace = load_trace(str(Path(__file__).parents[2] / "traces/generated/multi-container-018.sktrace"))
    for seed in range(30):
        cluster = EmbeddedCluster(seed=seed, lifecycle=LifecycleParams(1000, 5000, 1000, 5000))
        cluster.start(trace)
        cluster.run(900)
        assert cluster.now == 900
