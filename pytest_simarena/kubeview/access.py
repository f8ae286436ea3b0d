"""Small shared readers of API-shaped objects: tolerant accessors, timestamps, original namespaces."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

Obj = dict[str, Any]

ORIGINAL_NAMESPACE_ANNOTATION = "static.simkube.io/original-namespace"  # simkube notes §3.4
TERMINAL_PHASES = ("Succeeded", "Failed")
NODE_LOST_REASON = "NodeLost"  # node.NodeUnreachablePodReason, printPod (§5.3 step 6)

# Order in which workload kinds are listed (kubectl get deploy,sts,rs,cronjob,job,pods).
_KIND_ORDER = {"Deployment": 0, "StatefulSet": 1, "ReplicaSet": 2, "CronJob": 3, "Job": 4, "Pod": 5}
_API_GROUP = {
    "Deployment": "deployment.apps",
    "StatefulSet": "statefulset.apps",
    "ReplicaSet": "replicaset.apps",
    "CronJob": "cronjob.batch",
    "Job": "job.batch",
    "Pod": "pod",
}


# --------------------------------------------------------------------------------------------------
# small accessors


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _condition(obj: Mapping[str, Any], ctype: str) -> Mapping[str, Any] | None:
    for cond in _list(_dict(obj.get("status")).get("conditions")):
        if isinstance(cond, dict) and cond.get("type") == ctype:
            return cond
    return None


def _is_restartable_init(container: Mapping[str, Any] | None) -> bool:
    """A sidecar: an init container with ``restartPolicy: Always`` (§1.1, printPod)."""
    return bool(container) and _dict(container).get("restartPolicy") == "Always"


def parse_time(value: Any) -> float | None:
    """Epoch seconds of an RFC3339 timestamp (or a number already in seconds); None if unset."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        stamp = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=_dt.UTC)
    return stamp.timestamp()


def _strip_prefix(namespace: str, prefix: str | None) -> str:
    if prefix and namespace.startswith(prefix + "-"):
        return namespace[len(prefix) + 1 :]
    return namespace


def original_namespace(obj: Mapping[str, Any], prefix: str | None = None) -> str:
    """The traced namespace of an object in ``<prefix>-<ns>`` (SimKube's annotation, else the prefix cut)."""
    meta = _meta(obj)
    annotations = _dict(meta.get("annotations"))
    if annotations.get(ORIGINAL_NAMESPACE_ANNOTATION):
        return str(annotations[ORIGINAL_NAMESPACE_ANNOTATION])
    spec = _dict(obj.get("spec"))
    for template in (
        _dict(spec.get("template")),
        _dict(_dict(_dict(spec.get("jobTemplate")).get("spec")).get("template")),
    ):
        t_ann = _dict(_meta(template).get("annotations"))
        if t_ann.get(ORIGINAL_NAMESPACE_ANNOTATION):
            return str(t_ann[ORIGINAL_NAMESPACE_ANNOTATION])
    return _strip_prefix(str(meta.get("namespace", "")), prefix)
