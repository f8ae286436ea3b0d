"""Real-cluster tests (marker ``kube``): they run where a cluster is reachable and skip cleanly elsewhere.

The cluster is probed once per session with the plugin's settings and kubectl's rules
(``$SIMARENA_KUBECONFIG``, else ``$KUBECONFIG``, else ``~/.kube/config``; ``$SIMARENA_CONTEXT``); when it
cannot be used, every test here is skipped with the reason and the exact command that runs them
(docs/real-cluster.md). ``$SIMARENA_KUBE_MODE`` picks the mode (default here: direct).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_simarena.errors import BackendUnavailable

HERE = Path(__file__).resolve().parent
MODE = os.environ.get("SIMARENA_KUBE_MODE") or "direct"
RUN_COMMAND = (
    "scripts/kind-up.sh && .venv/bin/python -m pytest tests/kube -m kube"
    " (SimKube mode: scripts/kind-up.sh --simkube && SIMARENA_KUBE_MODE=simkube .venv/bin/python -m pytest"
    " tests/kube -m kube)"
)
_PROBE: list[object] = []


def _options() -> dict[str, object]:
    opts: dict[str, object] = {"mode": MODE}
    if os.environ.get("SIMARENA_KUBECONFIG"):
        opts["kubeconfig"] = os.environ["SIMARENA_KUBECONFIG"]
    if os.environ.get("SIMARENA_CONTEXT"):
        opts["context"] = os.environ["SIMARENA_CONTEXT"]
    return opts


def _probe() -> object:
    """A connected KubeCluster, or the reason there is none (probed once per session)."""
    if not _PROBE:
        from pytest_simarena.backends.kube import make_backend

        try:
            _PROBE.append(make_backend(**_options()))
        except BackendUnavailable as exc:
            _PROBE.append(f"no usable Kubernetes cluster: {exc}. To run these tests: {RUN_COMMAND}")
    return _PROBE[0]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mine = [item for item in items if HERE in Path(str(item.fspath)).resolve().parents]
    if not mine:
        return
    found = _probe()
    for item in mine:
        item.add_marker(pytest.mark.kube)
        if isinstance(found, str):
            item.add_marker(pytest.mark.skip(reason=found))


@pytest.fixture(scope="session")
def kube_cluster() -> Iterator[object]:
    found = _probe()
    if isinstance(found, str):
        pytest.skip(found)
    yield found
    close = getattr(found, "close", None)
    if callable(close):
        close()


@pytest.fixture
def kube_seconds() -> float:
    """How long each replay runs on the real cluster (``$SIMARENA_KUBE_SECONDS``, default 60)."""
    return float(os.environ.get("SIMARENA_KUBE_SECONDS") or 60)
