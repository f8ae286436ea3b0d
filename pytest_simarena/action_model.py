"""The Action value type: what a policy asks for, validated and normalized when it is built.

:class:`Action` names an action type (``ACTION_TYPES``), a workload and the step or values; a malformed one
raises ActionError at construction, with a did-you-mean for types and keys. ``Action.from_dict``/``to_dict``
are its JSON form. Quantities are read exactly (a Fraction in millicores or bytes); the semantics of applying
an action live in :mod:`pytest_simarena.actions`, which re-exports everything public here.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .errors import ActionError, QuantityError
from .quantities import format_cpu, format_memory, parse_quantity
from .trace.model import WorkloadRef

ACTION_TYPES = (
    "noop",
    "bump_cpu",
    "reduce_cpu",
    "bump_memory",
    "reduce_memory",
    "scale_up",
    "scale_down",
    "set_resources",
    "set_replicas",
)
RESOURCE_ACTIONS = {
    "bump_cpu": ("cpu", 1),
    "reduce_cpu": ("cpu", -1),
    "bump_memory": ("memory", 1),
    "reduce_memory": ("memory", -1),
}
SCALE_ACTIONS = {"scale_up": 1, "scale_down": -1}
DEFAULT_STEPS: dict[str, str | int] = {"cpu": "500m", "memory": "256Mi", "replicas": 1}

# Kinds whose spec.replicas the API defaults to 1 when absent (kubernetes notes 6.1 for Deployment;
# StatefulSet and ReplicaSet share the default).
SCALABLE_KINDS = ("Deployment", "StatefulSet", "ReplicaSet")

# kubectl's names and short names for the built-in kinds with a pod template.
_KIND_ALIASES = {
    alias: kind
    for kind, aliases in {
        "Deployment": ("deployment", "deployments", "deploy"),
        "StatefulSet": ("statefulset", "statefulsets", "sts"),
        "ReplicaSet": ("replicaset", "replicasets", "rs"),
        "DaemonSet": ("daemonset", "daemonsets", "ds"),
        "Job": ("job", "jobs"),
        "CronJob": ("cronjob", "cronjobs", "cj"),
        "Pod": ("pod", "pods", "po"),
    }.items()
    for alias in aliases
}
# A quantity's value in the resource's unit: millicores for cpu, bytes for memory. Kept exact (Fraction)
# so arithmetic never rounds a spelled value ("0.5m" + 500m - 500m is "0.5m" again, not "1m").
_UNIT_SCALE = {"cpu": 1000, "memory": 1}
_FORMATTERS = {"cpu": format_cpu, "memory": format_memory}
_UNSET: Any = object()
# The fields of an Action's JSON form, in the order to_dict writes them.
_ACTION_KEYS = (
    "type",
    "workload",
    "namespace",
    "kind",
    "container",
    "amount",
    "requests",
    "limits",
    "replicas",
)

QuantityLike = str | int | float
ResourceSpec = Mapping[str, QuantityLike | None]


def _fail(action_type: str, problem: str) -> ActionError:
    return ActionError(f"{action_type}: {problem}")


def _normalize_type(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ActionError(f"action type must be a string, got {raw!r}")
    name = raw.strip().lower().replace("-", "_")
    if name in ACTION_TYPES:
        return name
    close = difflib.get_close_matches(name, ACTION_TYPES, n=2)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ActionError(f"unknown action type {raw!r}.{hint} Known: {', '.join(ACTION_TYPES)}")


@functools.lru_cache(maxsize=1024, typed=True)  # typed: True must not hit 1's entry
def _unit_value(resource: str, raw: Any) -> Fraction:
    """The exact value of quantity ``raw`` in ``resource``'s unit; raises QuantityError.
    (Memoized: policies build the same actions again and again, and a Fraction is immutable.)"""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise QuantityError(f"{raw!r} is not a Kubernetes quantity")
    return parse_quantity(raw) * _UNIT_SCALE[resource]


def _counted(value: Fraction | int | None) -> int | None:
    """What the scheduler counts for an exact value: ``MilliValue()``/``Value()`` round up, away from 0."""
    if value is None:
        return None
    return math.ceil(value) if value >= 0 else math.floor(value)


def _quantity(action_type: str, what: str, resource: str, raw: Any) -> Fraction:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _fail(action_type, f"{what} {raw!r} is not a Kubernetes quantity")
    try:
        return _unit_value(resource, raw)
    except QuantityError as exc:
        raise _fail(action_type, f"{what}: {exc}") from None


def _whole(action_type: str, what: str, raw: Any) -> int:
    if isinstance(raw, str) and raw.strip().lstrip("+-").isdigit():
        return int(raw.strip())
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    raise _fail(action_type, f"{what} {raw!r} must be a whole number")


@dataclass(frozen=True, slots=True)
class Action:
    """One edit of one workload. Malformed actions raise ActionError when built.

    ``amount`` is the step of bump/reduce (a quantity; a bare number is cores for cpu and bytes for
    memory, as in Kubernetes) or of scale_up/scale_down (replicas); None uses DEFAULT_STEPS.
    ``kind`` accepts kubectl names (``deploy``, ``sts``, ``cj``...); None matches any kind.
    """

    type: str
    workload: str = ""
    namespace: str | None = None
    kind: str | None = "Deployment"
    container: str | None = None
    amount: QuantityLike | None = None
    requests: ResourceSpec | None = None
    limits: ResourceSpec | None = None
    replicas: int | None = None
    # The step in its unit (millicores, bytes, replicas), computed from amount.
    _step: int = field(default=0, init=False, repr=False, compare=False)
    # The exact bump/reduce step (``_step`` is it rounded up, as the scheduler counts it).
    _delta: Fraction = field(default=Fraction(0), init=False, repr=False, compare=False)
    # set_resources values in their unit, per resource: {"cpu": (request, limit)}; _UNSET = not given.
    _targets: dict[str, tuple[Any, Any]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        action_type = _normalize_type(self.type)
        object.__setattr__(self, "type", action_type)
        if isinstance(self.workload, WorkloadRef):
            # A policy may pass ``observation.workload`` as it is: it names the namespace and kind too.
            ref = self.workload
            object.__setattr__(self, "workload", ref.name)
            if self.namespace is None:
                object.__setattr__(self, "namespace", ref.namespace)
            object.__setattr__(self, "kind", ref.kind)
        if self.kind is not None:
            if not isinstance(self.kind, str):
                raise _fail(action_type, f"kind must be a string, got {self.kind!r}")
            kind = self.kind.strip()
            # "" and "*" mean any kind; kubectl's names and short names map to the kind.
            object.__setattr__(
                self, "kind", _KIND_ALIASES.get(kind.lower(), kind) if kind not in ("", "*") else None
            )
        if action_type != "noop" and (not isinstance(self.workload, str) or not self.workload):
            raise _fail(action_type, "needs a workload name")
        allowed = {"amount"} if action_type in RESOURCE_ACTIONS or action_type in SCALE_ACTIONS else set()
        allowed |= {"requests", "limits"} if action_type == "set_resources" else set()
        allowed |= {"replicas"} if action_type == "set_replicas" else set()
        for name in ("amount", "requests", "limits", "replicas"):
            if getattr(self, name) is not None and name not in allowed:
                takes = ", ".join(sorted(allowed)) or "no parameters"
                raise _fail(action_type, f"does not take {name} (takes {takes})")
        if action_type in RESOURCE_ACTIONS:
            resource = RESOURCE_ACTIONS[action_type][0]
            raw = DEFAULT_STEPS[resource] if self.amount is None else self.amount
            exact = _quantity(action_type, "amount", resource, raw)
            if exact <= 0:
                raise _fail(action_type, f"amount {raw!r} must be greater than 0")
            object.__setattr__(self, "_step", _counted(exact))
            object.__setattr__(self, "_delta", exact)
        elif action_type in SCALE_ACTIONS:
            step = _whole(
                action_type, "amount", DEFAULT_STEPS["replicas"] if self.amount is None else self.amount
            )
            if step <= 0:
                raise _fail(action_type, f"amount {self.amount!r} must be greater than 0")
            object.__setattr__(self, "_step", step)
        elif action_type == "set_replicas":
            if self.replicas is None:
                raise _fail(action_type, "needs replicas")
            count = _whole(action_type, "replicas", self.replicas)
            if count < 0:
                raise _fail(action_type, f"replicas {self.replicas!r} must be greater than or equal to 0")
            object.__setattr__(self, "replicas", count)
            object.__setattr__(self, "_step", count)
        elif action_type == "set_resources":
            self._parse_targets(action_type)

    def _parse_targets(self, action_type: str) -> None:
        targets: dict[str, list[Any]] = {}
        for which, spec in (("requests", self.requests), ("limits", self.limits)):
            if spec is None:
                continue
            if not isinstance(spec, Mapping):
                raise _fail(action_type, f"{which} must be a mapping like {{'cpu': '500m'}}, got {spec!r}")
            object.__setattr__(
                self, which, dict(spec)
            )  # a private copy: later edits by the caller don't leak
            for resource, raw in spec.items():
                if resource not in _UNIT_SCALE:
                    raise _fail(action_type, f"{which}.{resource}: only cpu and memory can be set")
                value = None if raw is None else _quantity(action_type, f"{which}.{resource}", resource, raw)
                if value is not None and value < 0:
                    raise _fail(action_type, f"{which}.{resource}: must be greater than or equal to 0")
                targets.setdefault(resource, [_UNSET, _UNSET])[0 if which == "requests" else 1] = value
        if not targets:
            raise _fail(action_type, "needs requests and/or limits")
        for resource, (request, limit) in targets.items():
            if isinstance(request, Fraction) and isinstance(limit, Fraction) and request > limit:
                # The API would reject it: kubernetes notes 2.3.
                raise _fail(
                    action_type,
                    f"requests.{resource} {_FORMATTERS[resource](request)} must be less than or equal to "
                    f"{resource} limit of {_FORMATTERS[resource](limit)}",
                )
        self._targets.update({r: (t[0], t[1]) for r, t in targets.items()})

    @property
    def step(self) -> int:
        """The step of bump/reduce/scale (millicores, bytes or replicas), or the set_replicas count."""
        return self._step

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready camelCase form (None fields left out); ``Action.from_dict`` reads it back."""
        out: dict[str, Any] = {"type": self.type}
        for name in _ACTION_KEYS[1:]:
            value = getattr(self, name)
            if value is not None and value != "":
                out[name] = dict(value) if isinstance(value, Mapping) else value
        if self.kind is None:
            out["kind"] = "*"
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Action:
        """An action from its JSON form (``{"type": "bump_cpu", "workload": "web", "amount": "1"}``)."""
        if not isinstance(data, Mapping):
            raise ActionError(f"an action must be a mapping, got {type(data).__name__}")
        for key in data:
            if key not in _ACTION_KEYS:
                close = difflib.get_close_matches(str(key), _ACTION_KEYS, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ActionError(f"action: unknown key {key!r}.{hint} Known: {', '.join(_ACTION_KEYS)}")
        if "type" not in data:
            raise ActionError(f"action: missing 'type' (one of {', '.join(ACTION_TYPES)})")
        kwargs = dict(data)
        for key in ("workload", "namespace", "kind", "container"):
            if kwargs.get(key) is not None and not isinstance(kwargs[key], str):
                raise ActionError(f"action: {key} must be a string, got {kwargs[key]!r}")
        return cls(**kwargs)

    def __str__(self) -> str:
        parts = [self.type]
        if self.type != "noop":
            where = f"{self.namespace}/{self.workload}" if self.namespace else self.workload
            parts.append(f"{self.kind or '*'} {where}")
        if self.container:
            parts.append(f"container={self.container}")
        for name in ("amount", "requests", "limits", "replicas"):
            if getattr(self, name) is not None:
                parts.append(f"{name}={getattr(self, name)}")
        return " ".join(parts)
