"""The project's test API server (kube_http.ObjectStore) answers as a real one where safety depends on it.

Driven through the real kubernetes client (KubeApi) over HTTP; each behaviour is the API server's
(apiserver registry and admission code, kube-api.md), so the safety tests that rely on it can fail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kube_http import Endpoint, ObjectStore, endpoint, write_kubeconfig

from pytest_simarena.backends.kube.api import ApiError, KubeApi
from pytest_simarena.backends.kube.config import connect

Served = tuple[Endpoint, ObjectStore, KubeApi]


@pytest.fixture(params=[False, True], ids=["selectors", "ignores-selectors"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    with endpoint() as ep:
        store = ObjectStore(ep, ignore_selectors=request.param)
        api = KubeApi(connect(write_kubeconfig(tmp_path / "kc", ep.url)), timeout=(2.0, 5.0))
        yield ep, store, api
        api.close()


def _cm(name: str, ns: str = "team", labels: dict[str, str] | None = None, **data: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "labels": labels or {}}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def _ns(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def test_deleting_a_namespace_deletes_everything_in_it(served: Served) -> None:
    _ep, store, api = served
    ns = api.create(_ns("team"))
    api.create(_cm("a"))
    store.add(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "team"}}
    )
    api.create(_ns("other"))
    api.create(_cm("b", "other"))
    assert api.delete("v1", "Namespace", "team", uid=ns["metadata"]["uid"]) == "deleted"
    assert store.in_namespace("team") == []
    assert [o["metadata"]["name"] for o in store.in_namespace("other")] == ["b"]


def test_creates_need_a_live_namespace_and_a_free_name(served: Served) -> None:
    _ep, store, api = served
    with pytest.raises(ApiError, match='namespaces "team" not found') as info:
        api.create(_cm("a"))
    assert info.value.status == 404
    api.create(_ns("team"))
    api.create(_cm("a"))
    with pytest.raises(ApiError, match='configmaps "a" already exists') as info:
        api.create(_cm("a"))
    assert info.value.status == 409
    store.objects["/api/v1/namespaces/team"]["status"] = {"phase": "Terminating"}
    with pytest.raises(ApiError, match="because it is being terminated"):
        api.create(_cm("b"))


def test_forced_server_side_apply_takes_fields_over_and_unforced_conflicts(served: Served) -> None:
    _ep, _store, api = served
    api.create(_ns("team"))
    users = api.create(
        _cm("a", labels={"owner": "me"}, key="users"), field_manager="kubectl-client-side-apply"
    )
    mine = _cm("a", labels={"owner": "simarena"}, key="ours")
    with pytest.raises(ApiError) as info:
        api.apply(mine, field_manager="pytest-simarena", force=False)
    assert info.value.status == 409
    assert info.value.message == (
        "Apply failed with 2 conflicts: conflicts with others:\n"
        '- conflict with "kubectl-client-side-apply" using v1: .metadata.labels.owner\n'
        '- conflict with "kubectl-client-side-apply" using v1: .data.key'
    )
    taken = api.apply(mine, field_manager="pytest-simarena", force=True)
    assert taken["data"] == {"key": "ours"} and taken["metadata"]["labels"] == {"owner": "simarena"}
    assert taken["metadata"]["uid"] == users["metadata"]["uid"]  # the user's object, taken over
    with pytest.raises(ApiError, match="field is immutable") as info:
        api.apply(
            {**mine, "metadata": {**mine["metadata"], "uid": "another"}}, field_manager="pytest-simarena"
        )
    assert info.value.status == 422


def test_a_delete_without_a_name_deletes_the_collection(served: Served) -> None:
    _ep, store, api = served
    api.create(_ns("team"))
    api.create(_cm("a", labels={"app": "x"}))
    api.create(_cm("b", labels={"app": "y"}))
    # KubeApi.delete refuses an empty name; this is the request it prevents.
    api.request("DELETE", "/api/v1/namespaces/team/configmaps", "delete collection", label_selector="app=x")
    left = sorted(o["metadata"]["name"] for o in store.in_namespace("team"))
    assert left == ([] if store.ignore_selectors else ["b"])


def test_label_selectors_are_honoured_or_ignored(served: Served) -> None:
    _ep, store, api = served
    api.create(_ns("team"))
    api.create(_cm("ours", labels={"app.kubernetes.io/managed-by": "pytest-simarena", "run": "r1"}))
    api.create(_cm("theirs"))
    listed = api.list(
        "v1", "ConfigMap", "team", label_selector="app.kubernetes.io/managed-by=pytest-simarena,run!=r2"
    )
    names = sorted(o["metadata"]["name"] for o in listed)
    assert names == (["ours", "theirs"] if store.ignore_selectors else ["ours"])


def test_a_delete_whose_uid_precondition_fails_is_409_and_deletes_nothing(served: Served) -> None:
    ep, store, api = served
    api.create(_ns("team"))
    first = api.create(_cm("a"))
    store.objects.pop("/api/v1/namespaces/team/configmaps/a")
    api.create(_cm("a"))  # same name, new object
    assert api.delete("v1", "ConfigMap", "a", "team", uid=first["metadata"]["uid"]) == "replaced"
    assert "/api/v1/namespaces/team/configmaps/a" in store.objects
    answer = json.loads(json.dumps(ep.requests[-1].body))
    assert answer["preconditions"] == {"uid": first["metadata"]["uid"]}


def test_an_object_count_quota_refuses_creates(served: Served) -> None:
    _ep, _store, api = served
    api.create(_ns("team"))
    api.create(_cm("before"))
    quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "team"}}
    api.create({**quota, "spec": {"hard": {"count/configmaps": "0"}}})
    with pytest.raises(ApiError, match="exceeded quota: q") as info:
        api.create(_cm("after"))
    assert info.value.status == 403


def test_discovery_lists_namespaced_kinds_and_subresources(served: Served) -> None:
    _ep, _store, api = served
    core = api.request("GET", "/api/v1", "discover v1")
    names = {r["name"] for r in core["resources"]}
    assert {"pods", "pods/log", "configmaps", "namespaces"} <= names
    groups = {g["name"] for g in api.request("GET", "/apis", "discover groups")["groups"]}
    assert {"apps", "rbac.authorization.k8s.io", "networking.k8s.io"} <= groups
