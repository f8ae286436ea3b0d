"""Semantic validation of a loaded trace: :func:`validate` returns a list of :class:`Problem`.

Errors are what the Kubernetes API would reject or what breaks a replay; warnings are SimKube's own
``skctl validate`` rules (notes/simkube.md §4) and stale index/lifecycle entries. A loaded trace is
structurally sound (the loader raises TraceError otherwise, ``structure.py``); a trace built or edited in
memory that is not gets one ``malformed`` error naming the event, object and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pytest_simarena.errors import SimArenaError, TraceError
from pytest_simarena.quantities import canonical, parse_quantity

from .model import BUILTIN_TEMPLATE_PATHS, CURRENT_VERSION, Obj, Trace, describe, gvk_of, template_path
from .structure import check_structure, join_field, templates_of
from .usage import USAGE_ANNOTATION, read_usage
from .values import preview, type_name

Severity = Literal["error", "warning"]
_WORKLOAD_RESTART_ALWAYS = frozenset(("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"))
_REFERENCE_KINDS = ("ServiceAccount", "Secret", "ConfigMap")
# (kind, SimKube code, SimKube rule) of an env/envFrom reference, secret first then config map (notes §4).
_ENV_REF_RULES = (
    ("Secret", "E0002", "envvar_secret_missing"),
    ("ConfigMap", "E0003", "envvar_configmap_missing"),
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation finding; ``location`` is ``events[i].applied_objs[j] (Kind ns/name): field``."""

    severity: Severity
    code: str
    location: str
    message: str

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{self.severity} {self.code}: {where}{self.message}"


def _where(location: str, obj: Obj | None = None, field: str | None = None) -> str:
    text = location
    if obj is not None:
        text += f" ({describe(obj)})"
    if field:
        text += f": {field}"
    return text


def validate(trace: Trace) -> list[Problem]:
    """Semantic problems of a (structurally sound) trace: errors first, then warnings, each in trace order.

    Errors: what the Kubernetes API would reject or what breaks a replay (non-monotonic ``ts``, request
    above limit, negative replicas or quantities, kinds SimKube does not track). Warnings: SimKube's own
    ``skctl validate`` rules W0000 and E0001-E0005 (notes/simkube.md §4), plus stale index and lifecycle
    entries. SimKube's E-codes stay warnings here because ``skctl validate`` only reports them.
    """
    malformed = _structure_problem(trace)
    if malformed is not None:
        return [malformed]  # the checks below read the structure; a loaded trace always passes this
    problems: list[Problem] = []
    _check_times(trace, problems)
    _check_tracking(trace, problems)
    seen: dict[str, set[str]] = {kind: set() for kind in _REFERENCE_KINDS}
    for i, event in enumerate(trace.events):
        for j, obj in enumerate(event.get("applied_objs") or []):
            location = f"events[{i}].applied_objs[{j}]"
            _check_workload(obj, location, trace.config, problems)
            _check_simkube_rules(obj, location, trace.config, seen, problems)
            kind = obj.get("kind")
            if kind in seen:
                seen[kind].add(_ns_name(obj))
        for obj in event.get("deleted_objs") or []:
            kind = obj.get("kind")
            if kind in seen:
                seen[kind].discard(_ns_name(obj))
    _check_index_and_lifecycles(trace, problems)
    # Every applied version of a workload repeats its problems: report each (object, field, message) once.
    unique: dict[tuple[str, str, str], Problem] = {}
    for p in problems:
        obj_and_field = p.location.split(" ", 1)[-1] if p.location.startswith("events[") else p.location
        unique.setdefault((p.code, obj_and_field, p.message), p)
    return sorted(unique.values(), key=lambda p: p.severity != "error")  # stable: trace order within each


def _structure_problem(trace: Trace) -> Problem | None:
    """The loader's structural checks (``structure.py``) on a trace built or edited in memory, as a Problem.

    ``validate`` takes any :class:`Trace`; one whose shape the loader would refuse gets that one error
    (code ``malformed``) instead of a crash in the semantic checks.
    """
    if not isinstance(trace.extra, dict):
        return Problem("error", "malformed", "", f"extra: expected a map, got {type_name(trace.extra)}")
    core = {
        "version": CURRENT_VERSION,
        "config": trace.config,
        "events": trace.events,
        "index": trace.index,
        "pod_lifecycles": trace.pod_lifecycles,
    }
    try:
        check_structure(core, trace.extra)
    except TraceError as exc:
        where = exc.location or ""
        if exc.obj:
            where += f" ({exc.obj})"
        if exc.field:
            where = f"{where}: {exc.field}" if where else exc.field
        return Problem("error", "malformed", where, exc.problem)
    return None


def _m(value: Any) -> Obj:
    """``value`` if it is a map, else an empty one (validate must not crash on odd in-memory traces)."""
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _ns_name(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}"


def _check_times(trace: Trace, problems: list[Problem]) -> None:
    if not trace.events:
        problems.append(
            Problem("warning", "empty_trace", "events", "the trace has no events: nothing to replay")
        )
    for i in range(1, len(trace.events)):
        before, after = trace.events[i - 1]["ts"], trace.events[i]["ts"]
        if after < before:
            # SimKube's tracer appends in time order and the driver sleeps ts[i+1]-ts[i] (notes §1.3, §3.4).
            problems.append(
                Problem(
                    "error",
                    "ts_not_monotonic",
                    f"events[{i}]: ts",
                    f"{after} is before the previous event's ts {before} (events must be in time order)",
                )
            )


def _check_tracking(trace: Trace, problems: list[Problem]) -> None:
    tracked = trace.config.get("trackedObjects") or {}
    tracked = {gvk[1:] if gvk.startswith("/") else gvk for gvk in tracked}
    reported: set[str] = set()
    for i, j, obj in trace.applied():
        gvk = gvk_of(obj)
        if gvk in tracked or gvk in reported or gvk not in BUILTIN_TEMPLATE_PATHS:
            continue
        reported.add(gvk)
        # The driver rewrites pod templates only at the configured paths (notes §3.4): without an entry the
        # pods get no virtual-node selector/toleration and never schedule on the simulated nodes.
        problems.append(
            Problem(
                "error",
                "untracked_kind",
                _where(f"events[{i}].applied_objs[{j}]", obj),
                f"config.trackedObjects has no entry for {gvk}, so SimKube will not redirect its pods to "
                "virtual nodes",
            )
        )


def _quantity_value(value: Any) -> Any:
    try:
        return parse_quantity(value)
    except SimArenaError:
        return None


def _canonical(value: Any) -> str:
    try:
        return canonical(value)
    except SimArenaError:
        return str(value)


def _check_workload(obj: Obj, location: str, config: Obj, problems: list[Problem]) -> None:
    def error(code: str, field: str, message: str) -> None:
        problems.append(Problem("error", code, _where(location, obj, field), message))

    kind = obj.get("kind")
    spec = obj.get("spec")
    if isinstance(spec, dict) and "replicas" in spec and kind != "Pod":
        replicas = spec["replicas"]
        if type(replicas) is not int:
            error("bad_replicas", "spec.replicas", f"Invalid value: {preview(replicas)}: must be an integer")
        elif replicas >= 2**31:
            # spec.replicas is an int32: the API server cannot even decode a larger number
            error(
                "bad_replicas",
                "spec.replicas",
                f"Invalid value: {preview(replicas)}: must be a 32-bit integer (at most 2147483647)",
            )
        elif replicas < 0:
            # Kubernetes ValidateNonnegativeField wording (notes/kubernetes.md §2.3).
            error(
                "negative_replicas",
                "spec.replicas",
                f"Invalid value: {replicas}: must be greater than or equal to 0",
            )
    pointer = template_path(gvk_of(obj), config)
    if pointer is None:
        return
    prefix = ".".join(p for p in pointer.split("/") if p)
    template = next((t for _, t in templates_of(obj, config)), None)
    if not isinstance(template, dict):
        if gvk_of(obj) in BUILTIN_TEMPLATE_PATHS:
            error("missing_pod_template", prefix or "spec", "Required value: the pod template is missing")
        else:
            # The driver rewrites the pod template at each configured path (notes §3.4): it must exist.
            error(
                "template_path_not_found",
                prefix,
                f"config.trackedObjects[{preview(gvk_of(obj))}].podSpecTemplatePaths names "
                f"{preview(pointer)}, which this object does not have",
            )
        return
    pod_spec = template.get("spec")
    base = join_field(prefix, "spec") if prefix else "spec"
    if not isinstance(pod_spec, dict) or not pod_spec.get("containers"):
        error("no_containers", f"{base}.containers", "Required value: a pod needs at least one container")
        return
    policy = pod_spec.get("restartPolicy")
    if kind in _WORKLOAD_RESTART_ALWAYS and policy not in (None, "Always"):
        # Workload controllers only allow restartPolicy Always (notes/kubernetes.md §2.3).
        error(
            "unsupported_restart_policy",
            f"{base}.restartPolicy",
            f'Unsupported value: {preview(policy)}: supported values: "Always"',
        )
    names: set[str] = set()
    for list_key in ("initContainers", "containers"):
        for n, container in enumerate(_l(pod_spec.get(list_key))):
            where = f"{base}.{list_key}[{n}]"
            container = _m(container)
            name = container.get("name")
            if name in names:
                error("duplicate_container_name", f"{where}.name", f"Duplicate value: {preview(name)}")
            names.add(str(name))
            _check_resources(_m(container.get("resources")), f"{where}.resources", error)
    _check_usage_names(template, names, base, error)


def _check_resources(resources: Obj, where: str, error: Any) -> None:
    requests = _m(resources.get("requests"))
    limits = _m(resources.get("limits"))
    for kind, values in (("requests", requests), ("limits", limits)):
        for resource, raw in values.items():
            value = _quantity_value(raw)
            if value is not None and value < 0:
                error(
                    "negative_quantity",
                    f"{where}.{kind}[{preview(resource)}]",
                    f'Invalid value: "{_canonical(raw)}": must be greater than or equal to 0',
                )
    for resource, raw in requests.items():
        if resource not in limits:
            continue
        request, limit = _quantity_value(raw), _quantity_value(limits[resource])
        if request is not None and limit is not None and request > limit:
            # ValidateResourceRequirements puts it on ...resources.requests (notes/kubernetes.md §2.3).
            error(
                "request_exceeds_limit",
                f"{where}.requests",
                f'Invalid value: "{_canonical(raw)}": must be less than or equal to {resource} limit of '
                f"{_canonical(limits[resource])}",
            )


def _check_usage_names(template: Obj, names: set[str], base: str, error: Any) -> None:
    try:
        usage = read_usage(template)
    except SimArenaError:
        return  # rejected at load already; a trace built in memory gets the load-time message on write+read
    template_prefix = base[: -len("spec")]  # "spec.template." for workloads, "" for a Pod
    for name in usage:
        if name not in names:
            error(
                "usage_unknown_container",
                f'{template_prefix}metadata.annotations["{USAGE_ANNOTATION}"]',
                f"names container {name!r}, which the pod does not have",
            )


def _check_simkube_rules(
    obj: Obj, location: str, config: Obj, seen: dict[str, set[str]], problems: list[Problem]
) -> None:
    """SimKube's ``skctl validate`` rules (sk-cli/src/validation/rules, notes §4), as warnings."""

    def warn(code: str, field: str, message: str) -> None:
        problems.append(Problem("warning", code, _where(location, obj, field), message))

    if obj.get("status") is not None:
        warn("W0000", "status", "status_field_populated: status is set; the driver strips it before applying")
    pointer = template_path(gvk_of(obj), config)
    template = next((t for _, t in templates_of(obj, config)), None) if pointer is not None else None
    pod_spec = template.get("spec") if isinstance(template, dict) else None
    if not isinstance(pod_spec, dict):
        return
    prefix = ".".join(p for p in (pointer or "").split("/") if p)
    base = join_field(prefix, "spec") if prefix else "spec"
    ns = _m(obj.get("metadata")).get("namespace")

    def missing(kind: str, name: Any) -> bool:
        return isinstance(name, str) and f"{ns}/{name}" not in seen[kind]

    def check_refs(holder: Any, at: str, refs: tuple[str, str]) -> None:
        """Warn for each of ``holder``'s secret / config map references (``refs``) naming no traced object."""
        for ref, (kind, code, rule) in zip(refs, _ENV_REF_RULES, strict=True):
            name = _m(_m(holder).get(ref)).get("name")
            if missing(kind, name):
                warn(code, f"{at}.{ref}.name", f"{rule}: {kind} {ns}/{name} is not in the trace")

    for key in ("serviceAccountName", "serviceAccount"):
        account = pod_spec.get(key)
        # Every namespace gets a "default" ServiceAccount from the controller manager, virtual ones too.
        if account != "default" and missing("ServiceAccount", account):
            warn(
                "E0001",
                f"{base}.{key}",
                f"service_account_missing: ServiceAccount {ns}/{account} is not applied earlier in the "
                "trace; pods cannot be created",
            )
            break
    for list_key in ("initContainers", "containers"):
        for n, container in enumerate(_l(pod_spec.get(list_key))):
            where = f"{base}.{list_key}[{n}]"
            container = _m(container)
            # SimKube checks secretKeyRef.key / configMapKeyRef.key (notes §4, "sic"); the object a pod
            # needs is the one *named*, so the name is what is checked here.
            for e, env in enumerate(_l(container.get("env"))):
                source = _m(env).get("valueFrom")
                check_refs(source, f"{where}.env[{e}].valueFrom", ("secretKeyRef", "configMapKeyRef"))
            for e, env_from in enumerate(_l(container.get("envFrom"))):
                check_refs(env_from, f"{where}.envFrom[{e}]", ("secretRef", "configMapRef"))
    for v, volume in enumerate(_l(pod_spec.get("volumes"))):
        volume = _m(volume)
        secret = _m(volume.get("secret")).get("secretName")
        if missing("Secret", secret):
            warn(
                "E0004",
                f"{base}.volumes[{v}].secret.secretName",
                f"volume_secret_missing: Secret {ns}/{secret} is not in the trace",
            )
        config_map = _m(volume.get("configMap")).get("name")
        if missing("ConfigMap", config_map):
            warn(
                "E0005",
                f"{base}.volumes[{v}].configMap.name",
                f"volume_configmap_missing: ConfigMap {ns}/{config_map} is not in the trace",
            )


def _check_index_and_lifecycles(trace: Trace, problems: list[Problem]) -> None:
    known: set[tuple[str, str]] = set()
    for event in trace.events:
        for key in ("applied_objs", "deleted_objs"):
            for obj in event.get(key) or []:
                known.add((gvk_of(obj), _ns_name(obj)))
    indexed = {(gvk, key) for gvk, entries in trace.index.items() for key in entries}
    absent = sorted(known - indexed)
    if absent:
        gvk, key = absent[0]
        more = f" and {len(absent) - 1} more" if len(absent) > 1 else ""
        # The driver only uses index membership, for pod-lifecycle lookups (notes §1.6).
        problems.append(
            Problem(
                "warning",
                "index_incomplete",
                "index",
                f"{gvk} {key}{more} not in the index (rebuild_index fixes it)",
            )
        )
    for owner in trace.pod_lifecycles:
        if tuple(owner) not in known:
            problems.append(
                Problem(
                    "warning",
                    "lifecycle_unknown_owner",
                    f"pod_lifecycles[{preview(list(owner))}]",
                    "owner is not in the trace",
                )
            )
