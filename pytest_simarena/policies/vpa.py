"""``vpa``: a right-sizer modelled on the Kubernetes Vertical Pod Autoscaler's recommender and updater.

What it borrows (kubernetes/autoscaler, vertical-pod-autoscaler/pkg/recommender/logic/recommender.go and
pkg/updater/priority/priority_processor.go):

- target = usage percentile x (1 + safety margin), margin ``recommendation-margin-fraction`` = 0.15;
  a declared usage (the ``simarena.io/usage`` annotation) is a constant signal, so every percentile is
  that value;
- an OOM kill adds a memory sample of max(memory at the kill x 1.2, memory at the kill + 100Mi)
  (``oom-bump-up-ratio`` 1.2, ``oom-min-bump-up-bytes`` 100Mi); memory at the kill = the limit;
- floors per pod: 25m cpu and 250Mi memory (``pod-recommendation-min-cpu-millicores`` 25,
  ``pod-recommendation-min-memory-mb`` 250), spread evenly over the pod's containers;
- limits keep their proportion to requests (``controlledValues: RequestsAndLimits``, the default);
- hysteresis: a container is only updated when its request differs from the target by more than 10%
  (the updater's default update threshold), or when its pods fail because of it (Pending or OOMKilled).

With no declared usage the recommender has nothing to go on, but the policy still fixes what does not
fit: when the scheduler says ``Insufficient cpu/memory`` it sizes the request to what fits the largest
node's free allocatable for ``target`` replicas. VPA never changes replica counts; this policy, once requests
need no change, restores ``spec.replicas`` to the target (as an operator reconciling the declared count
would), so it can finish an episode on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pytest_simarena.actions import Action
from pytest_simarena.episode.observation import ContainerView, Observation

from .admission_fix import MI, fix_admission, fmt
from .builtin import fitting_request, make_action, pod_request
from .preemption_fix import preemptor_fix
from .probes_fix import fix_probe_lag


@dataclass(frozen=True, slots=True)
class _Plan:
    container: str
    requests: dict[str, str]
    limits: dict[str, str]


class VpaPolicy:
    """VPA-like right-sizing of requests (and proportional limits), one container per step."""

    name = "vpa"

    def __init__(
        self,
        *,
        safety_margin: float = 0.15,
        oom_bump_ratio: float = 1.2,
        oom_min_bump: int = 100 * MI,
        min_cpu: int = 25,
        min_memory: int = 250 * MI,
        update_threshold: float = 0.10,
    ) -> None:
        self.safety_margin = safety_margin
        self.oom_bump_ratio = oom_bump_ratio
        self.oom_min_bump = oom_min_bump
        self.min_cpu = min_cpu
        self.min_memory = min_memory
        self.update_threshold = update_threshold

    def reset(self, *, seed: int | None = None) -> None:
        pass

    def act(self, observation: Observation) -> Action:
        admitted = self._fix_admission(observation)
        if admitted is not None:
            return admitted
        # Preempted by an over-requesting higher-priority Deployment: size that one from its usage first.
        preempted = preemptor_fix(
            observation, margin=self.safety_margin, floors={"cpu": self.min_cpu, "memory": self.min_memory}
        )
        if preempted is not None:
            return preempted
        slow_start = self._fix_probe_lag(observation)
        if slow_start is not None:
            return slow_start
        plan = self.plan(observation)
        if plan is None:
            if observation.desired != observation.target:
                # VPA leaves replicas to others; restoring the declared count is the operator's job,
                # done here once requests are right so the policy can finish an episode on its own.
                return make_action(observation, "set_replicas", replicas=observation.target)
            return make_action(observation, "noop")
        return make_action(
            observation,
            "set_resources",
            container=plan.container,
            requests=plan.requests,
            limits=plan.limits or None,
        )

    # --- recommendation -----------------------------------------------------------------------------

    def recommend(self, obs: Observation, c: ContainerView) -> dict[str, int]:
        """Target requests for container ``c`` (only the resources with a signal)."""
        n = max(len(obs.containers), 1)
        floors = {"cpu": math.ceil(self.min_cpu / n), "memory": math.ceil(self.min_memory / n)}
        rec: dict[str, int] = {}
        if c.cpu_usage is not None:
            rec["cpu"] = math.ceil(c.cpu_usage * (1 + self.safety_margin))
        memory_signal = self._ramp_signal(c)
        if self._oom_killed(obs, c):
            at_kill = c.memory_limit or c.effective_memory_request
            bumped = max(math.ceil(at_kill * self.oom_bump_ratio), at_kill + self.oom_min_bump)
            memory_signal = max(memory_signal or 0, bumped)
        if memory_signal is not None:
            rec["memory"] = math.ceil(memory_signal * (1 + self.safety_margin))
        # Pods that cannot be scheduled: size to what fits, splitting the pod budget by current shares.
        for resource, flagged in (("cpu", obs.insufficient_cpu), ("memory", obs.insufficient_memory)):
            if obs.pending == 0 or not (flagged or self._too_big(obs, resource)):
                continue
            budget = fitting_request(obs, resource)
            total = pod_request(obs, resource)
            if budget is None or total <= budget:
                continue
            mine = c.effective_cpu_request if resource == "cpu" else c.effective_memory_request
            share = budget * mine // total if total else budget // n
            rec[resource] = min(rec.get(resource, share), share)
        for resource, value in rec.items():
            rec[resource] = max(value, floors[resource])
        if "memory" in rec:
            rec["memory"] = math.ceil(rec["memory"] / MI) * MI  # whole Mi, as VPA's humanized output
        return rec

    def plan(self, obs: Observation) -> _Plan | None:
        """The first container whose requests should change, with new requests and limits."""
        for c in obs.containers:
            rec = self.recommend(obs, c)
            requests: dict[str, str] = {}
            limits: dict[str, str] = {}
            for resource, target in rec.items():
                current = c.effective_cpu_request if resource == "cpu" else c.effective_memory_request
                failing = self._failing_on(obs, c, resource)
                if current and not failing and abs(target - current) / current <= self.update_threshold:
                    continue  # hysteresis: close enough, leave it
                if target == current:
                    continue
                requests[resource] = fmt(resource, target)
                limit = c.cpu_limit if resource == "cpu" else c.memory_limit
                if limit is not None:
                    ratio = limit / current if current else 1.0
                    new_limit = max(math.ceil(target * ratio), target)
                    if resource == "memory":
                        new_limit = math.ceil(new_limit / MI) * MI
                    limits[resource] = fmt(resource, new_limit)
            if requests:
                return _Plan(c.name, requests, limits)
        return None

    @staticmethod
    def _fix_admission(obs: Observation) -> Action | None:
        """Pods refused by a ResourceQuota or LimitRange (the VPA caps its recommendation to a LimitRange
        too): resize them to fit first (policies/admission_fix.py)."""
        return fix_admission(obs)

    def _fix_probe_lag(self, obs: Observation) -> Action | None:
        """A start too slow for its startup probe: the cpu it needs (work / budget, plus the safety margin)
        is a limit, not a request; raise the limit first (policies/probes_fix.py)."""
        return fix_probe_lag(obs, margin=self.safety_margin)

    @staticmethod
    def _ramp_signal(c: ContainerView) -> int | None:
        """Memory usage as the recommender's percentile sees it: the top of a declared ramp, where one is."""
        if c.memory_peak is not None:
            return max(c.memory_peak, c.memory_usage or 0)
        return c.memory_usage

    # --- signals ----------------------------------------------------------------------------------------

    @staticmethod
    def _oom_killed(obs: Observation, c: ContainerView) -> bool:
        return bool(obs.oom and f"container {c.name} " in obs.oom)

    @staticmethod
    def _too_big(obs: Observation, resource: str) -> bool:
        largest = obs.node_allocatable
        if largest is None:
            return False
        return pod_request(obs, resource) > (largest.cpu if resource == "cpu" else largest.memory)

    def _failing_on(self, obs: Observation, c: ContainerView, resource: str) -> bool:
        if resource == "memory" and self._oom_killed(obs, c):
            return True
        flagged = obs.insufficient_cpu if resource == "cpu" else obs.insufficient_memory
        return obs.pending > 0 and (flagged or self._too_big(obs, resource))
