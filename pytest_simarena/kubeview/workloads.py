"""One summary per top-level workload, walking ownerReferences (what ``kubectl get deploy`` and pods show)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_simarena.backends.protocol import virtual_namespace

from .access import _KIND_ORDER, _dict, _list, _meta, original_namespace
from .pods import pod_crash_looping, pod_is_ready, pod_oom_killed, pod_restarts

if TYPE_CHECKING:
    from pytest_simarena.backends.protocol import ClusterSnapshot

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class WorkloadSummary:
    """One top-level workload as an agent sees it: desired vs what its pods are doing.

    ``ready``/``available``/``updated`` come from the workload's status where Kubernetes keeps them
    (Deployment, StatefulSet, ReplicaSet; what ``kubectl get deploy`` prints), else from its pods.
    Pod counts (``pending``, ``running``, ``crash_looping``, ``oom_killed``, ``restarts``, ``total``) come
    from the pods it owns, directly or through ReplicaSets and Jobs.
    """

    kind: str
    namespace: str
    name: str
    desired: int
    ready: int
    available: int
    updated: int
    pending: int
    running: int
    crash_looping: int
    oom_killed: int
    restarts: int
    total: int
    conditions: tuple[Obj, ...] = ()

    def condition(self, ctype: str) -> Obj | None:
        """The condition of type ``ctype`` (e.g. ``"Available"``), or None."""
        return next((c for c in self.conditions if c.get("type") == ctype), None)

    def to_dict(self) -> Obj:
        """camelCase, as the ``--json`` output and the episode log show it."""
        return {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "desired": self.desired,
            "ready": self.ready,
            "available": self.available,
            "updated": self.updated,
            "pending": self.pending,
            "running": self.running,
            "crashLooping": self.crash_looping,
            "oomKilled": self.oom_killed,
            "restarts": self.restarts,
            "total": self.total,
            "conditions": [dict(c) for c in self.conditions],
        }


def _key(kind: str, namespace: str, name: str) -> tuple[str, str, str]:
    return (kind, namespace, name)


def _desired(obj: Mapping[str, Any]) -> int:
    kind = obj.get("kind")
    spec = _dict(obj.get("spec"))
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        replicas = spec.get("replicas")
        return 1 if replicas is None else int(replicas)  # API default 1 (§6.1)
    if kind == "Job":
        completions = spec.get("completions")
        parallelism = spec.get("parallelism")
        if completions is not None:
            return int(completions)
        return 1 if parallelism is None else int(parallelism)
    return 0


def summarize(snapshot: ClusterSnapshot) -> list[WorkloadSummary]:
    """One summary per top-level workload of the snapshot, sorted by namespace, kind and name.

    Pods are attributed as :func:`pods_by_workload` says; a pod without a known owner is its own
    workload (desired 1).
    """
    out = [_summary(root, pods, snapshot.prefix) for root, pods in _groups(snapshot).values()]
    return sorted(out, key=_order)


def workload_view(
    snapshot: ClusterSnapshot, kind: str, namespace: str, name: str
) -> tuple[WorkloadSummary | None, list[Mapping[str, Any]]]:
    """One workload's entry of :func:`summarize` (``namespace`` as in the trace) and its pods as
    :func:`pods_by_workload` keys them (``namespace`` in the run's ``<prefix>-<namespace>``), from one pass
    over the snapshot: what an episode step reads, without summarizing every other workload."""
    groups = _groups(snapshot)
    matches = [
        _summary(root, pods, snapshot.prefix)
        for (k, _, n), (root, pods) in groups.items()
        if k == kind and n == name
    ]
    matches = [m for m in matches if m.namespace == namespace]
    summary = min(matches, key=_order) if matches else None
    found = groups.get((kind, virtual_namespace(snapshot.prefix, namespace), name))
    return summary, (found[1] if found is not None else [])


def _order(s: WorkloadSummary) -> tuple[str, int, str, str]:
    return (s.namespace, _KIND_ORDER.get(s.kind, 9), s.kind, s.name)


def pods_by_workload(snapshot: ClusterSnapshot) -> dict[tuple[str, str, str], list[Mapping[str, Any]]]:
    """``(kind, namespace, name)`` of each top-level workload (namespace as in the cluster) -> its pods.

    Pods are attributed by ``ownerReferences`` (uid when present, else kind and name): pod -> ReplicaSet
    -> Deployment, pod -> StatefulSet, pod -> Job -> CronJob; a pod without a known owner is its own
    workload, keyed ``("Pod", namespace, name)``.
    """
    return {key: pods for key, (_, pods) in _groups(snapshot).items()}


def _groups(
    snapshot: ClusterSnapshot,
) -> dict[tuple[str, str, str], tuple[Mapping[str, Any], list[Mapping[str, Any]]]]:
    """Each top-level workload's key -> (the workload object, or a bare pod, and its pods)."""
    by_uid: dict[str, Mapping[str, Any]] = {}
    by_key: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for obj in snapshot.workloads:
        meta = _meta(obj)
        kind, ns, name = str(obj.get("kind", "")), str(meta.get("namespace", "")), str(meta.get("name", ""))
        by_key[_key(kind, ns, name)] = obj
        if meta.get("uid"):
            by_uid[str(meta["uid"])] = obj

    def owner_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
        meta = _meta(obj)
        for ref in _list(meta.get("ownerReferences")):
            if not isinstance(ref, dict):
                continue
            found = by_uid.get(str(ref.get("uid"))) if ref.get("uid") else None
            if found is None:
                found = by_key.get(
                    _key(str(ref.get("kind")), str(meta.get("namespace", "")), str(ref.get("name")))
                )
            if found is not None:
                return found
        return None

    tops: dict[int, Mapping[str, Any]] = {}

    def top(obj: Mapping[str, Any]) -> Mapping[str, Any]:
        start = obj
        cached = tops.get(id(start))
        if cached is not None:
            return cached
        seen = 0
        while seen < 8:  # an ownership chain is at most pod -> Job -> CronJob; guard against cycles
            owner = owner_of(obj)
            if owner is None:
                break
            obj = tops.get(id(owner)) or owner
            seen += 1
        tops[id(start)] = obj
        return obj

    roots: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for obj in snapshot.workloads:
        root = top(obj)
        meta = _meta(root)
        roots[_key(str(root.get("kind")), str(meta.get("namespace", "")), str(meta.get("name", "")))] = root
    pods_of: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {k: [] for k in roots}
    for pod in snapshot.pods:
        root = top(pod)
        meta = _meta(root)
        key = _key(str(root.get("kind") or "Pod"), str(meta.get("namespace", "")), str(meta.get("name", "")))
        roots.setdefault(key, root)
        pods_of.setdefault(key, []).append(pod)

    return {key: (root, pods_of.get(key, [])) for key, root in roots.items()}


def _summary(root: Mapping[str, Any], pods: Sequence[Mapping[str, Any]], prefix: str) -> WorkloadSummary:
    kind = str(root.get("kind") or "Pod")
    meta = _meta(root)
    status = _dict(root.get("status"))
    live = [p for p in pods if not _meta(p).get("deletionTimestamp")]
    ready_pods = sum(1 for p in live if pod_is_ready(p))
    if kind == "Pod":
        desired = 1
    elif kind == "CronJob":
        desired = len(_list(status.get("active")))
    else:
        desired = _desired(root)
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        ready = int(status.get("readyReplicas") or 0)
        available = int(status.get("availableReplicas") or 0)
        if kind == "StatefulSet":
            available = int(status.get("availableReplicas", status.get("readyReplicas")) or 0)
        updated = (
            int(status.get("updatedReplicas") or 0)
            if kind != "ReplicaSet"
            else int(status.get("replicas") or 0)
        )
    else:
        ready = available = ready_pods
        updated = len(live)
    conditions = tuple(dict(c) for c in _list(status.get("conditions")) if isinstance(c, dict))
    pending = running = crash_looping = oom_killed = restarts = 0
    for p in pods:  # one pass: this runs on every episode step
        phase = _dict(p.get("status")).get("phase")
        pending += phase == "Pending"
        running += phase == "Running"
        crash_looping += pod_crash_looping(p)
        oom_killed += pod_oom_killed(p)
        restarts += pod_restarts(p)
    return WorkloadSummary(
        kind=kind,
        namespace=original_namespace(root, prefix),
        name=str(meta.get("name", "")),
        desired=desired,
        ready=ready,
        available=available,
        updated=updated,
        pending=pending,
        running=running,
        crash_looping=crash_looping,
        oom_killed=oom_killed,
        restarts=restarts,
        total=len(pods),
        conditions=conditions,
    )
