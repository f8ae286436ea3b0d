"""Rewards: a number per step, from the step's observation and what happened to the action.

A reward is any callable ``reward(observation, outcome) -> float`` with a ``name``; the built-ins are
``binary``, ``shaped``, ``penalty``, ``cost_aware``, ``fit`` and ``fit_cost`` (formulas and worked numbers in
docs/rewards.md), plus the seed team's ``scale``, ``max_punish`` and ``cost_aware_v2`` (rewards_seed.py).
Users add their own by import path (``mypkg.rewards:my_reward``) like policies.

>>> make_reward("binary").name
'binary'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import rewards_seed
from .errors import SimArenaError, UnknownNameError
from .reward_types import Reward as Reward
from .reward_types import StepOutcome as StepOutcome

if TYPE_CHECKING:
    from .episode.observation import Observation


def _target(obs: Observation) -> int:
    return max(obs.target, 1)


def binary(obs: Observation, outcome: StepOutcome) -> float:
    """1 iff ready == target, total == target and pending == 0, else 0."""
    return 1.0 if obs.healthy else 0.0


def shaped(obs: Observation, outcome: StepOutcome) -> float:
    """1 - |ready - target|/T - 0.5 pending/T - 0.5 |total - target|/T, with T = max(target, 1).

    It is 1 exactly when the workload is healthy and falls with each missing, pending or extra pod.
    """
    t = _target(obs)
    return (
        1.0 - abs(obs.ready - obs.target) / t - 0.5 * obs.pending / t - 0.5 * abs(obs.total - obs.target) / t
    )


STEP_COST = 0.05
BLOCKED_COST = 0.5
UNFIT_COST = 0.25
OVER_USAGE_COST = 0.1


def penalty(obs: Observation, outcome: StepOutcome) -> float:
    """binary - 0.05 per step - 0.5 if blocked - 0.25 per resource whose pod request fits no node
    - 0.1 per container resource requested above twice its declared usage."""
    value = binary(obs, outcome) - STEP_COST
    if outcome.blocked:
        value -= BLOCKED_COST
    largest = obs.node_allocatable
    if largest is not None:
        value -= UNFIT_COST * sum(
            1
            for resource, room in (("cpu", largest.cpu), ("memory", largest.memory))
            if obs.pod_request(resource) > room
        )
    over = 0
    for c in obs.containers:
        if c.cpu_usage is not None and c.effective_cpu_request > 2 * c.cpu_usage:
            over += 1
        if c.memory_usage is not None and c.effective_memory_request > 2 * c.memory_usage:
            over += 1
    return value - OVER_USAGE_COST * over


def cost_aware(obs: Observation, outcome: StepOutcome) -> float:
    """Health first, then cost. Healthy: 1 - 0.5 x cost, where cost is the mean over cpu and memory of
    (target x pod request) / cluster allocatable, capped at 1; so a healthy step scores in [0.5, 1].
    Unhealthy: shaped - 1 (always below 0, hence below any healthy step)."""
    if not obs.healthy:
        return shaped(obs, outcome) - 1.0
    cpu_total = sum(n.cpu for n in obs.nodes)
    mem_total = sum(n.memory for n in obs.nodes)
    if cpu_total <= 0 or mem_total <= 0:
        return 1.0
    cpu_frac = min(1.0, obs.target * obs.pod_request("cpu") / cpu_total)
    mem_frac = min(1.0, obs.target * obs.pod_request("memory") / mem_total)
    return 1.0 - 0.5 * (cpu_frac + mem_frac) / 2


FIT_BASE = 0.1
FIT_DISTANCE = 0.3
FIT_READY = 0.2
FIT_BLOCKED = 0.1
FIT_WASTE = 0.5


def fit(obs: Observation, outcome: StepOutcome) -> float:
    """Shaped toward a fit: 1 when healthy; else -(0.1 + 0.3 D + 0.2 (1 - min(ready, T)/T)) and -0.1 more
    when the action was blocked. D (``episode.fit.distance_to_fit``, 0..4) measures how far the requests
    are over the room that fits, how far memory usage is over its limit and how far replicas are off, so
    every step toward a fit raises the reward before the pods run."""
    if obs.healthy:
        return 1.0
    from .episode.fit import distance_to_fit

    t = _target(obs)
    value = -(FIT_BASE + FIT_DISTANCE * distance_to_fit(obs) + FIT_READY * (1 - min(obs.ready, t) / t))
    return value - (FIT_BLOCKED if outcome.blocked else 0.0)


def fit_cost(obs: Observation, outcome: StepOutcome) -> float:
    """``fit``, cost-aware: a healthy step scores 1 - 0.5 x waste, where waste (0..1) is the mean over cpu
    and memory of log2(request / declared usage) / 4 (``episode.fit.waste``); unhealthy as ``fit``."""
    if not obs.healthy:
        return fit(obs, outcome)
    from .episode.fit import waste

    return 1.0 - FIT_WASTE * waste(obs)


class _Named:
    """A reward function with a ``name`` (functions get theirs from the registry key)."""

    def __init__(self, fn: Callable[[Observation, StepOutcome], float], name: str) -> None:
        self._fn = fn
        self.name = name
        self.__doc__ = fn.__doc__

    def __call__(self, observation: Observation, outcome: StepOutcome) -> float:
        return float(self._fn(observation, outcome))


BUILTIN_REWARDS: dict[str, Callable[[Observation, StepOutcome], float]] = {
    "binary": binary,
    "shaped": shaped,
    "penalty": penalty,
    "cost_aware": cost_aware,
    "fit": fit,
    "fit_cost": fit_cost,
    "scale": rewards_seed.scale,
    "max_punish": rewards_seed.max_punish,
    "cost_aware_v2": rewards_seed.CostAwareV2(),  # an object: it keeps its breakdown() for the env
}


def available_rewards() -> list[str]:
    """The built-in reward names, sorted."""
    return sorted(BUILTIN_REWARDS)


def make_reward(name: str | Reward | Callable[[Observation, StepOutcome], float]) -> Reward:
    """The reward called ``name`` (built-in or ``module:attribute``); callables are named and returned."""
    if not isinstance(name, str):
        if isinstance(getattr(name, "name", None), str):
            return name  # type: ignore[return-value]
        return _Named(name, getattr(name, "__name__", "custom"))
    if name in BUILTIN_REWARDS:
        builtin = BUILTIN_REWARDS[name]
        if isinstance(getattr(builtin, "name", None), str):
            return builtin  # type: ignore[return-value]
        return _Named(builtin, name)
    if ":" in name:
        from .loading import load_object

        obj: Any = load_object(name, what="reward")
        if isinstance(obj, type):
            obj = obj()
        if not callable(obj):
            raise SimArenaError(
                f"reward {name!r} is not callable: it must be reward(observation, outcome) -> float"
            )
        return _Named(obj, name)
    raise UnknownNameError("reward", name, available_rewards())
