"""The kube backend (direct mode, the official client over real HTTPS) against the served embedded cluster.

The served cluster starts empty and without safeguards (the harness replays traces that start over the
caps; the episode loop judges the policy's actions itself), exactly as a kind cluster would be used.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from pytest_simarena.api import ApiServer
from pytest_simarena.backends.registry import make_backend
from pytest_simarena.episode.loop import run_episode
from pytest_simarena.live import LiveSession
from pytest_simarena.live.admission import NO_SAFEGUARDS
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
