"""The in-memory trace: SimKube's v2 structure with Kubernetes objects kept as API-shaped dicts.

Objects are never converted into classes: ``trace.events[i]["applied_objs"][j]`` is the camelCase dict
SimKube wrote (arrays are Python lists). Only ``pod_lifecycles`` keys are tuples ``(gvk, "ns/name")``,
because msgpack stores them as arrays used as map keys.
"""

from __future__ import annotations

import copy
import marshal
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]

CURRENT_VERSION = 2

# Built-in pod template locations (SimKube sk-core constants.rs KNOWN_GVKS_METADATA), as JSON pointers.
# SimKube lists ReplicaSet as "/spec" (a bug upstream); its pod template really is at /spec/template.
BUILTIN_TEMPLATE_PATHS: dict[str, str] = {
    "batch/v1.CronJob": "/spec/jobTemplate/spec/template",
    "apps/v1.DaemonSet": "/spec/template",
    "apps/v1.Deployment": "/spec/template",
    "batch/v1.Job": "/spec/template",
    "apps/v1.StatefulSet": "/spec/template",
    "apps/v1.ReplicaSet": "/spec",
    "v1.Pod": "",
}
_TEMPLATE_PATH_FOR_EDITS = {**BUILTIN_TEMPLATE_PATHS, "apps/v1.ReplicaSet": "/spec/template"}


def gvk_of(obj: Obj) -> str:
    """SimKube's GVK string for an object: ``apps/v1.Deployment``, ``v1.Pod``."""
    return f"{obj.get('apiVersion', '')}.{obj.get('kind', '')}"


def describe(obj: Obj) -> str:
    """``Kind namespace/name`` for messages."""
    meta = obj.get("metadata") or {}
    if not isinstance(meta, dict):
        meta = {}
    return f"{obj.get('kind', '?')} {meta.get('namespace', '?')}/{meta.get('name', '?')}"


@dataclass(frozen=True, slots=True)
class WorkloadRef:
    """Identity of a traced object: GVK string, namespace and name."""

    gvk: str
    namespace: str
    name: str

    @property
    def kind(self) -> str:
        """The kind part of the GVK: ``Deployment``."""
        return self.gvk.rsplit(".", 1)[-1]

    @property
    def key(self) -> str:
        """``namespace/name``, as SimKube's index and lifecycle keys spell it."""
        return f"{self.namespace}/{self.name}"

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    @classmethod
    def of(cls, obj: Obj) -> WorkloadRef:
        """The identity of an object with ``metadata.namespace`` and ``.name`` (KeyError otherwise)."""
        meta = obj["metadata"]
        return cls(gvk_of(obj), meta["namespace"], meta["name"])


def _resolve_pointer(obj: Any, pointer: str) -> Any:
    if pointer == "":
        return obj
    cur = obj
    for part in pointer.lstrip("/").split("/"):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def template_paths(gvk: str, config: Obj | None = None) -> list[str]:
    """The JSON pointers of the pod templates of ``gvk`` objects (empty when the kind has none).

    A built-in kind always uses its built-in path, as SimKube's normalize() insists (simkube notes 1.5);
    other kinds use the trace config's ``podSpecTemplatePaths`` (or the deprecated singular), without
    wildcard paths.
    """
    if gvk in _TEMPLATE_PATH_FOR_EDITS:
        return [_TEMPLATE_PATH_FOR_EDITS[gvk]]
    tracked = ((config or {}).get("trackedObjects") or {}).get(gvk) or {}
    if not isinstance(tracked, dict):
        return []
    paths = tracked.get("podSpecTemplatePaths")
    if paths is None and tracked.get("podSpecTemplatePath") is not None:
        paths = [tracked["podSpecTemplatePath"]]
    if not isinstance(paths, list):
        return []
    return [p for p in paths if isinstance(p, str) and "*" not in p]


def template_path(gvk: str, config: Obj | None = None) -> str | None:
    """The JSON pointer of the (first) pod template of ``gvk`` objects, or None when the kind has none."""
    paths = template_paths(gvk, config)
    return paths[0] if paths else None


def pod_template(obj: Obj, config: Obj | None = None) -> Obj | None:
    """The pod template dict (``{"metadata": ..., "spec": ...}``) inside ``obj``; a Pod is its own."""
    path = template_path(gvk_of(obj), config)
    if path is None:
        return None
    found = _resolve_pointer(obj, path)
    return found if isinstance(found, dict) else None


def pod_templates(obj: Obj, config: Obj | None = None) -> list[Obj]:
    """Every pod template dict inside ``obj`` (see :func:`template_paths`); ``[obj]`` for a Pod."""
    found = (_resolve_pointer(obj, path) for path in template_paths(gvk_of(obj), config))
    return [t for t in found if isinstance(t, dict)]


def containers(obj: Obj, config: Obj | None = None, *, init: bool = False) -> list[Obj]:
    """The (init) containers of ``obj``'s pod template, as the live dicts (edits change the object)."""
    template = pod_template(obj, config)
    if template is None:
        return []
    spec = template.get("spec")
    if not isinstance(spec, dict):
        return []
    found = spec.get("initContainers" if init else "containers")
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


@dataclass
class Trace:
    """A SimKube trace (format version 2) held as plain data.

    ``extra`` keeps unknown top-level keys (the seed project's ``metadata``) so nothing is lost on a
    round trip; ``path`` is where it was loaded from, for messages; ``notes`` lists what loading normalized.
    """

    events: list[Obj] = field(default_factory=list)
    config: Obj = field(default_factory=lambda: {"trackedObjects": {}})
    index: Obj = field(default_factory=dict)
    pod_lifecycles: dict[Any, Any] = field(default_factory=dict)
    version: int = CURRENT_VERSION
    extra: Obj = field(default_factory=dict)
    path: str | None = None
    notes: list[str] = field(default_factory=list)
    # Fields an action created where the trace had none, as ``(event index, object index, field path)``
    # (apply_action keeps it up to date): an action that brings one back to its API default removes it
    # again, so bump then reduce restores the trace exactly. In memory only (a loaded trace starts empty)
    # and not part of equality.
    action_added: frozenset[tuple[int, int, str]] = field(default=frozenset(), compare=False, repr=False)

    @property
    def start_ts(self) -> int:
        """``ts`` of the first event (0 for an empty trace)."""
        return int(self.events[0]["ts"]) if self.events else 0

    @property
    def end_ts(self) -> int:
        """``ts`` of the last event (0 for an empty trace)."""
        return int(self.events[-1]["ts"]) if self.events else 0

    @property
    def duration(self) -> int:
        """Seconds from the first to the last event.

        A leading placeholder event at ts 0 (sim-arena's exports) counts here, making this decades long;
        the span a replay covers is ``pytest_simarena.backends.embedded.replay_span(trace)``.
        """
        return self.end_ts - self.start_ts

    def applied(self) -> Iterator[tuple[int, int, Obj]]:
        """Every applied object as ``(event index, object index, object)``, in trace order."""
        for i, event in enumerate(self.events):
            for j, obj in enumerate(event.get("applied_objs") or []):
                yield i, j, obj

    def workloads(self) -> list[WorkloadRef]:
        """Distinct applied objects, in order of first appearance."""
        seen: dict[WorkloadRef, None] = {}
        for _, _, obj in self.applied():
            seen.setdefault(WorkloadRef.of(obj), None)
        return list(seen)

    def versions_of(self, ref: WorkloadRef) -> list[Obj]:
        """Every applied version of ``ref`` in trace order (the live dicts)."""
        return [obj for _, _, obj in self.applied() if WorkloadRef.of(obj) == ref]

    def latest(self, ref: WorkloadRef) -> Obj | None:
        """The last applied version of ``ref``, or None."""
        versions = self.versions_of(ref)
        return versions[-1] if versions else None

    def find(
        self, name: str, *, kind: str | None = "Deployment", namespace: str | None = None
    ) -> list[WorkloadRef]:
        """Workloads called ``name`` (optionally of ``kind`` and in ``namespace``)."""
        return [
            ref
            for ref in self.workloads()
            if ref.name == name
            and (kind is None or ref.kind == kind)
            and (namespace is None or ref.namespace == namespace)
        ]

    def copy(self) -> Trace:
        """A deep copy: edits to it never touch this trace."""
        parts = (self.events, self.config, self.index, self.pod_lifecycles, self.extra)
        try:
            # marshal copies plain data in C (~10x copy.deepcopy; types, order and sharing kept).
            events, config, index, lifecycles, extra = marshal.loads(marshal.dumps(parts))
        except ValueError:  # something marshal does not know (a dict subclass, a custom object)
            events, config, index, lifecycles, extra = copy.deepcopy(parts)
        return Trace(
            events=events,
            config=config,
            index=index,
            pod_lifecycles=lifecycles,
            version=self.version,
            extra=extra,
            path=self.path,
            notes=list(self.notes),
            action_added=self.action_added,
        )
