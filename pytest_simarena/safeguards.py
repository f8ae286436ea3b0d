"""Safeguards: hard caps and floors that an action may never push a workload across.

One place holds every bound (per container cpu and memory, per workload replicas), so the CLI, the
episode loop and the plugin all judge actions the same way. An action that would cross a bound is
*blocked*, never clamped: the trace stays unchanged and the verdict names the bound, the value the action
would reach and the object, e.g. ``bump_cpu blocked: default/web container web cpu would be 16500m, cap
is 16``. Blocking is a result, not an exception.

A bound is only enforced against movement *away* from the safe range: a container already at 20 cpu may
still be reduced to 19.5 cpu, otherwise a trace that starts over a cap could never be repaired step by step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import QuantityError, SimArenaError, UnknownNameError
from .quantities import format_cpu, format_memory, parse_cpu, parse_memory

RESOURCES = ("cpu", "memory", "replicas")


class SafeguardsError(SimArenaError, ValueError):
    """A safeguards configuration is malformed (bad quantity, floor above cap, negative replicas)."""


def format_value(resource: str, value: int) -> str:
    """A value in a resource's unit, as Kubernetes prints it: millicores, bytes or a replica count."""
    if resource == "cpu":
        return format_cpu(value)
    if resource == "memory":
        return format_memory(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class Proposal:
    """One value an action would write, in the resource's unit (millicores, bytes, replicas).

    ``after`` is None when the action removes the field; ``before`` is None when the field was absent.
    """

    workload: str
    container: str | None
    resource: str
    field: str
    before: int | None
    after: int | None

    def subject(self) -> str:
        """``default/web container web cpu limit`` / ``default/web replicas``, for messages."""
        if self.container is None:
            return f"{self.workload} {self.resource}"
        # A limit is named as such; a request is "the container's cpu", the way the issue words it.
        which = " limit" if ".limits." in self.field else ""
        return f"{self.workload} container {self.container} {self.resource}{which}"


@dataclass(frozen=True, slots=True)
class Violation:
    """A proposal that would cross a cap (``bound="cap"``) or a floor (``bound="floor"``)."""

    proposal: Proposal
    bound: str
    limit: int

    def describe(self) -> str:
        """``default/web container web cpu would be 16500m, cap is 16``."""
        p = self.proposal
        assert p.after is not None  # removals are never judged
        would = format_value(p.resource, p.after)
        return f"{p.subject()} would be {would}, {self.bound} is {format_value(p.resource, self.limit)}"

    def to_dict(self) -> dict[str, Any]:
        p = self.proposal
        return {
            "workload": p.workload,
            "container": p.container,
            "field": p.field,
            "resource": p.resource,
            "bound": self.bound,
            "limit": format_value(p.resource, self.limit),
            "value": None if p.after is None else format_value(p.resource, p.after),
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the safeguards say about an action: allowed, or blocked with every violation named."""

    allowed: bool
    action_type: str
    violations: tuple[Violation, ...] = ()
    message: str = ""

    @property
    def blocked(self) -> bool:
        return not self.allowed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for episode logs."""
        return {
            "allowed": self.allowed,
            "actionType": self.action_type,
            "violations": [v.to_dict() for v in self.violations],
            "message": self.message,
        }


_FIELDS = ("max_cpu", "max_memory", "max_replicas", "min_cpu", "min_memory", "min_replicas")


@dataclass(frozen=True, slots=True)
class Safeguards:
    """Hard bounds per container (cpu, memory) and per workload (replicas); None disables a bound.

    Quantities are Kubernetes quantity strings (``"16"``, ``"32Gi"``); replica bounds are ints.
    """

    max_cpu: str | None = "16"
    max_memory: str | None = "32Gi"
    max_replicas: int | None = 100
    min_cpu: str | None = "1m"
    min_memory: str | None = "4Mi"
    min_replicas: int | None = 0
    # Parsed bounds, (floor, cap) per resource in its unit; filled by __post_init__.
    _bounds: dict[str, tuple[int | None, int | None]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        bounds = {
            "cpu": (self._parse("min_cpu", parse_cpu), self._parse("max_cpu", parse_cpu)),
            "memory": (self._parse("min_memory", parse_memory), self._parse("max_memory", parse_memory)),
            "replicas": (self._replicas("min_replicas"), self._replicas("max_replicas")),
        }
        for resource, (low, high) in bounds.items():
            if low is not None and high is not None and low > high:
                raise SafeguardsError(
                    f"safeguards: min_{resource} ({format_value(resource, low)}) is above "
                    f"max_{resource} ({format_value(resource, high)})"
                )
        self._bounds.update(bounds)

    def _parse(self, name: str, parse: Any) -> int | None:
        raw = getattr(self, name)
        if raw is None:
            return None
        try:
            value: int = parse(raw)
        except QuantityError as exc:
            raise SafeguardsError(f"safeguards: {name}: {raw!r}: {exc}") from None
        if value < 0:
            raise SafeguardsError(f"safeguards: {name}: {raw!r}: must be greater than or equal to 0")
        return value

    def _replicas(self, name: str) -> int | None:
        raw = getattr(self, name)
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise SafeguardsError(f"safeguards: {name}: {raw!r}: must be a whole number >= 0")
        return raw

    def bounds(self, resource: str) -> tuple[int | None, int | None]:
        """``(floor, cap)`` of ``resource`` (cpu millicores, memory bytes, replicas); None = unbounded."""
        return self._bounds[resource]

    def violation(self, proposal: Proposal) -> Violation | None:
        """The bound ``proposal`` would cross, if any.

        Only movement away from the safe range counts: a value already beyond a bound may move toward it.
        """
        after, before = proposal.after, proposal.before
        if after is None:
            return None
        floor, cap = self.bounds(proposal.resource)
        if cap is not None and after > cap and (before is None or after > before):
            return Violation(proposal, "cap", cap)
        if floor is not None and after < floor and (before is None or after < before):
            return Violation(proposal, "floor", floor)
        return None

    def judge(self, action_type: str, proposals: Iterable[Proposal]) -> Verdict:
        """The verdict on the values an action would write.

        Several versions of a workload may propose values for the same field; only the worst one is named.
        """
        worst: dict[tuple[str, str | None, str, str], Violation] = {}
        for proposal in proposals:
            found = self.violation(proposal)
            if found is None:
                continue
            key = (proposal.workload, proposal.container, proposal.field, found.bound)
            held = worst.get(key)
            assert found.proposal.after is not None
            if held is None or _further(found, held):
                worst[key] = found
        if not worst:
            return Verdict(True, action_type, (), f"{action_type} allowed by the safeguards")
        violations = tuple(worst.values())
        message = f"{action_type} blocked: " + "; ".join(v.describe() for v in violations)
        return Verdict(False, action_type, violations, message)

    def to_dict(self) -> dict[str, Any]:
        """The configuration, in the snake_case keys :meth:`from_mapping` reads."""
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Safeguards:
        """Safeguards from a config mapping; missing keys keep their defaults.

        Keys may be snake_case (``max_cpu``), camelCase (``maxCpu``) or kebab-case (``max-cpu``); values
        are quantities (strings or numbers) for cpu and memory, whole numbers for replicas, null for none.
        """
        if not isinstance(data, Mapping):
            raise SafeguardsError(f"safeguards: expected a mapping, got {type(data).__name__}")
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            name = _snake(str(key))
            if name not in _FIELDS:
                raise UnknownNameError("safeguard", str(key), _FIELDS)
            if value is None:
                kwargs[name] = None
            elif name.endswith("replicas"):
                kwargs[name] = _whole(name, value)
            elif isinstance(value, bool) or not isinstance(value, str | int | float):
                raise SafeguardsError(f"safeguards: {name}: {value!r}: must be a Kubernetes quantity")
            else:
                kwargs[name] = str(value)
        return cls(**kwargs)


def _further(a: Violation, b: Violation) -> bool:
    """Whether ``a`` lies further beyond its bound than ``b`` (same field and bound)."""
    assert a.proposal.after is not None and b.proposal.after is not None
    if a.bound == "cap":
        return a.proposal.after > b.proposal.after
    return a.proposal.after < b.proposal.after


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).replace("-", "_").lower()


def _whole(name: str, value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise SafeguardsError(f"safeguards: {name}: {value!r}: must be a whole number >= 0")


DEFAULT_SAFEGUARDS = Safeguards()
# Named profiles. "seed": the seed team's floors (runner/safeguards.py: 50m cpu, 64Mi memory, 1 replica)
# with the same caps; kept for its users' experiments, ours stay the default.
SAFEGUARD_PROFILES: dict[str, Safeguards] = {
    "default": DEFAULT_SAFEGUARDS,
    "seed": Safeguards(min_cpu="50m", min_memory="64Mi", min_replicas=1),
}


def safeguards_profile(name: str) -> Safeguards:
    """The safeguards profile called ``name`` (``default`` or ``seed``); UnknownNameError otherwise."""
    if name not in SAFEGUARD_PROFILES:
        raise UnknownNameError("safeguards profile", name, SAFEGUARD_PROFILES)
    return SAFEGUARD_PROFILES[name]
