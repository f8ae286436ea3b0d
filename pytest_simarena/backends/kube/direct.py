"""Direct mode: replay a trace by applying its objects ourselves, as SimKube's driver would (no SimKube).

Each traced object is rewritten by :func:`pytest_simarena.trace.virtualize.build_virtual_obj` (the
driver's ``build_virtual_obj``, simkube.md §3.4: namespace ``<prefix>-<ns>``, SimKube labels, the
``type: virtual`` node selector and ``kwok-provider`` toleration, ports and status removed), gets our
labels (on the object and on its pod templates, so ReplicaSets and pods carry them too), and is applied
with server-side apply under our field manager, as the driver applies with field manager ``simkube``.
Events after the first are applied when their time comes: ``(ts - ts0) / speed`` seconds after start,
as the driver sleeps between events. Deletes go to the same virtual namespace; a 404 is ignored.

Unlike the driver, direct mode runs on a cluster that may hold a user's objects, so it touches only what
this run created (issue 10): a trace's cluster-scoped objects are refused before anything is applied;
a target namespace must be absent (we create it) or created by this run; an object is created with a
POST (409 if the name is taken, never a takeover), and later applies and deletes first read the object,
check it carries this run's labels, and send its uid as a precondition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import BackendError
from pytest_simarena.trace.model import describe, gvk_of, pod_templates
from pytest_simarena.trace.virtualize import build_virtual_obj

from .labels import (
    CREATED_KEY,
    PREFIX_KEY,
    RUN_KEY,
    add_labels,
    labels_of,
    matches,
    prefix_labels,
    run_is_gone,
    run_of,
    virtual_namespace_name,
)
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
    where = f"trace {trace.path}" if trace.path else "the trace"
    for index, event in enumerate(trace.events):
        for field_name in ("applied_objs", "deleted_objs"):
            for obj in event.get(field_name) or []:
                if not str((obj.get("metadata") or {}).get("name") or ""):
                    raise BackendError(
                        f"{where}, event {index}, {field_name}: {obj.get('kind', '?')} has an empty "
                        "metadata.name (a nameless delete would address the whole collection)"
                    )
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


def refuse_cluster_scoped(api: KubeApi, events: list[PlannedEvent], where: str) -> None:
    """BackendError naming the first object of a cluster-scoped kind (a Node, a Namespace...) in the plan.

    Direct mode writes only into its own namespaces: the REST path of a cluster-scoped kind has no
    namespace, so applying or deleting it would change the cluster's own object of that name.
    """
    for index, event in enumerate(events):
        for field_name, objs in (("applied_objs", event.applied), ("deleted_objs", event.deleted)):
            for obj in objs:
                api_version, kind = split_api_version(gvk_of(obj))
                if not api.resource(api_version, kind).namespaced:
                    name = (obj.get("metadata") or {}).get("name")
                    raise BackendError(
                        f"{where}, event {index}, {field_name}: {kind} {name} is cluster-scoped; direct mode "
                        "writes only namespaced objects into its own namespaces and never applies or deletes "
                        "a cluster's own Nodes or Namespaces (remove it from the trace, or use the embedded "
                        "backend)"
                    )


def namespace_owner(ns: Mapping[str, Any], prefix: str) -> str | None:
    """The run that created namespace ``ns`` for ``prefix`` (our labels and the created mark), else None."""
    if labels_of(ns).get(CREATED_KEY) != "true" or not matches(ns, prefix_labels(prefix)):
        return None
    return run_of(ns) or None


def prefix_in_use(prefix: str, run_id: str, what: str, mode: str = "direct") -> BackendError:
    """The error for a prefix another run holds, with the call that cleans up after that run."""
    return BackendError(
        f"prefix {prefix} is in use by run {run_id} ({what}): another session is using it, or one that "
        "ended without cleaning up; use another prefix, or once that session is over remove what it made "
        f'with: python -c "from pytest_simarena.backends.kube import make_backend; '
        f"make_backend(mode='{mode}', run_id='{run_id}').cleanup('{prefix}')\" (docs/real-cluster.md)"
    )


def claim_namespace(api: KubeApi, name: str, labels: Mapping[str, str], *, timeout: float = 120.0) -> Obj:
    """Namespace ``name`` for this run: created now, or created earlier by this same run; returns it.

    A namespace that exists and was not created by a run of ours is refused (its objects could be taken
    over and deleted); one created by another run of the prefix means the prefix is in use; a 409 on
    creation means someone else created it meanwhile. A namespace still Terminating is waited out.
    """
    prefix, run_id = str(labels[PREFIX_KEY]), str(labels[RUN_KEY])

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
        owner = namespace_owner(found, prefix)
        if owner == run_id:
            return found
        if owner is not None and run_is_gone(owner):
            # Ours, from a run proven gone whose cleanup had to keep it: this run takes it over. The uid
            # makes the relabelling conditional on it still being that namespace.
            uid = (found.get("metadata") or {}).get("uid")
            meta = {"name": name, "uid": uid, "labels": {RUN_KEY: run_id}}
            relabel = {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}
            return api.apply(relabel, field_manager=FIELD_MANAGER)
        if owner is not None:
            raise prefix_in_use(prefix, owner, f"it created namespace {name}")
        raise BackendError(
            f"namespace {name} already exists and was not created by pytest-simarena for prefix {prefix} "
            f"(no labels {PREFIX_KEY}={prefix}, {CREATED_KEY}=true): refusing to run in it, since its "
            f"objects could be overwritten and deleted; use another prefix, or if nothing in it is needed: "
            f"kubectl delete namespace {name}"
        )
    from .api import ApiError

    try:
        return api.create(namespace_body(name, labels), field_manager=FIELD_MANAGER)
    except ApiError as exc:
        if exc.status == 409:
            raise BackendError(
                f"namespace {name} was created by someone else while this run was creating it: refusing to "
                "run in a namespace that is not ours; use another prefix"
            ) from None
        raise


def is_ours(obj: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """True iff ``obj`` carries every one of this run's labels (managed-by, run id and prefix)."""
    return matches(obj, labels)


@dataclass
class DirectReplay:
    """The replay of one trace: apply each planned event when its offset has passed.

    ``labels`` are this run's labels: an existing object is updated or deleted only when it carries them.
    """

    api: KubeApi
    events: list[PlannedEvent]
    labels: Mapping[str, str]
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

    def _not_ours(self, obj: Mapping[str, Any], doing: str) -> BackendError:
        return BackendError(
            f"{describe(dict(obj))} exists and is not ours (no labels of run {self.labels[RUN_KEY]}): "
            f"refusing to {doing} it; a user's object of that name is in this run's namespace"
        )

    def _current(self, obj: Obj) -> Obj | None:
        """The cluster's object at ``obj``'s kind, namespace and name (None: absent)."""
        api_version, kind = split_api_version(gvk_of(obj))
        meta = obj.get("metadata") or {}
        return self.api.get(api_version, kind, str(meta.get("name")), meta.get("namespace"))

    def apply_object(self, obj: Obj) -> Obj:
        """Create ``obj`` if absent (POST: never a takeover), else apply it over our own object only."""
        from .api import ApiError

        meta = obj.get("metadata") or {}
        current = self._current(obj)
        if current is None:
            try:
                return self.api.create(obj, field_manager=self.field_manager)
            except ApiError as exc:
                if exc.status != 409:
                    raise
                current = self._current(obj)
                if current is None:
                    raise
        if not is_ours(current, self.labels):
            raise self._not_ours(current, "apply")
        # The uid makes the apply conditional on the object still being the one we checked.
        guarded = {**obj, "metadata": {**meta, "uid": (current.get("metadata") or {}).get("uid")}}
        try:
            return self.api.apply(guarded, field_manager=self.field_manager)
        except ApiError as exc:
            if exc.status in (409, 422) and "uid" in exc.message.lower():
                raise self._not_ours(obj, "apply") from None
            raise

    def delete_object(self, obj: Obj) -> None:
        """Delete ``obj`` if it is ours (this run's labels), with its uid as the precondition."""
        current = self._current(obj)
        if current is None:
            return
        if not is_ours(current, self.labels):
            raise self._not_ours(current, "delete")
        api_version, kind = split_api_version(gvk_of(obj))
        meta = current.get("metadata") or {}
        name, namespace, uid = str(meta.get("name")), meta.get("namespace"), str(meta.get("uid") or "")
        if self.api.delete(api_version, kind, name, namespace, uid=uid) == "replaced":
            raise self._not_ours(current, "delete")

    def apply_event(self, event: PlannedEvent) -> None:
        for obj in event.applied:
            self.applied.append(self.apply_object(obj))
        for obj in event.deleted:
            self.delete_object(obj)
