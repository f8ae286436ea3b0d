"""Direct mode: replay a trace by applying its objects ourselves, as SimKube's driver would (no SimKube).

Each traced object is rewritten by :func:`pytest_simarena.trace.virtualize.build_virtual_obj` (the
driver's ``build_virtual_obj``, simkube.md §3.4: namespace ``<prefix>-<ns>``, SimKube labels, the
``type: virtual`` node selector and ``kwok-provider`` toleration, ports and status removed), gets our
labels (on the object and on its pod templates, so ReplicaSets and pods carry them too), and is applied
with server-side apply under our field manager, as the driver applies with field manager ``simkube``.
Events after the first are applied when their time comes: ``(ts - ts0) / speed`` seconds after start,
as the driver sleeps between events. Deletes go to the same virtual namespace; a 404 is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_simarena.trace.model import gvk_of, pod_templates
from pytest_simarena.trace.virtualize import build_virtual_obj

from .labels import CREATED_KEY, add_labels, virtual_namespace_name
from .waits import poll_until

if TYPE_CHECKING:
    from pytest_simarena.trace.model import Trace

    from .api import KubeApi

Obj = dict[str, Any]

FIELD_MANAGER = "pytest-simarena"
# Server-populated metadata: an apply must not carry managedFields, a stale resourceVersion would act as a
# precondition and fail with 409, a uid must match, and owners from the traced cluster do not exist here.
_SERVER_FIELDS = (
    "uid",
    "resourceVersion",
    "managedFields",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
    "ownerReferences",
)


def split_api_version(gvk: str) -> tuple[str, str]:
    """``apps/v1.Deployment`` -> (``apps/v1``, ``Deployment``) (SimKube's GVK string, simkube.md §1.4)."""
    api_version, _, kind = gvk.rpartition(".")
    return api_version, kind


def rewrite(obj: Mapping[str, Any], prefix: str, labels: Mapping[str, str], config: Obj | None = None) -> Obj:
    """The object direct mode applies: the driver's rewrite, server fields dropped, our labels added."""
    new = build_virtual_obj(dict(obj), prefix, sim_name=prefix, config=config)
    meta = new["metadata"]
    for key in _SERVER_FIELDS:
        meta.pop(key, None)
    virtual_namespace_name(prefix, str((obj.get("metadata") or {}).get("namespace") or "default"))
    add_labels(new, labels)
    for template in pod_templates(new, config):
        if template is not new:
            add_labels(template, labels)
    return new


@dataclass(frozen=True)
class PlannedEvent:
    """One trace event: when (seconds after start, already divided by speed) and what to apply/delete."""

    offset: float
    applied: tuple[Obj, ...] = ()
    deleted: tuple[Obj, ...] = ()


def plan(trace: Trace, prefix: str, labels: Mapping[str, str], *, speed: float = 1.0) -> list[PlannedEvent]:
    """The trace's events as rewritten objects with their offsets (the driver's timing, simkube.md §3.4)."""
    if speed <= 0:
        raise ValueError(f"speed {speed!r}: expected a positive factor")
    if not trace.events:
        return []
    t0 = float(trace.events[0].get("ts", 0))
    out: list[PlannedEvent] = []
    for event in trace.events:
        offset = (float(event.get("ts", t0)) - t0) / speed
        applied = tuple(rewrite(o, prefix, labels, trace.config) for o in event.get("applied_objs") or [])
        deleted = tuple(
            build_virtual_obj(dict(o), prefix, sim_name=prefix, config=trace.config)
            for o in event.get("deleted_objs") or []
        )
        out.append(PlannedEvent(offset, applied, deleted))
    return out


def namespaces_of(events: list[PlannedEvent]) -> list[str]:
    """The virtual namespaces the planned objects live in, sorted."""
    found = {
        str(o["metadata"]["namespace"])
        for e in events
        for o in (*e.applied, *e.deleted)
        if isinstance(o.get("metadata"), dict) and o["metadata"].get("namespace")
    }
    return sorted(found)


def namespace_body(name: str, labels: Mapping[str, str]) -> Obj:
    """A Namespace we create: our labels plus the mark that we created it (cleanup deletes only those)."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {**labels, CREATED_KEY: "true"}},
    }


def ensure_namespace(api: KubeApi, name: str, labels: Mapping[str, str], *, timeout: float = 120.0) -> bool:
    """Make namespace ``name`` exist; True if we created it. A namespace still Terminating is waited out."""

    def current() -> Obj | None:
        return api.get("v1", "Namespace", name)

    found = current()
    if found is not None and (found.get("status") or {}).get("phase") == "Terminating":
        poll_until(
            current,
            lambda ns: ns is None,
            awaited=f"namespace {name} to finish terminating (left by an earlier cleanup)",
            timeout=timeout,
            describe=lambda ns: "still Terminating" if ns else "gone",
        )
        found = None
    if found is not None:
        return False
    from .api import ApiError

    try:
        api.create(namespace_body(name, labels))
    except ApiError as exc:
        if exc.status == 409:  # created meanwhile by a concurrent run: it exists, which is all we need
            return False
        raise
    return True


@dataclass
class DirectReplay:
    """The replay of one trace: apply each planned event when its offset has passed."""

    api: KubeApi
    events: list[PlannedEvent]
    field_manager: str = FIELD_MANAGER
    applied: list[Obj] = field(default_factory=list)
    next_index: int = 0

    @property
    def finished(self) -> bool:
        return self.next_index >= len(self.events)

    def next_offset(self) -> float | None:
        return None if self.finished else self.events[self.next_index].offset

    def due(self, elapsed: float) -> list[PlannedEvent]:
        """The events whose offset is <= ``elapsed`` and not yet applied (marks them applied)."""
        out: list[PlannedEvent] = []
        while not self.finished and self.events[self.next_index].offset <= elapsed:
            out.append(self.events[self.next_index])
            self.next_index += 1
        return out

    def run_due(self, elapsed: float) -> int:
        """Apply every due event; returns how many were applied."""
        events = self.due(elapsed)
        for event in events:
            self.apply_event(event)
        return len(events)

    def apply_event(self, event: PlannedEvent) -> None:
        for obj in event.applied:
            self.applied.append(self.api.apply(obj, field_manager=self.field_manager))
        for obj in event.deleted:
            api_version, kind = split_api_version(gvk_of(obj))
            meta = obj.get("metadata") or {}
            self.api.delete(api_version, kind, str(meta.get("name")), meta.get("namespace"))
