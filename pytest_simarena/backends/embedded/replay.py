"""Trace replay as SimKube's driver does it (simkube.md §3.4), on the simulated clock.

Event ``i`` is applied at ``(ts[i] - ts[0]) / speed`` seconds after ``start``. Applied objects are rewritten
by :func:`~pytest_simarena.trace.virtualize.build_virtual_obj` (namespace ``<prefix>-<ns>``, SimKube labels,
nodeSelector and toleration) and created or updated; deleted objects are deleted in the same virtual
namespace (a missing one is ignored, as the driver ignores a 404), with their owned objects.

``pod_lifecycles`` (simkube.md §1.7): for a built-in owner the spec hash is ignored and the first bucket is
used; the pod with sequence number ``seq`` (counted per owner) takes entry ``list[seq % len]``; a
``Finished`` entry makes it succeed ``(end - start) / speed`` seconds after it starts running.

Differences from the driver, on purpose: the driver tears the run down (deletes its SimulationRoot) after the
last event; here the objects stay so they can be observed. A leading empty event with ``ts`` 0 (an unset
timestamp, as in the seed team's ``trace-v2.msgpack``) does not count as the start of the trace.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from pytest_simarena.backends.protocol import virtual_namespace
from pytest_simarena.errors import QuantityError, SimArenaError
from pytest_simarena.trace.model import gvk_of
from pytest_simarena.trace.virtualize import DEFAULT_SIM_NAME, build_virtual_obj

from .pods import UnsupportedKind

if TYPE_CHECKING:
    from pytest_simarena.trace.model import Trace

    from .clock import Clock
    from .events import EventRecorder

Obj = dict[str, Any]


class ReplayHost(Protocol):
    """What a replay needs from the cluster it feeds (the embedded cluster is one): a replay knows this
    interface, not the cluster module, so the two do not import each other."""

    clock: Clock
    recorder: EventRecorder

    def apply_virtual(self, obj: Obj, *, root: tuple[str, ...], replay: Replay | None) -> None: ...

    def record_rejection(self, obj: Obj, message: str, where: str) -> None: ...

    def delete(self, gvk: str, namespace: str, name: str, *, missing_ok: bool = False) -> None: ...


def trace_origin(trace: Trace) -> int:
    """The ``ts`` that counts as time zero: the first event's, skipping empty placeholders at ts 0."""
    for event in trace.events:
        ts = int(event.get("ts") or 0)
        if ts > 0 or event.get("applied_objs") or event.get("deleted_objs"):
            return ts
    return trace.start_ts


def replay_span(trace: Trace) -> float:
    """Seconds from the start of a replay to the trace's last event at speed 1 (see :func:`trace_origin`).

    Unlike ``trace.duration`` this ignores a leading placeholder event at ts 0.
    """
    return float(max(trace.end_ts - trace_origin(trace), 0))


def lifecycle_entries(trace: Trace) -> dict[tuple[str, str], list[Any]]:
    """``(owner gvk, "ns/name") -> [entry, ...]`` from the first hash bucket of each owner."""
    found: dict[tuple[str, str], list[Any]] = {}
    for key, buckets in (trace.pod_lifecycles or {}).items():
        if (
            not isinstance(key, tuple | list)
            or len(key) != 2
            or not isinstance(buckets, Mapping)
            or not buckets
        ):
            continue
        entries = next(iter(buckets.values()))
        if isinstance(entries, list | tuple) and entries:
            found[(str(key[0]), str(key[1]))] = list(entries)
    return found


def finished_duration(entry: Any) -> float | None:
    """Seconds of a ``{"Finished": [start, end]}`` entry; None for Running/Empty (the pod runs forever)."""
    if isinstance(entry, Mapping) and "Finished" in entry:
        span = entry["Finished"]
        if isinstance(span, list | tuple) and len(span) == 2:
            return max(float(span[1]) - float(span[0]), 0.0)
    return None


class Replay:
    """One trace being replayed under one prefix."""

    def __init__(
        self,
        cluster: ReplayHost,
        trace: Trace,
        prefix: str,
        speed: float,
        *,
        sim_name: str = DEFAULT_SIM_NAME,
    ) -> None:
        if not speed or speed <= 0:
            raise SimArenaError(f"speed: must be a positive number, got {speed!r}")
        self.cluster = cluster
        self.trace = trace
        self.prefix = prefix
        self.speed = float(speed)
        self.sim_name = sim_name
        self.active = True
        self.start = cluster.clock.now
        self.origin = trace_origin(trace)
        self.namespaces: dict[str, None] = {}
        self.root = {
            "apiVersion": "simkube.io/v1",
            "kind": "SimulationRoot",
            "name": f"{sim_name}-{prefix}-root",
            "uid": cluster.clock.uid(),
        }
        self.lifecycles = lifecycle_entries(trace)
        self.end = self.start
        for index, event in enumerate(trace.events):
            ts = int(event.get("ts") or 0)
            if ts < self.origin:
                continue  # an empty placeholder before the real start
            when = self.start + (ts - self.origin) / self.speed
            self.end = max(self.end, when)
            cluster.clock.at(when, self._apply_event, index)

    def root_key(self, obj: Obj) -> tuple[str, ...]:
        """The lifecycle key of a traced object: (prefix, gvk, "original ns/name")."""
        meta = obj.get("metadata") or {}
        return (self.prefix, gvk_of(obj), f"{meta.get('namespace') or 'default'}/{meta.get('name', '')}")

    def run_duration(self, root: tuple[str, ...], seq: int) -> float | None:
        entries = self.lifecycles.get((root[1], root[2]))
        if not entries:
            return None
        duration = finished_duration(entries[seq % len(entries)])
        return None if duration is None else duration / self.speed

    def _apply_event(self, index: int) -> None:
        if not self.active:
            return
        cluster = self.cluster
        event = self.trace.events[index]
        for j, obj in enumerate(event.get("applied_objs") or []):
            where = f"events[{index}].applied_objs[{j}]"
            if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
                cluster.recorder.note(f"error {where}: not a Kubernetes object; skipped")
                continue
            virtual = build_virtual_obj(
                obj, self.prefix, sim_name=self.sim_name, config=self.trace.config, root=self.root, share=True
            )
            self.namespaces[virtual["metadata"]["namespace"]] = None
            try:
                cluster.apply_virtual(virtual, root=self.root_key(obj), replay=self)
            except UnsupportedKind as exc:
                # The driver would create it; it changes nothing we simulate, so it is only logged.
                cluster.recorder.note(f"ignored {where}: {exc}")
            except (SimArenaError, QuantityError) as exc:
                # The driver's apply would fail and the object never exist: show it, keep replaying.
                cluster.record_rejection(virtual, str(exc), where)
            except (TypeError, ValueError, AttributeError, KeyError) as exc:
                # A shape the API would not even decode (a string where a map belongs ...): same treatment.
                cluster.record_rejection(virtual, f"cannot be decoded: {type(exc).__name__}: {exc}", where)
        for obj in event.get("deleted_objs") or []:
            if not isinstance(obj, dict):
                continue
            meta = obj.get("metadata") or {}
            namespace = virtual_namespace(self.prefix, str(meta.get("namespace") or "default"))
            cluster.delete(gvk_of(obj), namespace, str(meta.get("name", "")), missing_ok=True)
