"""Pods: API defaulting and validation of pod templates, and the Pod object with its API rendering.

A :class:`PodTemplate` is computed once per workload template (defaulted spec, summed requests, scheduling
constraints, declared usage) and shared by every pod created from it, so creating a pod is cheap.
"""

from __future__ import annotations

import marshal
from fractions import Fraction
from functools import lru_cache
from math import ceil
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import BackendError, QuantityError, TraceError
from pytest_simarena.quantities import canonical, parse_cpu, parse_memory, parse_quantity
from pytest_simarena.trace.usage import USAGE_ANNOTATION, ramp_oom_after, read_usage

from .events import Involved
from .probes import ProbeSpec, container_probes, pod_ip

if TYPE_CHECKING:
    from .clock import Clock
    from .spec import Node

Obj = dict[str, Any]

# Scoring uses these for containers that set no request (kubernetes.md §2.1, [mem] 100m / 200Mi).
DEFAULT_NONZERO_CPU = 100
DEFAULT_NONZERO_MEMORY = 200 * 1024 * 1024


class InvalidObject(BackendError):
    """The API server would reject the object (HTTP 422), with Kubernetes' message (kubernetes.md §2.3)."""


class UnsupportedKind(BackendError):
    """An object of a kind the embedded cluster does not simulate (Service, ConfigMap, CRDs ...)."""


@lru_cache(maxsize=4096)
def _cpu(value: str | int | float) -> int:
    return parse_cpu(value)


@lru_cache(maxsize=4096)
def _mem(value: str | int | float) -> int:
    return parse_memory(value)


def _amount(resource: str, value: Any) -> int:
    return _cpu(value) if resource == "cpu" else _mem(value)


@lru_cache(maxsize=4096)
def _exact(value: str | int | float) -> Fraction:
    return parse_quantity(value)


@lru_cache(maxsize=4096)
def _scaled(value: str | int | float, scale: int) -> int | Fraction:
    """The exact quantity times ``scale``: an int when whole (the usual case), else the Fraction."""
    exact = _exact(value) * scale
    return exact.numerator if exact.denominator == 1 else exact


class PodTemplate:
    """A defaulted, validated pod template and everything the scheduler and kubelet need from it."""

    __slots__ = (
        "admission_error",
        "affinity_terms",
        "container_names",
        "content_key",
        "cpu",
        "images",
        "init_names",
        "labels",
        "mem",
        "node_selector",
        "nz_cpu",
        "nz_mem",
        "oom",
        "per_node",
        "preempt_never",
        "priority",
        "probes",
        "qos",
        "ramp_oom",
        "restart_policy",
        "sidecars",
        "spec",
        "startup_work",
        "static_key",
        "template_annotations",
        "tolerations",
    )

    def __init__(self, template: Obj, *, field_prefix: str, kind: str, name: str) -> None:
        """Default and validate ``template`` (``{"metadata", "spec"}``); raise InvalidObject as the API does.

        ``field_prefix`` is the path of the pod spec inside the object (``spec.template.spec``) for
        messages; ``kind``/``name`` name the object: ``The Deployment "web" is invalid: ...``.
        """
        self.content_key: bytes | None = None
        meta = template.get("metadata") or {}
        raw_spec = template.get("spec")
        if not isinstance(raw_spec, dict):
            raise InvalidObject(f'The {kind} "{name}" is invalid: {field_prefix}: Required value')
        spec = dict(raw_spec)
        errors: list[str] = []
        totals: dict[str, list[int]] = {}
        probes: dict[str, dict[str, ProbeSpec]] = {}
        for key in ("initContainers", "containers"):
            found = spec.get(key) or []
            if not isinstance(found, list | tuple):
                errors.append(f"{field_prefix}.{key}: Invalid value: must be a list")
                found = []
            defaulted = []
            for i, container in enumerate(found):
                if not isinstance(container, dict) or not container.get("name"):
                    if isinstance(container, dict):
                        errors.append(f"{field_prefix}.{key}[{i}].name: Required value")
                        continue
                    errors.append(f"{field_prefix}.{key}[{i}]: Invalid value: must be an object")
                    continue
                where = f"{field_prefix}.{key}[{i}]"
                defaulted.append(self._default_container(container, where, errors, totals))
                if key == "containers":
                    found_probes = container_probes(container, where, errors)
                    if found_probes:
                        probes[str(container["name"])] = found_probes
            if key in spec:
                spec[key] = defaulted
        if not spec.get("containers") and not any(e.startswith(f"{field_prefix}.containers") for e in errors):
            errors.append(f"{field_prefix}.containers: Required value")
        if errors:
            joined = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
            raise InvalidObject(f'The {kind} "{name}" is invalid: {joined}')
        spec.setdefault("restartPolicy", "Always")
        self.spec = spec
        self.labels: dict[str, str] = dict(meta.get("labels") or {})
        self.template_annotations: dict[str, str] = dict(meta.get("annotations") or {})
        self.restart_policy: str = spec["restartPolicy"]
        containers: list[Obj] = spec["containers"]
        inits: list[Obj] = spec.get("initContainers") or []
        self.container_names = [str(c.get("name", "")) for c in containers]
        self.init_names = [str(c.get("name", "")) for c in inits]
        self.images = {str(c.get("name")): str(c.get("image", "")) for c in [*inits, *containers]}
        self.sidecars = frozenset(str(c.get("name")) for c in inits if c.get("restartPolicy") == "Always")
        selector = spec.get("nodeSelector") or {}
        self.node_selector: tuple[tuple[str, str], ...] = tuple(
            sorted((str(k), str(v)) for k, v in selector.items())
        )
        self.tolerations: list[Obj] = [t for t in (spec.get("tolerations") or []) if isinstance(t, dict)]
        self.affinity_terms = _required_node_terms(spec.get("affinity"))
        self.priority = int(spec.get("priority") or 0)
        self.preempt_never = spec.get("preemptionPolicy") == "Never"
        self.static_key = (self.node_selector, repr(self.tolerations), repr(self.affinity_terms))
        # Selecting a node by its unique hostname or name defeats the scheduler's per-shape filter cache.
        self.per_node = any(k == "kubernetes.io/hostname" for k, _ in self.node_selector) or (
            "kubernetes.io/hostname" in repr(self.affinity_terms)
            or "matchFields" in repr(self.affinity_terms)
        )
        self.admission_error: str | None = None
        if spec.get("overhead") and not spec.get("runtimeClassName"):
            # plugin/pkg/admission/runtimeclass/admission.go validateOverhead: overhead comes only from a
            # RuntimeClass; a pod that sets it without one is Forbidden (issue 15 rule 5).
            self.admission_error = (
                "pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"
            )
        # Declared usage (trace/usage.py): a container whose memory usage exceeds its limit is OOM-killed.
        try:
            usage = _usage(template)
        except (TraceError, QuantityError) as exc:
            raise InvalidObject(f'The {kind} "{name}" is invalid: {exc}') from None
        self.probes = probes
        self._size(containers, inits, spec, usage)

    def _size(self, containers: list[Obj], inits: list[Obj], spec: Obj, usage: dict[str, Any]) -> None:
        """What depends on the containers' resources: requests, QoS class, OOM kills, throttled starts."""
        self.cpu, self.nz_cpu = self._pod_request(containers, inits, "cpu", spec)
        self.mem, self.nz_mem = self._pod_request(containers, inits, "memory", spec)
        self.qos = _qos(containers, inits)
        self.oom: frozenset[str] = frozenset(
            str(c.get("name"))
            for c in [*inits, *containers]
            if "memory" in usage.get(str(c.get("name")), {})
            and "memory" in ((c.get("resources") or {}).get("limits") or {})
            and usage[str(c.get("name"))]["memory"] > _mem(c["resources"]["limits"]["memory"])
        )
        self.startup_work: dict[str, tuple[int, int | None]] = {}
        self.ramp_oom: dict[str, float] = {}
        for c in containers:
            cname = str(c.get("name"))
            entry = usage.get(cname, {})
            limits = (c.get("resources") or {}).get("limits") or {}
            if entry.get("startupCpuSeconds"):
                cpu_limit = _cpu(limits["cpu"]) if "cpu" in limits else None
                self.startup_work[cname] = (entry["startupCpuSeconds"], cpu_limit)
            after = ramp_oom_after(entry, _mem(limits["memory"]) if "memory" in limits else None)
            if after is not None and cname not in self.oom:
                self.ramp_oom[cname] = after

    def resized(self, template: Obj, *, field_prefix: str, kind: str, name: str) -> PodTemplate:
        """``PodTemplate(template, ...)`` where ``template`` differs from the one this was parsed from only
        in its app containers' resources: only those containers are defaulted and checked again, and
        only what depends on resources is computed again. Raises InvalidObject as the parse does."""
        containers = template["spec"]["containers"]
        if not all(isinstance(c, dict) and c.get("name") for c in containers):
            return PodTemplate(template, field_prefix=field_prefix, kind=kind, name=name)
        errors: list[str] = []
        defaulted = [
            self._default_container(c, f"{field_prefix}.containers[{i}]", errors, {})
            for i, c in enumerate(containers)
        ]
        if errors or self.init_names:  # the parse says what is wrong (and handles init containers)
            return PodTemplate(template, field_prefix=field_prefix, kind=kind, name=name)
        new = PodTemplate.__new__(PodTemplate)
        for slot in PodTemplate.__slots__:
            setattr(new, slot, getattr(self, slot))
        new.content_key = None
        new.spec = {**self.spec, "containers": defaulted}
        new._size(defaulted, [], new.spec, _usage(template))
        return new

    def with_labels(self, labels: dict[str, str]) -> PodTemplate:
        """The same template with other pod labels (a ReplicaSet adds pod-template-hash)."""
        new = PodTemplate.__new__(PodTemplate)
        for slot in PodTemplate.__slots__:
            setattr(new, slot, getattr(self, slot))
        new.labels = labels
        return new

    @staticmethod
    def _default_container(
        container: Obj, where: str, errors: list[str], totals: dict[str, list[int]]
    ) -> Obj:
        resources = container.get("resources") or {}
        if not isinstance(resources, dict):
            errors.append(f"{where}.resources: Invalid value: {resources!r}: must be an object")
            return container
        limits = resources.get("limits") or {}
        requests = resources.get("requests") or {}
        for key, found in (("limits", limits), ("requests", requests)):
            if not isinstance(found, dict):
                errors.append(
                    f"{where}.resources.{key}: Invalid value: {found!r}: must be a map of quantities"
                )
                return container
        # Requests default to limits, per key, on a v1.Pod (kubernetes.md §2.1 SetDefaults_Pod).
        if limits and any(k not in requests for k in limits):
            requests = {**{k: v for k, v in limits.items() if k not in requests}, **requests}
            requests = dict(sorted(requests.items()))
            container = {**container, "resources": {**resources, "requests": requests}}
        for res, value in requests.items():
            try:
                amount = _amount(res, value) if res in ("cpu", "memory") else None
            except QuantityError as exc:
                errors.append(f"{where}.resources.requests[{res}]: Invalid value: {value!r}: {exc}")
                continue
            if amount is not None and amount < 0:
                errors.append(
                    f'{where}.resources.requests[{res}]: Invalid value: "{value}": '
                    "must be greater than or equal to 0"
                )
            elif amount is not None and res in limits:
                try:
                    limit = _amount(res, limits[res])
                except QuantityError:
                    continue
                if amount > limit:
                    # kubernetes.md §2.3: the error sits on ...resources.requests with the canonical request.
                    errors.append(
                        f'{where}.resources.requests: Invalid value: "{canonical(value)}": '
                        f"must be less than or equal to {res} limit of {canonical(limits[res])}"
                    )
        for res, value in limits.items():
            if res not in ("cpu", "memory"):
                continue
            try:
                if _amount(res, value) < 0:
                    errors.append(
                        f'{where}.resources.limits[{res}]: Invalid value: "{value}": '
                        "must be greater than or equal to 0"
                    )
            except QuantityError as exc:
                errors.append(f"{where}.resources.limits[{res}]: Invalid value: {value!r}: {exc}")
        return container

    @staticmethod
    def _pod_request(containers: list[Obj], inits: list[Obj], res: str, spec: Obj) -> tuple[int, int]:
        """(request, non-zero request) as the scheduler's fit check computes them (§1.1).

        component-helpers' PodRequests adds the containers' quantities exactly (regular containers
        summed, sidecars beside them, the init-container max, then overhead) and NodeResourcesFit rounds
        the total once (``SetMaxResource``: ``MilliValue()`` for cpu, ``Value()`` for memory), so two
        0.5m containers ask for 1m, not 2m (issue 15 rule 1).
        """
        # In the scheduler's unit (millicores, bytes): the same exact sums as adding the quantities and
        # scaling the total, but in ints when the values are whole (Fraction arithmetic was most of a parse).
        scale = 1000 if res == "cpu" else 1
        default_nz = DEFAULT_NONZERO_CPU if res == "cpu" else DEFAULT_NONZERO_MEMORY

        def req(c: Obj) -> tuple[int | Fraction, int | Fraction]:
            requests = (c.get("resources") or {}).get("requests") or {}
            if res in requests:
                value = _scaled(requests[res], scale)
                return value, value
            return 0, default_nz

        total_r: int | Fraction = 0
        total_nz: int | Fraction = 0
        for c in containers:
            r, nz = req(c)
            total_r += r
            total_nz += nz
        side_r: int | Fraction = 0
        side_nz: int | Fraction = 0
        init_r: int | Fraction = 0
        init_nz: int | Fraction = 0
        for c in inits:
            r, nz = req(c)
            if c.get("restartPolicy") == "Always":
                # A sidecar runs beside the app containers and every later init container (PodRequests).
                total_r += r
                total_nz += nz
                side_r += r
                side_nz += nz
                cur_r, cur_nz = side_r, side_nz
            else:
                cur_r, cur_nz = r + side_r, nz + side_nz
            init_r = max(init_r, cur_r)
            init_nz = max(init_nz, cur_nz)
        overhead = (spec.get("overhead") or {}).get(res)
        extra = _scaled(overhead, scale) if overhead is not None else 0
        return ceil(max(total_r, init_r) + extra), ceil(max(total_nz, init_nz) + extra)


def _usage(template: Obj) -> dict[str, dict[str, int]]:
    """``read_usage(template)``, parsed once per annotation text (read only: shared between templates)."""
    meta = template.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    raw = annotations.get(USAGE_ANNOTATION) if isinstance(annotations, dict) else None
    if isinstance(raw, str):
        return _usage_text(raw)
    return read_usage(template)


@lru_cache(maxsize=1024)
def _usage_text(raw: str) -> dict[str, dict[str, int]]:
    return read_usage({"metadata": {"annotations": {USAGE_ANNOTATION: raw}}})


def content_key(value: Any) -> bytes | None:
    """An exact fingerprint of JSON-like data, or None when it holds other types.

    marshal is C code and lossless (equal bytes mean equal content); format version 2 writes no
    back-references, so the bytes do not depend on which equal strings happen to be the same object.
    """
    try:
        return marshal.dumps(value, 2)
    except ValueError:
        return None


# Parsed templates by content: a trace re-run each step (or a workload an edit did not touch) is parsed
# once. Only successful parses are kept; kind/name/field_prefix only shape error messages.
_TEMPLATES: dict[bytes, tuple[Obj, PodTemplate]] = {}
_TEMPLATES_MAX = 256


def shared_template(template: Obj, *, field_prefix: str, kind: str, name: str) -> PodTemplate:
    """``PodTemplate(template, ...)``, shared between workloads and clusters with the same template.

    A PodTemplate shares its spec's nested parts with the template it was parsed from (as it always did,
    cheap), so a hit first checks that this source still has the content it was cached under: a caller
    who edited its trace in place afterwards gets a fresh parse, never a stale one.
    """
    key = content_key(template)
    if key is None:
        return PodTemplate(template, field_prefix=field_prefix, kind=kind, name=name)
    found = _TEMPLATES.get(key)
    if found is not None and content_key(found[0]) == key:
        return found[1]
    parsed = PodTemplate(template, field_prefix=field_prefix, kind=kind, name=name)
    parsed.content_key = key
    if len(_TEMPLATES) >= _TEMPLATES_MAX:
        _TEMPLATES.clear()
    _TEMPLATES[key] = (template, parsed)
    return parsed


def _required_node_terms(affinity: Any) -> tuple[Any, ...]:
    if not isinstance(affinity, dict):
        return ()
    node = affinity.get("nodeAffinity") or {}
    required = node.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    terms = required.get("nodeSelectorTerms") or []
    return tuple(t for t in terms if isinstance(t, dict))


def _qos(containers: list[Obj], inits: list[Obj]) -> str:
    """status.qosClass from cpu/memory requests and limits after defaulting (kubernetes.md §2.2)."""
    any_set = False
    guaranteed = True
    for c in [*inits, *containers]:
        resources = c.get("resources") or {}
        requests = resources.get("requests") or {}
        limits = resources.get("limits") or {}
        for res in ("cpu", "memory"):
            if res in requests or res in limits:
                any_set = True
            if (
                res not in limits
                or res not in requests
                or _amount(res, requests[res]) != _amount(res, limits[res])
            ):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


class ContainerState:
    """One container's kubelet state (``state``/``lastState``/``restartCount``/``ready``)."""

    __slots__ = (
        "app_ready_at",
        "backoff",
        "backoff_update",
        "exit_code",
        "finished",
        "last",
        "message",
        "name",
        "ready",
        "reason",
        "restarts",
        "started",
        "startup_done",
        "state",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.state = "waiting"
        self.reason = "ContainerCreating"
        self.message = ""
        self.started = 0.0
        self.finished = 0.0
        self.exit_code = 0
        self.last: tuple[str, int, float, float] | None = None
        self.restarts = 0
        self.ready = False
        self.backoff = 0.0
        self.backoff_update: float | None = None
        self.app_ready_at = 0.0  # when the app answers its probes (startup work done)
        self.startup_done = True  # False until a startup probe passes (containerStatuses[].started)

    def to_api(self, clock: Clock, image: str) -> Obj:
        if self.state == "running":
            state: Obj = {"running": {"startedAt": clock.timestamp(self.started)}}
        elif self.state == "terminated":
            state = {
                "terminated": {
                    "exitCode": self.exit_code,
                    "reason": self.reason,
                    "startedAt": clock.timestamp(self.started),
                    "finishedAt": clock.timestamp(self.finished),
                }
            }
        else:
            waiting: Obj = {"reason": self.reason}
            if self.message:
                waiting["message"] = self.message
            state = {"waiting": waiting}
        last: Obj = {}
        if self.last is not None:
            reason, code, started, finished = self.last
            last = {
                "terminated": {
                    "exitCode": code,
                    "reason": reason,
                    "startedAt": clock.timestamp(started),
                    "finishedAt": clock.timestamp(finished),
                }
            }
        return {
            "name": self.name,
            "image": image,
            "imageID": "",
            "ready": self.ready,
            "restartCount": self.restarts,
            "started": self.state == "running" and self.startup_done,
            "state": state,
            "lastState": last,
        }


_NO_PROBERS: dict[str, list[Any]] = {}


class Pod:
    """A pod: metadata, its template, where it runs and what the kubelet made of it."""

    __slots__ = (
        "admitted",
        "annotations",
        "attempts",
        "bound",
        "containers",
        "created",
        "deleted",
        "init_containers",
        "initialized",
        "involved",
        "labels",
        "last_attempt",
        "name",
        "namespace",
        "node",
        "nominated",
        "owner",
        "owner_refs",
        "phase",
        "preempt_never",
        "priority",
        "probers",
        "ready",
        "ready_since",
        "ready_time",
        "root",
        "sched_message",
        "sched_time",
        "seq",
        "start_time",
        "tmpl",
        "uid",
        "unsched_reasons",
    )

    def __init__(
        self,
        name: str,
        namespace: str,
        uid: str,
        tmpl: PodTemplate,
        *,
        created: float,
        labels: dict[str, str],
        annotations: dict[str, str],
        owner: Any = None,
        owner_refs: list[Obj] | None = None,
        root: tuple[str, ...] | None = None,
    ) -> None:
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.tmpl = tmpl
        self.created = created
        self.labels = labels
        self.annotations = annotations
        self.owner = owner
        self.owner_refs = owner_refs or []
        self.root = root
        self.seq = 0
        self.node: Node | None = None
        self.phase = "Pending"
        self.containers: list[ContainerState] | None = None
        self.init_containers: list[ContainerState] = []
        self.initialized = False
        self.ready = False
        self.ready_time = created
        self.ready_since: float | None = None
        self.start_time: float | None = None
        self.bound = 0.0
        self.sched_message: str | None = None
        self.sched_time = created
        self.unsched_reasons: frozenset[str] = frozenset()
        self.deleted = False
        self.attempts = 0
        self.last_attempt = 0.0
        # container -> probe workers (lifecycle.py); pods without probes share one empty, never-filled map
        self.probers: dict[str, list[Any]] = _NO_PROBERS
        self.involved = Involved("v1", "Pod", namespace, name, uid)
        # Set by the Priority admission plugin (priority.py) when the cluster creates the pod.
        self.priority = tmpl.priority
        self.preempt_never = tmpl.preempt_never
        self.admitted: Any = None
        self.nominated: str | None = None  # status.nominatedNodeName, set by preemption

    @property
    def active(self) -> bool:
        """Counted by controllers: not deleted and not terminal (FilterActivePods)."""
        return not self.deleted and self.phase not in ("Succeeded", "Failed")

    def to_api(self, clock: Clock) -> Obj:
        """The pod as ``kubectl get pod -o json`` shows it."""
        ts = clock.timestamp
        tmpl = self.tmpl
        meta: Obj = {
            "name": self.name,
            "namespace": self.namespace,
            "uid": self.uid,
            "creationTimestamp": ts(self.created),
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
        }
        if self.owner_refs:
            meta["ownerReferences"] = [dict(r) for r in self.owner_refs]
            if self.owner is not None and getattr(self.owner, "generate_name", False):
                meta["generateName"] = self.owner.name + "-"
        spec = dict(tmpl.spec)
        if self.node is not None:
            spec["nodeName"] = self.node.name
        admitted = self.admitted
        if admitted is not None and admitted.shown:
            if admitted.class_name:
                spec["priorityClassName"] = admitted.class_name
            spec["priority"] = admitted.priority
            spec["preemptionPolicy"] = admitted.policy
        status: Obj = {"phase": self.phase, "qosClass": tmpl.qos}
        if self.nominated is not None:
            status["nominatedNodeName"] = self.nominated
        conditions: list[Obj] = []
        if self.node is None:
            if self.sched_message is not None:
                conditions.append(
                    {
                        "type": "PodScheduled",
                        "status": "False",
                        "reason": "Unschedulable",
                        "message": self.sched_message,
                        "lastProbeTime": None,
                        "lastTransitionTime": ts(self.sched_time),
                    }
                )
        else:
            bound = ts(self.bound)
            if self.containers is not None:
                started = self.start_time is not None
                conditions.append(
                    {
                        "type": "PodReadyToStartContainers",
                        "status": "True" if started else "False",
                        "lastProbeTime": None,
                        "lastTransitionTime": bound,
                    }
                )
                init: Obj = {
                    "type": "Initialized",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": bound,
                }
                if not self.initialized:
                    # kubelet status generation [mem]: the init containers that have not completed.
                    waiting = [
                        c.name
                        for c in self.init_containers
                        if not (c.state == "terminated" and c.exit_code == 0)
                    ]
                    init["status"] = "False"
                    init["reason"] = "ContainersNotInitialized"
                    init["message"] = f"containers with incomplete status: [{' '.join(waiting)}]"
                conditions.append(init)
                ready = self._ready_condition()
                for ctype in ("Ready", "ContainersReady"):
                    cond: Obj = {
                        "type": ctype,
                        "status": "True" if self.ready else "False",
                        "lastProbeTime": None,
                        "lastTransitionTime": ts(self.ready_time),
                    }
                    if ready is not None:
                        cond["reason"] = ready[0]
                        if ready[1]:
                            cond["message"] = ready[1]
                    conditions.append(cond)
            conditions.append(
                {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": bound}
            )
            status["hostIP"] = "10.0.0.1"
            if tmpl.probes:
                # Probed pods carry the address their probes' messages name (other pods keep their
                # established shape).
                status["podIP"] = pod_ip(self.uid)
            if self.start_time is not None:
                status["startTime"] = ts(self.start_time)
        if conditions:
            status["conditions"] = conditions
        if self.containers is not None:
            images = tmpl.images
            if self.init_containers:
                status["initContainerStatuses"] = [
                    c.to_api(clock, images.get(c.name, "")) for c in self.init_containers
                ]
            status["containerStatuses"] = [c.to_api(clock, images.get(c.name, "")) for c in self.containers]
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}

    def _ready_condition(self) -> tuple[str, str] | None:
        """Reason/message of a False Ready condition (kubernetes.md §5.2)."""
        if self.ready or self.containers is None:
            return None
        if self.phase in ("Succeeded", "Failed"):
            return "PodCompleted", ""
        unready = [c.name for c in self.containers if not c.ready]
        return "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]"
