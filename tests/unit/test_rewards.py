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
    assert available_rewards() == [
        "binary",
        "cost_aware",
        "cost_aware_v2",
        "fit",
        "fit_cost",
        "max_punish",
        "penalty",
        "scale",
        "shaped",
    ]


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
        # fit: -(0.1 + 0.3 D + 0.2 (1 - ready/T)); D = log2(17000m / 16000m room)/4 = 0.021866
        ("fit", PENDING_3, STEP, -(0.1 + 0.3 * 0.0218657103 + 0.2)),
        ("fit", PENDING_3, BLOCKED, -(0.1 + 0.3 * 0.0218657103 + 0.2) - 0.1),
        # D = |5 - 3|/3 replicas off; ready 5 >= 3: -(0.1 + 0.3 * 2/3)
        ("fit", OVER_5, STEP, -0.3),
        ("fit", HEALTHY, STEP, 1.0),
        ("fit_cost", HEALTHY, STEP, 1.0),  # no declared usage: no waste measured
        # the seed team's modes: scale = -0.02 pending/T; -0.07 per extra pod
        ("scale", PENDING_3, STEP, -0.02),
        ("scale", OVER_5, STEP, -0.14),
        ("scale", HEALTHY, STEP, 1.0),
        # max_punish: binary - 0.5 for 17 cpu > the seed's 16-cpu bound
        ("max_punish", PENDING_3, STEP, -0.5),
        # cost_aware_v2 at the goal: 0, minus 0.12 when blocked
        ("cost_aware_v2", HEALTHY, STEP, 0.0),
        ("cost_aware_v2", HEALTHY, BLOCKED, -0.12),
        # healthy but 2 extra pods: cost = 0.45 x (512Mi - 256Mi)/(32GB/3 - 256Mi) + 0.6 x 2/3 = 0.4108;
        # 0.9 - 0.6 x 0.4108 - 1 = -0.34648
        ("cost_aware_v2", OVER_5, STEP, -0.34648),
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
