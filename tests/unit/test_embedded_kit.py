"""Builders shared by the embedded-cluster unit tests (this module holds no tests itself).

Objects are written as a user writes them (original namespace) and replayed through a SimKube trace, so
the driver's rewrite (``virtual-<ns>``, node selector, toleration) is part of every test.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
from pytest_simarena.backends.protocol import ClusterSnapshot
from pytest_simarena.trace.model import Trace
from pytest_simarena.trace.usage import USAGE_ANNOTATION

Obj = dict[str, Any]
T0 = 1_700_000_000
PREFIX = "virtual"
NS = "virtual-default"


def container(
    name: str = "web", *, requests: Obj | None = None, limits: Obj | None = None, **extra: Any
) -> Obj:
    resources: Obj = {}
    if requests:
        resources["requests"] = dict(requests)
    if limits:
        resources["limits"] = dict(limits)
    return {"name": name, "image": "ghcr.io/example/web:1.0", "resources": resources, **extra}


def deployment(
    name: str = "web",
    replicas: int = 3,
    cpu: str | None = "1",
    memory: str | None = "1Gi",
    *,
    containers: list[Obj] | None = None,
    usage: Obj | None = None,
    strategy: Obj | None = None,
    namespace: str = "default",
    deployment_spec: Obj | None = None,
    **spec_extra: Any,
) -> Obj:
    """A Deployment; ``deployment_spec`` adds Deployment spec fields, other keywords go to the pod spec."""
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    meta: Obj = {"labels": {"app": name}}
    if usage is not None:
        meta["annotations"] = {USAGE_ANNOTATION: json.dumps(usage, sort_keys=True)}
    spec: Obj = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": meta,
            "spec": {"containers": containers or [container(requests=requests)], **spec_extra},
        },
    }
    if strategy is not None:
        spec["strategy"] = strategy
    spec.update(deployment_spec or {})
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def statefulset(name: str = "db", replicas: int = 3, cpu: str = "1", memory: str = "1Gi") -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container(name, requests={"cpu": cpu, "memory": memory})]},
            },
        },
    }


def trace(
    *events: tuple[float, list[Obj]] | tuple[float, list[Obj], list[Obj]], lifecycles: Obj | None = None
) -> Trace:
    """``(seconds after start, applied[, deleted])`` per event, as a SimKube v2 trace."""
    built = []
    for event in events:
        at, applied = event[0], event[1]
        deleted = event[2] if len(event) > 2 else []
        built.append({"ts": int(T0 + at), "applied_objs": list(applied), "deleted_objs": list(deleted)})
    config = {
        "trackedObjects": {
            "apps/v1.Deployment": {"podSpecTemplatePaths": ["/spec/template"]},
            "apps/v1.StatefulSet": {"podSpecTemplatePaths": ["/spec/template"]},
            "v1.Pod": {"podSpecTemplatePaths": [""], "trackLifecycle": True},
        }
    }
    return Trace(events=built, config=config, pod_lifecycles=dict(lifecycles or {}))


def run(
    tr: Trace, seconds: float, spec: ClusterSpec | None = None, *, seed: int = 0
) -> tuple[EmbeddedCluster, ClusterSnapshot]:
    cluster = EmbeddedCluster(spec, seed=seed)
    cluster.start(tr, PREFIX)
    cluster.run(seconds)
    return cluster, cluster.observe(PREFIX)


def pods_of(snap: ClusterSnapshot, prefix: str) -> list[Obj]:
    return [p for p in snap.pods if p["metadata"]["name"].startswith(prefix)]


def phases(snap: ClusterSnapshot, prefix: str = "") -> list[str]:
    return sorted(p["status"]["phase"] for p in pods_of(snap, prefix))


def condition(obj: Obj, ctype: str) -> Obj:
    return next(c for c in obj["status"].get("conditions", []) if c["type"] == ctype)


def workload(snap: ClusterSnapshot, kind: str, name: str) -> Obj:
    return next(w for w in snap.workloads if w["kind"] == kind and w["metadata"]["name"] == name)


def events(snap: ClusterSnapshot, reason: str) -> list[Obj]:
    return [e for e in snap.events if e["reason"] == reason]
