"""The seed team's reward modes (github bobg0/sim-arena observe/reward.py), for its compatibility profile.

``scale``, ``max_punish`` and ``cost_aware_v2`` keep the seed's formulas and constants; they read the pod's
requests where the seed read the Deployment's first container (the same number for one-container pods).
``cost_aware_v2`` also reports its health/cost breakdown (``breakdown``), which the learning env puts in
``info["reward_terms"]``. Formulas and a worked example: docs/rewards.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .episode.observation import Observation
    from .reward_types import StepOutcome

# The seed's bounds (runner/safeguards.py) and cost references (observe/reward.py).
SEED_MAX_CPU_M = 16000
SEED_MAX_MEMORY_B = 34359738368
SEED_MAX_REPLICAS = 100
REF_CPU_M = 500
REF_MEM_B = 256 * 1024**2
SEED_BLOCKED_PENALTY = 0.12


def _counts(obs: Observation) -> tuple[int, int, int]:
    return obs.ready, obs.pending, obs.total


def scale(obs: Observation, outcome: StepOutcome) -> float:
    """Seed ``scale``: 1 at the goal; else -0.02 pending/T, -0.07 per extra pod or -0.03 missing/T,
    clamped to [-1, 1]."""
    ready, pending, total = _counts(obs)
    target = obs.target
    if ready == target and pending == 0 and total == target:
        return 1.0
    t = max(target, 1)
    value = -0.02 * pending / t if pending > 0 else 0.0
    if total > target:
        value -= 0.07 * (total - target)
    elif total < target:
        value -= 0.03 * (target - total) / t
    return max(-1.0, min(1.0, value))


def max_punish(obs: Observation, outcome: StepOutcome) -> float:
    """Seed ``max_punish``: binary - 0.5 for each of pod cpu > 16 cpu, memory > 32Gi, replicas > 100."""
    value = 1.0 if obs.healthy else 0.0
    if obs.pod_request("cpu") > SEED_MAX_CPU_M:
        value -= 0.5
    if obs.pod_request("memory") > SEED_MAX_MEMORY_B:
        value -= 0.5
    if obs.desired > SEED_MAX_REPLICAS:
        value -= 0.5
    return value


def cost_aware_terms(obs: Observation) -> dict[str, Any]:
    """The seed's cost-aware breakdown: health, cost, the (pre-penalty) reward and their parts."""
    ready, pending, total = _counts(obs)
    tgt = max(1, obs.target)
    ready_frac = max(0.0, min(1.0, ready / tgt))
    pending_frac = max(0.0, min(1.0, pending / tgt))
    overshoot_frac = max(0.0, (total - tgt) / tgt)
    undershoot_frac = max(0.0, (tgt - total) / tgt)
    health = ready_frac**2 - 0.85 * pending_frac - 0.75 * undershoot_frac
    cpu_m, mem_b = obs.pod_request("cpu"), obs.pod_request("memory")
    cap_cpu = max(REF_CPU_M + 1, int(SEED_MAX_CPU_M / tgt))
    cap_mem = max(REF_MEM_B + 1, int(SEED_MAX_MEMORY_B / tgt))
    cpu_excess = min(1.0, max(0, cpu_m - REF_CPU_M) / (cap_cpu - REF_CPU_M))
    mem_excess = min(1.0, max(0, mem_b - REF_MEM_B) / (cap_mem - REF_MEM_B))
    replica_waste = min(1.0, overshoot_frac)
    cost = 0.45 * cpu_excess + 0.45 * mem_excess + 0.60 * replica_waste
    healthy = ready >= tgt and pending == 0
    at_goal = ready == tgt and pending == 0 and total == tgt
    if at_goal:
        reward = 0.0
    elif healthy:
        reward = 0.9 - 0.6 * cost
    else:
        reward = health - (0.08 if pending > 0 else 0.12) * cost
    if not at_goal:
        reward = max(-1.0, reward - 1.0)
    reward = max(-1.0, min(0.0, reward))
    return {
        "health": health,
        "cost": cost,
        "reward": reward,
        "healthy": healthy,
        "cpuExcessRatio": cpu_excess,
        "memExcessRatio": mem_excess,
        "replicaWasteRatio": replica_waste,
    }


class CostAwareV2:
    """Seed ``cost_aware_v2``: the cost-aware reward minus ``step_penalty`` per step and 0.12 when the
    safeguards blocked the action, clamped to [-1, 0] (0 only at the goal)."""

    name = "cost_aware_v2"

    def __init__(self, step_penalty: float = 0.0) -> None:
        self.step_penalty = step_penalty

    def breakdown(self, obs: Observation, outcome: StepOutcome) -> dict[str, Any]:
        """The seed's terms plus the penalties applied and the final reward."""
        terms = cost_aware_terms(obs)
        value = terms["reward"] - self.step_penalty
        blocked = SEED_BLOCKED_PENALTY if outcome.blocked else 0.0
        terms.update(stepPenalty=self.step_penalty, blockedPenalty=blocked)
        terms["final"] = max(-1.0, min(0.0, value - blocked))
        return terms

    def __call__(self, obs: Observation, outcome: StepOutcome) -> float:
        return float(self.breakdown(obs, outcome)["final"])


def cost_aware_v2(obs: Observation, outcome: StepOutcome) -> float:
    """Seed ``cost_aware_v2`` with its default step penalty (0): see :class:`CostAwareV2`."""
    return CostAwareV2()(obs, outcome)
