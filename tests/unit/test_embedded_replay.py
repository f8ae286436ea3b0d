"""Replaying real traces as SimKube's driver does (simkube.md §1.7, §3.4, §5); determinism; backend API."""

from __future__ import annotations

import collections
import warnings
from pathlib import Path

import pytest
from test_embedded_kit import PREFIX, T0, deployment, phases, pods_of, run, trace

from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
from pytest_simarena.backends.protocol import ClusterBackend
from pytest_simarena.errors import SimArenaError
from pytest_simarena.trace import load_trace
from pytest_simarena.trace.model import Trace

pytestmark = pytest.mark.filterwarnings("ignore::pytest_simarena.errors.SimArenaWarning")


def _load(path: Path) -> Trace:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_trace(path)


def _every_trace(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*") if p.suffix in (".sktrace", ".msgpack", ".json"))


def test_every_shared_trace_replays_without_errors(shared_traces: Path) -> None:
    for path in _every_trace(shared_traces):
        tr = _load(path)
        cluster = EmbeddedCluster(seed=0)
        cluster.start(tr, PREFIX)
        cluster.run(min(tr.duration, 2000) + 120)
        snap = cluster.observe(PREFIX)
        assert snap.workloads or snap.pods or path.name == "cronjob.sktrace", path.name
        assert not [line for line in cluster.event_log if " error " in line], path.name
        for pod in snap.pods:
            assert pod["metadata"]["namespace"].startswith("virtual-"), path.name


def test_dsb_scaling_peak_on_default_and_small_clusters(shared_traces: Path) -> None:
    # simkube.md §2/§5: 27 Deployments of 1 cpu / 1Gi pods peaking at 52 replicas (t = 827 s), ending at 42.
    # Default cluster: 3 x 16 cpu = 48 pods fit (48 exist at 812 s); the 4 pods of the next scale-ups
    # (post-storage-service 3 -> 5 at 819 s, nginx-thrift 8 -> 10 at 827 s) wait with "Insufficient cpu"
    # until the scale-downs at 953-988 s free cpu.
    tr = _load(shared_traces / "simkube" / "dsb-scaling.sktrace")
    cluster = EmbeddedCluster(seed=0)
    cluster.start(tr, PREFIX)
    cluster.run(830)
    snap = cluster.observe(PREFIX)
    assert collections.Counter(p["status"]["phase"] for p in snap.pods) == {"Running": 48, "Pending": 4}
    pending = [p for p in snap.pods if p["status"]["phase"] == "Pending"]
    assert sorted(p["metadata"]["name"].rsplit("-", 2)[0] for p in pending) == [
        "nginx-thrift",
        "nginx-thrift",
        "post-storage-service",
        "post-storage-service",
    ]
    for pod in pending:
        assert pod["status"]["conditions"][0]["message"] == (
            "0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, preemption: "
            "0/3 nodes are available: 3 No preemption victims found for incoming pod."
        )
    nginx = next(
        w for w in snap.workloads if w["kind"] == "Deployment" and w["metadata"]["name"] == "nginx-thrift"
    )
    assert nginx["spec"]["replicas"] == 10
    cluster.run(tr.duration - 830 + 120)
    snap = cluster.observe(PREFIX)
    assert collections.Counter(p["status"]["phase"] for p in snap.pods) == {"Running": 42}
    # Two nodes (32 cpu): 20 of 52 wait at the peak; 10 still wait at the end (42 wanted).
    small = EmbeddedCluster(ClusterSpec.uniform(2, "16", "32Gi"), seed=0)
    small.start(tr, PREFIX)
    small.run(830)
    assert phases(small.observe(PREFIX)).count("Pending") == 20
    small.run(tr.duration - 830 + 120)
    assert collections.Counter(p["status"]["phase"] for p in small.observe(PREFIX).pods) == {
        "Running": 32,
        "Pending": 10,
    }


def test_bare_pods_follow_their_recorded_lifecycles(shared_traces: Path) -> None:
    # simkube.md §1.7: self-owned pods; 3 Finished runs (12 s, 30 s, 30 s) and one Running forever.
    tr = _load(shared_traces / "simkube" / "bare-pods.sktrace")
    cluster = EmbeddedCluster(seed=0)
    cluster.start(tr, PREFIX)
    cluster.run(11)
    first = {p["metadata"]["name"]: p["status"]["phase"] for p in cluster.observe(PREFIX).pods}
    assert first == {"bare-pod-1781282449": "Running"}
    cluster.run(2)  # 13 s: the first pod's recorded 12 s run is over
    assert {p["metadata"]["name"]: p["status"]["phase"] for p in cluster.observe(PREFIX).pods} == {
        "bare-pod-1781282449": "Succeeded"
    }
    cluster.run(300)
    final = {p["metadata"]["name"]: p["status"]["phase"] for p in cluster.observe(PREFIX).pods}
    assert final == {
        "bare-pod-1781282449": "Succeeded",
        "bare-pod-1781282509": "Succeeded",
        "bare-pod-1781282570": "Succeeded",
        "bare-pod-1781282630": "Running",
    }


def test_speed_scales_event_times() -> None:
    tr = trace((0, [deployment(replicas=1)]), (100, [deployment(replicas=3)]))
    cluster = EmbeddedCluster(seed=0)
    cluster.start(tr, PREFIX, speed=4.0)
    cluster.run(24)
    assert len(pods_of(cluster.observe(PREFIX), "web-")) == 1
    cluster.run(1.5)  # 25.5 s > 100 / 4
    assert len(pods_of(cluster.observe(PREFIX), "web-")) == 3
    with pytest.raises(SimArenaError, match="speed"):
        EmbeddedCluster().start(tr, "other", speed=0)


def test_same_seed_same_log_other_seed_other_names(shared_traces: Path) -> None:
    tr = _load(shared_traces / "simkube" / "dsb-scaling.sktrace")

    def log(seed: int) -> list[str]:
        cluster = EmbeddedCluster(seed=seed)
        cluster.start(tr, PREFIX)
        cluster.run(tr.duration + 60)
        return list(cluster.event_log)

    assert log(7) == log(7)
    assert log(7) != log(8)


def test_timestamps_count_from_the_trace_start() -> None:
    _cluster, snap = run(trace((0, [deployment(replicas=1)])), 90)
    pod = pods_of(snap, "web-")[0]
    assert pod["metadata"]["creationTimestamp"] == "2023-11-14T22:13:20Z"  # = T0
    assert T0 == 1_700_000_000
    assert snap.time == 90


def test_prefixes_are_isolated_and_cleanup_is_complete() -> None:
    cluster = EmbeddedCluster(seed=0)
    assert isinstance(cluster, ClusterBackend)
    cluster.prepare("run-a")
    cluster.start(trace((0, [deployment(replicas=2, cpu="4")])), "run-a")
    cluster.start(trace((0, [deployment(replicas=1, cpu="4")])), "run-b")
    cluster.run(10)
    a, b = cluster.observe("run-a"), cluster.observe("run-b")
    assert {p["metadata"]["namespace"] for p in a.pods} == {"run-a-default"} and len(a.pods) == 2
    assert {p["metadata"]["namespace"] for p in b.pods} == {"run-b-default"} and len(b.pods) == 1
    with pytest.raises(SimArenaError, match="already replaying"):
        cluster.start(trace((0, [])), "run-a")
    cluster.cleanup("run-a")
    cluster.cleanup("run-a")  # idempotent
    a = cluster.observe("run-a")
    assert a.pods == [] and a.workloads == [] and a.events == []
    assert len(cluster.observe("run-b").pods) == 1
    cluster.start(trace((0, [deployment(replicas=1)])), "run-a")  # the prefix is usable again
    cluster.run(1)
    assert len(cluster.observe("run-a").pods) == 1


def test_preflight_hooks_and_close() -> None:
    cluster = EmbeddedCluster(seed=0)
    assert all(check.ok for check in cluster.preflight())
    seen: list[str] = []
    cluster.add_hook("pre_run", lambda backend, stage: seen.append(f"{backend.name}:{stage}"))
    cluster.run_hooks("pre_run")
    cluster.run_hooks("post_run")
    assert seen == ["embedded:pre_run"]
    with pytest.raises(SimArenaError, match="unknown hook stage 'later'"):
        cluster.add_hook("later", lambda b, s: None)  # type: ignore[arg-type]
    cluster.close()
    with pytest.raises(SimArenaError, match="closed"):
        cluster.run(1)


def test_apply_and_delete_directly() -> None:
    cluster = EmbeddedCluster(seed=0)
    cluster.apply(deployment(replicas=2), prefix=PREFIX)
    cluster.run(1)
    assert len(cluster.observe(PREFIX).pods) == 2
    cluster.delete("apps/v1.Deployment", "virtual-default", "web")
    assert cluster.observe(PREFIX).pods == []
    with pytest.raises(SimArenaError, match='deployments "web" not found'):
        cluster.delete("Deployment", "virtual-default", "web")
    with pytest.raises(SimArenaError, match="kind not simulated"):
        cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}})


def test_kinds_not_simulated_are_logged_not_warned() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"}}
    cluster, snap = run(trace((0, [service, deployment(replicas=1)])), 5)
    assert [e for e in snap.events if e["type"] == "Warning"] == []
    assert any(
        "ignored events[0].applied_objs[0]: Service virtual-default/web" in line for line in cluster.event_log
    )
    assert len(snap.pods) == 1


def test_runs_do_not_depend_on_string_hash_randomization(shared_traces: Path) -> None:
    # Nothing may iterate a set or hash-ordered structure: two processes with different PYTHONHASHSEED agree.
    import os
    import subprocess
    import sys

    script = (
        "import hashlib, json, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from pytest_simarena.trace import load_trace\n"
        "from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster\n"
        f"t = load_trace({str(shared_traces / 'simkube' / 'dsb-scaling.sktrace')!r})\n"
        "c = EmbeddedCluster(ClusterSpec.uniform(4, '8', '16Gi'), seed=3)\n"
        "c.start(t)\n"
        "c.run(1300)\n"
        "blob = '\\n'.join(c.event_log) + json.dumps(c.observe('virtual').pods, sort_keys=True)\n"
        "print(hashlib.sha256(blob.encode()).hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert len(digests) == 1


def test_a_callback_loop_at_one_instant_fails_loudly_instead_of_hanging(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Guard in Clock.run_until_time: time that stops advancing is a simulator bug, reported as BackendError.
    from pytest_simarena.backends.embedded import clock as clock_module
    from pytest_simarena.errors import BackendError

    monkeypatch.setattr(clock_module, "MAX_CALLBACKS_PER_INSTANT", 1000)
    clock = clock_module.Clock(seed=0)

    def again() -> None:
        clock.soon(again)

    clock.soon(again)
    with pytest.raises(BackendError, match=r"simulated time stopped advancing at t=0.000s: more than 1000"):
        clock.run_until_time(10.0)
