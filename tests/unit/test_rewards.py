"""Reward formulas on hand-built observations: the worked numbers of docs/rewards.md."""

from __future__ import annotations

import pytest
from episode_helpers import GI, MI, obs

from pytest_simarena.errors import SimArenaError, UnknownNameError
from pytest_simarena.rewards import StepOutcome, available_rewards, make_reward

STEP = StepOutcome(step=0, action="set_resources", status="applied")
BLOCKED = StepOutcome(step=0, action="bump_cpu", status="blocked", blocked=True)

# docs/rewards.md worked cases: cpu-slight before the fix, replicas-over, healthy.
PENDING_3 = obs(cpu=17000, memory=2 * GI, ready=0, pending=3)
OVER_5 = obs(desired=5, total=5, ready=5)
HEALTHY = obs(cpu=16000, memory=2 * GI)


def test_builtins_registered() -> None:
    assert available_rewards() == ["binary", "cost_aware", "penalty", "shaped"]


@pytest.mark.parametrize(
    ("name", "observation", "outcome", "expected"),
    [
        ("binary", PENDING_3, STEP, 0.0),
        ("binary", OVER_5, STEP, 0.0),
        ("binary", HEALTHY, STEP, 1.0),
        # 1 - 3/3 - 0.5*3/3 - 0.5*0 = -0.5
        ("shaped", PENDING_3, STEP, -0.5),
        # 1 - 2/3 - 0 - 0.5*2/3 = 0
        ("shaped", OVER_5, STEP, 0.0),
        ("shaped", HEALTHY, STEP, 1.0),
        # 0 - 0.05 (step) - 0.25 (17 cpu fits no 16-cpu node) = -0.30
        ("penalty", PENDING_3, STEP, -0.30),
        # ... and -0.5 more when the action was blocked: -0.80
        ("penalty", PENDING_3, BLOCKED, -0.80),
        ("penalty", HEALTHY, STEP, 0.95),
        # unhealthy: shaped - 1
        ("cost_aware", PENDING_3, STEP, -1.5),
        # healthy: 1 - 0.5 * (3*16/48 + 3*2/96)/2 = 1 - 0.5 * 0.53125 = 0.734375
        ("cost_aware", HEALTHY, STEP, 0.734375),
    ],
)
def test_worked_numbers(name: str, observation: object, outcome: StepOutcome, expected: float) -> None:
    assert make_reward(name)(observation, outcome) == pytest.approx(expected)  # type: ignore[arg-type]


def test_penalty_counts_requests_above_twice_the_declared_usage() -> None:
    lean = obs(cpu=1000, memory=GI, cpu_usage=600, memory_usage=600 * MI)
    fat = obs(cpu=4000, memory=4 * GI, cpu_usage=600, memory_usage=600 * MI)
    assert make_reward("penalty")(lean, STEP) == pytest.approx(0.95)
    assert make_reward("penalty")(fat, STEP) == pytest.approx(0.75)


def test_cost_aware_prefers_the_cheaper_healthy_size() -> None:
    reward = make_reward("cost_aware")
    small, large = obs(cpu=500, memory=512 * MI), obs(cpu=8000, memory=8 * GI)
    assert reward(small, STEP) > reward(large, STEP) >= 0.5 > reward(PENDING_3, STEP)


def test_user_reward_by_import_path_and_unknown_names() -> None:
    reward = make_reward("user_policies:ready_fraction")
    assert reward.name == "user_policies:ready_fraction"
    assert reward(obs(ready=1, pending=2), STEP) == pytest.approx(1 / 3)
    with pytest.raises(UnknownNameError, match="Did you mean 'shaped'"):
        make_reward("shapd")
    with pytest.raises(SimArenaError, match="expected 'module:attribute'"):
        make_reward("user_policies:")
