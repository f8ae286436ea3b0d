"""Built-in policies: baselines (noop, random, always bump, scale) and a rule-based heuristic.

The heuristic reads the observation as an operator would read ``kubectl describe``:

0. the object was rejected because a request exceeds its limit (k8s notes §2.3) -> raise the limit to the
   request; its pods were refused by a ResourceQuota or LimitRange -> resize them to fit (admission_fix.py);
1. more replicas than the target -> ``set_replicas`` to the target;
2. pods Pending with ``Insufficient cpu``/``Insufficient memory`` (k8s notes §1.2), or a pod larger than
   any node -> lower the over-sized request to the largest value that lets ``target`` pods fit on the
   nodes' free room (requests are what the scheduler compares, k8s notes §1.1);
3. a container OOMKilled (k8s notes §4.1) -> raise its memory limit and request (double the limit, or
   1.25 x the declared usage if that is more);
4. fewer replicas than the target and room for them -> ``set_replicas`` to the target;
5. otherwise ``noop``.

Before rule 2: pods Pending after a higher-priority Deployment preempted them (``Preempted`` events) ->
right-size that Deployment's requests to 1.25 x its declared usage (policies/preemption_fix.py).
Before rule 3: a container killed by its startup probe because its start-up work at its cpu limit takes
longer than the probe allows, or OOMKilled by a memory ramp -> raise that limit (policies/probes_fix.py).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from pytest_simarena.actions import Action
from pytest_simarena.bounded import BoundedDict
from pytest_simarena.episode.observation import ContainerView, NodeView, Observation
from pytest_simarena.quantities import format_cpu, format_memory

from .admission_fix import MI, fix_admission, fmt
from .preemption_fix import preemptor_fix
from .probes_fix import fix_memory_ramp, fix_probe_lag
from .space import DISCRETE_ACTIONS

# Plain actions (no fields) by (type, workload): an Action is immutable and building one parses and
# validates; policies ask for the same few again and again.
_PLAIN: BoundedDict[tuple[str, Any], Action] = BoundedDict(1024)


def make_action(observation: Observation, action_type: str, **fields: object) -> Action:
    """An action of ``action_type`` on the observation's workload (same namespace and kind)."""
    ref = observation.workload
    if fields:
        return Action(action_type, ref.name, namespace=ref.namespace, kind=ref.kind, **fields)  # type: ignore[arg-type]
    global _LAST_PLAIN
    last = _LAST_PLAIN
    if last[0] is ref:  # an episode asks for the same workload every step: no WorkloadRef hash (Python)
        found = last[1].get(action_type)
        if found is not None:
            return found
    found = _PLAIN.get((action_type, ref))
    if found is None:
        found = _PLAIN[(action_type, ref)] = Action(
            action_type, ref.name, namespace=ref.namespace, kind=ref.kind
        )
    if last[0] is not ref:
        last = _LAST_PLAIN = (ref, {})
    last[1][action_type] = found
    return found


# The last workload asked for (by identity, kept alive here) and its plain actions by type.
_LAST_PLAIN: tuple[Any, dict[str, Action]] = (None, {})


def pod_request(observation: Observation, resource: str) -> int:
    """The pod's request for ``resource`` ("cpu" millicores or "memory" bytes): the containers' sum."""
    return observation.pod_request(resource)


def _rows(
    nodes: Sequence[NodeView], resource: str, busy: tuple[int, int, int] | None = None
) -> list[tuple[int, int, int]]:
    """Per node (free room of ``resource``, of the other resource, free pod slots), with others' requests
    taken as ``busy`` (cpu, memory, pods) on every node when given, else as each node has them."""
    rows = []
    for n in nodes:
        if busy is None:
            free_cpu = n.cpu - n.cpu_requested_by_others
            free_mem = n.memory - n.memory_requested_by_others
            free_pods = n.pods - n.pods_placed_by_others
        else:
            free_cpu, free_mem, free_pods = n.cpu - busy[0], n.memory - busy[1], n.pods - busy[2]
        rows.append((free_cpu, free_mem, free_pods) if resource == "cpu" else (free_mem, free_cpu, free_pods))
    return rows


def _fits(rows: list[tuple[int, int, int]], size: int, other: int) -> int:
    count = 0
    for free, free_other, free_pods in rows:
        fits = free // size if size > 0 else free_pods
        if other > 0:
            fits = min(fits, free_other // other)
        count += max(0, min(fits, free_pods))
    return count


def _capacity(nodes: Sequence[NodeView], resource: str, size: int, other: int) -> int:
    """How many pods of ``size`` (and ``other`` of the other resource) fit in the nodes' free room."""
    return _fits(_rows(nodes, resource), size, other)


def fitting_request(observation: Observation, resource: str) -> int | None:
    """The largest per-pod request of ``resource`` with which ``target`` pods fit the nodes' free room.

    The other resource is held at its current request when that fits, else ignored (it will be sized in
    its own right). None when no size fits (e.g. the pods-per-node limit is the real problem). A pod fits
    a node when its request is at most the node's free room (k8s notes §1.1).
    """
    # The next replay may place other workloads' pods differently (seeded tie-breaks), so assume each node
    # carries as much of theirs as the busiest node does now: the size then fits wherever they land.
    busiest_cpu = max((n.cpu_requested_by_others for n in observation.nodes), default=0)
    busiest_mem = max((n.memory_requested_by_others for n in observation.nodes), default=0)
    busiest_pods = max((n.pods_placed_by_others for n in observation.nodes), default=0)
    # Each node's free room, computed once for the whole search below.
    rows = _rows(observation.nodes, resource, (busiest_cpu, busiest_mem, busiest_pods))

    def capacity(size: int, other: int) -> int:
        return _fits(rows, size, other)

    target = max(observation.target, 1)
    other = pod_request(observation, "memory" if resource == "cpu" else "cpu")
    hi = max(((n.cpu if resource == "cpu" else n.memory) for n in observation.nodes), default=0)
    if hi <= 0:
        return None
    if capacity(1, other) < target:
        other = 0
        if capacity(1, 0) < target:
            return None
    return largest_size(rows, other, target, hi)


def largest_size(rows: list[tuple[int, int, int]], other: int, target: int, hi: int) -> int:
    """The largest size in [1, hi] whose capacity over ``rows`` reaches ``target`` (size 1's does).

    Capacity falls with size and only just past a size ``free // k`` of some node: the answer below
    ``hi`` is such a size with k <= target (a node holding more pods alone would still reach the target
    one size up). Those few candidates are tried from the largest; many nodes: a binary search.
    """
    if len(rows) * target <= 64:
        if _fits(rows, hi, other) >= target:
            return hi
        candidates = {free // k for free, _, _ in rows for k in range(1, target + 1)}
        for size in sorted((c for c in candidates if 1 <= c < hi), reverse=True):
            if _fits(rows, size, other) >= target:
                return size
        return 1
    lo = 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _fits(rows, mid, other) >= target:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _current(c: ContainerView, resource: str) -> int:
    return c.effective_cpu_request if resource == "cpu" else c.effective_memory_request


def shrink_plan(observation: Observation, resource: str, *, floor: int = 0) -> tuple[str, int] | None:
    """(container, new request) lowering the largest container so the pod fits, or None if it fits."""
    budget = fitting_request(observation, resource)
    total = pod_request(observation, resource)
    if budget is None or total <= budget or not observation.containers:
        return None
    biggest = max(observation.containers, key=lambda c: _current(c, resource))
    new = max(_current(biggest, resource) - (total - budget), floor, 1)
    if new >= _current(biggest, resource):
        return None
    return biggest.name, new


def shrink_to_fit(observation: Observation, resources: tuple[str, ...] = ("cpu", "memory")) -> Action | None:
    """One ``set_resources`` shrinking what does not fit (both resources at once when one container)."""
    floors = {"cpu": 1, "memory": 4 * MI}  # the default safeguard floors
    plans = {r: p for r in resources if (p := shrink_plan(observation, r, floor=floors[r])) is not None}
    if not plans:
        return None
    container = next(iter(plans.values()))[0]
    requests = {r: fmt(r, value) for r, (name, value) in plans.items() if name == container}
    return make_action(observation, "set_resources", container=container, requests=requests)


class NoopPolicy:
    """Never changes anything: the baseline every fix is compared with."""

    name = "noop"

    def reset(self, *, seed: int | None = None) -> None:
        pass

    def act(self, observation: Observation) -> Action:
        return make_action(observation, "noop")


class RandomPolicy:
    """A uniformly random action from the discrete space, from ``random.Random(seed)``."""

    name = "random"

    def __init__(self, *, seed: int | None = 0) -> None:
        self._rng = random.Random(seed)

    def reset(self, *, seed: int | None = None) -> None:
        self._rng = random.Random(seed)

    def act(self, observation: Observation) -> Action:
        return make_action(observation, self._rng.choice(DISCRETE_ACTIONS))


class AlwaysPolicy:
    """Always the same discrete action (``always_bump_cpu``, ``always_bump_memory``): a bad agent to catch."""

    def __init__(self, action_type: str, *, name: str | None = None) -> None:
        self.action_type = action_type
        self.name = name or f"always_{action_type}"

    def reset(self, *, seed: int | None = None) -> None:
        pass

    def act(self, observation: Observation) -> Action:
        return make_action(observation, self.action_type)


class ScaleReplicasPolicy:
    """Only scales: one replica at a time toward the target (fixes replica mistakes, nothing else)."""

    name = "scale_replicas"

    def reset(self, *, seed: int | None = None) -> None:
        pass

    def act(self, observation: Observation) -> Action:
        if observation.desired > observation.target:
            return make_action(observation, "scale_down")
        if observation.desired < observation.target:
            return make_action(observation, "scale_up")
        return make_action(observation, "noop")


class HeuristicPolicy:
    """Rule-based repair (rules in the module docstring); deterministic, needs no seed."""

    name = "heuristic"

    def reset(self, *, seed: int | None = None) -> None:
        pass

    def act(self, observation: Observation) -> Action:
        obs = observation
        if obs.rejected:
            fix = self._fix_invalid_limits(obs) or self._fix_admission(obs)
            if fix is not None:
                return fix
        if obs.desired > obs.target:
            return make_action(obs, "set_replicas", replicas=obs.target)
        preempted = preemptor_fix(obs, margin=0.25)
        if preempted is not None:
            return preempted
        if obs.pending > 0 or obs.total < obs.desired:
            largest = obs.node_allocatable
            flagged = []
            for resource, said in (("cpu", obs.insufficient_cpu), ("memory", obs.insufficient_memory)):
                room = 0 if largest is None else (largest.cpu if resource == "cpu" else largest.memory)
                if said or (largest is not None and pod_request(obs, resource) > room):
                    flagged.append(resource)
            action = shrink_to_fit(obs, tuple(flagged)) if flagged else None
            if action is not None:
                return action
        fix = self._fix_probes(obs) or self._fix_oom(obs)
        if fix is not None:
            return fix
        if obs.desired < obs.target:
            cpu, memory = pod_request(obs, "cpu"), pod_request(obs, "memory")
            if _capacity(obs.nodes, "cpu", cpu, memory) >= obs.target or not obs.nodes:
                return make_action(obs, "set_replicas", replicas=obs.target)
        return make_action(obs, "noop")

    @staticmethod
    def _fix_invalid_limits(obs: Observation) -> Action | None:
        for c in obs.containers:
            limits = {}
            if c.cpu_limit is not None and c.cpu_request is not None and c.cpu_request > c.cpu_limit:
                limits["cpu"] = format_cpu(c.cpu_request)
            mem_limit, mem_request = c.memory_limit, c.memory_request
            if mem_limit is not None and mem_request is not None and mem_request > mem_limit:
                limits["memory"] = format_memory(mem_request)
            if limits:
                return make_action(obs, "set_resources", container=c.name, limits=limits)
        return None

    @staticmethod
    def _fix_admission(obs: Observation) -> Action | None:
        """Pods refused by a ResourceQuota or LimitRange: resize them to fit (policies/admission_fix.py)."""
        return fix_admission(obs)

    @staticmethod
    def _fix_probes(obs: Observation) -> Action | None:
        """A start too slow for its startup probe -> raise the cpu limit (1.25 x work / budget); OOMKilled
        by a memory ramp -> raise the memory limit to the ramp's peak (policies/probes_fix.py)."""
        return fix_probe_lag(obs, margin=0.25) or fix_memory_ramp(obs)

    @staticmethod
    def _fix_oom(obs: Observation) -> Action | None:
        if not (obs.oom or obs.crash_looping or obs.oom_killed):
            return None
        for c in obs.containers:
            if obs.oom and f"container {c.name} " not in obs.oom:
                continue
            limit = c.memory_limit or c.effective_memory_request
            if limit <= 0:
                continue
            new_limit = 2 * limit
            if c.memory_usage is not None:
                new_limit = max(new_limit, math.ceil(c.memory_usage * 1.25))
            new_limit = math.ceil(new_limit / MI) * MI  # whole Mi: readable quantities in the trace
            new_request = new_limit
            return make_action(
                obs,
                "set_resources",
                container=c.name,
                requests={"memory": format_memory(new_request)},
                limits={"memory": format_memory(new_limit)},
            )
        return None
