"""The learning action spaces, chosen by name; each maps an index (or index vector) to ONE Action.

Every action goes through :func:`pytest_simarena.actions.apply_action`, so the safeguards judge it like
any policy's: an action that would cross a cap or floor is *blocked* (the trace stays as it was) and the
next observation says so (feature ``last_blocked``). Nothing is clamped.

``discrete`` (Discrete(7))
    This project's fixed steps, :mod:`pytest_simarena.policies.space` order: noop, bump_cpu, reduce_cpu,
    bump_memory, reduce_memory, scale_up, scale_down (cpu +-500m, memory +-256Mi, replicas +-1).
``seed`` (Discrete(7))
    The seed team's order (env/simkube_gymenv.py): noop, bump_cpu, bump_memory, scale_up, reduce_cpu,
    reduce_memory, scale_down, same steps: their DQN code runs against it unchanged.
``proportional`` (Discrete(14))
    noop; cpu x0.5, x0.75, x0.9, x1.25, x2; memory x0.5, x0.75, x0.9, x1.25, x2; scale_down; scale_up;
    replicas := target. A factor multiplies the request and the limit of one container: the largest one
    when shrinking, the one closest to its memory limit (else the largest) when growing. Any trace of
    the generated families is reachable in at most 3 resource steps plus one replica step.
``parametric`` (MultiDiscrete([3, 9]))
    (what, level): what 0 = cpu, 1 = memory (level k multiplies the request and limit by 2^((k-4)/2),
    x0.25 .. x4, container chosen as above), 2 = replicas (level k sets replicas to max(0, target + k - 4)).
    Level 4 of a resource is a noop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import ActionError, UnknownNameError
from pytest_simarena.policies.builtin import make_action
from pytest_simarena.policies.space import DISCRETE_ACTIONS, SEED_ORDER
from pytest_simarena.quantities import format_cpu, format_memory

if TYPE_CHECKING:
    from pytest_simarena.actions import Action
    from pytest_simarena.episode.observation import ContainerView, Observation

FACTORS = (0.5, 0.75, 0.9, 1.25, 2.0)
PARAMETRIC_LEVELS = 9


def _request_limit(c: ContainerView, resource: str) -> tuple[int | None, int | None]:
    if resource == "cpu":
        return c.cpu_request, c.cpu_limit
    return c.memory_request, c.memory_limit


def _pick_container(obs: Observation, resource: str, factor: float) -> ContainerView | None:
    """The container a factor applies to: the largest when shrinking; when growing memory, the one whose
    usage is closest to (or over) its limit, else the largest."""
    sized = [c for c in obs.containers if any(v for v in _request_limit(c, resource))]
    if not sized:
        return None

    def size(c: ContainerView) -> int:
        return c.effective_cpu_request if resource == "cpu" else c.effective_memory_request

    if factor > 1 and resource == "memory":
        pressed = [c for c in sized if c.memory_limit and c.memory_usage is not None]
        if pressed:
            return max(
                pressed, key=lambda c: ((c.memory_usage or 0) / (c.memory_limit or 1), size(c), c.name)
            )
    return max(sized, key=lambda c: (size(c), c.name))


def scale_resource(obs: Observation, resource: str, factor: float) -> Action:
    """``set_resources`` multiplying one container's ``resource`` request and limit by ``factor``
    (rounded up to whole millicores / Mi); a noop when no container declares the resource."""
    c = _pick_container(obs, resource, factor)
    if c is None or factor == 1:
        return make_action(obs, "noop")
    request, limit = _request_limit(c, resource)
    unit = 1 if resource == "cpu" else 1024 * 1024
    fmt = format_cpu if resource == "cpu" else format_memory

    def scaled(value: int) -> str:
        return fmt(max(unit, math.ceil(value * factor / unit) * unit))

    fields: dict[str, Any] = {"container": c.name}
    if request is not None:
        fields["requests"] = {resource: scaled(request)}
    if limit is not None:
        fields["limits"] = {resource: scaled(limit)}
    return make_action(obs, "set_resources", **fields)


def _set_replicas(obs: Observation, replicas: int) -> Action:
    return make_action(obs, "set_replicas", replicas=max(0, replicas))


def _proportional() -> list[Callable[[Observation], Action]]:
    table: list[Callable[[Observation], Action]] = [lambda o: make_action(o, "noop")]
    for resource in ("cpu", "memory"):
        table.extend(lambda o, r=resource, f=f: scale_resource(o, r, f) for f in FACTORS)  # type: ignore[misc]
    table.append(lambda o: make_action(o, "scale_down"))
    table.append(lambda o: make_action(o, "scale_up"))
    table.append(lambda o: _set_replicas(o, o.target))
    return table


_PROPORTIONAL = _proportional()


@dataclass(frozen=True, slots=True)
class ActionSpaceSpec:
    """A named action space: its shape (``n`` for Discrete, ``nvec`` for MultiDiscrete) and decoder."""

    name: str
    n: int | None = None
    nvec: tuple[int, ...] | None = None
    labels: tuple[str, ...] = ()

    def decode(self, action: Any, obs: Observation) -> Action:
        """The Action for ``action`` (an int, or a sequence for MultiDiscrete) in the state ``obs``."""
        return self.decode_key(self.key(action), obs)

    def key(self, action: Any) -> int | tuple[int, ...]:
        """``action`` checked against the space: its index, or its tuple of values for MultiDiscrete."""
        if self.nvec is not None:
            return _int_vector(action, self.nvec, self.name)
        if type(action) is int and 0 <= action < (self.n or 0):
            return action
        return _int_index(action, self.n or 0, self.name)

    def decode_key(self, key: int | tuple[int, ...], obs: Observation) -> Action:
        """The Action for a checked :meth:`key` in the state ``obs``."""
        if isinstance(key, tuple):
            return _decode_parametric(key, obs)
        if self.name == "discrete":
            return make_action(obs, DISCRETE_ACTIONS[key])
        if self.name == "seed":
            return make_action(obs, SEED_ORDER[key])
        return _PROPORTIONAL[key](obs)

    @property
    def plain(self) -> bool:
        """Each action of the space reads only the observation's workload (no containers, no target)."""
        return self.name in ("discrete", "seed")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "n": self.n, "nvec": list(self.nvec) if self.nvec else None}


def _int_index(action: Any, n: int, name: str) -> int:
    try:
        index = int(action)
    except (TypeError, ValueError):
        raise ActionError(f"action space {name!r}: action={action!r} is not an integer") from None
    if index != action or not 0 <= index < n:
        raise ActionError(f"action space {name!r}: action={action!r} is out of range: expected 0..{n - 1}")
    return index


def _int_vector(action: Any, nvec: tuple[int, ...], name: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in action)
    except (TypeError, ValueError):
        raise ActionError(f"action space {name!r}: action={action!r} is not a vector of integers") from None
    if len(values) != len(nvec) or any(not 0 <= v < n for v, n in zip(values, nvec, strict=True)):
        raise ActionError(
            f"action space {name!r}: action={action!r}: expected {len(nvec)} values < {list(nvec)}"
        )
    return values


def _decode_parametric(values: Sequence[int], obs: Observation) -> Action:
    what, level = values
    if what == 2:
        return _set_replicas(obs, obs.target + level - (PARAMETRIC_LEVELS // 2))
    factor = 2.0 ** ((level - PARAMETRIC_LEVELS // 2) / 2)
    return scale_resource(obs, "cpu" if what == 0 else "memory", factor)


ACTION_SPACES: dict[str, ActionSpaceSpec] = {
    "discrete": ActionSpaceSpec("discrete", n=len(DISCRETE_ACTIONS), labels=DISCRETE_ACTIONS),
    "seed": ActionSpaceSpec("seed", n=len(SEED_ORDER), labels=SEED_ORDER),
    "proportional": ActionSpaceSpec(
        "proportional",
        n=len(_PROPORTIONAL),
        labels=(
            "noop",
            *(f"{r} x{f:g}" for r in ("cpu", "memory") for f in FACTORS),
            "scale_down",
            "scale_up",
            "replicas := target",
        ),
    ),
    "parametric": ActionSpaceSpec("parametric", nvec=(3, PARAMETRIC_LEVELS)),
}


def action_space_spec(name: str) -> ActionSpaceSpec:
    """The action space called ``name``; UnknownNameError with a did-you-mean otherwise."""
    if name not in ACTION_SPACES:
        raise UnknownNameError("action space", name, sorted(ACTION_SPACES))
    return ACTION_SPACES[name]
