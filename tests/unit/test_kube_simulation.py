"""The Simulation body and state interpretation (simkube.md §3.1-§3.3) and trace delivery."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_simarena.backends.kube import simulation as S
from pytest_simarena.errors import BackendError

LABELS = {"app.kubernetes.io/managed-by": "pytest-simarena", "simarena.io/prefix": "p1"}


def test_body_has_every_required_field_of_the_crd() -> None:
    body = S.simulation_body("simarena-p1-r1", "file:///data/simarena/x.sktrace", "p1", LABELS)
    assert body["apiVersion"] == "simkube.io/v1" and body["kind"] == "Simulation"
    assert "namespace" not in body["metadata"]  # cluster-scoped (§3.1)
    assert body["metadata"] == {"name": "simarena-p1-r1", "labels": LABELS}
    spec = body["spec"]
    driver = spec["driver"]
    # image, namespace, port, tracePath are required (§3.2)
    assert driver["image"] == "quay.io/appliedcomputing/sk-driver:v2.7.0"
    assert driver["namespace"] == "simkube"
    assert driver["port"] == 8888
    assert driver["tracePath"] == "file:///data/simarena/x.sktrace"
    assert driver["virtualNsPrefix"] == "p1"  # simulated objects land in p1-<ns>
    assert driver["certManagerIssuer"] == "selfsigned"
    assert spec["lifecycleParams"] == {}  # required even when empty: no serde default (§3.2)
    assert spec["speed"] == 1.0 and spec["repetitions"] == 1
    assert spec["duration"] == "+10m"


def test_settings_flow_into_the_body() -> None:
    settings = S.SimulationSettings(
        driver_image="example/sk-driver:dev",
        driver_namespace="sim",
        driver_port=9999,
        driver_secrets=("aws-creds",),
        speed=4.0,
        duration_seconds=121,
        lifecycle_params={"podStartupDelay": 500},
        skip_local_volume_mount=True,
    )
    body = S.simulation_body("s", "s3://bucket/t.sktrace", "virtual", LABELS, settings)
    assert body["metadata"]["annotations"] == {"controller.simkube.io/skip-local-volume-mount": "true"}
    assert body["spec"]["driver"]["secrets"] == ["aws-creds"]
    assert body["spec"]["speed"] == 4.0
    assert body["spec"]["duration"] == "+3m"  # 121 s rounds up to whole minutes
    assert body["spec"]["lifecycleParams"] == {"podStartupDelay": 500}
    with pytest.raises(BackendError, match="speed 0"):
        S.simulation_body("s", "u", "p", LABELS, S.SimulationSettings(speed=0))


@pytest.mark.parametrize(("seconds", "text"), [(1, "+1m"), (60, "+1m"), (61, "+2m"), (600, "+10m")])
def test_duration_format(seconds: float, text: str) -> None:
    assert S.format_duration(seconds) == text


@pytest.mark.parametrize(
    ("status", "running", "terminal", "failed"),
    [
        ({}, False, False, False),
        ({"state": "Initializing"}, False, False, False),
        ({"state": "Running"}, True, False, False),
        ({"state": "Finished"}, False, True, False),
        ({"state": "Failed"}, False, True, True),
        ({"state": "Blocked"}, False, False, False),
        ({"state": "Retrying"}, False, False, False),
        ({"state": "Paused"}, False, False, False),
    ],
)
def test_state_interpretation(status: dict[str, str], running: bool, terminal: bool, failed: bool) -> None:
    state = S.simulation_state({"status": status})
    assert (state.running, state.terminal, state.failed) == (running, terminal, failed)
    assert state.explanation


def test_blocked_explains_simkube_runs_one_simulation_at_a_time() -> None:
    assert "one at a time" in S.simulation_state({"status": {"state": "Blocked"}}).describe()
    assert "not picked it up" in S.simulation_state({}).describe()
    gone = S.simulation_state(None)
    assert gone.terminal and gone.failed and gone.state == "Absent"
    odd = S.simulation_state({"status": {"state": "Exploded"}})
    assert not odd.terminal and "unknown state" in odd.describe()


def test_file_delivery_writes_atomically_and_names_the_node_path(tmp_path: Path) -> None:
    d = S.TraceDelivery(host_dir=tmp_path / "traces", node_dir="/data/simarena")
    url = d.deliver(b"\x85trace", "sim.sktrace")
    assert url == "file:///data/simarena/sim.sktrace"
    assert (tmp_path / "traces" / "sim.sktrace").read_bytes() == b"\x85trace"
    assert not list((tmp_path / "traces").glob("*.tmp"))


def test_object_store_delivery_runs_the_upload_command(tmp_path: Path) -> None:
    copy = f'{sys.executable} -c "import shutil,sys; shutil.copy(sys.argv[1], sys.argv[2])"'
    target = tmp_path / "bucket"
    target.mkdir()
    d = S.TraceDelivery(host_dir=tmp_path / "h", base_url=str(target), upload=copy + " {file} {url}")
    url = d.deliver(b"data", "t.sktrace")
    assert url == f"{target}/t.sktrace"
    assert (target / "t.sktrace").read_bytes() == b"data"


def test_object_store_without_upload_command_says_how_to_configure_it(tmp_path: Path) -> None:
    d = S.TraceDelivery(host_dir=tmp_path, base_url="s3://bucket/traces/")
    with pytest.raises(BackendError, match="SIMARENA_TRACE_UPLOAD"):
        d.deliver(b"x", "t.sktrace")


def test_failed_upload_shows_the_exit_code_and_last_line(tmp_path: Path) -> None:
    fail = f"{sys.executable} -c \"import sys; print('AccessDenied', file=sys.stderr); sys.exit(3)\""
    d = S.TraceDelivery(host_dir=tmp_path, base_url="s3://b/", upload=fail)
    with pytest.raises(BackendError, match=r"exit 3\).*AccessDenied"):
        d.deliver(b"x", "t.sktrace")


def test_a_failed_upload_never_prints_the_command_or_its_secrets(tmp_path: Path) -> None:
    token = "s3cr3t-t0ken-value"
    echo = "import sys; print('denied for token ' + sys.argv[1], file=sys.stderr); sys.exit(3)"
    upload = f'{sys.executable} -c "{echo}" {token} {{file}} {{url}}'
    d = S.TraceDelivery(host_dir=tmp_path, base_url="s3://b/", upload=upload)
    with pytest.raises(BackendError) as info:
        d.deliver(b"x", "t.sktrace")
    message = str(info.value)
    assert token not in message and "import sys" not in message
    assert message.startswith(f"uploading the trace with {Path(sys.executable).name} (SIMARENA_TRACE_UPLOAD)")
    assert message.endswith("(exit 3): denied for token ***")
    sleeps = f'{sys.executable} -c "import time; time.sleep(5)" {token}'
    slow = S.TraceDelivery(host_dir=tmp_path, base_url="s3://b/", upload=sleeps)
    with pytest.raises(BackendError, match=r"\(SIMARENA_TRACE_UPLOAD\) timed out after 0.2 s") as info:
        slow.deliver(b"x", "t.sktrace", timeout=0.2)
    assert token not in str(info.value)
