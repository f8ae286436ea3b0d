"""How far a workload is from fitting: measures shared by the learning features and the ``fit`` rewards.

"Room" is the largest per-pod request with which ``target`` pods fit the nodes' free room
(:func:`pytest_simarena.policies.builtin.fitting_request`, the heuristic's own measure). Each measure is a
log2 ratio divided by 4, so a factor of 2 off reads 0.25 and 16x off reads 1.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .observation import Observation

V = TypeVar("V")


def log_ratio(value: float, reference: float | None) -> float:
    """log2(value / reference) / 4; 1 (far over) without a reference, -1 for a zero value."""
    if reference is None or reference <= 0:
        return 1.0
    if value <= 0:
        return -1.0
    return math.log2(value / reference) / 4.0


def by_state(
    table: dict[tuple[Any, ...], V],
    obs: Observation,
    extra: tuple[Any, ...],
    compute: Callable[[Observation], V],
    limit: int = 4096,
) -> V:
    """``compute(obs)`` remembered in ``table`` by the VALUE of ``obs``'s containers, by what the measures
    read of its nodes (:func:`_node_fields`) and by ``extra`` (the other fields ``compute`` reads); at most
    ``limit`` entries.

    A step's containers and nodes come from the step memos (one tuple per trace, one per placement), and
    many of those tuples are equal: each tuple gets a number for its value, found by its identity (one
    dict lookup; the tuple is held so its id stays its own) and by its value the first time it is seen.
    A hand-built observation (lists, not tuples) is computed afresh."""
    containers, nodes = obs.containers, obs.nodes
    if type(containers) is not tuple or type(nodes) is not tuple:
        return compute(obs)
    found = _SEEN.get(id(containers))
    c = found[1] if found is not None else _number(containers, containers)
    found = _SEEN.get(id(nodes))
    n = found[1] if found is not None else _number(nodes, ("nodes", *map(_node_fields, nodes)))
    key = (c, n, *extra)
    value = table.get(key)
    if value is None:
        if len(table) >= limit:
            table.clear()
        value = table[key] = compute(obs)
    return value


def containers_number(containers: tuple[Any, ...]) -> int:
    """A number for the value of a step's container tuple (equal tuples, one number), found by identity."""
    found = _SEEN.get(id(containers))
    return found[1] if found is not None else _number(containers, containers)


def _node_fields(node: Any) -> tuple[Any, ...]:
    """What the features and fit measures read of a node: its allocatable and what OTHER workloads request
    on it (never where the workload's own pods landed; the name only breaks ties between equal nodes)."""
    return (
        node.cpu,
        node.memory,
        node.pods,
        node.cpu_requested_by_others,
        node.memory_requested_by_others,
        node.pods_placed_by_others,
    )


# Container and node tuples by identity: (the tuple, the number of its value); numbers by value. Numbers
# are never reused, so an entry of a cleared table can never be confused with a new one.
_SEEN: dict[int, tuple[tuple[Any, ...], int]] = {}
_NUMBERS: dict[tuple[Any, ...], int] = {}
_NEXT = itertools.count()
_NUMBERS_LIMIT = 8192
# _SEEN holds its tuples alive (past their observations: ~220 B each); a tuple forgotten costs one
# numbering by value when met again, and new tuples come only with new states (~4,000 in 100,000 gym
# steps), so a small bound keeps memory flat without a measurable cost.
_SEEN_LIMIT = 2048


def _number(held: tuple[Any, ...], value: tuple[Any, ...]) -> int:
    number = _NUMBERS.get(value)
    if number is None:
        if len(_NUMBERS) >= _NUMBERS_LIMIT:
            _NUMBERS.clear()
        number = _NUMBERS[value] = next(_NEXT)
    if len(_SEEN) >= _SEEN_LIMIT:
        _SEEN.clear()
    _SEEN[id(held)] = (held, number)
    return number


# The env's features and the fit rewards ask for the measures of the same few states again and again
# (~30 us each to compute); they read containers, nodes and target only.
_MEASURES: dict[tuple[Any, ...], dict[str, float]] = {}


def fit_measures(obs: Observation) -> dict[str, float]:
    """``cpu_over_room``, ``memory_over_room``, ``oom_pressure`` (log2 of the worst memory usage / limit,
    over 4; 0 without limits) and ``capacity`` (pods of the current size that fit / target, at most 2)."""
    measures: dict[str, float] = by_state(_MEASURES, obs, (obs.target,), measure)
    return dict(measures)


def clear_memo() -> None:
    """Forget every remembered measure (benchmarks start each figure cold)."""
    _MEASURES.clear()
    _SEEN.clear()
    _NUMBERS.clear()


def measure(obs: Observation) -> dict[str, float]:
    """:func:`fit_measures` computed afresh."""
    from pytest_simarena.policies.builtin import _capacity, fitting_request

    cpu, memory = obs.pod_request("cpu"), obs.pod_request("memory")
    pressure = 0.0
    for c in obs.containers:
        if c.memory_limit and c.memory_usage is not None:
            pressure = max(pressure, math.log2(max(c.memory_usage, 1) / c.memory_limit) / 4.0)
    capacity = _capacity(obs.nodes, "cpu", cpu, memory) if obs.nodes else 0
    return {
        "cpu_over_room": log_ratio(cpu, fitting_request(obs, "cpu")) if cpu > 0 else -1.0,
        "memory_over_room": log_ratio(memory, fitting_request(obs, "memory")) if memory > 0 else -1.0,
        "oom_pressure": pressure,
        "capacity": min(2.0, capacity / max(obs.target, 1)),
    }


def distance_to_fit(obs: Observation) -> float:
    """Sum of the positive parts (each capped at 1) of cpu and memory over room, OOM pressure, and
    |desired - target| / target: 0 when every known obstacle to a healthy workload is gone."""
    m = fit_measures(obs)
    over = sum(min(1.0, max(0.0, m[k])) for k in ("cpu_over_room", "memory_over_room", "oom_pressure"))
    return over + min(1.0, abs(obs.desired - obs.target) / max(obs.target, 1))


def waste(obs: Observation) -> float:
    """Over-provisioning in [0, 1]: mean over cpu and memory of log2(request / declared usage) / 4,
    clipped to [0, 1] (0 when no usage is declared)."""
    parts = []
    for resource in ("cpu", "memory"):
        used = sum((c.cpu_usage if resource == "cpu" else c.memory_usage) or 0 for c in obs.containers)
        if used > 0:
            parts.append(min(1.0, max(0.0, log_ratio(obs.pod_request(resource), used))))
    return sum(parts) / len(parts) if parts else 0.0
