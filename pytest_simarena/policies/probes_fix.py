"""Repairs for a start too slow for its probes and for memory that ramps past its limit (issue 15).

Shared by the heuristic and vpa policies, one clearly named rule each, read from what an operator sees:

- probe lag: the kubelet kills the container for failing its startup (or liveness) probe (``Killing``
  "Container <c> failed startup probe ..." / ``Unhealthy`` events) while the declared start-up work
  (``startupCpuSeconds``) at the container's cpu limit takes longer than the probe allows: raise the cpu
  limit to ``work / budget`` plus a margin (the request stays: the scheduler is not the problem);
- memory ramp: the container is OOMKilled while its declared ramp peaks above the limit: raise the memory
  limit to the peak (the heuristic), or size the request from the peak (vpa, in its recommender).
"""

from __future__ import annotations

import math

from pytest_simarena.actions import Action
from pytest_simarena.episode.observation import ContainerView, Observation
from pytest_simarena.quantities import format_cpu, format_memory

MI = 1024 * 1024
STEP_CPU = 100  # round a raised cpu limit up to a tenth of a core: a readable quantity


def _resize(obs: Observation, container: str, *, limits: dict[str, str]) -> Action:
    ref = obs.workload
    return Action(
        "set_resources", ref.name, namespace=ref.namespace, kind=ref.kind, container=container, limits=limits
    )


def probe_killed(obs: Observation, container: str) -> bool:
    """The kubelet killed ``container`` for a failed startup or liveness probe (or reports it failing)."""
    for event in obs.events:
        message = str(event.get("message", ""))
        if event.get("reason") == "Killing" and message.startswith(f"Container {container} failed "):
            return True
        path = str((event.get("involvedObject") or {}).get("fieldPath", ""))
        mine = path.endswith(f"{{{container}}}")
        if event.get("reason") == "Unhealthy" and mine and not message.startswith("Readiness"):
            return True
    return False


def fix_probe_lag(obs: Observation, *, margin: float) -> Action | None:
    """Raise the cpu limit of a container whose start outlasts its probe budget, or None."""
    for c in obs.containers:
        needed = c.startup_cpu_needed
        if needed is None or c.cpu_limit is None or c.cpu_limit >= needed or not probe_killed(obs, c.name):
            continue
        limit = math.ceil(needed * (1 + margin) / STEP_CPU) * STEP_CPU
        return _resize(obs, c.name, limits={"cpu": format_cpu(limit)})
    return None


def ramp_peak_over_limit(obs: Observation, c: ContainerView) -> bool:
    """``c`` was OOMKilled and its declared memory ramp peaks above its limit."""
    oom = bool(obs.oom and f"container {c.name} " in obs.oom)
    return oom and c.memory_peak is not None and c.memory_limit is not None and c.memory_peak > c.memory_limit


def fix_memory_ramp(obs: Observation) -> Action | None:
    """Raise the memory limit of a container whose ramp outgrows it to the ramp's peak, or None."""
    for c in obs.containers:
        if ramp_peak_over_limit(obs, c):
            assert c.memory_peak is not None
            peak = math.ceil(c.memory_peak / MI) * MI
            return _resize(obs, c.name, limits={"memory": format_memory(peak)})
    return None
