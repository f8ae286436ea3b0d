"""ResourceQuota: the object, what a pod uses of it, the admission check and the controller's status.

Follows kubernetes/kubernetes:

* pkg/quota/v1/evaluator/core/pods.go: ``PodUsageFunc`` (``count/pods`` always; ``pods``, ``cpu``,
  ``memory``, ``requests.*`` and ``limits.*`` from PodRequests/PodLimits unless the pod is terminal),
  ``Constraints`` (a quota on cpu or memory makes every container state it: ``must specify ...``) and the
  BestEffort/NotBestEffort/Terminating/NotTerminating scopes;
* staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go ``CheckRequest``: quotas
  checked in turn, ``failed quota: <name>: <constraint>`` first, then ``exceeded quota: <name>, requested:
  ..., used: ..., limited: ...`` (``prettyPrint``: sorted ``name=quantity`` joined by commas); an admitted
  pod's usage is added to each matching quota's ``status.used``;
* pkg/controller/resourcequota/resource_quota_controller.go ``syncResourceQuota``: ``status.hard`` is the
  spec, ``status.used`` recomputed from the namespace's pods when a quota is created or changed and when a
  pod is deleted or ends (replenishment).

Quantities add as ``Quantity.Add`` does: a sum prints in the format of its first non-zero term.
Deviations: quotas are synced at once on creation (the controller's first sync takes milliseconds, so
"status unknown for quota" is never seen); resources other than pods' (services, configmaps, count/<other>)
are shown but always used "0"; when several quotas fail, the first by name is reported (the apiserver's
lister order is a map's).
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import QuantityError
from pytest_simarena.quantities import DECIMAL_SI, Quantity, parse

from .pods import InvalidObject
from .policy import ZERO, StoredObject, add, add_lists, container_list, pod_list

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .clock import Clock
    from .pods import Pod, PodTemplate

Obj = dict[str, Any]
ResourceList = dict[str, Quantity]

# pods.go podResources: what the pod evaluator counts.
POD_RESOURCES = frozenset(
    {
        "count/pods",
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
    }
)
# pods.go validationSet: quota on these makes every container state the matching request or limit.
VALIDATION_SET = frozenset(
    {"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}
)
SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort")


def pretty(items: ResourceList) -> str:
    """controller.go prettyPrint: ``name=quantity`` in name order, comma-joined."""
    return ",".join(f"{k}={items[k]}" for k in sorted(items))


class ResourceQuota(StoredObject):
    """A ResourceQuota with the status its controller and the admission plugin keep."""

    __slots__ = ("hard", "scopes", "used")

    def __init__(self, obj: Obj, *, uid: str, created: float) -> None:
        super().__init__(obj, uid=uid, created=created)
        self.hard, self.scopes = _parse_spec(obj, self.name)
        self.used: ResourceList = {}

    def matches(self, tmpl: PodTemplate) -> bool:
        """generic.Matches: the quota limits a pod resource and every scope matches the pod."""
        if not any(k in POD_RESOURCES for k in self.hard):
            return False
        return all(_scope_matches(scope, tmpl) for scope in self.scopes)

    def recompute(self, pods: Iterable[Pod]) -> None:
        """syncResourceQuota: used = the matching pods' usage, from zero, masked to ``hard``."""
        tracked = [k for k in self.hard if k in POD_RESOURCES]
        used: ResourceList = {k: ZERO for k in tracked}
        for pod in pods:
            if pod.deleted or not all(_scope_matches(s, pod.tmpl) for s in self.scopes):
                continue
            usage = pod_usage(pod.tmpl, terminal=pod.phase in ("Succeeded", "Failed"))
            used = add_lists(used, {k: v for k, v in usage.items() if k in used})
        # Resources the simulator has no objects for (services, configmaps ...) count nothing.
        self.used = {k: used.get(k, ZERO) for k in self.hard}

    def to_api(self, clock: Clock) -> Obj:
        meta = self.api_metadata(clock)
        spec: Obj = {"hard": {k: str(v) for k, v in sorted(self.hard.items())}}
        if self.scopes:
            spec["scopes"] = list(self.scopes)
        return {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": meta,
            "spec": spec,
            "status": {
                "hard": {k: str(v) for k, v in sorted(self.hard.items())},
                "used": {k: str(v) for k, v in sorted(self.used.items())},
            },
        }


def _parse_spec(obj: Obj, name: str) -> tuple[ResourceList, tuple[str, ...]]:
    spec = obj.get("spec") or {}
    if not isinstance(spec, dict):
        raise InvalidObject(f'The ResourceQuota "{name}" is invalid: spec: Invalid value: must be an object')
    raw = spec.get("hard") or {}
    if not isinstance(raw, dict):
        raise InvalidObject(f'The ResourceQuota "{name}" is invalid: spec.hard: Invalid value: must be a map')
    hard: ResourceList = {}
    for res, value in raw.items():
        try:
            hard[str(res)] = parse(value)
        except QuantityError as exc:
            raise InvalidObject(
                f'The ResourceQuota "{name}" is invalid: spec.hard[{res}]: Invalid value: {value!r}: {exc}'
            ) from None
        if hard[str(res)].value < 0:
            # pkg/apis/core/validation/validation.go ValidateNonnegativeQuantity
            raise InvalidObject(
                f'The ResourceQuota "{name}" is invalid: spec.hard[{res}]: '
                f'Invalid value: "{hard[str(res)]}": must be greater than or equal to 0'
            )
    if spec.get("scopeSelector"):
        raise InvalidObject(
            f'The ResourceQuota "{name}" is invalid: spec.scopeSelector: not simulated by the embedded '
            f"cluster (use spec.scopes: {', '.join(SCOPES)})"
        )
    scopes = spec.get("scopes") or []
    for i, scope in enumerate(scopes):
        if scope not in SCOPES:
            raise InvalidObject(
                f'The ResourceQuota "{name}" is invalid: spec.scopes[{i}]: Unsupported value: "{scope}" '
                f"(the embedded cluster simulates {', '.join(SCOPES)})"
            )
    return hard, tuple(str(s) for s in scopes)


def _scope_matches(scope: str, tmpl: PodTemplate) -> bool:
    """pods.go podMatchesScopeFunc for the four fixed scopes."""
    if scope in ("Terminating", "NotTerminating"):
        deadline = tmpl.spec.get("activeDeadlineSeconds")
        terminating = isinstance(deadline, int) and deadline >= 0
        return terminating == (scope == "Terminating")
    best_effort = tmpl.qos == "BestEffort"
    return best_effort == (scope == "BestEffort")


def _pod_list(spec: Obj, field: str) -> ResourceList:
    """PodRequests/PodLimits with overhead: added to requests, to limits only where a limit is set."""
    total = pod_list(spec, field)
    overhead = {str(k): parse(v) for k, v in (spec.get("overhead") or {}).items()}
    if field == "requests":
        return add_lists(total, overhead)
    return {res: add(q, overhead[res]) if res in overhead else q for res, q in total.items()}


def _compute_usage(requests: ResourceList, limits: ResourceList) -> ResourceList:
    """pods.go podComputeUsageHelper."""
    out: ResourceList = {"pods": ONE}
    for res in ("cpu", "memory", "ephemeral-storage"):
        if res in requests:
            out[res] = requests[res]
            out[f"requests.{res}"] = requests[res]
        if res in limits:
            out[f"limits.{res}"] = limits[res]
    return out


ONE = Quantity(Fraction(1), DECIMAL_SI)
# pod_usage by template: every pod of a workload shares its (immutable) PodTemplate, so one parse serves all.
_USAGE: dict[int, tuple[PodTemplate, ResourceList]] = {}
_USAGE_MAX = 1024


def pod_usage(tmpl: PodTemplate, *, terminal: bool = False) -> ResourceList:
    """pods.go PodUsageFunc: ``count/pods`` always, compute resources unless the pod is terminal."""
    if terminal:
        return {"count/pods": ONE}
    found = _USAGE.get(id(tmpl))
    if found is not None and found[0] is tmpl:
        return found[1]
    usage = {
        "count/pods": ONE,
        **_compute_usage(_pod_list(tmpl.spec, "requests"), _pod_list(tmpl.spec, "limits")),
    }
    if len(_USAGE) >= _USAGE_MAX:
        _USAGE.clear()
    _USAGE[id(tmpl)] = (tmpl, usage)  # keeps tmpl alive, so its id is not reused while cached
    return usage


def constraints(quota: ResourceQuota, spec: Obj) -> str | None:
    """pods.go Constraints: ``must specify <res> for: <containers>; ...`` or None."""
    required = {k for k in quota.hard if k in VALIDATION_SET}
    if not required:
        return None
    missing: dict[str, set[str]] = {}
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            have = set(_compute_usage(container_list(c, "requests"), container_list(c, "limits")))
            for res in required - have:
                missing.setdefault(res, set()).add(str(c.get("name", "")))
    if not missing:
        return None
    parts = [f"{res} for: {','.join(sorted(missing[res]))}" for res in sorted(missing)]
    return "must specify " + "; ".join(parts)


def check(
    quotas: list[ResourceQuota], tmpl: PodTemplate
) -> tuple[str | None, list[tuple[ResourceQuota, ResourceList]]]:
    """controller.go CheckRequest for a pod create: (error or None, [(quota, its new used)])."""
    interesting = []
    for quota in quotas:
        if not quota.matches(tmpl):
            continue
        problem = constraints(quota, tmpl.spec)
        if problem is not None:
            return f"failed quota: {quota.name}: {problem}", []
        interesting.append(quota)
    if not interesting:
        return None, []
    usage = {k: v for k, v in pod_usage(tmpl).items() if v.value != 0}  # quota.RemoveZeros
    updates = []
    for quota in interesting:
        requested = {k: v for k, v in usage.items() if k in quota.hard}  # quota.Mask(delta, hard)
        if not requested:
            continue
        new_used = add_lists(quota.used, requested)
        exceeded = sorted(k for k in requested if new_used[k].value > quota.hard[k].value)
        if exceeded:
            return (
                f"exceeded quota: {quota.name}, requested: {pretty({k: requested[k] for k in exceeded})}, "
                f"used: {pretty({k: quota.used.get(k, ZERO) for k in exceeded})}, "
                f"limited: {pretty({k: quota.hard[k] for k in exceeded})}"
            ), []
        updates.append((quota, {**quota.used, **{k: new_used[k] for k in requested}}))
    return None, updates
