"""The API server through the official Python client and raw HTTPS: reads, writes, watch, safety."""

from __future__ import annotations

import json
import random
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from api_helpers import CANONICAL, Served, served
from kubernetes import client, config, watch

from pytest_simarena.api import ApiServer
from pytest_simarena.live import LiveSession

CPU_FIX = {
    "spec": {"template": {"spec": {"containers": [{"name": "web", "resources": {"requests": {"cpu": "2"}}}]}}}
}


def clients(s: Served) -> tuple[client.CoreV1Api, client.AppsV1Api]:
    api_client = config.new_client_from_config(str(s.kubeconfig))
    return client.CoreV1Api(api_client), client.AppsV1Api(api_client)


def test_the_official_client_lists_reads_patches_and_replaces() -> None:
    with served() as s:
        core, apps = clients(s)
        pods = core.list_namespaced_pod("default")
        assert sorted(p.status.phase for p in pods.items) == ["Pending"] * 3
        assert int(pods.metadata.resource_version) > 0
        events = core.list_namespaced_event("default", field_selector="reason=FailedScheduling")
        assert events.items and "Insufficient cpu" in events.items[0].message
        assert [n.metadata.name for n in core.list_node().items] == [
            "kwok-node-0",
            "kwok-node-1",
            "kwok-node-2",
        ]
        apps.patch_namespaced_deployment("web", "default", CPU_FIX)  # a dict body goes as strategic merge
        deploy = apps.read_namespaced_deployment("web", "default")
        assert deploy.spec.template.spec.containers[0].resources.requests["cpu"] == "2"
        deploy.spec.replicas = 2
        apps.replace_namespaced_deployment("web", "default", deploy)
        assert apps.read_namespaced_deployment_scale("web", "default").spec.replicas == 2
        with pytest.raises(client.ApiException) as info:
            apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 200}})
        assert info.value.status == 403
        assert "replicas would be 200, cap is 100" in json.loads(info.value.body)["message"]
        with pytest.raises(client.ApiException) as info:
            core.read_namespaced_pod("nope", "default")
        assert info.value.status == 404


def test_a_watch_streams_the_rollout_while_simulated_time_runs() -> None:
    with served() as s:
        core, apps = clients(s)
        listed = core.list_namespaced_pod("default")
        apps.patch_namespaced_deployment("web", "default", CPU_FIX)
        seen: list[tuple[str, str]] = []
        stream = watch.Watch()
        for event in stream.stream(
            core.list_namespaced_pod,
            "default",
            resource_version=listed.metadata.resource_version,
            timeout_seconds=120,
        ):
            seen.append((event["type"], event["object"].status.phase))
        # The stream ends when its 120 simulated seconds are over, in far less wall time.
        assert seen.count(("DELETED", "Pending")) == 3
        assert seen.count(("ADDED", "Running")) == 3
        assert 120 <= s.session.now < 130


def test_credentials_are_required_and_the_kubeconfig_has_them() -> None:
    with served() as s:
        assert s.request("GET", "/api/v1/namespaces/default/pods", token=None)[0] == 401
        assert s.request("GET", "/api/v1/namespaces/default/pods", token="wrong")[0] == 401
        status, body = s.request("GET", "/api/v1/namespaces/default/pods")
        assert status == 200 and len(body["items"]) == 3
        assert s.request("GET", "/healthz", token=None) == (200, "ok")
        assert s.kubeconfig.stat().st_mode & 0o077 == 0
        assert s.server.url.startswith("https://127.0.0.1:")


def test_bad_requests_get_a_status_and_the_server_keeps_serving() -> None:
    with served(body_limit=4096) as s:
        path = "/apis/apps/v1/namespaces/default/deployments/web"
        cases = [
            ("PUT", path, b"x" * 5000, {"Content-Type": "application/json"}, 413),
            ("PUT", path, b"{not json", {"Content-Type": "application/json"}, 400),
            ("PUT", path, b"{}", {"Content-Type": "text/plain"}, 415),
            ("PATCH", path, b"{}", {"Content-Type": "application/xml"}, 415),
            ("PATCH", path, b"[1", {"Content-Type": "application/json-patch+json"}, 400),
            (
                "PATCH",
                path,
                b'{"spec": {"replicas": -1}}',
                {"Content-Type": "application/merge-patch+json"},
                422,
            ),
            (
                "PATCH",
                path,
                b'{"spec": {"replicaz": 2}}',
                {"Content-Type": "application/merge-patch+json"},
                200,
            ),
            ("GET", "/api/v1/namespaces/default/widgets", None, {}, 404),
            ("DELETE", "/api/v1/nodes/kwok-node-0", None, {}, 405),
            ("POST", "/api/v1/namespaces/default/events", b"{}", {"Content-Type": "application/json"}, 405),
            ("OPTIONS", "/api/v1/pods", None, {}, 405),
        ]
        for method, target, body, headers, code in cases:
            status, answer = s.request(method, target, body, headers=headers)
            assert status == code, (method, target, answer)
            if code != 200:
                assert answer["kind"] == "Status" and answer["code"] == code and answer["message"]
        strict = f"{path}?fieldValidation=Strict"
        status, answer = s.request(
            "PATCH",
            strict,
            b'{"spec": {"replicaz": 2}}',
            headers={"Content-Type": "application/merge-patch+json"},
        )
        assert status == 400 and 'unknown field "spec.replicaz"' in answer["message"]
        status, answer = s.request("GET", "/apis/apps/v1/namespaces/default/deployments/web")
        assert status == 200 and answer["spec"]["replicas"] == 3
        status, answer = s.request("GET", "/api/v1/namespaces/default/widgets")
        assert "served:" in answer["message"]


def _fuzzed(rng: random.Random) -> tuple[str, str, bytes | None, dict[str, str]]:
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    paths = [
        "/api/v1/namespaces/default/pods",
        "/api/v1/namespaces/default/pods/web",
        "/apis/apps/v1/namespaces/default/deployments/web",
        "/apis/apps/v1/namespaces/default/deployments/web/scale",
        "/apis/apps/v1/namespaces/default/deployments",
        "/api/v1/nodes",
        "/api/v1/namespaces",
        "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods",
        "/simarena/v1/advance",
        "/",
        "/api/v1/namespaces/default/pods/../../x",
    ]
    path = rng.choice(paths)
    if rng.random() < 0.3:
        path += "?" + rng.choice(
            [
                "labelSelector=a+in+(",
                "fieldSelector=bogus=1",
                "fieldValidation=Strict",
                "seconds=-5",
                "limit=x",
            ]
        )
    if rng.random() < 0.1:
        path = "/" + "".join(rng.choice("abc/%?&=.") for _ in range(rng.randint(1, 30)))
    pieces = [
        b"{",
        b"}",
        b"[",
        b"]",
        b'"spec"',
        b":",
        b",",
        b"null",
        b"1e999",
        b'"replicas"',
        b"-1",
        b'{"spec":{"replicas":5}}',
        b'{"op":"remove","path":"/spec"}',
        b"\xff",
        b'{"metadata":{"name":"web"},"spec":{"template":{"spec":{"containers":"x"}}}}',
    ]
    body = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) if rng.random() < 0.8 else None
    content_type = rng.choice(
        [
            "application/json",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
            "application/json-patch+json",
            "application/apply-patch+yaml",
            "application/yaml",
            "text/plain",
        ]
    )
    return rng.choice(methods), path, body, {"Content-Type": content_type}


def test_fuzzed_requests_never_break_the_server() -> None:
    """A few thousand malformed requests; every answer is a Status or a valid object, never a 5xx."""
    rng = random.Random(12)
    with served(request_cost=0.0) as s:
        codes: dict[int, int] = {}
        for _ in range(2000):
            method, path, body, headers = _fuzzed(rng)
            status, answer = s.request(method, path, body, headers=headers)
            codes[status] = codes.get(status, 0) + 1
            assert status < 500, (method, path, body, answer)
            if status >= 400 and method != "HEAD":
                assert isinstance(answer, dict) and answer.get("kind") == "Status", (method, path, answer)
        assert set(codes) - {200, 201} and 200 in codes
        core, _ = clients(s)
        served_names = sorted(p.metadata.name for p in core.list_namespaced_pod("default").items)
        assert served_names == sorted(p["metadata"]["name"] for p in s.session.list("pods", "default"))


def test_concurrent_writers_are_ordered_by_the_lock() -> None:
    with served(request_cost=0.0) as s:
        errors: list[Any] = []

        def writer(n: int) -> None:
            _, apps = clients(s)
            try:
                for i in range(10):
                    apps.patch_namespaced_deployment(
                        "web", "default", {"metadata": {"labels": {f"w{n}": str(i)}}}
                    )
            except Exception as exc:  # collected: a thread's failure must fail the test
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        labels = s.session.get("deployments", "default", "web")["metadata"]["labels"]
        assert {labels[f"w{n}"] for n in range(4)} == {"9"}
        assert len(s.session.writes) == 40


def test_each_request_costs_simulated_time_and_the_clock_endpoint_advances_it() -> None:
    with served(request_cost=0.5) as s:
        before = s.session.now
        s.request("GET", "/api/v1/namespaces/default/pods")
        s.request("GET", "/api")  # discovery is free
        assert s.session.now == before + 0.5
        status, body = s.request("POST", "/simarena/v1/advance?seconds=30")
        assert status == 200 and body["now"] == before + 30.5
        assert s.request("POST", "/simarena/v1/advance?seconds=abc")[0] == 400


def test_the_server_listens_on_loopback_and_stops_cleanly() -> None:
    with served() as s:
        assert s.server.host == "127.0.0.1"
        port = s.server.port
    again = ApiServer(s.session, port=port)
    with again:
        assert again.port == port


def test_access_reviews_dry_runs_and_delete_options_over_http() -> None:
    with served(request_cost=0.0) as s:
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"verb": "patch", "group": "apps", "resource": "deployments"}},
        }
        status, answer = s.request(
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            json.dumps(review).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert status == 201 and answer["status"]["allowed"] is True
        path = "/apis/apps/v1/namespaces/default/deployments/web"
        status, _ = s.request(
            "PATCH",
            f"{path}?dryRun=All",
            b'{"spec":{"replicas":7}}',
            headers={"Content-Type": "application/merge-patch+json"},
        )
        assert status == 200 and s.session.get("deployments", "default", "web")["spec"]["replicas"] == 3
        options = {"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"uid": "not-it"}}
        status, answer = s.request(
            "DELETE", path, json.dumps(options).encode(), headers={"Content-Type": "application/json"}
        )
        assert status == 409 and "Precondition failed" in answer["message"]


def test_watch_list_sends_initial_events_then_the_end_bookmark() -> None:
    with served(request_cost=0.0, watch_seconds=5) as s:
        status, text = s.request(
            "GET",
            "/api/v1/namespaces/default/pods?watch=1&sendInitialEvents=true"
            "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
        )
        assert status == 200
        events = [json.loads(line) for line in text.splitlines()]
        assert [e["type"] for e in events[:4]] == ["ADDED", "ADDED", "ADDED", "BOOKMARK"]
        assert events[3]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_leased_sessions_are_each_reached_only_by_their_own_token() -> None:
    with served(request_cost=1.0) as s:
        other = LiveSession.start(CANONICAL / "very-bad-memory.sktrace", seed=2)
        own_now, other_now = s.session.now, other.now
        with s.server.lease(other) as token:
            assert token != s.server.token
            status, pods = s.request("GET", "/api/v1/namespaces/default/pods", token=token)
            assert status == 200
            assert sorted(p["metadata"]["name"] for p in pods["items"]) == sorted(
                p["metadata"]["name"] for p in other.list("pods", "default")
            )
            # Each request costs simulated time on the session its token reaches, and only there.
            assert (s.session.now, other.now) == (own_now, other_now + 1.0)
            status, answer = s.request(
                "PATCH",
                "/apis/apps/v1/namespaces/default/deployments/web",
                b'{"spec":{"replicas":2}}',
                headers={"Content-Type": "application/merge-patch+json"},
                token=token,
            )
            assert status == 200 and other.get("deployments", "default", "web")["spec"]["replicas"] == 2
            assert s.session.get("deployments", "default", "web")["spec"]["replicas"] == 3
            assert len(other.writes) == 1 and s.session.writes == []
            assert s.request("GET", "/api/v1/namespaces/default/pods")[0] == 200  # the own token still works
            assert s.server.kubeconfig(token=token)["users"][0]["user"]["token"] == token
        status, answer = s.request("GET", "/api/v1/namespaces/default/pods", token=token)
        assert status == 401 and answer["kind"] == "Status"
        assert s.request("GET", "/api/v1/namespaces/default/pods", token="not-a-token")[0] == 401


def test_the_shared_server_serves_only_leases_and_is_one_per_process() -> None:
    from pytest_simarena.api.server import shared_server

    server = shared_server()
    assert shared_server() is server and server.session is None
    session = LiveSession.start(CANONICAL / "slightly-bad-cpu.sktrace", seed=1)
    assert server.certificates is not None
    context = ssl.create_default_context(cadata=server.certificates.ca_pem.decode())
    with tempfile.TemporaryDirectory() as tmp, server.lease(session) as token:
        s = Served(server, session, Path(tmp), Path(tmp), context)
        status, version = s.request("GET", "/version", token=token)
        assert status == 200 and version["gitVersion"].endswith("-simarena")
        assert s.request("GET", "/api/v1/nodes", token=server.token)[0] == 401  # it has no session of its own
    assert s.request("GET", "/api/v1/nodes", token=token)[0] == 401
