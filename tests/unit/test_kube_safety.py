"""Issue 10: direct mode touches only what this run created, against the project's test API server.

Each test replays one of the paths a review demonstrated (cluster-scoped kinds, a pre-existing target
namespace, trace deletions by name, namespace deletion, races and edge cases) over real HTTP with the
official client; the store answers as a real API server does on the points that matter here (namespace
deletion cascades, forced server-side apply takes fields over, DELETE without a name deletes the
collection, label selectors, uid preconditions), so a path that destroys a user's object shows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kube_http import Endpoint, ObjectStore, Recorded, served_cluster

from pytest_simarena.backends.kube.api import KubeApi
from pytest_simarena.backends.kube.cluster import KubeCluster
from pytest_simarena.errors import BackendError
from pytest_simarena.trace.model import Trace

NS = "/api/v1/namespaces"
Served = tuple[Endpoint, ObjectStore, Path]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with served_cluster(tmp_path) as out:
        yield out


def deployment(name: str, ns: str = "default", labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {"app": name}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c"}]}},
        },
    }


def users(kind: str, name: str, ns: str, api_version: str = "v1", **extra: Any) -> dict[str, Any]:
    """An object a user made: no labels of ours."""
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": ns}, **extra}


def namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def trace(*events: tuple[int, list[dict[str, Any]], list[dict[str, Any]]]) -> Trace:
    return Trace(
        events=[
            {"ts": ts, "applied_objs": applied, "deleted_objs": deleted} for ts, applied, deleted in events
        ],
        config={"trackedObjects": {"apps/v1.Deployment": {}}},
    )


def direct(kc: Path, run_id: str = "r1") -> KubeCluster:
    return KubeCluster(kubeconfig=kc, mode="direct", run_id=run_id)


# ------------------------------------------------------------------------------ 1. cluster-scoped kinds


def test_a_trace_deleting_a_namespace_is_refused_and_the_namespace_survives(served: Served) -> None:
    _ep, store, kc = served
    store.add(namespace("production"))
    store.add(users("ConfigMap", "settings", "production"))
    cluster = direct(kc)
    doomed = trace((0, [deployment("web")], [namespace("production")]))
    with pytest.raises(BackendError, match=r"Namespace production.*cluster-scoped"):
        cluster.start(doomed, "p1")
    assert f"{NS}/production" in store.objects
    assert f"{NS}/production/configmaps/settings" in store.objects
    assert f"{NS}/p1-default" not in store.objects  # refused before anything was created
    cluster.close()


def test_a_trace_applying_a_node_is_refused_and_the_real_node_is_untouched(served: Served) -> None:
    _ep, store, kc = served
    before = dict(store.objects["/api/v1/nodes/kwok-node-0"]["metadata"]["labels"])
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "kwok-node-0", "labels": {"x": "y"}}}
    cluster = direct(kc)
    with pytest.raises(BackendError, match=r"Node kwok-node-0.*cluster-scoped"):
        cluster.start(trace((0, [deployment("web"), node], [])), "p1")
    cluster.cleanup("p1")
    assert store.objects["/api/v1/nodes/kwok-node-0"]["metadata"]["labels"] == before
    cluster.close()


# -------------------------------------------------------------------- 2. a pre-existing target namespace


def test_a_users_namespace_named_like_ours_refuses_the_run(served: Served) -> None:
    _ep, store, kc = served
    store.add(namespace("p1-default"))
    theirs = store.add(deployment("web", "p1-default"))
    cluster = direct(kc)
    cluster.prepare("p1")
    with pytest.raises(BackendError, match=r"namespace p1-default already exists.*not created by"):
        cluster.start(trace((0, [deployment("web")], [])), "p1")
    cluster.cleanup("p1")
    kept = store.objects["/apis/apps/v1/namespaces/p1-default/deployments/web"]
    assert (
        kept["metadata"]["labels"] == {"app": "web"} and kept["metadata"]["uid"] == theirs["metadata"]["uid"]
    )
    assert f"{NS}/p1-default" in store.objects
    cluster.close()


# ---------------------------------------------------------------------------- 3. trace deletions by name


def test_a_trace_deletion_never_deletes_a_users_object_of_that_name(served: Served) -> None:
    _ep, store, kc = served
    cluster = direct(kc)
    cluster.start(trace((0, [deployment("web")], []), (1, [], [deployment("api")])), "p1", speed=1000.0)
    store.add(deployment("api", "p1-default"))  # the user's, in our namespace, during the run
    with pytest.raises(BackendError, match=r"Deployment p1-default/api.*not ours"):
        cluster.advance(0.01)
    assert "/apis/apps/v1/namespaces/p1-default/deployments/api" in store.objects
    cluster.cleanup("p1")
    assert "/apis/apps/v1/namespaces/p1-default/deployments/api" in store.objects
    cluster.close()


def test_a_trace_object_is_never_applied_over_a_users_object(served: Served) -> None:
    _ep, store, kc = served
    cluster = direct(kc)
    cluster.start(trace((0, [deployment("web")], []), (1, [deployment("api")], [])), "p1", speed=1000.0)
    theirs = store.add(deployment("api", "p1-default"))
    with pytest.raises(BackendError, match=r"Deployment p1-default/api.*not ours"):
        cluster.advance(0.01)
    kept = store.objects["/apis/apps/v1/namespaces/p1-default/deployments/api"]
    assert (
        kept["metadata"]["labels"] == {"app": "api"} and kept["metadata"]["uid"] == theirs["metadata"]["uid"]
    )
    cluster.close()


# ---------------------------------------------------------------------------- 4. namespace deletion


@pytest.mark.parametrize(
    "obj",
    [
        users("ConfigMap", "settings", "p1-default", data={"a": "1"}),
        users("Secret", "token", "p1-default", data={"t": "eA=="}),
        users("PersistentVolumeClaim", "data", "p1-default"),
        users("Service", "front", "p1-default"),
        users("Role", "reader", "p1-default", "rbac.authorization.k8s.io/v1"),
        users("NetworkPolicy", "deny", "p1-default", "networking.k8s.io/v1"),
    ],
    ids=lambda o: o["kind"],
)
def test_a_users_object_of_any_kind_keeps_our_namespace_alive(served: Served, obj: dict[str, Any]) -> None:
    _ep, store, kc = served
    cluster = direct(kc)
    cluster.start(trace((0, [deployment("web")], [])), "p1")
    path = store.add(obj) and store.path_of(obj)
    cluster.cleanup("p1")
    assert path in store.objects
    assert f"{NS}/p1-default" in store.objects
    assert "/apis/apps/v1/namespaces/p1-default/deployments/web" not in store.objects  # ours went
    cluster.close()


# ---------------------------------------------------------------------------- 5. races and edge cases


def test_every_delete_carries_the_uid_of_what_was_checked(served: Served) -> None:
    ep, _store, kc = served
    cluster = direct(kc)
    cluster.start(
        trace((0, [deployment("web"), deployment("api")], []), (1, [], [deployment("api")])),
        "p1",
        speed=1000.0,
    )
    cluster.advance(0.01)
    cluster.cleanup("p1")
    deletes = [r for r in ep.requests if r.method == "DELETE"]
    assert len(deletes) >= 3  # api by the trace, web by cleanup, the namespace
    for req in deletes:
        assert isinstance(req.body, dict) and req.body["preconditions"]["uid"], (req.path, req.body)
    cluster.close()


def test_an_object_replaced_between_check_and_delete_survives(served: Served) -> None:
    ep, store, kc = served
    cluster = direct(kc)
    cluster.start(trace((0, [deployment("web")], [])), "p1")
    path = "/apis/apps/v1/namespaces/p1-default/deployments/web"

    def replaced_then_deleted(req: Recorded) -> tuple[int, Any]:
        if store.objects[path]["metadata"]["labels"].get("simarena.io/run"):  # ours: the user replaces it
            store.objects.pop(path)
            store.add(deployment("web", "p1-default"))
        return store.answer(req)

    ep.on("DELETE", path, replaced_then_deleted)
    cluster.cleanup("p1")
    assert store.objects[path]["metadata"]["labels"] == {"app": "web"}
    assert f"{NS}/p1-default" in store.objects
    cluster.close()


def test_a_namespace_created_by_someone_else_meanwhile_is_not_taken_as_ours(served: Served) -> None:
    ep, store, kc = served

    def someone_was_faster(req: Recorded) -> tuple[int, Any]:
        if f"{NS}/p1-default" not in store.objects:
            store.add(namespace("p1-default"))
        return store.answer(req)

    ep.on("POST", NS, someone_was_faster)
    cluster = direct(kc)
    with pytest.raises(BackendError, match=r"namespace p1-default.*created by someone else"):
        cluster.start(trace((0, [deployment("web")], [])), "p1")
    assert store.in_namespace("p1-default") == []
    cluster.close()


def test_an_empty_name_never_becomes_a_collection_delete(served: Served) -> None:
    ep, store, kc = served
    cluster = direct(kc)
    cluster.start(trace((0, [deployment("web")], [])), "p1")
    api: KubeApi = cluster.api
    store.add(deployment("users", "p1-default"))
    sent = len(ep.requests)
    with pytest.raises(BackendError, match="empty name"):
        api.delete("apps/v1", "Deployment", "", "p1-default", uid="uid-1")
    assert len(ep.requests) == sent
    nameless = deployment("")
    with pytest.raises(BackendError, match=r"metadata\.name"):
        cluster.start(trace((0, [deployment("x")], [nameless])), "p2")
    assert "/apis/apps/v1/namespaces/p1-default/deployments/users" in store.objects
    cluster.close()


def test_two_sessions_with_one_prefix_never_clean_up_each_other(served: Served) -> None:
    _ep, store, kc = served
    first, second = direct(kc, "r1"), direct(kc, "r2")
    first.prepare("p1")
    first.start(trace((0, [deployment("web")], [])), "p1")
    with pytest.raises(BackendError, match=r"prefix p1 is in use by run r1") as info:
        second.prepare("p1")
    assert "make_backend(mode='direct', run_id='r1').cleanup('p1')" in str(info.value)
    with pytest.raises(BackendError, match=r"prefix p1 is in use by run r1"):
        second.start(trace((0, [deployment("web")], [])), "p1")
    second.cleanup("p1")
    assert "/apis/apps/v1/namespaces/p1-default/deployments/web" in store.objects
    assert f"{NS}/p1-default" in store.objects
    first.close()  # the first session ends without cleaning up; the printed call does it
    after = direct(kc, "r1")
    after.cleanup("p1")
    assert f"{NS}/p1-default" not in store.objects
    second.prepare("p1")  # the prefix is free again
    after.close()
    second.close()


def test_an_object_created_while_cleanup_decides_is_refused_or_kept(served: Served) -> None:
    ep, store, kc = served
    cluster = direct(kc)
    cluster.start(trace((0, [deployment("web")], [])), "p1")
    late = users("ConfigMap", "late", "p1-default")
    outcome: list[int] = []

    def user_creates_after_the_check(req: Recorded) -> tuple[int, Any]:
        answer = store.answer(req)
        if not outcome:  # right after cleanup has listed the namespace's configmaps
            outcome.append(store.submit(late)[0])
        return answer

    ep.on("GET", f"{NS}/p1-default/configmaps", user_creates_after_the_check)
    cluster.cleanup("p1")
    # Either the API server refused the user's create, or their ConfigMap and our namespace both remain:
    # never created (201) and then destroyed by our namespace's deletion.
    assert outcome
    assert outcome[0] == 403 or f"{NS}/p1-default/configmaps/late" in store.objects, outcome
    cluster.close()


# ------------------------------------------------------------------------------------ whole runs


def test_observe_sees_only_this_runs_objects_and_what_they_own(served: Served) -> None:
    _ep, store, kc = served
    cluster = direct(kc)
    cluster.start(trace((0, [deployment("web")], [])), "p1")
    web = store.objects["/apis/apps/v1/namespaces/p1-default/deployments/web"]
    owned = {"ownerReferences": [{"kind": "Deployment", "name": "web", "uid": web["metadata"]["uid"]}]}
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web-1", "namespace": "p1-default"},
    }
    rs["metadata"].update(owned)  # a controller's object without our labels, owned by ours
    store.add(rs)
    store.add(deployment("users-web", "p1-default"))
    store.add(users("Pod", "users-debug", "p1-default"))
    snap = cluster.observe("p1")
    assert [(w["kind"], w["metadata"]["name"]) for w in snap.workloads] == [
        ("Deployment", "web"),
        ("ReplicaSet", "web-1"),
    ]
    assert snap.pods == []
    cluster.cleanup("p1")
    cluster.close()


def test_cleanup_rechecks_labels_when_the_server_ignores_selectors(tmp_path: Path) -> None:
    with served_cluster(tmp_path, ignore_selectors=True) as (_ep, store, kc):
        store.add(namespace("production"))
        others = [store.add(users("Pod", "db", "production")), store.add(deployment("api", "production"))]
        cluster = direct(kc)
        cluster.prepare("p1")
        cluster.start(trace((0, [deployment("web")], [])), "p1")
        cluster.cleanup("p1")
        assert all(store.path_of(o) in store.objects for o in others)
        assert f"{NS}/production" in store.objects
        assert f"{NS}/p1-default" not in store.objects
        cluster.close()


def test_prepare_clears_a_gone_runs_leftovers_and_takes_over_its_namespace(served: Served) -> None:
    from pytest_simarena.backends.kube.labels import host_tag

    _ep, store, kc = served
    gone = f"20260101t000000-999999-{host_tag()}"  # this host; no such process
    crashed = direct(kc, gone)
    crashed.start(trace((0, [deployment("web")], [])), "p1")
    store.add(users("Pod", "debug", "p1-default"))  # keeps the namespace when the leftovers go
    crashed._runs.clear()  # the process died here: no cleanup
    cluster = direct(kc)
    cluster.prepare("p1")
    assert "/apis/apps/v1/namespaces/p1-default/deployments/web" not in store.objects
    cluster.start(trace((0, [deployment("web")], [])), "p1")
    assert store.objects[f"{NS}/p1-default"]["metadata"]["labels"]["simarena.io/run"] == "r1"
    cluster.cleanup("p1")
    assert f"{NS}/p1-default/pods/debug" in store.objects
    cluster.close()


def test_simkube_mode_refuses_an_existing_virtual_namespace_before_the_simulation(served: Served) -> None:
    ep, store, kc = served
    store.add(namespace("p1-default"))
    users_pod = store.add(users("Pod", "debug", "p1-default"))
    cluster = KubeCluster(kubeconfig=kc, mode="simkube", run_id="r1", check=False)
    with pytest.raises(BackendError, match="namespace p1-default already exists: SimKube's driver"):
        cluster.start(trace((0, [deployment("web")], [])), "p1")
    assert not [r for r in ep.requests if r.method == "POST" and "simulations" in r.path]
    assert store.path_of(users_pod) in store.objects
    cluster.close()


def test_a_users_objects_and_a_namespace_named_like_ours_survive_a_whole_episode(served: Served) -> None:
    from pytest_simarena.episode.loop import run_episode
    from pytest_simarena.trace import load_trace

    _ep, store, kc = served
    canonical = load_trace(Path(__file__).resolve().parents[2] / "traces" / "canonical" / "mixed.sktrace")
    # Before the run: a namespace named like ours (not one the trace uses), and the user's objects in the
    # trace's own namespaces under the names the trace uses.
    store.add(namespace("p1-staging"))
    before = [store.add(users("Pod", "db", "p1-staging")), store.add(deployment("web", "p1-staging"))]
    traced = {str(o["metadata"]["namespace"]) for e in canonical.events for o in e.get("applied_objs") or []}
    for ns in sorted(traced):
        if f"{NS}/{ns}" not in store.objects:
            store.add(namespace(ns))
        before += [
            store.add(deployment(str(o["metadata"]["name"]), ns))
            for e in canonical.events[:1]
            for o in e.get("applied_objs") or []
            if o["metadata"].get("namespace", "default") == ns
        ]
    during: list[dict[str, Any]] = []

    def user_works_in_our_namespaces(backend: Any, _stage: str) -> None:
        if during:
            return
        for ns in sorted(traced):
            ours = f"p1-{ns}"
            during.extend(
                store.add(o)
                for o in (
                    deployment("users-web", ours),
                    users("ConfigMap", "users-settings", ours, data={"a": "1"}),
                    users("Secret", "users-token", ours, data={"t": "eA=="}),
                    users("Pod", "users-debug", ours),
                )
            )

    cluster = KubeCluster(
        kubeconfig=kc, mode="direct", run_id="r1", hooks={"post_run": [user_works_in_our_namespaces]}
    )
    result = run_episode(canonical, "heuristic", backend=cluster, max_steps=2, step_seconds=0.05, prefix="p1")
    cluster.close()
    assert result.error is None, result.error
    assert during
    for obj in (*before, *during):
        kept = store.objects.get(store.path_of(obj))
        assert kept is not None and kept["metadata"]["uid"] == obj["metadata"]["uid"], store.path_of(obj)
        assert "simarena.io/run" not in (kept["metadata"].get("labels") or {})
    assert f"{NS}/p1-staging" in store.objects
    ours = [p for p, o in store.objects.items() if (o["metadata"].get("labels") or {}).get("simarena.io/run")]
    # All that is left of ours: the namespaces the user's objects keep alive (no object, no fence).
    assert sorted(ours) == sorted(f"{NS}/p1-{ns}" for ns in traced), ours
