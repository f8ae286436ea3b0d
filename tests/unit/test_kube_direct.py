"""Direct mode's object rewriting and replay plan (SimKube's driver rewrite and timing, simkube.md §3.4)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from pytest_simarena.backends.kube import direct as D
from pytest_simarena.backends.kube.api import KubeApi
from pytest_simarena.backends.kube.config import connect
from pytest_simarena.backends.kube.labels import CREATED_KEY, our_labels
from pytest_simarena.trace import load_trace
from pytest_simarena.trace.model import Trace

ROOT = Path(__file__).resolve().parents[2]
LABELS = our_labels("r1", "p1")


def _deployment(name: str = "web", ns: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": {"app": name},
            "uid": "1234",
            "resourceVersion": "99",
            "managedFields": [{"manager": "kubectl"}],
            "creationTimestamp": "2024-01-01T00:00:00Z",
            "generation": 3,
            "ownerReferences": [{"kind": "Thing", "name": "x", "uid": "u"}],
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": "c", "image": "i", "ports": [{"containerPort": 80}], "resources": {}}
                    ],
                    "tolerations": [{"key": "a", "operator": "Exists"}],
                },
            },
        },
        "status": {"replicas": 2},
    }


def test_rewrite_matches_the_driver_and_adds_our_labels() -> None:
    obj = _deployment()
    before = copy.deepcopy(obj)
    new = D.rewrite(obj, "p1", LABELS)
    assert obj == before  # the traced object is never modified
    meta = new["metadata"]
    assert meta["namespace"] == "p1-default"
    assert meta["labels"] == {
        "app": "web",
        "simkube.io/simulation": "p1",
        "app.kubernetes.io/name": "web",
        "simkube.io/virtual": "true",
        **LABELS,
    }
    assert "status" not in new
    # server-populated fields would fail or conflict in a server-side apply
    for key in (
        "uid",
        "resourceVersion",
        "managedFields",
        "creationTimestamp",
        "generation",
        "ownerReferences",
    ):
        assert key not in meta
    template = new["spec"]["template"]
    assert template["metadata"]["labels"] == {"app": "web", **LABELS}  # so ReplicaSets and pods carry them
    assert template["metadata"]["annotations"] == {"static.simkube.io/original-namespace": "default"}
    spec = template["spec"]
    assert spec["nodeSelector"] == {"type": "virtual"}
    assert spec["tolerations"] == [
        {"key": "a", "operator": "Exists"},
        {"key": "kwok-provider", "operator": "Exists", "effect": "NoSchedule"},
    ]
    assert "ports" not in spec["containers"][0]
    assert new["spec"]["selector"] == {"matchLabels": {"app": "web"}}  # selector untouched


def test_rewrite_rejects_a_prefix_that_makes_an_invalid_namespace() -> None:
    from pytest_simarena.errors import BackendError

    with pytest.raises(BackendError, match="longer than 63"):
        D.rewrite(_deployment(ns="a-rather-long-namespace-name"), "p" * 40, LABELS)


def test_plan_of_a_canonical_trace() -> None:
    trace = load_trace(ROOT / "traces" / "canonical" / "very-bad-cpu.sktrace")
    events = D.plan(trace, "p1", LABELS)
    assert len(events) == 1 and events[0].offset == 0.0
    (dep,) = events[0].applied
    assert dep["metadata"]["namespace"] == "p1-default"
    assert dep["spec"]["template"]["spec"]["nodeSelector"] == {"type": "virtual"}
    assert D.namespaces_of(events) == ["p1-default"]


def _trace_with_events() -> Trace:
    web, api = _deployment("web"), _deployment("api", "shop")
    return Trace(
        events=[
            {"ts": 1000, "applied_objs": [web], "deleted_objs": []},
            {"ts": 1030, "applied_objs": [api], "deleted_objs": []},
            {"ts": 1090, "applied_objs": [], "deleted_objs": [web]},
        ],
        config={"trackedObjects": {"apps/v1.Deployment": {}}},
    )


def test_plan_offsets_are_divided_by_speed_like_the_drivers_sleeps() -> None:
    events = D.plan(_trace_with_events(), "p1", LABELS, speed=2.0)
    assert [e.offset for e in events] == [0.0, 15.0, 45.0]
    assert events[2].deleted[0]["metadata"]["namespace"] == "p1-default"
    assert D.namespaces_of(events) == ["p1-default", "p1-shop"]
    with pytest.raises(ValueError, match="speed"):
        D.plan(_trace_with_events(), "p1", LABELS, speed=0)
    assert D.plan(Trace(), "p1", LABELS) == []


def test_replay_hands_out_each_event_once_when_due(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
    )
    api = KubeApi(connect(kubeconfig))  # never contacted: due() is pure bookkeeping
    replay = D.DirectReplay(api, D.plan(_trace_with_events(), "p1", LABELS), LABELS)
    assert [e.offset for e in replay.due(0)] == [0.0]
    assert replay.due(10) == []
    assert replay.next_offset() == 30.0
    assert [e.offset for e in replay.due(100)] == [30.0, 90.0]
    assert replay.finished and replay.next_offset() is None


def test_namespace_body_marks_namespaces_we_create() -> None:
    body = D.namespace_body("p1-default", LABELS)
    assert body["metadata"]["labels"] == {**LABELS, CREATED_KEY: "true"}
    assert D.split_api_version("apps/v1.Deployment") == ("apps/v1", "Deployment")
    assert D.split_api_version("v1.Pod") == ("v1", "Pod")


def test_plan_refuses_a_nameless_object_naming_event_and_field() -> None:
    from pytest_simarena.errors import BackendError

    nameless = _deployment("")
    with pytest.raises(
        BackendError, match=r"the trace, event 1, deleted_objs: Deployment has an empty metadata\.name"
    ):
        D.plan(
            Trace(events=[{"ts": 0, "applied_objs": [_deployment()]}, {"ts": 1, "deleted_objs": [nameless]}]),
            "p1",
            LABELS,
        )
