"""The kube backend (direct mode, the official client over real HTTPS) against the served embedded cluster.

The served cluster starts empty and without safeguards (the harness replays traces that start over the
caps; the episode loop judges the policy's actions itself), exactly as a kind cluster would be used.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from pytest_simarena.api import ApiServer
from pytest_simarena.backends.registry import make_backend
from pytest_simarena.cli import main
from pytest_simarena.episode.loop import run_episode
from pytest_simarena.live import LiveSession
from pytest_simarena.live.admission import NO_SAFEGUARDS
from pytest_simarena.settings import ClusterSettings
from pytest_simarena.trace.io import load_trace
from pytest_simarena.trace.model import Trace

ROOT = Path(__file__).resolve().parents[2]


def test_direct_mode_solves_a_canonical_trace_like_the_embedded_backend() -> None:
    trace = load_trace(ROOT / "traces" / "canonical" / "slightly-bad-cpu.sktrace")
    empty = Trace(events=[{"ts": trace.events[0]["ts"], "applied_objs": [], "deleted_objs": []}])
    session = LiveSession.start(empty, seed=0, safeguards=NO_SAFEGUARDS)
    embedded = run_episode(trace, "heuristic", max_steps=3, step_seconds=2)
    with tempfile.TemporaryDirectory() as tmp, ApiServer(session, request_cost=0.0) as server:
        backend = make_backend(
            "kube", kubeconfig=str(server.write_kubeconfig(Path(tmp) / "kc")), mode="direct"
        )
        assert all(check.ok for check in backend.preflight())
        served = run_episode(trace, "heuristic", backend=backend, max_steps=3, step_seconds=2)
    assert served.error is None
    assert (served.solved, served.steps_to_solve) == (embedded.solved, embedded.steps_to_solve) == (True, 1)
    # The backend created its objects in labelled namespaces of its own and cleaned up after itself.
    assert session.list("deployments", "default") == []


def test_a_real_cluster_run_records_the_servers_version_and_parity_plays_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The served embedded cluster stands in for a real 1.34 server: /version answers v1.34.0-simarena.
    trace = load_trace(ROOT / "traces" / "canonical" / "slightly-bad-cpu.sktrace")
    empty = Trace(events=[{"ts": trace.events[0]["ts"], "applied_objs": [], "deleted_objs": []}])
    cluster = ClusterSettings(kubernetes_version="1.34")
    session = LiveSession.start(empty, seed=0, safeguards=NO_SAFEGUARDS, cluster=cluster)
    with ApiServer(session, request_cost=0.0) as server:
        kubeconfig = str(server.write_kubeconfig(tmp_path / "kc"))
        backend = make_backend("kube", kubeconfig=kubeconfig, mode="direct")
        result = run_episode(trace, "noop", backend=backend, max_steps=1, step_seconds=2)
        assert result.options["serverVersion"] == "v1.34.0-simarena"
        code = main(
            [
                "parity",
                str(ROOT / "traces" / "canonical" / "slightly-bad-cpu.sktrace"),
                "--kubeconfig",
                kubeconfig,
                "--kube-mode",
                "direct",
                "--duration",
                "5",
                "--json",
            ]
        )
    doc = json.loads(capsys.readouterr().out)
    assert doc["versions"] == {
        "real": "v1.34.0-simarena",
        "embedded": "1.34.0",
        "same": True,
        "note": "versions: real v1.34.0-simarena, embedded 1.34.0 (the same rules)",
    }
    # Both sides play 1.34: the same pending verdict with the same reasons.
    assert code == 0 and doc["differ"] == 0
