"""The real kubectl (v1.32) against the served embedded cluster: what an SRE agent does with it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from api_helpers import CANONICAL, KUBECTL, Served, needs_kubectl, served

pytestmark = needs_kubectl

SIMARENA = (sys.executable, "-c", "import sys; from pytest_simarena.cli import main; sys.exit(main())")
CANONICAL_TRACES = sorted(p.stem for p in CANONICAL.glob("*.sktrace"))

# A bash agent: look, diagnose, fix the requests, wait until the Deployment is Available.
FIX_SCRIPT = r"""
set -eu
kubectl get pods
pod=$(kubectl get pods -o jsonpath='{.items[0].metadata.name}')
kubectl describe pod "$pod" | grep -q FailedScheduling
kubectl set resources deployment/web -c web --requests=cpu=2,memory=1Gi --limits=memory=1Gi
kubectl wait --for=condition=Available deployment/web --timeout=60s
kubectl rollout status deployment/web --timeout=60s
"""


def test_get_pods_shows_the_real_columns(tmp_path: Path) -> None:
    with served() as s:
        out = s.kubectl("get", "pods").stdout.splitlines()
        assert out[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        assert len(out) == 4 and all(line.split()[1:4] == ["0/1", "Pending", "0"] for line in out[1:])
        wide = s.kubectl("get", "pods", "-o", "wide").stdout.splitlines()[0].split()
        assert wide[:6] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP"]
        deploy = s.kubectl("get", "deploy").stdout.splitlines()
        assert deploy[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
        assert deploy[1].split()[:4] == ["web", "0/3", "3", "0"]
        for kind in ("replicasets", "statefulsets", "nodes", "events", "namespaces"):
            s.kubectl("get", kind)
        name = json.loads(s.kubectl("get", "pods", "-o", "json").stdout)["items"][0]["metadata"]["name"]
        assert s.kubectl("get", "pods", "-o", "jsonpath={.items[0].metadata.name}").stdout == name
        assert name in s.kubectl("get", "pods", "-o", "yaml").stdout
        assert (
            s.kubectl("get", "pods", "-l", "app=nothing").stderr.strip()
            == "No resources found in default namespace."
        )
        assert (
            s.kubectl("get", "pods", "--field-selector", "status.phase=Pending", "-o", "name").stdout.count(
                "pod/"
            )
            == 3
        )


def test_describe_pod_shows_the_failed_scheduling_event() -> None:
    with served() as s:
        name = s.kubectl("get", "pods", "-o", "jsonpath={.items[0].metadata.name}").stdout
        text = s.kubectl("describe", "pod", name).stdout
        assert "Status:           Pending" in text or "Status:" in text
        events = text.split("Events:", 1)[1]
        assert "FailedScheduling" in events and "Insufficient cpu" in events
        assert "Events:" in s.kubectl("describe", "deployment", "web").stdout
        assert "Allocated resources:" in s.kubectl("describe", "node", "kwok-node-0").stdout


def test_scale_to_200_is_denied_with_the_cap() -> None:
    with served() as s:
        done = s.kubectl("scale", "deployment/web", "--replicas=200", check=False)
        assert done.returncode == 1
        assert done.stderr.strip() == (
            'Error from server (Forbidden): admission webhook "safeguards.simarena.io" denied the request: '
            "scale blocked: default/web replicas would be 200, cap is 100"
        )
        over = s.kubectl("set", "resources", "deployment/web", "-c", "web", "--requests=cpu=40", check=False)
        assert over.returncode == 1 and "cpu would be 40, cap is 16" in over.stderr
        bad = s.kubectl(
            "set",
            "resources",
            "deployment/web",
            "-c",
            "web",
            "--requests=cpu=2",
            "--limits=cpu=1",
            check=False,
        )
        assert bad.returncode == 1 and "must be less than or equal to cpu limit" in bad.stderr
        assert s.session.writes == []


def run_agent(s: Served, script: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{Path(KUBECTL).parent}:/usr/bin:/bin",
        "HOME": str(s.home),
        "KUBECONFIG": str(s.kubeconfig),
        "KUBECACHEDIR": str(s.home / "cache"),
    }
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, timeout=300, check=False
    )


@pytest.mark.parametrize("trace", ["slightly-bad-cpu", "very-bad-cpu"])
def test_a_bash_agent_repairs_the_workload(trace: str) -> None:
    with served(trace) as s:
        done = run_agent(s, FIX_SCRIPT)
        assert done.returncode == 0, done.stderr
        assert "condition met" in done.stdout and "successfully rolled out" in done.stdout
        observation = s.session.observation()
        assert observation.healthy
        assert [a.type for a in s.session.actions()] == ["set_resources"]


def test_the_same_script_twice_gives_identical_objects_and_events() -> None:
    results = []
    for _ in range(2):
        # A generous grace: under a loaded CI machine kubectl may take longer than the default to hang up.
        with served(seed=5, watch_grace=2.0) as s:
            assert run_agent(s, FIX_SCRIPT).returncode == 0
            results.append((s.session.snapshot_objects(), s.session.cluster.event_log, s.session.now))
    assert results[0] == results[1]


@pytest.mark.parametrize("trace", CANONICAL_TRACES)
def test_every_canonical_trace_is_served(trace: str) -> None:
    with served(trace) as s:
        lines = s.kubectl("get", "pods").stdout.splitlines()
        assert lines[0].split()[:3] == ["NAME", "READY", "STATUS"]
        assert len(lines) > 1


def test_patch_rollout_logs_top_delete_and_apply(tmp_path: Path) -> None:
    with served() as s:
        s.kubectl(
            "patch",
            "deployment",
            "web",
            "-p",
            '{"spec":{"template":{"spec":{"containers":[{"name":"web","resources":{"requests":{"cpu":"2"}}}]}}}}',
        )
        s.kubectl(
            "patch", "deployment", "web", "--type", "merge", "-p", '{"metadata":{"labels":{"tier":"web"}}}'
        )
        s.kubectl(
            "patch",
            "deployment",
            "web",
            "--type",
            "json",
            "-p",
            '[{"op":"replace","path":"/spec/replicas","value":2}]',
        )
        s.kubectl("rollout", "status", "deployment/web", "--timeout=30s")
        assert (
            s.kubectl(
                "get", "deploy", "web", "-o", "jsonpath={.spec.replicas} {.metadata.labels.tier}"
            ).stdout
            == "2 web"
        )
        s.kubectl("rollout", "restart", "deployment/web")
        s.kubectl("rollout", "status", "deployment/web", "--timeout=30s")
        s.kubectl("rollout", "undo", "deployment/web")
        s.kubectl("wait", "--for=jsonpath={.status.readyReplicas}=2", "deployment/web", "--timeout=30s")
        pod = s.kubectl("get", "pods", "-o", "jsonpath={.items[0].metadata.name}").stdout
        assert 'container "web" started' in s.kubectl("logs", pod).stdout
        top = s.kubectl("top", "pods").stdout.splitlines()
        assert top[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"] and "500m" in top[1]
        assert s.kubectl("top", "nodes").stdout.startswith("NAME")
        s.kubectl("delete", "pod", pod)
        s.kubectl("wait", "--for=jsonpath={.status.readyReplicas}=2", "deployment/web", "--timeout=30s")
        assert pod not in s.kubectl("get", "pods").stdout
        manifest = tmp_path / "api.yaml"
        manifest.write_text(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 1\n"
            "  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n"
            "    spec: {containers: [{name: api, image: example/api:1,\n"
            "      resources: {requests: {cpu: 100m}}}]}\n"
        )
        assert "created" in s.kubectl("apply", "-f", str(manifest)).stdout
        manifest.write_text(manifest.read_text().replace("replicas: 1", "replicas: 2"))
        assert "configured" in s.kubectl("apply", "-f", str(manifest)).stdout
        assert "serverside-applied" in s.kubectl("apply", "--server-side", "-f", str(manifest)).stdout
        live = s.session.get("deployments", "default", "api")
        assert live["spec"]["replicas"] == 2
        assert "kubectl.kubernetes.io/last-applied-configuration" in live["metadata"]["annotations"]
        typo = tmp_path / "typo.yaml"
        typo.write_text(manifest.read_text().replace("resources:", "resourcez:"))
        done = s.kubectl("apply", "-f", str(typo), check=False)
        assert (
            done.returncode == 1
            and 'unknown field "spec.template.spec.containers[0].resourcez"' in done.stderr
        )


def test_get_watch_streams_changes() -> None:
    with served(watch_seconds=60) as s:
        watcher = subprocess.Popen(
            [KUBECTL, "--cache-dir", str(s.home / "cache"), "get", "pods", "-w", "--output-watch-events"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"PATH": "/usr/bin:/bin", "HOME": str(s.home), "KUBECONFIG": str(s.kubeconfig)},
        )
        try:
            out, err = watcher.communicate(timeout=60)
        finally:
            if watcher.poll() is None:
                watcher.kill()
        # No change within the watch's 60 simulated seconds: the list, then the stream ends by itself.
        assert out.splitlines()[0].split()[:3] == ["EVENT", "NAME", "READY"], err
        assert out.count("ADDED") == 3


def test_simarena_serve_writes_the_kubeconfig_and_a_replayable_run_folder(tmp_path: Path) -> None:
    kubeconfig, run = tmp_path / "kubeconfig", tmp_path / "run"
    serve = subprocess.Popen(
        [
            *SIMARENA,
            "serve",
            "slightly-bad-cpu",
            "--seed",
            "3",
            "--kubeconfig",
            str(kubeconfig),
            "--out",
            str(run),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert serve.stdout is not None
        first = serve.stdout.readline()
        assert first.startswith("serving slightly-bad-cpu at https://127.0.0.1:"), first
        assert kubeconfig.is_file()
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KUBECONFIG": str(kubeconfig)}
        get = subprocess.run(
            [KUBECTL, "get", "pods"], capture_output=True, text=True, env=env, timeout=60, check=True
        )
        assert "Pending" in get.stdout
        subprocess.run(
            [KUBECTL, "set", "resources", "deployment/web", "-c", "web", "--requests=cpu=2"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        )
        serve.send_signal(signal.SIGTERM)
        out, err = serve.communicate(timeout=60)
    finally:
        if serve.poll() is None:
            serve.kill()
    assert serve.returncode == 0, err
    assert "run folder:" in out
    replay = subprocess.run(
        [*SIMARENA, "replay", str(run)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert replay.stdout.startswith("reproduced: live session, 1 write(s)")
    time.sleep(0)  # nothing left running: the server stopped with the signal


def test_typed_generators_get_a_clear_415() -> None:
    with served() as s:
        done = s.kubectl("create", "configmap", "x", "--from-literal=a=b", check=False)
        assert done.returncode == 1
        assert "protobuf is not served" in done.stderr and "kubectl apply -f" in done.stderr
