"""The generic API layer: REST paths, and what the real kubernetes client sends and how we read answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kube_http import Endpoint, closed_port, endpoint, status_body, write_kubeconfig

from pytest_simarena.backends.kube.api import ApiError, KubeApi, Unreachable, resource_path
from pytest_simarena.backends.kube.config import connect
from pytest_simarena.errors import BackendError, BackendUnavailable


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (("v1", "pods", True, "ns", "p"), "/api/v1/namespaces/ns/pods/p"),
        (("v1", "pods", True, None, None), "/api/v1/pods"),
        (("apps/v1", "deployments", True, "ns", None), "/apis/apps/v1/namespaces/ns/deployments"),
        (("simkube.io/v1", "simulations", False, "ignored", "s"), "/apis/simkube.io/v1/simulations/s"),
    ],
)
def test_resource_paths(args: tuple[str, str, bool, str | None, str | None], path: str) -> None:
    assert resource_path(*args) == path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Endpoint, KubeApi]]:
    with endpoint() as ep:
        api = KubeApi(connect(write_kubeconfig(tmp_path / "kc", ep.url)), timeout=(2.0, 5.0))
        yield ep, api
        api.close()


def test_server_side_apply_is_a_patch_with_apply_content_type_field_manager_and_force(
    server: tuple[Endpoint, KubeApi],
) -> None:
    ep, api = server
    path = "/apis/apps/v1/namespaces/p1-default/deployments/web"
    ep.on("PATCH", path, (200, {"kind": "Deployment", "metadata": {"name": "web", "uid": "u1"}}))
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "p1-default"},
    }
    out = api.apply(obj, field_manager="pytest-simarena")
    assert out["metadata"]["uid"] == "u1"
    (req,) = ep.requests
    assert (req.method, req.path) == ("PATCH", path)
    assert req.content_type == "application/apply-patch+yaml"
    assert req.query == {"fieldManager": ["pytest-simarena"], "force": ["true"]}
    assert req.body == obj


def test_delete_reports_absent_on_404_and_terminating_on_409(server: tuple[Endpoint, KubeApi]) -> None:
    ep, api = server
    base = "/api/v1/namespaces"
    ep.on("DELETE", f"{base}/gone", (404, status_body(404, "NotFound", 'namespaces "gone" not found')))
    ep.on("DELETE", f"{base}/busy", (409, status_body(409, "Conflict", "content is being removed")))
    replaced = (
        'Operation cannot be fulfilled on namespaces "new": Precondition failed: UID in precondition: u1'
    )
    ep.on("DELETE", f"{base}/new", (409, status_body(409, "Conflict", replaced)))
    ep.on("DELETE", f"{base}/mine", (200, {"kind": "Namespace"}))
    assert api.delete("v1", "Namespace", "gone", uid="u1") == "absent"
    assert api.delete("v1", "Namespace", "busy", uid="u1") == "terminating"
    assert api.delete("v1", "Namespace", "new", uid="u1") == "replaced"
    assert api.delete("v1", "Namespace", "mine", uid="u1") == "deleted"
    assert ep.requests[-1].body == {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "propagationPolicy": "Background",
        "preconditions": {"uid": "u1"},
    }


def test_delete_without_a_name_or_uid_and_cluster_scoped_writes_for_a_namespace_are_refused(
    server: tuple[Endpoint, KubeApi],
) -> None:
    ep, api = server
    with pytest.raises(BackendError, match="empty name would delete every pods"):
        api.delete("v1", "Pod", "", "ns", uid="u1")
    with pytest.raises(BackendError, match="no uid"):
        api.delete("v1", "Pod", "p", "ns", uid="")
    with pytest.raises(BackendError, match="Node n1 is cluster-scoped"):
        api.apply(
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "namespace": "p-x"}},
            field_manager="m",
        )
    with pytest.raises(BackendError, match="Namespace prod is cluster-scoped"):
        api.delete("v1", "Namespace", "prod", "p-x", uid="u1")
    assert ep.requests == []


def test_namespaced_resources_come_from_discovery_without_subresources_or_views(tmp_path: Path) -> None:
    from kube_http import ObjectStore

    with endpoint() as ep:
        ObjectStore(ep)
        ep.on(
            "GET",
            "/apis/metrics.k8s.io/v1beta1",
            (
                200,
                {
                    "resources": [
                        {"name": "pods", "namespaced": True, "kind": "PodMetrics", "verbs": ["get", "list"]}
                    ]
                },
            ),
        )
        api = KubeApi(connect(write_kubeconfig(tmp_path / "kc", ep.url)), timeout=(2.0, 5.0))
        found = {(r.api_version, r.kind) for r in api.namespaced_resources()}
        api.close()
    assert {("v1", "ConfigMap"), ("rbac.authorization.k8s.io/v1", "Role"), ("v1", "Pod")} <= found
    assert not {k for _v, k in found} & {"Node", "Namespace", "ClusterRole", "PodMetrics"}


def test_list_sends_the_selector_and_fills_in_kind(server: tuple[Endpoint, KubeApi]) -> None:
    ep, api = server
    ep.on("GET", "/api/v1/nodes", (200, {"kind": "NodeList", "items": [{"metadata": {"name": "n1"}}]}))
    (node,) = api.list("v1", "Node", label_selector="type=virtual")
    assert node == {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}
    assert ep.requests[-1].query == {"labelSelector": ["type=virtual"]}


def test_get_of_a_missing_object_is_none_and_other_errors_carry_the_servers_message(
    server: tuple[Endpoint, KubeApi],
) -> None:
    ep, api = server
    assert api.get("v1", "Namespace", "absent") is None
    ep.on("GET", "/api/v1/namespaces/x", (403, status_body(403, "Forbidden", 'namespaces "x" is forbidden')))
    with pytest.raises(ApiError) as info:
        api.get("v1", "Namespace", "x")
    assert info.value.status == 403
    assert str(info.value) == 'get Namespace x: HTTP 403 Forbidden: namespaces "x" is forbidden'


def test_an_unknown_kind_is_found_by_discovery_once(server: tuple[Endpoint, KubeApi]) -> None:
    ep, api = server
    ep.on(
        "GET",
        "/apis/example.com/v1",
        (
            200,
            {
                "resources": [
                    {"name": "widgets/status", "kind": "Widget"},
                    {"name": "widgets", "kind": "Widget", "namespaced": True},
                ]
            },
        ),
    )
    ep.on("GET", "/apis/example.com/v1/namespaces/ns/widgets", (200, {"items": []}))
    assert api.list("example.com/v1", "Widget", "ns") == []
    assert api.list("example.com/v1", "Widget", "ns") == []
    assert [r.path for r in ep.requests].count("/apis/example.com/v1") == 1
    with pytest.raises(BackendError, match=r"does not serve Gadget in example\.com/v1"):
        api.resource("example.com/v1", "Gadget")


def test_a_closed_port_is_unreachable_fast(tmp_path: Path) -> None:
    port = closed_port()
    api = KubeApi(connect(write_kubeconfig(tmp_path / "kc", f"https://127.0.0.1:{port}")))
    with pytest.raises(Unreachable) as info:
        api.list("v1", "Node")
    assert str(info.value) == f"cannot reach the API server at https://127.0.0.1:{port} (connection refused)"
    assert isinstance(info.value, BackendUnavailable)


def test_a_kind_the_server_does_not_serve_lists_as_empty(server: tuple[Endpoint, KubeApi]) -> None:
    ep, api = server
    ep.on("GET", "/apis/apps/v1/namespaces/ns/deployments", (200, {"items": [{"metadata": {"name": "web"}}]}))
    assert api.list_if_served("apps/v1", "DaemonSet", "ns") == []  # 404: not served, so nothing of it
    assert [d["metadata"]["name"] for d in api.list_if_served("apps/v1", "Deployment", "ns")] == ["web"]
    ep.on("GET", "/apis/apps/v1/namespaces/ns/statefulsets", (403, status_body(403, "Forbidden", "no")))
    with pytest.raises(ApiError, match="403"):
        api.list_if_served("apps/v1", "StatefulSet", "ns")
