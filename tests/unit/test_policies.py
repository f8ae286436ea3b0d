"""Built-in policies on hand-built observations: each rule of the heuristic and the VPA model."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from episode_helpers import FIT_CPU, FIT_MEM, GI, MI, obs

from pytest_simarena.episode.observation import ContainerView, NodeView
from pytest_simarena.errors import SimArenaError, UnknownNameError
from pytest_simarena.policies import DISCRETE_ACTIONS, action_for, available_policies, make_policy
from pytest_simarena.policies.builtin import fitting_request
from pytest_simarena.quantities import parse_cpu, parse_memory


def _q(spec: Mapping[str, object] | None, resource: str) -> int:
    """A request/limit of an action in millicores or bytes."""
    assert spec is not None
    value = spec[resource]
    assert isinstance(value, str | int | float)
    return parse_cpu(value) if resource == "cpu" else parse_memory(value)


def test_registry_lists_every_builtin() -> None:
    builtins = {"noop", "random", "always_bump_cpu", "always_bump_memory", "scale_replicas", "heuristic"}
    builtins.add("vpa")
    assert builtins <= set(available_policies())


def test_unknown_policy_suggests_close_names() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown policy 'heuristc'. Did you mean 'heuristic'\?"):
        make_policy("heuristc")


def test_import_path_policy_function_and_class() -> None:
    fn = make_policy("user_policies:always_scale_up")
    assert fn.name == "user_policies:always_scale_up"
    assert fn.act(obs()).type == "scale_up"
    cls = make_policy("user_policies:CountingPolicy", start=5)
    cls.reset(seed=1)
    assert cls.act(obs()).replicas == 5


def test_policy_without_reset_is_accepted() -> None:
    # reset is optional (README tour): an act()-only agent gets a no-op reset.
    policy = make_policy("user_policies:ActOnly")
    policy.reset(seed=3)
    action = policy.act(obs())
    assert action.type == "scale_up" and action.workload == obs().workload.name


def test_bad_import_paths_are_one_line_errors() -> None:
    with pytest.raises(SimArenaError, match="cannot import module 'no_such_module_xyz'"):
        make_policy("no_such_module_xyz:policy")
    with pytest.raises(SimArenaError, match="has no attribute 'missing'"):
        make_policy("user_policies:missing")
    with pytest.raises(SimArenaError, match="is not a policy"):
        make_policy("user_policies:NOT_A_POLICY")


def test_discrete_space_round_trip() -> None:
    assert DISCRETE_ACTIONS[0] == "noop"
    for i, name in enumerate(DISCRETE_ACTIONS):
        action = action_for(i, "web")
        assert action.type == name and action.workload == "web"
    with pytest.raises(SimArenaError, match="out of range"):
        action_for(len(DISCRETE_ACTIONS), "web")


def test_noop_and_always_policies() -> None:
    assert make_policy("noop").act(obs(pending=3, ready=0)).type == "noop"
    assert make_policy("always_bump_cpu").act(obs()).type == "bump_cpu"
    assert make_policy("always_bump_memory").act(obs()).type == "bump_memory"


def test_random_policy_is_seeded() -> None:
    a, b = make_policy("random"), make_policy("random")
    a.reset(seed=7)
    b.reset(seed=7)
    seq_a = [a.act(obs()).type for _ in range(30)]
    assert seq_a == [b.act(obs()).type for _ in range(30)]
    b.reset(seed=8)
    assert seq_a != [b.act(obs()).type for _ in range(30)]
    assert set(seq_a) <= set(DISCRETE_ACTIONS) and len(set(seq_a)) > 3


def test_scale_replicas_moves_one_at_a_time_toward_target() -> None:
    policy = make_policy("scale_replicas")
    assert policy.act(obs(desired=5, total=5)).type == "scale_down"
    assert policy.act(obs(desired=1, total=1, ready=1)).type == "scale_up"
    assert policy.act(obs()).type == "noop"


def test_fitting_request_three_replicas_on_three_16cpu_nodes_is_16_cpu() -> None:
    # One 16-cpu pod per node fits exactly: request == free room fits (k8s notes §1.1).
    assert fitting_request(obs(cpu=17000), "cpu") == 16000
    # Five replicas on three nodes need two pods on some node: 8 cpu each.
    assert fitting_request(obs(cpu=17000, target=5), "cpu") == 8000
    # Another workload already uses 10 cpu on every node: 6 cpu left per node.
    nodes = obs().nodes
    busy = tuple(NodeView(n.name, n.cpu, n.memory, n.pods, cpu_requested_by_others=10000) for n in nodes)
    assert fitting_request(obs(cpu=17000, nodes=busy), "cpu") == 6000
    # Others' pods may land elsewhere on the next replay: plan as if every node were as busy as the busiest.
    uneven = (busy[0], *nodes[1:])
    assert fitting_request(obs(cpu=17000, nodes=uneven), "cpu") == 6000


def test_heuristic_reduces_oversized_cpu_to_what_fits() -> None:
    action = make_policy("heuristic").act(obs(cpu=17000, ready=0, pending=3, failed_scheduling=FIT_CPU))
    assert action.type == "set_resources" and action.container == "web"
    assert action.requests is not None and _q(action.requests, "cpu") == 16000


def test_heuristic_reduces_oversized_memory_to_what_fits() -> None:
    action = make_policy("heuristic").act(obs(memory=40 * GI, ready=0, pending=3, failed_scheduling=FIT_MEM))
    assert action.type == "set_resources"
    assert action.requests is not None and _q(action.requests, "memory") == 32 * GI


def test_heuristic_scales_down_an_over_replicated_workload_first() -> None:
    action = make_policy("heuristic").act(obs(desired=5, total=5, ready=5, target=3))
    assert (action.type, action.replicas) == ("set_replicas", 3)


def test_heuristic_scales_up_only_with_room() -> None:
    policy = make_policy("heuristic")
    action = policy.act(obs(desired=1, total=1, ready=1, target=3))
    assert (action.type, action.replicas) == ("set_replicas", 3)
    # 12-cpu pods: only one per 16-cpu node, so 4 replicas never fit on 3 nodes.
    assert policy.act(obs(cpu=12000, desired=1, total=1, ready=1, target=4)).type == "noop"


def test_heuristic_raises_memory_after_an_oom_kill() -> None:
    seen = obs(
        memory=256 * MI,
        memory_limit=256 * MI,
        memory_usage=600 * MI,
        ready=0,
        crash_looping=3,
        oom_killed=3,
        oom="container web in pod web-abc was OOMKilled (exit code 137: killed, out of memory); restarts 2",
    )
    action = make_policy("heuristic").act(seen)
    assert action.type == "set_resources"
    assert action.limits is not None and _q(action.limits, "memory") == 750 * MI  # 1.25 x usage
    assert action.requests is not None and _q(action.requests, "memory") == 750 * MI


def test_heuristic_leaves_a_healthy_workload_alone() -> None:
    assert make_policy("heuristic").act(obs()).type == "noop"


def test_vpa_sizes_requests_from_usage_with_the_15_percent_margin() -> None:
    action = make_policy("vpa").act(obs(cpu=4000, memory=4 * GI, cpu_usage=1000, memory_usage=1 * GI))
    assert action.type == "set_resources"
    assert action.requests is not None
    assert _q(action.requests, "cpu") == 1150
    assert _q(action.requests, "memory") == 1178 * MI  # 1.15 GiB rounded up to whole Mi


def test_vpa_hysteresis_keeps_requests_within_10_percent() -> None:
    # 1.15 x 900m = 1035m: within 10% of the current 1000m, so nothing changes.
    assert make_policy("vpa").act(obs(cpu=1000, memory=None, cpu_usage=900)).type == "noop"


def test_vpa_floors_are_25m_and_250Mi() -> None:
    action = make_policy("vpa").act(obs(cpu=1000, memory=1 * GI, cpu_usage=1, memory_usage=1 * MI))
    assert action.requests is not None
    assert _q(action.requests, "cpu") == 25
    assert _q(action.requests, "memory") == 250 * MI


def test_vpa_oom_bump_is_max_of_1_2x_and_100Mi_then_margin() -> None:
    oom = "container web in pod web-abc was OOMKilled (exit code 137: killed, out of memory); restarts 1"
    # Small limit: +100Mi wins (200Mi -> 300Mi), x1.15 = 345Mi.
    small = make_policy("vpa").act(obs(memory=200 * MI, memory_limit=200 * MI, ready=0, oom=oom))
    assert small.requests is not None and _q(small.requests, "memory") == 345 * MI
    assert small.limits is not None and _q(small.limits, "memory") == 345 * MI  # ratio 1 kept
    # Large limit: 1.2x wins (2Gi -> 2.4Gi), x1.15 = 2.76Gi -> 2827Mi rounded up.
    big = make_policy("vpa").act(obs(memory=1 * GI, memory_limit=2 * GI, ready=0, oom=oom))
    assert big.requests is not None and _q(big.requests, "memory") == 2827 * MI
    # The limit keeps its 2:1 ratio to the request.
    assert big.limits is not None and _q(big.limits, "memory") == 2 * 2827 * MI


def test_vpa_without_usage_still_fixes_what_does_not_fit() -> None:
    action = make_policy("vpa").act(obs(cpu=20000, ready=0, pending=3, failed_scheduling=FIT_CPU))
    assert action.requests is not None and _q(action.requests, "cpu") == 16000


def test_vpa_restores_replicas_only_once_requests_are_right() -> None:
    # Requests need a change first (usage says 1 cpu, request is 4): resize, do not scale yet.
    assert make_policy("vpa").act(obs(cpu=4000, cpu_usage=1000, desired=5, total=5)).type == "set_resources"
    action = make_policy("vpa").act(obs(desired=5, total=5, ready=5))
    assert (action.type, action.replicas) == ("set_replicas", 3)


def test_heuristic_shrinks_cpu_and_memory_together_when_both_are_too_big() -> None:
    both = FIT_CPU.replace("3 Insufficient cpu", "3 Insufficient cpu, 3 Insufficient memory")
    action = make_policy("heuristic").act(
        obs(cpu=17000, memory=33 * GI, ready=0, pending=3, failed_scheduling=both)
    )
    assert action.type == "set_resources" and action.requests is not None
    assert _q(action.requests, "cpu") == 16000
    assert _q(action.requests, "memory") == 32 * GI


def test_vpa_multi_container_splits_the_pod_budget_by_share() -> None:
    two = (
        ContainerView("app", cpu_request=15000, memory_request=GI),
        ContainerView("sidecar", cpu_request=5000, memory_request=GI),
    )
    action = make_policy("vpa").act(obs(containers=two, ready=0, pending=3, failed_scheduling=FIT_CPU))
    # Budget 16 cpu per pod; app had 15/20 of it -> 12 cpu.
    assert action.container == "app"
    assert action.requests is not None and _q(action.requests, "cpu") == 12000


def test_bad_options_are_one_line_errors() -> None:
    with pytest.raises(SimArenaError, match=r"policy 'vpa': bad options \['margin'\]"):
        make_policy("vpa", margin=0.2)
    assert make_policy("vpa", safety_margin=0.2).safety_margin == 0.2  # type: ignore[attr-defined]


def test_discrete_indices_are_the_documented_table() -> None:
    # Trained agents depend on these indices (policies/space.py docstring); derived from ACTION_TYPES, so
    # reordering ACTION_TYPES must show up here.
    assert DISCRETE_ACTIONS == (
        "noop",
        "bump_cpu",
        "reduce_cpu",
        "bump_memory",
        "reduce_memory",
        "scale_up",
        "scale_down",
    )
