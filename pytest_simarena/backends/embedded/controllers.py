"""Workload controllers' common base and the ReplicaSet controller (kubernetes.md §2.4, §6.4).

Deployment lives in deployment.py, StatefulSet in statefulset.py, Job and CronJob in jobs.py.

Each workload keeps its applied API object (``obj``, no status) and computes its status from the pods and
children it owns. Controllers never act directly when something changes: the cluster marks them dirty and
one reconcile pass per instant runs them (as the informer-driven workqueues of kube-controller-manager do).
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pytest_simarena.errors import SimArenaError

from .events import Involved, created_pod_message
from .pods import InvalidObject

if TYPE_CHECKING:
    from .clock import Clock
    from .events import EventRecorder
    from .pods import Pod, PodTemplate

Obj = dict[str, Any]

# Kubernetes' utilrand alphabet (no vowels, no confusable digits): pod suffixes and hashes use it.
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
REVISION = "deployment.kubernetes.io/revision"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"


class Context(Protocol):
    """What controllers need from the cluster."""

    clock: Clock
    recorder: EventRecorder

    def template(self, owner: Workload, template: Obj, field_prefix: str) -> PodTemplate: ...

    def admission_error(self, owner: Workload | None, tmpl: PodTemplate) -> str | None: ...

    def new_pod(
        self,
        owner: Workload,
        name: str,
        tmpl: PodTemplate,
        labels: dict[str, str],
        annotations: dict[str, str],
    ) -> Pod: ...

    def delete_pod(self, pod: Pod) -> None: ...

    def add_child(self, child: Workload) -> None: ...

    def delete_workload(self, workload: Workload) -> None: ...

    def dirty(self, workload: Workload) -> None: ...

    def pod_name_taken(self, namespace: str, name: str) -> bool: ...


_HASH_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)
# template_hash by (content_key of the template, collisions): the JSON encoding is the costly part.
_HASHES: dict[tuple[bytes, int], str] = {}
_HASHES_MAX = 1024


def template_hash(template: Any, collisions: int = 0, *, key: bytes | None = None) -> str:
    """A pod-template-hash shaped as Kubernetes renders it: a 32-bit hash, SafeEncodeString'd decimal.

    Kubernetes uses FNV-32a over its own serialization; we hash canonical JSON with CRC-32 (C speed), so
    the same template always gets the same name and any change gets a new one (kubernetes.md §6.3).
    ``key`` is the template's :func:`~.pods.content_key` when the caller has it: equal keys, equal hash.
    """
    if key is not None:
        found = _HASHES.get((key, collisions))
        if found is not None:
            return found
    text = hash_text(_HASH_ENCODER.encode(template), collisions)
    if key is not None:
        if len(_HASHES) >= _HASHES_MAX:
            _HASHES.clear()
        _HASHES[(key, collisions)] = text
    return text


def hash_text(encoded: str, collisions: int = 0) -> str:
    """:func:`template_hash` of the template whose canonical JSON (``_HASH_ENCODER``) is ``encoded``."""
    h = zlib.crc32(encoded.encode(), collisions)
    return "".join(SAFE_ALPHABET[ord(ch) % len(SAFE_ALPHABET)] for ch in str(h))


def resolve_int_or_percent(value: Any, total: int, *, round_up: bool, field: str) -> int:
    """intstr.GetScaledValueFromIntOrPercent: "25%" of total, rounded up (surge) or down (unavailable)."""
    if value is None:
        value = "25%"
    if isinstance(value, bool):
        raise SimArenaError(f"{field}: must be an integer or a percentage, got {value!r}")
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        try:
            pct = int(text[:-1])
        except ValueError:
            raise SimArenaError(
                f"{field}: invalid value {value!r}: must be an integer or percentage"
            ) from None
        scaled = pct * total / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    try:
        return int(text)
    except ValueError:
        raise SimArenaError(f"{field}: invalid value {value!r}: must be an integer or percentage") from None


def spec_count(obj: Obj, key: str, default: int) -> int:
    """An int32 count field of ``obj``'s spec (replicas, parallelism ...), validated as the API does."""
    value = (obj.get("spec") or {}).get(key)
    if value is None:
        return default
    meta = obj.get("metadata") or {}
    kind, name = obj.get("kind", "object"), meta.get("name", "")
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        # encoding/json's wording: "string", "number 2.5", "array", "object", "bool".
        go_type = {str: "string", list: "array", dict: "object", bool: "bool"}.get(
            type(value), f"number {value}"
        )
        raise InvalidObject(
            f'{kind} "{name}" cannot be handled as a {kind}: json: cannot unmarshal '
            f"{go_type} into Go struct field {kind}Spec.spec.{key} of type int32"
        )
    if not value < 2**31:
        # outside int32: encoding/json refuses the number before validation runs
        raise InvalidObject(
            f'{kind} "{name}" cannot be handled as a {kind}: json: cannot unmarshal number {int(value)} '
            f"into Go struct field {kind}Spec.spec.{key} of type int32"
        )
    if value < 0:
        raise InvalidObject(
            f'The {kind} "{name}" is invalid: spec.{key}: Invalid value: {int(value)}: '
            "must be greater than or equal to 0"
        )
    return int(value)


def _int(value: Any, default: int) -> int:
    if value is None or isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class Workload:
    """Common state of a controller-managed object."""

    kind: ClassVar[str] = ""
    api_version: ClassVar[str] = ""
    component: ClassVar[str] = ""
    generate_name: ClassVar[bool] = True

    def __init__(
        self, ctx: Context, obj: Obj, *, owner: Workload | None = None, root: tuple[str, ...] | None = None
    ) -> None:
        meta = obj.get("metadata") or {}
        self.ctx = ctx
        self.name: str = str(meta.get("name", ""))
        self.namespace: str = str(meta.get("namespace", "default"))
        self.uid = ctx.clock.uid()
        self.created = ctx.clock.now
        self.generation = 1
        self.owner = owner
        self.root = root
        self.deleted = False
        self.extra_annotations: dict[str, str] = {}
        self.sync_errors = 0
        self.involved = Involved(self.api_version, self.kind, self.namespace, self.name, self.uid)
        self.obj: Obj = {}
        self.set_object(obj)

    def set_object(self, obj: Obj) -> None:
        """Take a new version of the applied object (generation increases when the spec changes)."""
        if self.obj and obj.get("spec") != self.obj.get("spec"):
            self.generation += 1
        self.obj = {k: v for k, v in obj.items() if k != "status"}

    @property
    def spec(self) -> Obj:
        spec = self.obj.get("spec")
        return spec if isinstance(spec, dict) else {}

    def owner_ref(self) -> Obj:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "name": self.name,
            "uid": self.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }

    def event(self, type_: str, reason: str, message: str) -> None:
        self.ctx.recorder.record(self.involved, type_, reason, message, self.component)

    def reconcile(self) -> None:
        """Drive the world towards the spec."""

    def requeue_rate_limited(self) -> None:
        """After a failed sync: client-go's default controller rate limiter (5 ms doubling, 1000 s cap)."""
        delay = min(0.005 * 2**self.sync_errors, 1000.0)
        self.sync_errors += 1
        self.ctx.clock.after(delay, self.ctx.dirty, self)

    def children(self) -> list[Any]:
        """Owned objects (workloads or pods), deleted with this one (background cascade)."""
        return []

    def api_spec(self) -> Obj:
        return self.spec

    def status(self) -> Obj:
        return {}

    def to_api(self) -> Obj:
        """The object as ``kubectl get -o json`` shows it: applied fields, server metadata, status."""
        clock = self.ctx.clock
        meta = dict(self.obj.get("metadata") or {})
        meta["namespace"] = self.namespace
        meta["uid"] = self.uid
        meta["generation"] = self.generation
        meta["creationTimestamp"] = clock.timestamp(self.created)
        if self.extra_annotations:
            meta["annotations"] = {**(meta.get("annotations") or {}), **self.extra_annotations}
        if self.owner is not None:
            meta["ownerReferences"] = [self.owner.owner_ref()]
        out: Obj = {"apiVersion": self.api_version, "kind": self.kind, "metadata": meta}
        for key, value in self.obj.items():
            if key not in ("apiVersion", "kind", "metadata", "spec"):
                out[key] = value
        out["spec"] = self.api_spec()
        out["status"] = self.status()
        return out


def slow_start(count: int, create: Callable[[], bool]) -> bool:
    """controller_utils.go slowStartBatch: ``count`` creations in batches of 1, 2, 4 ...; every creation of
    a batch is tried, and a batch with a refusal (``create`` returned False) ends it. True when all were made.
    """
    batch = 1
    while count > 0:
        size = min(batch, count)
        made = [create() for _ in range(size)]
        if not all(made):
            return False
        count -= size
        batch *= 2
    return True


DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"


def _deletion_cost(pod: Pod) -> int:
    try:
        return int(pod.annotations.get(DELETION_COST, 0))
    except (TypeError, ValueError):
        return 0


def _pod_delete_rank(pod: Pod, colocated: int) -> tuple[int, int, int, int, int, float, int, float]:
    """ActivePodsWithRanks.Less (pkg/controller/controller_utils.go), first = deleted first.

    Unassigned, then Pending < Unknown < Running, not ready, lower pod-deletion-cost, more related pods on
    the same node (``colocated``, the ReplicaSet's getPodsRankedByRelatedPodsOnSameNode), ready for less
    time, more restarts (the max over containers), newer.
    """
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(pod.phase, 0)
    restarts = max((c.restarts for c in pod.containers or []), default=0)
    ready_since = pod.ready_since if pod.ready_since is not None else 0.0
    return (
        0 if pod.node is None else 1,
        phase_rank,
        1 if pod.ready else 0,
        _deletion_cost(pod),
        -colocated,
        -ready_since,
        -restarts,
        -pod.created,
    )


class ReplicaSet(Workload):
    """Keeps ``spec.replicas`` active pods (kubernetes.md §2.4 events, §6.4 status)."""

    kind = "ReplicaSet"
    api_version = "apps/v1"
    component = "replicaset-controller"

    def __init__(
        self,
        ctx: Context,
        obj: Obj,
        *,
        owner: Workload | None = None,
        root: tuple[str, ...] | None = None,
        prebuilt: PodTemplate | None = None,
    ) -> None:
        self.pods: dict[str, Pod] = {}
        self.tmpl: PodTemplate | None = prebuilt
        self.pod_hash = ""
        self.revision = 0
        self._availability_checks: set[float] = set()
        # A rejected pod creation: (error, since) for the ReplicaFailure condition.
        self.create_failure: tuple[str, float] | None = None
        super().__init__(ctx, obj, owner=owner, root=root)

    def set_object(self, obj: Obj) -> None:
        super().set_object(obj)
        spec = self.spec
        self.replicas = spec_count(obj, "replicas", 1)
        self.min_ready = _int(spec.get("minReadySeconds"), 0)
        template = spec.get("template") or {}
        if self.tmpl is None or self.generation > 1:
            self.tmpl = self.ctx.template(self, template, "spec.template.spec")
        self.pod_hash = str(
            ((template.get("metadata") or {}).get("labels") or {}).get("pod-template-hash", "")
        )

    def api_spec(self) -> Obj:
        return {**self.spec, "replicas": self.replicas}

    def children(self) -> list[Any]:
        return list(self.pods.values())

    def active_pods(self) -> list[Pod]:
        return [p for p in self.pods.values() if p.active]

    def is_available(self, pod: Pod) -> bool:
        return (
            pod.ready
            and pod.ready_since is not None
            and pod.ready_since + self.min_ready <= self.ctx.clock.now
        )

    def counts(self) -> tuple[int, int, int]:
        """(replicas, ready, available) over active pods."""
        replicas = ready = available = 0
        now = self.ctx.clock.now
        min_ready = self.min_ready
        for pod in self.pods.values():
            if pod.deleted or pod.phase in ("Succeeded", "Failed"):
                continue
            replicas += 1
            if pod.ready:
                ready += 1
                since = pod.ready_since
                if since is not None and since + min_ready <= now:
                    available += 1
        return replicas, ready, available

    def _watch_availability(self) -> None:
        """With minReadySeconds, look again when ready pods become available (status reads stay pure)."""
        if not self.min_ready:
            return
        now = self.ctx.clock.now
        for pod in self.pods.values():
            since = pod.ready_since
            if pod.ready and since is not None and since + self.min_ready > now:
                due = since + self.min_ready
                if due not in self._availability_checks:
                    self._availability_checks.add(due)
                    self.ctx.clock.at(due, self.ctx.dirty, self)

    def reconcile(self) -> None:
        if self.deleted or self.tmpl is None:
            return
        active = self.active_pods()
        diff = len(active) - self.replicas
        if diff < 0:
            self._create_pods(-diff)
        else:
            self.create_failure = None  # calculateStatus drops ReplicaFailure after a sync without error
        if diff > 0:
            doomed = active
            if diff < len(active):
                # getPodsToDelete ranks by related pods (of every ReplicaSet of the same owner) per node.
                related = self.owner.children() if self.owner is not None else [self]
                per_node: dict[str, int] = {}
                for rs in related:
                    for p in rs.active_pods() if isinstance(rs, ReplicaSet) else ():
                        key = p.node.name if p.node is not None else ""
                        per_node[key] = per_node.get(key, 0) + 1
                doomed = sorted(
                    active,
                    key=lambda p: _pod_delete_rank(p, per_node.get(p.node.name if p.node else "", 0)),
                )
            for pod in doomed[:diff]:
                self.ctx.delete_pod(pod)
                self.event("Normal", "SuccessfulDelete", f"Deleted pod: {pod.name}")
        self._watch_availability()
        if self.owner is not None:
            self.ctx.dirty(self.owner)

    def _create_pods(self, count: int) -> None:
        """replica_set.go manageReplicas: create ``count`` pods in slow-start batches (:func:`slow_start`).

        Each refused creation records FailedCreate "Error creating: <error>" (controller_utils.go
        createPods); the error names the generated pod: validating admission runs after the registry
        generated the name (rest/create.go AdmissionToValidateObjectFunc). A failed sync sets
        ReplicaFailure and is requeued with the workqueue's rate limiter.
        """
        assert self.tmpl is not None
        tmpl = self.tmpl
        labels = dict(tmpl.labels)
        annotations = dict(tmpl.template_annotations)

        def create() -> bool:
            name = self._pod_name()
            try:
                pod = self.ctx.new_pod(self, name, tmpl, dict(labels), dict(annotations))
            except InvalidObject as exc:
                self._create_rejected(str(exc))
                return False
            self.pods[pod.uid] = pod
            self.event("Normal", "SuccessfulCreate", created_pod_message(name))
            return True

        if not slow_start(count, create):
            self.requeue_rate_limited()
            return
        self.create_failure = None
        self.sync_errors = 0

    def _create_rejected(self, error: str) -> None:
        """One refused creation: the FailedCreate event and (first error) the ReplicaFailure condition."""
        self.event("Warning", "FailedCreate", f"Error creating: {error}")
        if self.create_failure is None:
            self.create_failure = (error, self.ctx.clock.now)

    def _pod_name(self) -> str:
        # generateName "<rs>-" + 5 random characters; a collision is retried as the API server does.
        while True:
            name = f"{self.name}-{self.ctx.clock.token(5, SAFE_ALPHABET)}"
            if not self.ctx.pod_name_taken(self.namespace, name):
                return name

    def status(self) -> Obj:
        replicas, ready, available = self.counts()
        status: Obj = {"replicas": replicas, "observedGeneration": self.generation}
        if replicas:
            status["fullyLabeledReplicas"] = replicas
        if ready:
            status["readyReplicas"] = ready
        if available:
            status["availableReplicas"] = available
        if self.create_failure is not None:
            # replica_set_utils.go calculateStatus: ReplicaFailure=True, reason FailedCreate, the error text.
            error, since = self.create_failure
            status["conditions"] = [
                {
                    "type": "ReplicaFailure",
                    "status": "True",
                    "lastTransitionTime": self.ctx.clock.timestamp(since),
                    "reason": "FailedCreate",
                    "message": error,
                }
            ]
        return status
