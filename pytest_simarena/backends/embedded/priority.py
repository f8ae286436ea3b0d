"""PriorityClass objects and the Priority admission plugin: what priority a new pod gets.

Sources (kubernetes/kubernetes):

- ``plugin/pkg/admission/priority/admission.go`` ``admitPod``: on create, an empty
  ``priorityClassName`` takes the global default class (the lowest value among several, as
  ``getDefaultPriorityClass`` breaks that race) or priority 0 with ``PreemptLowerPriority``; a named class
  that does not exist is Forbidden ``no PriorityClass with name <n> was found``; a pod that states a
  ``priority`` other than the class's is Forbidden; the class's ``preemptionPolicy`` is copied.
- ``pkg/apis/scheduling/types.go`` / ``v1/helpers.go``: the system classes ``system-node-critical``
  (2000001000) and ``system-cluster-critical`` (2000000000) exist from bootstrap;
  ``HighestUserDefinablePriority`` is 1000000000.
- ``pkg/apis/scheduling/validation/validation.go`` ``ValidatePriorityClass``: names starting ``system-``
  are reserved, user values above 1000000000 are Forbidden; ``value`` may not change in an update.
- ``pkg/apis/scheduling/v1/defaults.go``: ``preemptionPolicy`` defaults to ``PreemptLowerPriority``.

PriorityClasses are cluster-scoped: SimKube's driver gives every traced object its virtual namespace, which
a cluster-scoped kind ignores, so the name alone keys the class here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .pods import InvalidObject

Obj = dict[str, Any]

HIGHEST_USER_DEFINABLE = 1_000_000_000
SYSTEM_CRITICAL = 2 * HIGHEST_USER_DEFINABLE
SYSTEM_PREFIX = "system-"
SYSTEM_CLASSES = {
    "system-node-critical": SYSTEM_CRITICAL + 1000,
    "system-cluster-critical": SYSTEM_CRITICAL,
}
PREEMPT_LOWER = "PreemptLowerPriority"
PREEMPT_NEVER = "Never"
API_VERSION = "scheduling.k8s.io/v1"


@dataclass(frozen=True, slots=True)
class Resolved:
    """What admission wrote into a new pod's spec."""

    priority: int
    policy: str
    class_name: str
    # True when the pod's spec shows the fields (a class applied or the pod stated a priority); a cluster
    # without PriorityClasses renders pods as before (see docs/embedded-cluster.md, "PriorityClass").
    shown: bool


DEFAULT = Resolved(0, PREEMPT_LOWER, "", False)


class PriorityClass:
    """One PriorityClass (``value``, ``globalDefault``, ``preemptionPolicy``, ``description``)."""

    __slots__ = ("created", "description", "global_default", "name", "policy", "prefix", "uid", "value")

    def __init__(self, obj: Obj, *, uid: str, created: float, prefix: str) -> None:
        meta = obj.get("metadata") or {}
        self.name = str(meta.get("name") or "")
        kind = f'PriorityClass.scheduling.k8s.io "{self.name}"'
        raw = obj.get("value")
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise InvalidObject(f"{kind} is invalid: value: Required value")
        self.value = raw
        self.global_default = bool(obj.get("globalDefault"))
        self.policy = str(obj.get("preemptionPolicy") or PREEMPT_LOWER)
        self.description = str(obj.get("description") or "")
        self.uid = uid
        self.created = created
        self.prefix = prefix
        errors = []
        if self.name.startswith(SYSTEM_PREFIX):
            if SYSTEM_CLASSES.get(self.name) != self.value or self.global_default:
                errors.append(
                    "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for "
                    f"system use only. error: {self.name!r} is not a known system priority class"
                )
        elif self.value > HIGHEST_USER_DEFINABLE:
            errors.append(
                "value: Forbidden: maximum allowed value of a user defined priority is "
                f"{HIGHEST_USER_DEFINABLE}"
            )
        if self.policy not in (PREEMPT_LOWER, PREEMPT_NEVER):
            errors.append(
                f'preemptionPolicy: Unsupported value: "{self.policy}": supported values: '
                f'"{PREEMPT_LOWER}", "{PREEMPT_NEVER}"'
            )
        if errors:
            joined = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
            raise InvalidObject(f"{kind} is invalid: {joined}")

    def to_api(self, timestamp: Any) -> Obj:
        obj: Obj = {
            "apiVersion": API_VERSION,
            "kind": "PriorityClass",
            "metadata": {"name": self.name, "uid": self.uid, "creationTimestamp": timestamp(self.created)},
            "value": self.value,
            "preemptionPolicy": self.policy,
        }
        if self.global_default:
            obj["globalDefault"] = True
        if self.description:
            obj["description"] = self.description
        return obj


class PriorityClasses:
    """The cluster's PriorityClasses and the Priority admission plugin's resolution of pod priorities."""

    def __init__(self) -> None:
        self.classes: dict[str, PriorityClass] = {}

    def apply(self, pc: PriorityClass) -> None:
        """Create or update; a second global default or a changed value is Forbidden (as the API does)."""
        old = self.classes.get(pc.name)
        kind = f'PriorityClass.scheduling.k8s.io "{pc.name}"'
        if old is not None and old.value != pc.value:
            raise InvalidObject(f"{kind} is invalid: value: Forbidden: may not be changed in an update.")
        if old is not None and old.policy != pc.policy:
            raise InvalidObject(
                f"{kind} is invalid: preemptionPolicy: Forbidden: may not be changed in an update."
            )
        if pc.global_default:
            # admission.go validatePriorityClass: only one default may exist.
            current = self.default()
            if current is not None and current.name != pc.name:
                raise InvalidObject(
                    f'priorityclasses.scheduling.k8s.io "{pc.name}" is forbidden: PriorityClass '
                    f"{current.name} is already marked as default. Only one default can exist"
                )
        if old is not None:
            pc.uid, pc.created = old.uid, old.created
        self.classes[pc.name] = pc

    def delete(self, name: str) -> bool:
        return self.classes.pop(name, None) is not None

    def drop_prefix(self, prefix: str) -> None:
        """The run under ``prefix`` is torn down: its SimulationRoot garbage-collects the classes it made."""
        self.classes = {n: c for n, c in self.classes.items() if c.prefix != prefix}

    def default(self) -> PriorityClass | None:
        """getDefaultPriorityClass: the global default with the lowest value."""
        found = None
        for pc in self.classes.values():
            if pc.global_default and (found is None or pc.value < found.value):
                found = pc
        return found

    def resolve(self, spec: Obj) -> Resolved | str:
        """The pod's priority as admitPod sets it, or the Forbidden reason (without the pod's name)."""
        name = spec.get("priorityClassName") or ""
        if not isinstance(name, str):
            name = str(name)
        if not name:
            pc = self.default()
            if pc is None:
                resolved = DEFAULT
            else:
                resolved = Resolved(pc.value, pc.policy, pc.name, True)
        elif name in SYSTEM_CLASSES:
            resolved = Resolved(SYSTEM_CLASSES[name], PREEMPT_LOWER, name, True)
        else:
            pc = self.classes.get(name)
            if pc is None:
                return f"no PriorityClass with name {name} was found"
            resolved = Resolved(pc.value, pc.policy, pc.name, True)
        stated = spec.get("priority")
        if stated is not None and stated != resolved.priority:
            return (
                f"the integer value of priority ({stated}) must not be provided in pod spec; priority "
                f"admission controller computed {resolved.priority} from the given PriorityClass name"
            )
        policy = spec.get("preemptionPolicy")
        if policy is not None and policy != resolved.policy:
            # getDefaultPriority computes PreemptLowerPriority even without a class, so a pod that states
            # Never without a class saying so is refused too.
            return (
                f"the string value of PreemptionPolicy ({policy}) must not be provided in pod spec; priority "
                f"admission controller computed {resolved.policy} from the given PriorityClass name"
            )
        if not resolved.shown and (stated is not None or policy is not None):
            resolved = Resolved(resolved.priority, resolved.policy, "", True)
        return resolved

    def system_objects(self, timestamp: Any) -> list[Obj]:
        """The two bootstrap classes, as ``kubectl get priorityclass`` lists them."""
        out = []
        for name, value in SYSTEM_CLASSES.items():
            pc = PriorityClass(
                {"metadata": {"name": name}, "value": value}, uid=f"system-{value}", created=0.0, prefix=""
            )
            out.append(pc.to_api(timestamp))
        return out
