"""DefaultPreemption (kube-scheduler's PostFilter): which lower-priority pods to evict, on which node.

Sources (kubernetes/kubernetes, pkg/scheduler/framework):

- ``preemption/preemption.go`` ``Evaluator.Preempt``/``findCandidates``/``DryRunPreemption``: only nodes
  whose filter status is Unschedulable (here: NodeResourcesFit's reasons) are candidates; the dry run
  starts at a random offset and stops once ``calculateNumCandidates`` candidates are found (10% of the
  nodes, at least 100: every node below 100); with no candidate the nested FitError is built from the
  per-node statuses and every other node reads "Preemption is not helpful for scheduling".
- ``plugins/defaultpreemption/default_preemption.go`` ``SelectVictimsOnNode``: remove every pod of
  strictly lower priority; none -> "No preemption victims found for incoming pod"; still no fit -> the
  filter's own reasons; else reprieve the victims from the most important down (``util.MoreImportantPod``:
  higher priority, then earlier start; a pod not started yet counts as starting now) and keep as victims
  those that no longer fit. Nominated pods of equal or higher priority count as placed
  (``RunFilterPluginsWithNominatedPods``).
- ``preemption.go`` ``pickOneNodeForPreemption``: fewest PDB violations, lowest highest-priority victim,
  smallest sum of priorities (each + 2^31), fewest victims, latest start of the highest-priority victims,
  then the first (Go map order: drawn from the run's seeded RNG here).

PodDisruptionBudgets are not simulated, so no candidate ever violates one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from random import Random

    from .pods import Pod, PodTemplate
    from .spec import Node

NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
MIN_CANDIDATE_PERCENT = 10  # DefaultPreemptionArgs.MinCandidateNodesPercentage default
MIN_CANDIDATE_ABSOLUTE = 100  # DefaultPreemptionArgs.MinCandidateNodesAbsolute default
PRIORITY_SHIFT = 2**31  # math.MaxInt32 + 1, added to each victim's priority in the sum

FitFn = Callable[["PodTemplate", int, int, int, int, int, int], list[str]]
# Requests of the nominated pods counted on a node: (cpu, memory, pods).
Extra = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A node where evicting ``victims`` (most important first) lets the pod fit."""

    node: Node
    victims: tuple[Pod, ...]


def num_candidates(nodes: int) -> int:
    """calculateNumCandidates with the default arguments."""
    return min(max(nodes * MIN_CANDIDATE_PERCENT // 100, MIN_CANDIDATE_ABSOLUTE), nodes)


def _start(pod: Pod, now: float) -> float:
    # util.GetPodStartTime: status.startTime, or now for a pod that has not started.
    return pod.start_time if pod.start_time is not None else now


def importance(pod: Pod, now: float) -> tuple[int, float, str]:
    """Sort key, most important first (MoreImportantPod; the name only makes ties deterministic)."""
    return (-pod.priority, _start(pod, now), pod.name)


def select_victims(
    pod: Pod, node: Node, extra: Extra, fits: FitFn, now: float
) -> tuple[Pod, ...] | list[str]:
    """SelectVictimsOnNode: the victims, or the node's failure reasons for the nested FitError."""
    tmpl = pod.tmpl
    potential = [p for p in node.pods.values() if p.priority < pod.priority]
    if not potential:
        return [NO_VICTIMS]
    cpu = node.req_cpu + extra[0] - sum(p.tmpl.cpu for p in potential)
    mem = node.req_mem + extra[1] - sum(p.tmpl.mem for p in potential)
    npods = node.npods + extra[2] - len(potential)
    why = fits(tmpl, node.alloc_cpu, node.alloc_mem, node.alloc_pods, cpu, mem, npods)
    if why:
        return why
    victims = []
    for p in sorted(potential, key=lambda p: importance(p, now)):
        # Put p back; when the pod no longer fits, p is a victim, else it is reprieved.
        if fits(
            tmpl,
            node.alloc_cpu,
            node.alloc_mem,
            node.alloc_pods,
            cpu + p.tmpl.cpu,
            mem + p.tmpl.mem,
            npods + 1,
        ):
            victims.append(p)
        else:
            cpu += p.tmpl.cpu
            mem += p.tmpl.mem
            npods += 1
    return tuple(victims)


def find_candidates(
    pod: Pod,
    potential: list[Node],
    extras: dict[str, Extra],
    fits: FitFn,
    rng: Random,
    now: float,
) -> tuple[list[Candidate], dict[str, int]]:
    """DryRunPreemption over ``potential`` (the Unschedulable nodes): candidates, or reason counts."""
    statuses: dict[str, int] = {}
    candidates: list[Candidate] = []
    if not potential:
        return candidates, statuses
    wanted = num_candidates(len(potential))
    offset = rng.randrange(len(potential)) if len(potential) > 1 else 0
    for i in range(len(potential)):
        node = potential[(offset + i) % len(potential)]
        found = select_victims(pod, node, extras.get(node.name, (0, 0, 0)), fits, now)
        if isinstance(found, tuple):
            candidates.append(Candidate(node, found))
            if len(candidates) >= wanted:
                break
        else:
            for reason in found:
                statuses[reason] = statuses.get(reason, 0) + 1
    return candidates, statuses


def _earliest_top_start(victims: Iterable[Pod], now: float) -> float:
    """GetEarliestPodStartTime: the earliest start among the highest-priority victims."""
    top = max(p.priority for p in victims)
    return min(_start(p, now) for p in victims if p.priority == top)


def pick_one(candidates: list[Candidate], rng: Random, now: float) -> Candidate:
    """pickOneNodeForPreemption with the default score functions, each keeping only its best nodes."""
    scores: list[Callable[[Candidate], float]] = [
        lambda c: -max(p.priority for p in c.victims),
        lambda c: -sum(p.priority + PRIORITY_SHIFT for p in c.victims),
        lambda c: -len(c.victims),
        lambda c: _earliest_top_start(c.victims, now),
    ]
    left = candidates
    for score in scores:
        if len(left) == 1:
            break
        best = max(score(c) for c in left)
        left = [c for c in left if score(c) == best]
    return left[rng.randrange(len(left))] if len(left) > 1 else left[0]
