"""Small builders for the fidelity table: traces, workloads and look-ups over a ClusterSnapshot.

Objects are written as a user would write them (API-shaped camelCase dicts, original namespace), put in a
SimKube trace and replayed with ``EmbeddedCluster.start``, so the SimKube driver's rewrite (virtual
namespace, ``type: virtual`` node selector, kwok-provider toleration) is part of every case.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster, NodeGroup
from pytest_simarena.backends.protocol import ClusterSnapshot
from pytest_simarena.kubeview import parse_time, pod_status
from pytest_simarena.trace.model import Trace
from pytest_simarena.trace.usage import USAGE_ANNOTATION

Obj = dict[str, Any]
PREFIX = "virtual"
T0 = 1_700_000_000  # trace start (epoch seconds); object timestamps count from it
KWOK_LABELS = {"type": "virtual"}
KWOK_TAINT = {"key": "kwok-provider", "value": "true", "effect": "NoSchedule"}

CONFIG: Obj = {
    "trackedObjects": {
        "apps/v1.Deployment": {"podSpecTemplatePaths": ["/spec/template"]},
        "apps/v1.StatefulSet": {"podSpecTemplatePaths": ["/spec/template"]},
        "batch/v1.Job": {"podSpecTemplatePaths": ["/spec/template"], "trackLifecycle": True},
        "v1.Pod": {"podSpecTemplatePaths": [""], "trackLifecycle": True},
    }
}


def container(
    name: str = "app",
    *,
    cpu: str | None = None,
    memory: str | None = None,
    limit_cpu: str | None = None,
    limit_memory: str | None = None,
) -> Obj:
    """A container with the given requests and limits (only the keys given are set)."""
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    limits = {k: v for k, v in (("cpu", limit_cpu), ("memory", limit_memory)) if v is not None}
    resources: Obj = {}
    if requests:
        resources["requests"] = requests
    if limits:
        resources["limits"] = limits
    return {"name": name, "image": "registry.k8s.io/pause:3.9", "resources": resources}


def pod_spec(
    containers: list[Obj],
    *,
    init: list[Obj] | None = None,
    overhead: Obj | None = None,
    tolerations: list[Obj] | None = None,
    node_selector: Mapping[str, str] | None = None,
) -> Obj:
    spec: Obj = {"containers": containers}
    if init:
        spec["initContainers"] = init
    if overhead:
        spec["overhead"] = overhead
    if tolerations:
        spec["tolerations"] = tolerations
    if node_selector:
        spec["nodeSelector"] = dict(node_selector)
    return spec


def _template(name: str, spec: Obj, usage: Mapping[str, Mapping[str, str]] | None) -> Obj:
    meta: Obj = {"labels": {"app": name}}
    if usage is not None:
        meta["annotations"] = {USAGE_ANNOTATION: json.dumps(usage, sort_keys=True)}
    return {"metadata": meta, "spec": spec}


def deployment(
    name: str,
    replicas: int,
    *,
    containers: list[Obj] | None = None,
    cpu: str | None = None,
    memory: str | None = None,
    namespace: str = "default",
    usage: Mapping[str, Mapping[str, str]] | None = None,
    strategy: Obj | None = None,
    progress_deadline: int | None = None,
    **spec_kw: Any,
) -> Obj:
    """A Deployment of ``replicas`` pods (by default one container ``app`` requesting cpu/memory)."""
    spec = pod_spec(containers or [container(cpu=cpu, memory=memory)], **spec_kw)
    dspec: Obj = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": _template(name, spec, usage),
    }
    if strategy is not None:
        dspec["strategy"] = strategy
    if progress_deadline is not None:
        dspec["progressDeadlineSeconds"] = progress_deadline
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": dspec,
    }


def statefulset(name: str, replicas: int, *, cpu: str | None = None, memory: str | None = None) -> Obj:
    """A StatefulSet with the default OrderedReady pod management."""
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": _template(name, pod_spec([container(cpu=cpu, memory=memory)]), None),
        },
    }


def bare_pod(name: str, *, cpu: str | None = None, memory: str | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": pod_spec([container(cpu=cpu, memory=memory)]),
    }


def trace(*events: tuple[float, list[Obj]] | tuple[float, list[Obj], list[Obj]]) -> Trace:
    """A SimKube trace: ``(seconds after start, applied objects[, deleted objects])`` per event."""
    built = []
    for ev in events:
        deleted = ev[2] if len(ev) == 3 else []
        built.append({"ts": T0 + int(ev[0]), "applied_objs": list(ev[1]), "deleted_objs": list(deleted)})
    return Trace(events=built, config=json.loads(json.dumps(CONFIG)))


def kwok_group(name: str, count: int, cpu: str, memory: str, pods: int = 110, **kw: Any) -> NodeGroup:
    """A node group labelled and tainted as SimKube's KWOK nodes (so virtualized pods can land)."""
    labels = {**KWOK_LABELS, **kw.pop("labels", {})}
    taints = [KWOK_TAINT, *kw.pop("taints", [])]
    return NodeGroup(name, count, cpu, memory, pods, labels, taints, **kw)


def cluster(spec: ClusterSpec | None = None, *, seed: int = 0) -> EmbeddedCluster:
    return EmbeddedCluster(spec or ClusterSpec.default(), seed=seed)


def replay(
    tr: Trace, seconds: float, spec: ClusterSpec | None = None, *, seed: int = 0
) -> tuple[EmbeddedCluster, ClusterSnapshot]:
    """Start ``tr`` on a fresh cluster, run ``seconds`` of simulated time, observe."""
    c = cluster(spec, seed=seed)
    c.start(tr, PREFIX)
    c.run(seconds)
    return c, c.observe(PREFIX)


# --------------------------------------------------------------------------------------------------
# look-ups


def name_of(obj: Mapping[str, Any]) -> str:
    return str(obj["metadata"]["name"])


def pods_of(snap: ClusterSnapshot, workload: str) -> list[Obj]:
    """Pods named ``<workload>-...`` (Deployment ``web-<hash>-<5>``, StatefulSet ``db-0``), by name."""
    return sorted((p for p in snap.pods if name_of(p).startswith(workload + "-")), key=name_of)


def statuses(pods: Iterable[Mapping[str, Any]]) -> list[str]:
    return sorted(pod_status(p) for p in pods)


def workload(snap: ClusterSnapshot, kind: str, name: str) -> Obj:
    for obj in snap.workloads:
        if obj.get("kind") == kind and name_of(obj) == name:
            return obj
    raise AssertionError(
        f"no {kind} {name} in snapshot: {[(o.get('kind'), name_of(o)) for o in snap.workloads]}"
    )


def replicasets_of(snap: ClusterSnapshot, deployment_name: str) -> list[Obj]:
    return [
        o
        for o in snap.workloads
        if o.get("kind") == "ReplicaSet"
        and any(r.get("name") == deployment_name for r in o["metadata"].get("ownerReferences") or [])
    ]


def condition(obj: Mapping[str, Any], ctype: str) -> Obj | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return dict(c)
    return None


def events_for(snap: ClusterSnapshot, name: str, reason: str | None = None) -> list[Obj]:
    return [
        e
        for e in snap.events
        if e["involvedObject"].get("name") == name and (reason is None or e.get("reason") == reason)
    ]


def scheduling_messages(snap: ClusterSnapshot, pods: Iterable[Mapping[str, Any]]) -> set[str]:
    """The PodScheduled=False messages of ``pods`` (one FitError text per distinct situation)."""
    out = set()
    for p in pods:
        cond = condition(p, "PodScheduled")
        if cond and cond.get("status") == "False":
            out.add(str(cond.get("message")))
    return out


def seconds_since_start(stamp: Any) -> float:
    t = parse_time(stamp)
    assert t is not None, f"not a timestamp: {stamp!r}"
    return t - T0


def main_container(pod: Mapping[str, Any]) -> Obj:
    return dict((pod.get("status") or {}).get("containerStatuses", [{}])[0])


def priority_class(name: str, value: int, *, global_default: bool = False, never: bool = False) -> Obj:
    """A scheduling.k8s.io/v1 PriorityClass (``never``: preemptionPolicy Never)."""
    obj: Obj = {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": value,
    }
    if global_default:
        obj["globalDefault"] = True
    if never:
        obj["preemptionPolicy"] = "Never"
    return obj


def with_priority_class(obj: Obj, class_name: str) -> Obj:
    """``obj`` (a Deployment or a bare Pod) with ``priorityClassName`` set on its pod spec."""
    spec = obj["spec"]["template"]["spec"] if obj["kind"] != "Pod" else obj["spec"]
    spec["priorityClassName"] = class_name
    return obj


def limit_range(name: str, *items: Obj, namespace: str = "default") -> Obj:
    """A LimitRange with the given ``spec.limits`` items."""
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"limits": list(items)},
    }


def resource_quota(name: str, hard: Mapping[str, str], *, namespace: str = "default") -> Obj:
    """A ResourceQuota with ``spec.hard``."""
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"hard": dict(hard)},
    }


def quota_status(c: EmbeddedCluster, name: str) -> Obj:
    """``status`` of the ResourceQuota ``name`` as the API serves it."""
    for q in c.admission.objects("ResourceQuota"):
        if q.name == name:
            return dict(q.to_api(c.clock)["status"])
    raise AssertionError(f"no ResourceQuota {name}")
