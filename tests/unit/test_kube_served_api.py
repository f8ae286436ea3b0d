"""The kube backend's direct mode against the project's own served Kubernetes API (``simarena serve``).

The served API (``pytest_simarena.api.ApiServer`` over a ``LiveSession``) is a real HTTP Kubernetes API
over the embedded cluster: the backend replays each canonical trace into ``<prefix>-<ns>`` through it
and must reach the verdicts the embedded backend reaches on its own, and leave a user's unlabelled
objects alone. The served cluster is started empty, with its admission safeguards open (a trace's
deliberately bad values are what is replayed, as a real cluster accepts them), and its clock is moved by
the test (``request_cost=0``: time passes only when the test says so).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip(
    "pytest_simarena.api", reason="the served Kubernetes API (issue 12) is not on this branch"
)

from pytest_simarena.api import ApiServer
from pytest_simarena.backends.embedded import EmbeddedCluster
from pytest_simarena.backends.kube.cluster import KubeCluster
from pytest_simarena.backends.kube.parity import compare, replay, spec_from_nodes, verdicts
from pytest_simarena.live import LiveSession
from pytest_simarena.safeguards import Safeguards
from pytest_simarena.trace import load_trace
from pytest_simarena.trace.model import Trace

CANONICAL = sorted((Path(__file__).resolve().parents[2] / "traces" / "canonical").glob("*.sktrace"))
SECONDS = 120.0
OPEN = Safeguards(
    max_cpu=None, max_memory=None, max_replicas=None, min_cpu=None, min_memory=None, min_replicas=None
)
Served = tuple[LiveSession, KubeCluster]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    session = LiveSession.start(
        Trace(events=[{"ts": 0, "applied_objs": [], "deleted_objs": []}]), safeguards=OPEN
    )
    tls = importlib.util.find_spec("cryptography") is not None
    with ApiServer(session, port=0, request_cost=0, tls=tls) as server:
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
        # No SelfSubjectAccessReview is served (no RBAC to check): preflight is skipped.
        cluster = KubeCluster(kubeconfig=str(kubeconfig), mode="direct", run_id="r1", check=False)
        yield session, cluster
        cluster.close()
    session.close()


@pytest.mark.parametrize("path", CANONICAL, ids=[p.stem for p in CANONICAL])
def test_canonical_trace_gets_the_embedded_verdicts_through_the_served_api(
    served: Served, path: Path
) -> None:
    session, cluster = served
    trace = load_trace(path)
    spec = spec_from_nodes(cluster.virtual_nodes())
    assert spec is not None
    cluster.prepare("p1")
    cluster.start(trace, "p1")
    session.advance(SECONDS)
    real = verdicts(cluster.observe("p1"))
    cluster.cleanup("p1")
    embedded = verdicts(replay(EmbeddedCluster(spec), trace, "p1", SECONDS))
    rows = compare(path.name, embedded, real)
    assert rows and all(row.same for row in rows), [(r.workload, r.embedded, r.real) for r in rows]


def _deployment(name: str, ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": "100m"}}}]
                },
            },
        },
    }


def test_a_users_unlabelled_objects_are_untouched_through_the_served_api(served: Served) -> None:
    session, cluster = served
    trace = load_trace(CANONICAL[0])
    # Same name as the trace's Deployment, in the trace's own namespace (direct mode writes p1-default).
    session.create("deployments", "default", _deployment("web", "default"))
    cluster.prepare("p1")
    cluster.start(trace, "p1")
    session.advance(10)
    session.create("deployments", "p1-default", _deployment("users-web", "p1-default"))  # during the run
    session.advance(10)
    cluster.cleanup("p1")
    theirs = {(d["metadata"]["namespace"], d["metadata"]["name"]) for d in session.list("deployments", None)}
    assert theirs == {("default", "web"), ("p1-default", "users-web")}
    assert "p1-default" in session.namespaces()  # it holds the user's Deployment: kept
    for dep in session.list("deployments", None):
        assert "simarena.io/run" not in (dep["metadata"].get("labels") or {})


def test_a_users_namespace_named_like_ours_stops_the_run_through_the_served_api(served: Served) -> None:
    from pytest_simarena.errors import BackendError

    session, cluster = served
    session.create("namespaces", None, {"metadata": {"name": "p1-default"}})
    session.create("deployments", "p1-default", _deployment("web", "p1-default"))
    with pytest.raises(BackendError, match="namespace p1-default already exists and was not created by"):
        cluster.start(load_trace(CANONICAL[0]), "p1")
    cluster.cleanup("p1")
    (web,) = session.list("deployments", "p1-default")
    assert web["metadata"]["labels"] == {"app": "web"}


def test_a_trace_deletion_and_a_second_session_spare_what_is_not_theirs_through_the_served_api(
    served: Served, tmp_path: Path
) -> None:
    from pytest_simarena.errors import BackendError

    session, cluster = served
    web = _deployment("web", "default")
    trace = Trace(
        events=[{"ts": 0, "applied_objs": [web]}, {"ts": 1, "deleted_objs": [_deployment("api", "default")]}]
    )
    cluster.start(trace, "p1", speed=1000.0)
    session.create("deployments", "p1-default", _deployment("api", "p1-default"))  # the user's
    with pytest.raises(BackendError, match=r"Deployment p1-default/api.*not ours"):
        cluster.advance(0.01)
    second = KubeCluster(kubeconfig=str(tmp_path / "kubeconfig"), mode="direct", run_id="r2", check=False)
    with pytest.raises(BackendError, match="prefix p1 is in use by run r1"):
        second.prepare("p1")
    second.cleanup("p1")
    second.close()
    names = {d["metadata"]["name"] for d in session.list("deployments", "p1-default")}
    assert names == {"web", "api"}  # the first session's and the user's both survived the second
    cluster.cleanup("p1")
    assert {d["metadata"]["name"] for d in session.list("deployments", "p1-default")} == {"api"}
