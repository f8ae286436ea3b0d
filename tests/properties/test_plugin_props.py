"""Edge-case properties written the way users write them: Hypothesis ``@given`` with the plugin's
session-scoped fixtures (``simarena_runner`` on ``simarena_cluster``), so no function-scoped-fixture
health check fires. Traces near node capacity, limits equal to usage, zero replicas, many containers;
checked against the actions' safeguards (16 cpu / 32Gi per container, 100 replicas) and the policies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_simarena import strategies as sst
from pytest_simarena.episode.results import EpisodeResult
from pytest_simarena.plugin import EpisodeRunner
from pytest_simarena.quantities import parse_cpu, parse_memory
from pytest_simarena.trace.generator import (
    DEFAULT_CLUSTER,
    ContainerPlan,
    TracePlan,
    WorkloadPlan,
    build_trace,
)
from pytest_simarena.trace.model import Trace, containers

Mi, Gi = 1024**2, 1024**3
CPU_CAP, MEMORY_CAP, REPLICA_CAP = 16000, 32 * Gi, 100  # safeguards.DEFAULT_SAFEGUARDS
POLICIES = ("noop", "random", "always_bump_cpu", "always_bump_memory", "scale_replicas", "heuristic", "vpa")

# Explicitly no suppression of HealthCheck.function_scoped_fixture: the fixtures used are session-scoped.
PROPS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _trace(
    replicas: int,
    specs: list[tuple[int, int, int | None, int | None, int | None, int | None]],
    *,
    target: int | None = None,
) -> Trace:
    """A Deployment ``web``; each spec: (cpu, memory, cpu limit, memory limit, cpu usage, memory usage)."""
    conts = [
        ContainerPlan(f"c{i}", "ghcr.io/example/app:1.0", cpu, mem, cl, ml, uc, um)
        for i, (cpu, mem, cl, ml, uc, um) in enumerate(specs)
    ]
    w = WorkloadPlan("web", replicas, replicas if target is None else target, conts, broken=True)
    return build_trace(TracePlan("property", DEFAULT_CLUSTER, [w], "hypothesis edge case"))


def _max_resources(trace: Trace) -> tuple[int, int, int]:
    """Largest per-container cpu and memory (request or limit) and the largest replicas in any version."""
    cpu = memory = replicas = 0
    for _, _, obj in trace.applied():
        replicas = max(replicas, int((obj.get("spec") or {}).get("replicas") or 0))
        for c in containers(obj, trace.config):
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                values = res.get(part) or {}
                if "cpu" in values:
                    cpu = max(cpu, parse_cpu(values["cpu"]))
                if "memory" in values:
                    memory = max(memory, parse_memory(values["memory"]))
    return cpu, memory, replicas


def _check_safeguards(original: Trace, result: EpisodeResult) -> None:
    """Every applied action stays within the caps (or never grows what already exceeded them)."""
    assert result.error is None, result.error
    assert result.final_trace is not None
    cpu0, mem0, rep0 = _max_resources(original)
    cpu1, mem1, rep1 = _max_resources(result.final_trace)
    assert cpu1 <= max(cpu0, CPU_CAP)
    assert mem1 <= max(mem0, MEMORY_CAP)
    assert rep1 <= max(rep0, REPLICA_CAP)
    for record in result.steps:
        if record.blocked:
            assert "cap" in record.message or "floor" in record.message, record.message
        o = record.observation
        assert 0 <= o.ready <= o.total and 0 <= o.pending <= o.total


near_cpu = st.integers(min_value=14000, max_value=18000).map(lambda m: m - m % 100)
near_memory = st.integers(min_value=28 * 4, max_value=36 * 4).map(lambda q: q * Gi // 4)


@PROPS
@given(cpu=near_cpu, memory=near_memory, replicas=st.integers(1, 3), policy=st.sampled_from(POLICIES))
def test_near_node_capacity(
    simarena_runner: EpisodeRunner, cpu: int, memory: int, replicas: int, policy: str
) -> None:
    trace = _trace(replicas, [(cpu, memory, None, None, None, None)])
    result = simarena_runner(trace, policy, steps=3)
    _check_safeguards(trace, result)
    fits = cpu <= DEFAULT_CLUSTER.cpu and memory <= DEFAULT_CLUSTER.memory
    if fits:
        # At most 3 pods that each fit an empty node always find room on 3 nodes (scheduler fit,
        # kubernetes notes 1.1): healthy before any action, whatever the policy.
        assert result.solved and result.steps_to_solve == 0
    elif policy in ("heuristic", "vpa"):
        # Slightly over a node: the repairing policies bring the request back under the node size.
        assert result.solved, [(r.step, r.status, r.message) for r in result.steps]


@PROPS
@given(
    memory=st.integers(min_value=64, max_value=4096).map(lambda m: m * Mi),
    cpu=st.integers(min_value=100, max_value=4000),
    policy=st.sampled_from(("heuristic", "vpa")),
)
def test_limits_equal_to_usage_are_repaired(
    simarena_runner: EpisodeRunner, memory: int, cpu: int, policy: str
) -> None:
    # Limits equal to declared usage: the border of the kernel's OOM rule (kubernetes notes 4.1). Whatever
    # the simulator decides at the border, the repairing policies must end healthy.
    trace = _trace(2, [(cpu, memory, cpu, memory, cpu, memory)])
    result = simarena_runner(trace, policy, steps=5)
    _check_safeguards(trace, result)
    assert result.solved, [(r.step, r.observation.oom_killed, r.status, r.message) for r in result.steps]


@PROPS
@given(policy=st.sampled_from(POLICIES), cpu=st.integers(100, 20000), memory=st.integers(64, 40 * 1024))
def test_zero_replicas_is_healthy_at_once(
    simarena_runner: EpisodeRunner, policy: str, cpu: int, memory: int
) -> None:
    # Target 0 and replicas 0: nothing to schedule, so every policy is solved before acting.
    trace = _trace(0, [(cpu, memory * Mi, None, None, None, None)], target=0)
    result = simarena_runner(trace, policy, steps=3)
    assert result.error is None
    assert result.solved and result.steps_to_solve == 0
    assert result.final is not None and result.final.total == 0


many = st.lists(st.tuples(st.integers(50, 6000), st.integers(32, 8192)), min_size=4, max_size=10).map(
    lambda cs: [(c, m * Mi, None, None, None, None) for c, m in cs]
)


@PROPS
@given(specs=many, replicas=st.integers(1, 3), policy=st.sampled_from(POLICIES))
def test_many_containers(
    simarena_runner: EpisodeRunner, specs: list[Any], replicas: int, policy: str
) -> None:
    trace = _trace(replicas, specs)
    result = simarena_runner(trace, policy, steps=3)
    _check_safeguards(trace, result)
    final = result.final
    assert final is not None and len(final.containers) == len(specs)
    pod_cpu = sum(s[0] for s in specs)
    pod_mem = sum(s[1] for s in specs)
    if pod_cpu <= DEFAULT_CLUSTER.cpu and pod_mem <= DEFAULT_CLUSTER.memory and policy == "noop":
        # A pod that fits a node is scheduled: noop sees the workload healthy at step 0.
        assert result.solved and result.steps_to_solve == 0


@PROPS
@given(
    trace=sst.near_capacity_traces(max_deployments=3, max_events=2),
    policy=st.sampled_from(POLICIES),
    data=st.data(),
)
def test_public_strategies_near_capacity(
    simarena_runner: EpisodeRunner, trace: Trace, policy: str, data: st.DataObject
) -> None:
    """The public strategies with the session runner: any workload of any near-capacity trace."""
    workload = data.draw(st.sampled_from([ref.name for ref in trace.workloads()]))
    result = simarena_runner(trace, policy, steps=2, workload=workload)
    _check_safeguards(trace, result)


@PROPS
@given(trace=sst.traces(max_deployments=1, max_events=1, usage=True, usage_at_limit=True))
def test_public_strategies_limits_at_usage(simarena_runner: EpisodeRunner, trace: Trace) -> None:
    result = simarena_runner(trace, "heuristic", steps=3)
    _check_safeguards(trace, result)


def test_no_function_scoped_fixture_health_check(pytester: pytest.Pytester) -> None:
    """A user's @given test with the session-scoped runner runs without the health-check error."""
    canonical = Path(__file__).resolve().parents[2] / "traces" / "canonical"
    pytester.makepyfile(
        f"""
        from hypothesis import given, settings, strategies as st

        @settings(max_examples=3, deadline=None)
        @given(steps=st.integers(1, 2))
        def test_user(simarena_runner, simarena_cluster, steps):
            result = simarena_runner({str(canonical / "slightly-bad-cpu.sktrace")!r}, "noop", steps=steps)
            assert len(result.steps) == steps
        """
    )
    result = pytester.runpytest("-q", "-W", "error::hypothesis.errors.HypothesisWarning")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*function_scoped_fixture*")
