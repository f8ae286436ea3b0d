"""Fidelity rows for probes and memory ramps (issue 15): the kubelet's timing, from its source.

Every expected time below is worked out by hand from kubernetes/kubernetes (files and functions cited per
row), never read back from the engine. The simulated app answers its probes once its declared startup
work is done (``startupCpuSeconds`` / cpu limit); the probe worker starts with the pod (t = 0 here: the
pods are bound and started at the trace's first instant).

Rules used (pkg/kubelet/prober):
- worker.go ``run``: a worker probes at once, then on a ticker every ``periodSeconds``; the first run
  finds no container (``AddPod`` precedes container creation in kubelet.go ``SyncPod``), so the first
  real probe is at ``periodSeconds``;
- worker.go ``doProbe``: skipped while ``int32(time.Since(startedAt).Seconds()) < InitialDelaySeconds``;
  readiness/liveness skipped until ``Started``, startup skipped after; a result is set after
  ``FailureThreshold``/``SuccessThreshold`` equal outcomes in a row; a liveness/startup Failure puts the
  worker on hold until a new container;
- prober_manager.go ``UpdatePodStatus``: a started container whose readiness is not Success triggers a
  readiness probe at once (``manualTriggerCh``); the status is regenerated at the pod sync the PLEG
  relist (kubelet.go ``genericPlegRelistPeriod`` = 1 s) causes after a container starts, and at the
  sync a startup result causes (kubelet.go ``syncLoopIteration``, ``startupManager.Updates()``);
- prober.go ``runProbe``: Warning ``Unhealthy`` "%s probe failed: %s" (probeType.String(): "Startup");
- kuberuntime_manager.go ``computePodActions``: "Container %s failed startup probe" + ", will be
  restarted" (restartPolicy Always), Normal ``Killing`` (``killContainer``); the container is started in
  the same ``SyncPod``; ``doBackOff`` takes the latest *exited* instance's FinishedAt (the killed one still
  shows running in that sync's status), ``IsInBackOffSince``/``Next`` from
  client-go util/flowcontrol/backoff.go (10 s doubling, kubelet.go ``backOffPeriod``/``MaxContainerBackOff``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fidelity_kit import (
    PREFIX,
    condition,
    container,
    deployment,
    events_for,
    main_container,
    name_of,
    pods_of,
    replay,
    seconds_since_start,
    trace,
    workload,
)

from pytest_simarena.backends.embedded import EmbeddedCluster
from pytest_simarena.kubeview import pod_ready, pod_restarts, pod_status

Obj = dict[str, Any]
CASES: list[tuple[str, Callable[[], None]]] = []


def case(case_id: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(fn: Callable[[], None]) -> Callable[[], None]:
        CASES.append((case_id, fn))
        return fn

    return register


def probed(
    *,
    work: str | None = None,
    startup: Obj | None = None,
    readiness: Obj | None = None,
    liveness: Obj | None = None,
    limit_cpu: str = "500m",
    min_ready: int | None = None,
) -> Obj:
    app = container(cpu="250m", memory="256Mi", limit_cpu=limit_cpu)
    app["ports"] = [{"name": "http", "containerPort": 8080}]
    for key, probe in (("startupProbe", startup), ("readinessProbe", readiness), ("livenessProbe", liveness)):
        if probe is not None:
            app[key] = probe
    usage = {"app": {"startupCpuSeconds": work}} if work else None
    dep = deployment("web", 1, containers=[app], usage=usage)
    if min_ready is not None:
        dep["spec"]["minReadySeconds"] = min_ready
    return dep


def http(path: str, **timing: int) -> Obj:
    return {"httpGet": {"path": path, "port": 8080}, **timing}


def watch(c: EmbeddedCluster, until: float, look: Callable[[Obj], Any]) -> list[tuple[float, Any]]:
    """(time, look(pod)) at every change, checking each instant the engine stops at."""
    seen: list[tuple[float, Any]] = []

    def check() -> bool:
        (pod,) = pods_of(c.observe(PREFIX), "web")
        value = look(pod)
        if not seen or seen[-1][1] != value:
            seen.append((round(c.now, 3), value))
        return False

    check()
    while c.now < until:
        c.run_until(check, min(0.5, until - c.now))
    return seen


@case("readiness-probe-initialDelay-10-period-5-ready-at-10[prober/worker.go doProbe]")
def _readiness_initial_delay() -> None:
    # Manual trigger at the 1 s relist: int(1) < 10, skipped; ticks at 5 (int(5) < 10) and 10 (probed,
    # the app is up: startup work 0): Success with successThreshold 1 -> Ready at 10 s.
    c, _ = replay(trace((0, [probed(readiness=http("/ready", initialDelaySeconds=10, periodSeconds=5))])), 0)
    assert watch(c, 20, pod_ready) == [(0, "0/1"), (10, "1/1")]  # kubectl READY
    (pod,) = pods_of(c.observe(PREFIX), "web")
    ready = condition(pod, "Ready")
    assert ready is not None and seconds_since_start(ready["lastTransitionTime"]) == 10


@case("not-ready-until-probe-conditions-ContainersNotReady-started-true[status/generate.go]")
def _not_ready_conditions() -> None:
    # At 5 s (before the 10 s initial delay): the container runs and has started (no startup probe:
    # UpdatePodStatus sets Started when no startup worker exists) but is not ready; pkg/kubelet/status/
    # generate.go GenerateContainersReadyCondition / GeneratePodReadyCondition: False, reason
    # ContainersNotReady, "containers with unready status: [app]"; phase Running, kubectl READY 0/1.
    dep = probed(readiness=http("/ready", initialDelaySeconds=10, periodSeconds=5))
    _, snap = replay(trace((0, [dep])), 5)
    (pod,) = pods_of(snap, "web")
    cs = main_container(pod)
    assert (pod["status"]["phase"], pod_ready(pod), pod_status(pod)) == ("Running", "0/1", "Running")
    assert (cs["started"], cs["ready"], list(cs["state"])) == (True, False, ["running"])
    for ctype in ("Ready", "ContainersReady"):
        cond = condition(pod, ctype)
        assert cond is not None
        assert (cond["status"], cond["reason"], cond["message"]) == (
            "False",
            "ContainersNotReady",
            "containers with unready status: [app]",
        )


@case("readiness-probe-manual-trigger-after-PLEG-relist-ready-at-1[prober_manager.go UpdatePodStatus]")
def _readiness_manual_trigger() -> None:
    # initialDelay 0, period 10: the relist 1 s after start regenerates the status; UpdatePodStatus finds
    # the started container not ready and triggers a probe at once: Ready at 1 s, not at the 10 s tick.
    c, _ = replay(trace((0, [probed(readiness=http("/ready", periodSeconds=10))])), 0)
    assert watch(c, 15, pod_ready) == [(0, "0/1"), (1, "1/1")]


@case("startup-probe-gates-readiness-started-and-ready-at-21[prober/worker.go, prober_manager.go]")
def _startup_gates_readiness() -> None:
    # 8 cpu-seconds at a 500m limit: the app answers 16 s after start. Startup probe period 7: probes at
    # 7 and 14 fail, 21 succeeds -> started; the status sync's manual trigger probes readiness at 21.
    dep = probed(
        work="8",
        startup=http("/healthz", periodSeconds=7, failureThreshold=3),
        readiness=http("/ready", periodSeconds=5),
    )
    c, _ = replay(trace((0, [dep])), 0)

    def look(pod: Obj) -> tuple[bool, bool]:
        cs = main_container(pod)
        return bool(cs["started"]), bool(cs["ready"])

    assert watch(c, 30, look) == [(0, (False, False)), (21, (True, True))]
    (pod,) = pods_of(c.observe(PREFIX), "web")
    unhealthy = events_for(c.observe(PREFIX), name_of(pod), "Unhealthy")
    assert [e["count"] for e in unhealthy] == [2]  # 7 s and 14 s, the same text: one event, count 2


@case("startup-probe-kills-at-21-42-63-84-then-CrashLoopBackOff-40s[kuberuntime_manager.go doBackOff]")
def _startup_kill_timeline() -> None:
    # 30 cpu-seconds at 500m = 60 s, more than the budget (3 failures, 7 s apart: 21 s after each start).
    # Kill 1 at 21: no exited instance -> started at once, no back-off entry. Kill 2 at 42: latest exited
    # finished at 21, no entry -> Next: 10 s; start at once. Kill 3 at 63: 63 - 42 = 21 >= 10 -> Next:
    # 20 s. Kill 4 at 84: 21 >= 20 -> Next: 40 s. Kill 5 at 105: 21 < 40 -> back-off ("back-off 40s"),
    # the next sync measures from 105: started again at 145.
    dep = probed(work="30", startup=http("/healthz", periodSeconds=7, failureThreshold=3))
    c, _ = replay(trace((0, [dep])), 0)
    seen = watch(c, 150, lambda pod: (pod_restarts(pod), pod_status(pod)))
    assert seen == [
        (0, (0, "Running")),
        (21, (1, "Running")),
        (42, (2, "Running")),
        (63, (3, "Running")),
        (84, (4, "Running")),
        (105, (4, "CrashLoopBackOff")),
        (145, (5, "Running")),
    ]


@case("startup-probe-event-texts-Unhealthy-Killing-BackOff[prober.go, kuberuntime_manager.go]")
def _startup_event_texts() -> None:
    dep = probed(work="30", startup=http("/healthz", periodSeconds=7, failureThreshold=3))
    _, snap = replay(trace((0, [dep])), 110)
    (pod,) = pods_of(snap, "web")
    ip = pod["status"]["podIP"]
    ref = f"{name_of(pod)}_{pod['metadata']['namespace']}({pod['metadata']['uid']})"
    (unhealthy,) = events_for(snap, name_of(pod), "Unhealthy")
    assert unhealthy["type"] == "Warning"
    assert unhealthy["message"] == (
        f'Startup probe failed: Get "http://{ip}:8080/healthz": '
        f"dial tcp {ip}:8080: connect: connection refused"
    )
    assert unhealthy["count"] == 15  # 3 per container, 5 containers killed by 105 s
    (killing,) = events_for(snap, name_of(pod), "Killing")
    assert (killing["type"], killing["message"], killing["count"]) == (
        "Normal",
        "Container app failed startup probe, will be restarted",
        5,
    )
    assert killing["involvedObject"]["fieldPath"] == "spec.containers{app}"
    (backoff,) = events_for(snap, name_of(pod), "BackOff")
    assert backoff["message"] == f"Back-off restarting failed container app in pod {ref}"
    cs = main_container(pod)
    assert cs["state"]["waiting"]["message"] == f"back-off 40s restarting failed container=app pod={ref}"
    # the simulated app ends on SIGTERM: runtime reason Error (containerd's non-zero exit), 128 + 15
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    assert cs["lastState"]["terminated"]["exitCode"] == 143


@case("liveness-probe-without-startup-probe-kills-slow-start-at-30[kuberuntime_manager.go]")
def _liveness_kill() -> None:
    # 60 cpu-seconds at 1 cpu: 60 s. Liveness (period 10, failureThreshold 3, no startup probe: started at
    # once) fails at 10, 20, 30 -> "Container app failed liveness probe, will be restarted" at 30.
    dep = probed(work="60", limit_cpu="1", liveness=http("/healthz", periodSeconds=10))
    c, _ = replay(trace((0, [dep])), 0)
    seen = watch(c, 35, pod_restarts)
    assert seen == [(0, 0), (30, 1)]
    snap = c.observe(PREFIX)
    (pod,) = pods_of(snap, "web")
    (killing,) = events_for(snap, name_of(pod), "Killing")
    assert killing["message"] == "Container app failed liveness probe, will be restarted"


@case("deployment-available-minReadySeconds-after-probe-ready[deployment availability, probes]")
def _available_after_ready() -> None:
    # Ready at 10 (readiness initialDelay 10, period 5); minReadySeconds 5: available from 15 s
    # (podutil.IsPodAvailable: ready for at least minReadySeconds).
    dep = probed(readiness=http("/ready", initialDelaySeconds=10, periodSeconds=5), min_ready=5)
    c, _ = replay(trace((0, [dep])), 0)
    seen: list[tuple[float, int]] = []
    while c.now < 20:
        c.run(0.5)
        status = workload(c.observe(PREFIX), "Deployment", "web")["status"]
        available = int(status.get("availableReplicas", 0))
        if not seen or seen[-1][1] != available:
            seen.append((c.now, available))
    assert seen == [(0.5, 0), (15.0, 1)]


# Memory ramp: 256Mi at start, +768Mi a minute, limit 512Mi: the usage reaches the limit 20 s after each
# start (kubernetes.md §4.1: the cgroup limit; the kill is OOMKilled/137).
RAMP = {"app": {"memory": "256Mi", "memoryPerMinute": "768Mi", "memoryPeak": "1Gi"}}


def _ramp(limit: str) -> Obj:
    app = container(cpu="100m", memory="256Mi", limit_memory=limit)
    return deployment("web", 1, containers=[app], usage=RAMP)


@case("memory-ramp-oom-at-20-restarts-20-50-90-150[kuberuntime_manager.go doBackOff, backoff.go]")
def _ramp_timeline() -> None:
    # OOM at 20: first exit, no back-off entry: restarted at once (entry 10 s). OOM at 40 (the ramp starts
    # again): 10 s from FinishedAt -> 50. OOM at 70: 20 s -> 90. OOM at 110: 40 s -> 150.
    c, _ = replay(trace((0, [_ramp("512Mi")])), 0)
    times = []
    for k in range(1, 5):

        def restarted(k: int = k) -> bool:
            return any(pod_restarts(p) >= k for p in pods_of(c.observe(PREFIX), "web"))

        assert c.run_until(restarted, 200), f"restart {k} never came (now {c.now})"
        times.append(round(c.now, 3))
    assert times == [20, 50, 90, 150]


@case("memory-ramp-CrashLoopBackOff-at-120-OOMKilled-at-110[k8s-4.3]")
def _ramp_status_at_120() -> None:
    _, snap = replay(trace((0, [_ramp("512Mi")])), 120)
    (pod,) = pods_of(snap, "web")
    cs = main_container(pod)
    assert pod_status(pod) == "CrashLoopBackOff"
    assert cs["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert cs["lastState"]["terminated"]["exitCode"] == 137
    assert seconds_since_start(cs["lastState"]["terminated"]["finishedAt"]) == 110


@case("memory-ramp-peak-at-or-below-limit-never-killed[k8s-4.1]")
def _ramp_below_limit() -> None:
    _, snap = replay(trace((0, [_ramp("1Gi")])), 600)
    (pod,) = pods_of(snap, "web")
    assert (pod_status(pod), pod_restarts(pod), pod_ready(pod)) == ("Running", 0, "1/1")


@pytest.mark.parametrize("probe_case", [fn for _, fn in CASES], ids=[name for name, _ in CASES])
def test_probe_fidelity(probe_case: Callable[[], None]) -> None:
    probe_case()
