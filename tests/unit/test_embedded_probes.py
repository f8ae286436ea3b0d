"""Probes, start-up work and memory ramps: annotation parsing, validation, the restart paths, the policies.

The kubelet timings themselves are the fidelity rows (tests/fidelity/test_fidelity_probes.py); here are the
edges around them: bad input, restartPolicy Never, long runs staying finite, the observation and the repairs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from episode_helpers import MI, obs
from test_embedded_kit import PREFIX, container, deployment, pods_of, trace

from pytest_simarena.backends.embedded import EmbeddedCluster
from pytest_simarena.backends.embedded.pods import InvalidObject, PodTemplate
from pytest_simarena.backends.embedded.probes import container_probes, startup_budget
from pytest_simarena.cli import main
from pytest_simarena.episode.observation import ContainerView, container_views
from pytest_simarena.errors import TraceError
from pytest_simarena.policies import make_policy
from pytest_simarena.policies.probes_fix import fix_memory_ramp, fix_probe_lag
from pytest_simarena.trace.generator import generate_trace
from pytest_simarena.trace.model import WorkloadRef
from pytest_simarena.trace.usage import USAGE_ANNOTATION, ramp_oom_after, read_usage

Obj = dict[str, Any]
STARTUP = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 7, "failureThreshold": 3}


def _usage(raw: str) -> dict[str, dict[str, int]]:
    return read_usage({"metadata": {"annotations": {USAGE_ANNOTATION: raw}}})


# --- the usage annotation's extensions --------------------------------------------------------------------


def test_usage_reads_startup_work_and_a_ramp() -> None:
    got = _usage(
        '{"app": {"memory": "256Mi", "memoryPerMinute": "768Mi", "memoryPeak": "1Gi", '
        '"startupCpuSeconds": "1500m"}}'
    )
    assert got == {
        "app": {
            "memory": 256 * MI,
            "memoryPerMinute": 768 * MI,
            "memoryPeak": 1024 * MI,
            "startupCpuSeconds": 1500,
        }
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"app": {"memoryPeak": "1Gi"}}', "memoryPeak needs memoryPerMinute"),
        ('{"app": {"memoryPerMinute": "1Mi"}}', "memoryPerMinute needs memory"),
        (
            '{"app": {"memory": "1Gi", "memoryPerMinute": "1Mi", "memoryPeak": "1Mi"}}',
            "memoryPeak is below memory",
        ),
        (
            '{"app": {"disk": "1Gi"}}',
            "unknown resource 'disk' (cpu, memory, startupCpuSeconds, memoryPerMinute",
        ),
        ('{"app": {"startupCpuSeconds": "ten"}}', "container 'app' startupCpuSeconds:"),
    ],
)
def test_bad_extensions_are_one_clear_line(raw: str, message: str) -> None:
    with pytest.raises(TraceError, match=r"simarena\.io/usage") as info:
        _usage(raw)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_ramp_oom_after_is_the_time_to_the_limit() -> None:
    ramp = {"memory": 256 * MI, "memoryPerMinute": 768 * MI, "memoryPeak": 1024 * MI}
    assert ramp_oom_after(ramp, 512 * MI) == 20.0  # 256Mi at 768Mi a minute
    assert ramp_oom_after(ramp, 1024 * MI) is None  # the peak reaches the limit, never exceeds it
    assert ramp_oom_after(ramp, None) is None  # no limit: nothing kills it
    assert ramp_oom_after({**ramp, "memory": 600 * MI}, 512 * MI) is None  # over at once: the plain OOM rule
    assert ramp_oom_after({"memory": MI, "memoryPerMinute": MI}, 61 * MI) == 3600.0  # no peak: keeps growing


# --- probe specs ---------------------------------------------------------------------------------------


def test_probes_are_defaulted_like_the_api() -> None:
    errors: list[str] = []
    probes = container_probes({"name": "app", "readinessProbe": {"tcpSocket": {"port": 80}}}, "c", errors)
    spec = probes["readiness"]
    assert (spec.initial_delay, spec.timeout, spec.period, spec.success, spec.failure) == (0, 1, 10, 1, 3)
    assert spec.output("10.244.0.2") == "dial tcp 10.244.0.2:80: connect: connection refused"
    assert errors == []


def test_startup_budget_counts_from_the_first_probe_after_the_initial_delay() -> None:
    def budget(**timing: int) -> int | None:
        probes = container_probes(
            {"name": "a", "startupProbe": {"exec": {"command": ["true"]}, **timing}}, "", []
        )
        return startup_budget(probes)

    assert budget(periodSeconds=7, failureThreshold=3) == 21
    assert budget(periodSeconds=10, failureThreshold=3, initialDelaySeconds=15) == 40  # probes at 20, 30, 40
    assert startup_budget({}) is None


def test_invalid_probe_rejects_the_template_with_the_field() -> None:
    bad = {"name": "app", "image": "x", "startupProbe": {**STARTUP, "successThreshold": 2}}
    with pytest.raises(InvalidObject) as info:
        PodTemplate(
            {"spec": {"containers": [bad]}}, field_prefix="spec.template.spec", kind="Deployment", name="web"
        )
    assert str(info.value) == (
        'The Deployment "web" is invalid: spec.template.spec.containers[0].startupProbe.successThreshold: '
        "Invalid value: 2: must be 1"
    )


# --- restart paths and long runs ---------------------------------------------------------------------------


def _slow(**extra: Any) -> Obj:
    app = container(requests={"cpu": "250m", "memory": "256Mi"}, limits={"cpu": "500m"}, startupProbe=STARTUP)
    return deployment(replicas=1, containers=[app], usage={"web": {"startupCpuSeconds": "30"}}, **extra)


def test_restart_policy_never_probe_kill_is_not_restarted() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "once",
            "namespace": "default",
            "annotations": {USAGE_ANNOTATION: '{"web": {"startupCpuSeconds": "30"}}'},
        },
        "spec": {"restartPolicy": "Never", "containers": _slow()["spec"]["template"]["spec"]["containers"]},
    }
    cluster = EmbeddedCluster(seed=0)
    cluster.start(trace((0, [pod])), PREFIX)
    cluster.run(60)
    (got,) = pods_of(cluster.observe(PREFIX), "once")
    (cs,) = got["status"]["containerStatuses"]
    assert got["status"]["phase"] == "Failed"
    assert (
        cs["restartCount"],
        cs["state"]["terminated"]["reason"],
        cs["state"]["terminated"]["exitCode"],
    ) == (
        0,
        "Error",
        143,
    )
    killing = [line for line in cluster.event_log if " Killing " in line]
    assert [line.split(": ", 1)[1] for line in killing] == ["Container web failed startup probe"]


def test_a_settled_worker_resumes_on_its_grid_after_a_back_off() -> None:
    # Restarted at 145 after the 40 s back-off; the worker's ticks stay on 7 s from the start: 147, 154, 161.
    cluster = EmbeddedCluster(seed=0)
    cluster.start(trace((0, [_slow()])), PREFIX)
    cluster.run(170)
    kills = [float(line.split()[0]) for line in cluster.event_log if " Killing " in line]
    assert kills == [21, 42, 63, 84, 105, 161]


def test_probes_keep_a_very_long_run_finite() -> None:
    # Ready pods with readiness, startup and liveness probes: once settled nothing ticks any more.
    probes = {
        "startupProbe": STARTUP,
        "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1},
        "livenessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1},
    }
    app = container(requests={"cpu": "250m"}, limits={"cpu": "1"}, **probes)
    dep = deployment(replicas=20, containers=[app], usage={"web": {"startupCpuSeconds": "10"}})
    cluster = EmbeddedCluster(seed=0)
    cluster.start(trace((0, [dep])), PREFIX)
    began = time.process_time()
    cluster.run(10**8)
    assert time.process_time() - began < 5  # a ticking worker per probe would be 10^9 events
    ready = [
        c["ready"] for p in pods_of(cluster.observe(PREFIX), "web-") for c in p["status"]["containerStatuses"]
    ]
    assert ready == [True] * 20


# --- the observation and the repairs ------------------------------------------------------------------


def test_container_views_carry_the_start_up_and_the_ramp() -> None:
    tr = generate_trace("probe-lag", 0, 0)
    meta = tr.extra["metadata"]
    (view,) = container_views(tr, WorkloadRef("apps/v1.Deployment", "default", str(meta["workload"])))
    assert view.startup_work is not None and view.startup_budget is not None and view.cpu_limit is not None
    assert view.startup_cpu_needed == -(-view.startup_work // view.startup_budget) > view.cpu_limit
    assert view.to_json()["startup"]["budgetSeconds"] == view.startup_budget
    ramp = generate_trace("oom-ramp", 0, 0)
    meta = ramp.extra["metadata"]
    (view,) = container_views(ramp, WorkloadRef("apps/v1.Deployment", "default", str(meta["workload"])))
    assert (
        view.memory_peak is not None
        and view.memory_limit is not None
        and view.memory_peak > view.memory_limit
    )


KILLED = ({"reason": "Killing", "message": "Container web failed startup probe, will be restarted"},)


def _lagging(**kw: Any) -> ContainerView:
    # 60 cpu-seconds, 21 s budget: needs 2858m (60000 / 21, rounded up)
    return ContainerView("web", cpu_request=250, cpu_limit=500, startup_work=60000, startup_budget=21, **kw)


def test_probe_lag_fix_raises_the_cpu_limit_with_the_margin() -> None:
    action = fix_probe_lag(obs(containers=(_lagging(),), events=KILLED, ready=0), margin=0.25)
    assert action is not None and action.type == "set_resources"
    assert (action.container, action.limits, action.requests) == ("web", {"cpu": "3600m"}, None)  # 3572.5 up
    vpa = make_policy("vpa").act(obs(containers=(_lagging(),), events=KILLED, ready=0))
    assert (vpa.type, vpa.limits) == ("set_resources", {"cpu": "3300m"})  # 2858 x 1.15 = 3286.7, up to 100m


def test_probe_lag_fix_needs_the_kill_and_a_short_limit() -> None:
    assert fix_probe_lag(obs(containers=(_lagging(),)), margin=0.25) is None  # no kill seen
    fast = ContainerView("web", cpu_request=250, cpu_limit=3000, startup_work=60000, startup_budget=21)
    assert fix_probe_lag(obs(containers=(fast,), events=KILLED), margin=0.25) is None


def test_memory_ramp_fix_raises_the_limit_to_the_peak() -> None:
    ramping = ContainerView(
        "web", memory_request=256 * MI, memory_limit=512 * MI, memory_usage=256 * MI, memory_peak=1024 * MI
    )
    oom = "container web in pod web-1 was OOMKilled (exit code 137: killed, out of memory); restarts 3"
    action = make_policy("heuristic").act(obs(containers=(ramping,), oom=oom, ready=0))
    assert (action.type, action.limits) == ("set_resources", {"memory": "1Gi"})
    assert fix_memory_ramp(obs(containers=(ramping,), ready=0)) is None  # no OOM kill seen
    vpa = make_policy("vpa").act(obs(containers=(ramping,), oom=oom, ready=0))
    assert vpa.requests is not None and vpa.requests["memory"] == "1178Mi"  # the peak x 1.15, whole Mi


def test_a_slow_starting_manifest_goes_through_from_manifests_and_the_heuristic_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "slow.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: slow}\nspec:\n  replicas: 2\n"
        "  selector: {matchLabels: {app: slow}}\n  template:\n    metadata:\n      labels: {app: slow}\n"
        '      annotations: {simarena.io/usage: \'{"app":{"startupCpuSeconds":"40"}}\'}\n'
        "    spec:\n      containers:\n      - name: app\n        image: x\n"
        "        resources: {requests: {cpu: 250m}, limits: {cpu: 500m}}\n"
        "        startupProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 10}\n"
    )
    out = tmp_path / "slow.sktrace"
    assert main(["trace", "from-manifests", str(tmp_path / "slow.yaml"), "--out", str(out)]) == 0
    capsys.readouterr()
    # 40 cpu-seconds at 500m = 80 s > the 30 s budget (3 x 10 s): never Ready; 1.25 x 40 / 30 -> 1700m.
    assert main(["run", str(out), "--policy", "heuristic", "--out", str(tmp_path / "runs")]) == 0
    table = capsys.readouterr().out
    assert "failed startup probe" in table and "limits=cpu:1700m" in table and "solved in 1 step" in table
