"""On a real cluster: preflight passes, the canonical traces get the embedded verdicts, cleanup is safe.

These need a cluster (see conftest.py for the command); here they skip with that reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_simarena.backends.embedded import EmbeddedCluster
from pytest_simarena.backends.kube.labels import dns_label
from pytest_simarena.backends.kube.parity import compare, replay, spec_from_nodes, verdicts
from pytest_simarena.episode.loop import run_episode
from pytest_simarena.trace import load_trace

CANONICAL = sorted((Path(__file__).resolve().parents[2] / "traces" / "canonical").glob("*.sktrace"))


def _prefix(request: pytest.FixtureRequest) -> str:
    return dns_label(f"simarena-kube-{request.node.name}", 40)


def test_preflight_passes(kube_cluster: Any) -> None:
    failed = [f"{c.name}: {c.message} (fix: {c.fix})" for c in kube_cluster.preflight() if not c.ok]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("path", CANONICAL, ids=[p.stem for p in CANONICAL])
def test_canonical_trace_has_the_embedded_verdicts(
    kube_cluster: Any, kube_seconds: float, path: Path, request: pytest.FixtureRequest
) -> None:
    trace = load_trace(path)
    spec = spec_from_nodes(kube_cluster.virtual_nodes())
    assert spec is not None, "no type=virtual nodes: run scripts/kind-up.sh --nodes-only --context CONTEXT"
    prefix = _prefix(request)
    embedded = verdicts(replay(EmbeddedCluster(spec), trace, prefix, kube_seconds))
    real = verdicts(replay(kube_cluster, trace, prefix, kube_seconds))
    differ = [row for row in compare(path.name, embedded, real) if not row.same]
    assert not differ, [(r.workload, r.embedded, r.real, r.note) for r in differ]


def test_heuristic_episode_agrees_with_the_embedded_one(kube_cluster: Any, kube_seconds: float) -> None:
    trace = load_trace(CANONICAL[0])
    spec = spec_from_nodes(kube_cluster.virtual_nodes())
    kwargs: dict[str, Any] = {"max_steps": 5, "step_seconds": kube_seconds, "prefix": "simarena-kube-episode"}
    sim = run_episode(trace, "heuristic", backend=EmbeddedCluster(spec), **kwargs)
    real = run_episode(trace, "heuristic", backend=kube_cluster, **kwargs)
    assert real.error is None, real.error
    assert (real.solved, real.steps_to_solve) == (sim.solved, sim.steps_to_solve)


def test_cleanup_spares_an_unlabelled_pod_and_its_namespace(
    kube_cluster: Any, request: pytest.FixtureRequest
) -> None:
    if kube_cluster.mode != "direct":
        pytest.skip("direct mode creates the namespaces itself; in simkube mode SimKube owns them")
    prefix = _prefix(request)
    trace = load_trace(CANONICAL[0])
    kube_cluster.prepare(prefix)
    kube_cluster.start(trace, prefix)
    namespace = f"{prefix}-default"
    api = kube_cluster.api
    users_pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "users-debug-pod", "namespace": namespace},
        "spec": {
            "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9"}],
            "nodeSelector": {"type": "virtual"},
            "tolerations": [{"key": "kwok-provider", "operator": "Exists", "effect": "NoSchedule"}],
        },
    }
    api.create(users_pod)
    try:
        kube_cluster.cleanup(prefix)
        kube_cluster.cleanup(prefix)  # idempotent
        assert api.get("v1", "Pod", "users-debug-pod", namespace) is not None
        assert api.get("v1", "Namespace", namespace) is not None
        assert api.list("apps/v1", "Deployment", namespace) == []
    finally:
        pod = api.get("v1", "Pod", "users-debug-pod", namespace) or {}
        api.delete("v1", "Pod", "users-debug-pod", namespace, uid=str(pod.get("metadata", {}).get("uid", "")))
    kube_cluster.cleanup(prefix)  # now the namespace holds nothing of anyone else: it goes
    assert api.get("v1", "Namespace", namespace) is None


def test_a_users_namespace_named_like_ours_refuses_the_run(
    kube_cluster: Any, request: pytest.FixtureRequest
) -> None:
    from pytest_simarena.errors import BackendError

    prefix = _prefix(request)
    namespace = f"{prefix}-default"
    api = kube_cluster.api
    theirs = api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    try:
        kube_cluster.prepare(prefix)
        with pytest.raises(BackendError, match=f"namespace {namespace} already exists"):
            kube_cluster.start(load_trace(CANONICAL[0]), prefix)
        kube_cluster.cleanup(prefix)
        found = api.get("v1", "Namespace", namespace)
        assert found is not None and found["metadata"]["uid"] == theirs["metadata"]["uid"]
    finally:
        api.delete("v1", "Namespace", namespace, uid=str(theirs["metadata"]["uid"]))


def test_a_trace_with_a_cluster_scoped_object_is_refused(
    kube_cluster: Any, request: pytest.FixtureRequest
) -> None:
    from pytest_simarena.errors import BackendError
    from pytest_simarena.trace.model import Trace

    if kube_cluster.mode != "direct":
        pytest.skip("direct mode applies trace objects itself")
    nodes = kube_cluster.virtual_nodes()
    assert nodes, "no type=virtual nodes: run scripts/kind-up.sh --nodes-only --context CONTEXT"
    name = nodes[0]["metadata"]["name"]
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"x": "y"}}}
    before = nodes[0]["metadata"].get("labels")
    with pytest.raises(BackendError, match="cluster-scoped"):
        kube_cluster.start(Trace(events=[{"ts": 0, "applied_objs": [node]}]), _prefix(request))
    after = kube_cluster.api.get("v1", "Node", name)
    assert after is not None and after["metadata"].get("labels") == before
