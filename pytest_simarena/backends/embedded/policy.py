"""What the admission policy objects (LimitRange, ResourceQuota) share: stored metadata and pod totals."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from pytest_simarena.quantities import DECIMAL_SI, Quantity, parse

if TYPE_CHECKING:
    from .clock import Clock

Obj = dict[str, Any]
ResourceList = dict[str, Quantity]
ZERO = Quantity(Fraction(0), DECIMAL_SI)


class StoredObject:
    """A namespaced object the cluster stores as applied, with the server's uid and creation time."""

    __slots__ = ("created", "meta", "name", "namespace", "uid")

    def __init__(self, obj: Obj, *, uid: str, created: float) -> None:
        meta = obj.get("metadata") or {}
        self.name = str(meta.get("name", ""))
        self.namespace = str(meta.get("namespace") or "default")
        self.meta = {k: v for k, v in meta.items() if k in ("labels", "annotations")}
        self.uid = uid
        self.created = created

    def api_metadata(self, clock: Clock) -> Obj:
        return {
            "name": self.name,
            "namespace": self.namespace,
            "uid": self.uid,
            "creationTimestamp": clock.timestamp(self.created),
            **self.meta,
        }


def add(a: Quantity, b: Quantity) -> Quantity:
    """``Quantity.Add``: the exact sum, in ``a``'s format unless ``a`` is zero."""
    fmt = b.format if a.value == 0 else a.format
    return Quantity(a.value + b.value, fmt)


def add_lists(a: ResourceList, b: ResourceList) -> ResourceList:
    """quota.Add / addResourceList: every key of either list, summed where both have it."""
    out = dict(a)
    for key, q in b.items():
        out[key] = add(out[key], q) if key in out else q
    return out


def container_list(c: Obj, field: str) -> ResourceList:
    """A container's ``resources.<field>`` (requests or limits), parsed."""
    found = (c.get("resources") or {}).get(field) or {}
    return {str(k): parse(v) for k, v in found.items()}


def pod_list(spec: Obj, field: str) -> ResourceList:
    """PodRequests/PodLimits of a pod spec without overhead: containers and sidecars summed, then the
    per-resource max with the init containers (each plus the sidecars started before it).

    component-helpers resource/helpers.go PodRequests; limitranger/admission.go podRequests/podLimits are
    "simplified versions" of the same.
    """
    total: ResourceList = {}
    for c in spec.get("containers") or []:
        total = add_lists(total, container_list(c, field))
    sidecars: ResourceList = {}
    init_max: ResourceList = {}
    for c in spec.get("initContainers") or []:
        own = container_list(c, field)
        if c.get("restartPolicy") == "Always":
            total = add_lists(total, own)
            sidecars = add_lists(sidecars, own)
            current = sidecars
        else:
            current = add_lists(own, sidecars)
        for res, q in current.items():
            if res not in init_max or q.value > init_max[res].value:
                init_max[res] = q
    for res, q in init_max.items():
        if res not in total or q.value > total[res].value:
            total[res] = q
    return total
