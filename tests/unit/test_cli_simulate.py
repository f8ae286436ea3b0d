"""``simarena simulate``: what a user sees (issue 4 "What users see"), through the real CLI entry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_simarena.cli import main

CPU3 = (
    "0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, preemption: "
    "0/3 nodes are available: 3 Preemption is not helpful for scheduling."
)


@pytest.fixture
def cpu_slight(shared_traces: Path) -> Path:
    return shared_traces / "sim-arena" / "trace-cpu-slight.msgpack"


@pytest.fixture
def dsb(shared_traces: Path) -> Path:
    return shared_traces / "simkube" / "dsb-scaling.sktrace"


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code = main(["simulate", *argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def run_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    try:
        code = main(["simulate", *argv])
    except SystemExit as exc:  # a bad flag is a usage error, raised while the command line is parsed
        code = exc.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    # one line, never a traceback (a legacy seed trace may add its normalization warning first)
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("warning: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_tables_show_pending_pods_and_the_scheduler_message(
    capsys: pytest.CaptureFixture[str], cpu_slight: Path
) -> None:
    assert main(["simulate", str(cpu_slight)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    deploy = next(ln for ln in lines if ln.startswith("deployment.apps/web"))
    assert deploy.split()[:4] == ["deployment.apps/web", "0/3", "3", "0"]
    pods = [ln.split() for ln in lines if ln.startswith("pod/web-")]
    assert [p[1:4] for p in pods] == [["0/1", "Pending", "0"]] * 3
    failed = [ln for ln in lines if "FailedScheduling" in ln]
    assert failed and all(ln.endswith(CPU3) for ln in failed)
    assert any(ln.split()[:2] == ["LAST", "SEEN"] for ln in lines)
    assert any(ln.startswith("kwok-node-0") for ln in lines)


def test_json_has_the_documented_keys_and_camel_case_fields(
    capsys: pytest.CaptureFixture[str], cpu_slight: Path
) -> None:
    doc = run_json(capsys, str(cpu_slight))
    assert set(doc) == {"time", "workloads", "pods", "events", "nodes"}
    assert doc["time"] == 120  # a one-event trace: its last event (t=0) plus 120 s
    (web,) = doc["workloads"]
    assert web["kind"] == "Deployment" and web["namespace"] == "default" and web["name"] == "web"
    assert (web["desired"], web["ready"], web["pending"], web["crashLooping"], web["oomKilled"]) == (
        3,
        0,
        3,
        0,
        0,
    )
    available = next(c for c in web["conditions"] if c["type"] == "Available")
    assert available["reason"] == "MinimumReplicasUnavailable"
    assert [(p["status"], p["ready"], p["node"], p["reason"]) for p in doc["pods"]] == [
        ("Pending", "0/1", None, "Unschedulable")
    ] * 3
    assert {p["message"] for p in doc["pods"]} == {CPU3}
    failed = [e for e in doc["events"] if e["reason"] == "FailedScheduling"]
    assert len(failed) == 3 and all(e["type"] == "Warning" and e["message"] == CPU3 for e in failed)
    assert all(e["involvedObject"]["namespace"] == "default" for e in doc["events"])
    assert doc["nodes"][0]["allocatable"] == {"cpu": "16", "memory": "32Gi", "pods": "110"}
    assert [n["requested"]["cpu"] for n in doc["nodes"]] == ["0", "0", "0"]


def test_bigger_nodes_from_flags_make_the_seed_scenario_run(
    capsys: pytest.CaptureFixture[str], cpu_slight: Path
) -> None:
    doc = run_json(capsys, str(cpu_slight), "--nodes", "1", "--node-cpu", "64", "--node-memory", "64Gi")
    assert [p["status"] for p in doc["pods"]] == ["Running"] * 3
    ((node),) = doc["nodes"]
    assert node["allocatable"]["cpu"] == "64"
    assert node["requested"] == {"cpu": "51", "memory": "6Gi", "pods": "3"}  # 3 x (17000m, 2Gi)
    assert doc["workloads"][0]["ready"] == 3


def test_cluster_file(capsys: pytest.CaptureFixture[str], cpu_slight: Path, tmp_path: Path) -> None:
    spec = tmp_path / "cluster.yaml"
    spec.write_text(
        "nodeGroups:\n"
        "  - name: big\n    count: 3\n    cpu: '18'\n    memory: 32Gi\n"
        "    labels: {type: virtual}\n    taints: ['kwok-provider=true:NoSchedule']\n"
    )
    doc = run_json(capsys, str(cpu_slight), "--cluster", str(spec))
    assert sorted(p["node"] for p in doc["pods"]) == ["big-0", "big-1", "big-2"]


def test_duration_speed_and_seed(capsys: pytest.CaptureFixture[str], dsb: Path) -> None:
    assert run_json(capsys, str(dsb), "--duration", "30")["time"] == 30
    # default duration at speed 2: the last event (1134 s) comes at 567 s, plus 120 s
    doc = run_json(capsys, str(dsb), "--speed", "2", "--seed", "7")
    assert doc["time"] == 687
    again = run_json(capsys, str(dsb), "--speed", "2", "--seed", "7")
    assert again == doc  # same seed, same everything


def test_timeline_prints_status_counts_over_time(capsys: pytest.CaptureFixture[str], dsb: Path) -> None:
    assert main(["simulate", str(dsb), "--timeline"]) == 0
    out = capsys.readouterr().out
    header_at = out.splitlines().index(next(ln for ln in out.splitlines() if ln.startswith("TIME")))
    rows = [ln.split() for ln in out.splitlines()[header_at:]]
    header = rows[0]
    assert header[0] == "TIME" and header[-1] == "TOTAL" and "Running" in header and "Pending" in header
    body = rows[1:]
    assert body[0][0] == "0s" and body[-1][0] == "1254s"  # 1134 s + 120 s
    total = {r[0]: int(r[-1]) for r in body}
    assert total["1254s"] == 42
    pending = header.index("Pending")
    assert max(int(r[pending]) for r in body) >= 2  # the 52-replica peak does not fit 48 cpus
    doc = run_json(capsys, str(dsb), "--timeline")
    assert doc["timeline"][0]["time"] == 0 and doc["timeline"][-1]["time"] == 1254


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--node-cpu", "16x"], "--node-cpu"),
        (["--node-memory", "32GB"], "--node-memory"),
        (["--nodes", "two"], "--nodes"),
        (["--nodes", "0"], "--nodes"),
        (["--node-pods", "-1"], "--node-pods"),
        (["--speed", "0"], "--speed"),
        (["--duration", "soon"], "--duration"),
        (["--seed", "1.5"], "--seed"),
        (["--cluster", "missing.yaml"], "missing.yaml"),
        (["--cluster", "x.yaml", "--nodes", "2"], "a cluster file cannot be combined with --nodes"),
    ],
)
def test_bad_flags_are_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], cpu_slight: Path, argv: list[str], needle: str
) -> None:
    line = run_error(capsys, str(cpu_slight), *argv)
    assert line.startswith(("simarena: error: ", "simarena simulate: error: "))
    assert needle in line


def test_bad_trace_and_bad_cluster_file(
    capsys: pytest.CaptureFixture[str], cpu_slight: Path, tmp_path: Path
) -> None:
    assert "nope.sktrace" in run_error(capsys, str(tmp_path / "nope.sktrace"))
    garbage = tmp_path / "garbage.sktrace"
    garbage.write_bytes(b"\x00\x01not msgpack at all")
    assert "garbage.sktrace" in run_error(capsys, str(garbage))
    bad = tmp_path / "cluster.yaml"
    bad.write_text("nodeGroups:\n  - name: a\n    count: 1\n    cpu: lots\n    memory: 1Gi\n")
    line = run_error(capsys, str(cpu_slight), "--cluster", str(bad))
    assert "cluster.yaml" in line and "cpu" in line


def test_default_duration_ignores_a_leading_placeholder_event(
    capsys: pytest.CaptureFixture[str], shared_traces: Path
) -> None:
    # sim-arena's real export starts with an empty event at ts 0, decades before the workloads; the
    # default run is the span the replay actually covers (embedded replay_span) plus 120 s.
    from pytest_simarena.backends.embedded import replay_span
    from pytest_simarena.trace import load_trace

    path = shared_traces / "sim-arena" / "trace-v2.msgpack"
    trace = load_trace(path)
    assert trace.duration > 10 * 365 * 86400  # what the old default used
    doc = run_json(capsys, str(path))
    assert doc["time"] == replay_span(trace) + 120
    assert doc["time"] < 3600
