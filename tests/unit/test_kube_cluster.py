"""KubeCluster's protocol walk (prepare, start, advance, observe, cleanup) over real HTTP to an object store.

The store answers as the API server does for plain object operations and plays no controller, except in
the simkube test, where a creation callback plays SimKube's part (state Running, the driver's namespace)
and a deletion callback its garbage collection. What is checked is our side: which objects we create,
with which labels, in which order, and what cleanup leaves standing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kube_http import Endpoint, ObjectStore, served_cluster

from pytest_simarena.backends.kube import make_backend
from pytest_simarena.backends.kube.cluster import KubeCluster
from pytest_simarena.backends.kube.labels import CREATED_KEY
from pytest_simarena.backends.kube.simulation import TraceDelivery
from pytest_simarena.backends.protocol import ClusterBackend
from pytest_simarena.errors import BackendError, BackendUnavailable
from pytest_simarena.trace import loads
from pytest_simarena.trace.model import Trace

NS_PATH = "/api/v1/namespaces"
DEPLOY = "/apis/apps/v1/namespaces/p1-default/deployments"


@pytest.fixture
def cluster_ep(tmp_path: Path) -> Iterator[tuple[Endpoint, ObjectStore, Path]]:
    with served_cluster(tmp_path) as served:
        yield served


def _deployment(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c"}]}},
        },
    }


def _trace() -> Trace:
    return Trace(
        events=[
            {"ts": 100, "applied_objs": [_deployment("web")], "deleted_objs": []},
            {"ts": 101, "applied_objs": [_deployment("api")], "deleted_objs": []},
        ],
        config={"trackedObjects": {"apps/v1.Deployment": {}}},
    )


def test_construction_runs_preflight_and_names_what_is_not_ready(
    cluster_ep: tuple[Endpoint, ObjectStore, Path],
) -> None:
    ep, store, kc = cluster_ep
    for path in [p for p in store.objects if p.startswith("/api/v1/nodes/")]:
        del store.objects[path]
    with pytest.raises(BackendUnavailable) as info:
        make_backend(kubeconfig=str(kc), mode="direct", seed=3)
    assert str(info.value) == (
        f"cluster {ep.url} is not ready for direct mode: nodes: no nodes labelled type=virtual "
        "(KWOK virtual nodes); fix: scripts/kind-up.sh --nodes-only --context CONTEXT (adds 3 KWOK nodes: "
        "16 cpu / 32Gi / 110 pods, type=virtual) (see: simarena preflight --mode direct)"
    )


def test_direct_step_creates_labelled_objects_and_cleanup_spares_a_users_pod(
    cluster_ep: tuple[Endpoint, ObjectStore, Path],
) -> None:
    _ep, store, kc = cluster_ep
    cluster = KubeCluster(kubeconfig=kc, mode="direct", run_id="r1")
    assert isinstance(cluster, ClusterBackend) and cluster.name == "kube"
    cluster.prepare("p1")
    cluster.start(_trace(), "p1", speed=10.0)  # second event 0.1 s later
    ns = store.objects[f"{NS_PATH}/p1-default"]
    assert ns["metadata"]["labels"][CREATED_KEY] == "true"
    assert ns["metadata"]["labels"]["simarena.io/run"] == "r1"
    assert f"{DEPLOY}/web" in store.objects and f"{DEPLOY}/api" not in store.objects
    cluster.advance(0.15)
    web = store.objects[f"{DEPLOY}/web"]
    assert web["metadata"]["labels"]["simarena.io/prefix"] == "p1"
    assert web["spec"]["template"]["spec"]["nodeSelector"] == {"type": "virtual"}
    snap = cluster.observe("p1")
    assert [w["metadata"]["name"] for w in snap.workloads] == ["api", "web"]
    assert [n["metadata"]["name"] for n in snap.nodes] == ["kwok-node-0", "kwok-node-1", "kwok-node-2"]
    assert snap.time >= 0.15 and snap.prefix == "p1"

    users_pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "p1-default"}}
    store.objects[f"{NS_PATH}/p1-default/pods/debug"] = users_pod
    cluster.cleanup("p1")
    assert f"{DEPLOY}/web" not in store.objects and f"{DEPLOY}/api" not in store.objects
    assert f"{NS_PATH}/p1-default/pods/debug" in store.objects
    assert f"{NS_PATH}/p1-default" in store.objects  # it holds the user's pod: kept
    cluster.cleanup("p1")  # idempotent
    del store.objects[f"{NS_PATH}/p1-default/pods/debug"]
    cluster.cleanup("p1")
    assert f"{NS_PATH}/p1-default" not in store.objects
    cluster.close()


def test_a_namespace_that_existed_is_refused_and_never_deleted(
    cluster_ep: tuple[Endpoint, ObjectStore, Path],
) -> None:
    _ep, store, kc = cluster_ep
    store.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "p1-default"}})
    cluster = KubeCluster(kubeconfig=kc, mode="direct")
    with pytest.raises(BackendError, match="namespace p1-default already exists and was not created by"):
        cluster.start(_trace(), "p1", speed=1000.0)
    cluster.cleanup("p1")
    assert f"{NS_PATH}/p1-default" in store.objects
    assert not [p for p in store.objects if p.startswith(DEPLOY)]
    cluster.close()


def _simkube(ep: Endpoint, store: ObjectStore, kc: Path, tmp_path: Path) -> KubeCluster:
    """A reachable cluster with SimKube installed; creation/deletion callbacks play its controller."""
    ep.on("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/simulations.simkube.io", (200, {}))
    ep.on(
        "GET",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/certificates.cert-manager.io",
        (200, {}),
    )
    ep.on("GET", "/apis/cert-manager.io/v1/clusterissuers/selfsigned", (200, {}))
    ep.on(
        "GET",
        "/apis/apps/v1/namespaces/simkube/deployments/sk-ctrl-depl",
        (200, {"status": {"readyReplicas": 1}}),
    )
    ep.on("GET", f"{NS_PATH}/monitoring", (200, {}))

    def simkube_starts(sim: dict[str, Any]) -> None:  # SimKube's controller and driver, reduced to effects
        sim["status"] = {"state": "Running"}
        ns = f"{sim['spec']['driver']['virtualNsPrefix']}-default"
        store.objects[f"{NS_PATH}/{ns}"] = {
            "metadata": {"name": ns, "labels": {"simkube.io/virtual": "true"}}
        }

    def simkube_collects(_name: str) -> None:  # garbage collection of the simulated namespace
        store.objects.pop(f"{NS_PATH}/p1-default", None)

    store.after_create["/apis/simkube.io/v1/simulations"] = simkube_starts
    store.after_delete["/apis/simkube.io/v1/simulations"] = simkube_collects
    delivery = TraceDelivery(host_dir=tmp_path / "traces", node_dir="/data/simarena")
    return KubeCluster(kubeconfig=kc, mode="simkube", run_id="r1", delivery=delivery, lock_dir=tmp_path)


def test_simkube_step_creates_a_simulation_and_waits_for_the_driver(
    cluster_ep: tuple[Endpoint, ObjectStore, Path], tmp_path: Path
) -> None:
    ep, store, kc = cluster_ep
    cluster = _simkube(ep, store, kc, tmp_path)
    cluster.prepare("p1")
    cluster.start(_trace(), "p1")
    (sim_path,) = [p for p in store.objects if p.startswith("/apis/simkube.io/v1/simulations/")]
    sim = store.objects[sim_path]
    name = sim["metadata"]["name"]
    assert name == "simarena-p1-r1"
    assert sim["spec"]["driver"]["tracePath"] == f"file:///data/simarena/{name}.sktrace"
    delivered = loads((tmp_path / "traces" / f"{name}.sktrace").read_bytes())
    assert [e["ts"] for e in delivered.events] == [100, 101]
    assert cluster._lock.held
    cluster.advance(0)
    assert cluster.observe("p1").prefix == "p1"
    cluster.cleanup("p1")
    assert sim_path not in store.objects and f"{NS_PATH}/p1-default" not in store.objects
    assert not cluster._lock.held
    assert not (tmp_path / "traces" / f"{name}.sktrace").exists()
    cluster.close()


def test_a_simulation_that_finishes_during_the_step_is_an_error(
    cluster_ep: tuple[Endpoint, ObjectStore, Path], tmp_path: Path
) -> None:
    ep, store, kc = cluster_ep
    cluster = _simkube(ep, store, kc, tmp_path)
    cluster.start(_trace(), "p1")
    (sim_path,) = [p for p in store.objects if p.startswith("/apis/simkube.io/v1/simulations/")]
    store.objects[sim_path]["status"] = {"state": "Finished"}
    with pytest.raises(BackendError, match=r"ended during the step: state Finished: the replay finished"):
        cluster.advance(0)
    cluster.cleanup("p1")
    assert not cluster._lock.held
    cluster.close()
