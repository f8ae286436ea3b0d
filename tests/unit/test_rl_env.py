"""The learning env: Gymnasium's checker on every space, many traces, seeded resets, vector envs, pickling."""

from __future__ import annotations

import pickle
from pathlib import Path

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from pytest_simarena.errors import SimArenaError, UnknownNameError
from pytest_simarena.rl.action_spaces import ACTION_SPACES, SEED_ORDER
from pytest_simarena.rl.env import ENV_ID, LearnEnv
from pytest_simarena.rl.features import FEATURES, N_FEATURES
from pytest_simarena.rl.sampling import make_pool, split_by_family
from pytest_simarena.settings import SettingError

ROOT = Path(__file__).resolve().parents[2]
GENERATED = str(ROOT / "traces" / "generated")
MEMORY = str(ROOT / "traces" / "canonical" / "very-bad-memory.sktrace")


@pytest.mark.parametrize("space", sorted(ACTION_SPACES))
def test_every_action_space_passes_the_env_checker(space: str) -> None:
    env = LearnEnv("family:cpu-far-over", action_space=space, max_steps=3)
    check_env(env, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("kind", ["vector", "dict", "seed"])
def test_every_observation_kind_passes_the_env_checker(kind: str) -> None:
    env = LearnEnv(GENERATED, observation=kind, obs_noise=0.3 if kind == "seed" else 0.0, max_steps=3)
    check_env(env, skip_render_check=True)


def test_reset_seed_decides_the_trace_and_the_observation() -> None:
    env = LearnEnv(["family:*"])
    firsts = [env.reset(seed=s) for s in (7, 8, 7)]
    assert firsts[0][1]["trace"] == firsts[2][1]["trace"] != firsts[1][1]["trace"]
    assert np.array_equal(firsts[0][0], firsts[2][0])
    labels = {env.reset(seed=s)[1]["trace"].split("#")[0] for s in range(30)}
    assert len(labels) >= 6  # families drawn uniformly: 30 draws see most of the 10


def test_a_reset_reads_each_trace_and_option_afresh_where_they_differ() -> None:
    """Resets remember what they read of a trace (sha256, workload, target) by its identity and the
    options: other options, or another trace, are read again."""
    env = LearnEnv(MEMORY, max_steps=3)
    resets = [env.reset(seed=0, options=o)[1]["observation"] for o in ({}, {"target": 1}, {"target": 2})]
    assert [o.target for o in resets] == [3, 1, 2]
    assert env.reset(seed=0, options={"target": 1})[1]["observation"].target == 1
    other = str(ROOT / "traces" / "canonical" / "slightly-bad-cpu.sktrace")
    first, info = env.reset(seed=0, options={"trace": other})
    assert info["trace"] == other and info["observation"].containers != resets[0].containers
    again, _ = env.reset(seed=0, options={"trace": other})
    assert np.array_equal(first, again)


def test_proportional_halving_repairs_very_bad_memory_in_one_step() -> None:
    env = LearnEnv(MEMORY, reward="fit")
    obs, info = env.reset(seed=0)
    assert obs[FEATURES.index("insufficient_mem")] == 1.0 and obs[FEATURES.index("memory_over_room")] > 0
    halve_memory = env.action_labels.index("memory x0.5")
    obs, reward, terminated, truncated, info = env.step(halve_memory)  # 40Gi -> 20Gi: 3 pods fit 32Gi nodes
    assert info["status"] == "applied" and terminated and not truncated and reward == 1.0
    assert obs[FEATURES.index("last_acted")] == 1.0


def test_fit_reward_rises_as_the_request_nears_the_room() -> None:
    env = LearnEnv("family:cpu-far-over", reward="fit")
    env.reset(seed=2)
    _, before, *_ = env.step(0)
    _, after, *_ = env.step(env.action_labels.index("cpu x0.75"))
    assert after > before


def test_blocked_action_is_reported_and_changes_nothing() -> None:
    env = LearnEnv(MEMORY, action_space="discrete", profile="default", max_steps=2)
    env.reset(seed=0)
    obs, _, _, truncated, info = env.step(3)  # bump_memory: 40Gi + 256Mi is over the 32Gi cap
    assert info["status"] == "blocked" and "cap is 32Gi" in info["message"]
    assert obs[FEATURES.index("last_blocked")] == 1.0 and not truncated
    assert info["observation"].containers == env.reset(seed=0)[1]["observation"].containers


def test_seed_profile_shape_and_reward_breakdown() -> None:
    env = LearnEnv(MEMORY, profile="seed", reward="cost_aware_v2", obs_noise=0.5)
    assert env.action_space.n == 7 and env.action_labels == SEED_ORDER  # type: ignore[attr-defined]
    obs, _ = env.reset(seed=1)
    assert obs.shape == (5,) and obs[1] == pytest.approx(40 * 1024 / 4096)  # memory Mi / 4096
    _, reward, *_, info = env.step(SEED_ORDER.index("scale_down"))
    terms = info["reward_terms"]
    assert set(terms) >= {"health", "cost", "blockedPenalty", "final"} and reward == terms["final"] <= 0
    # seeded noise: the same seed gives the same noisy counts, another seed may differ
    again = LearnEnv(MEMORY, profile="seed", obs_noise=0.5)
    assert np.array_equal(
        again.reset(seed=1)[0], LearnEnv(MEMORY, profile="seed", obs_noise=0.5).reset(seed=1)[0]
    )


def test_make_vec_sync_and_async() -> None:
    for mode in ("sync", "async"):
        envs = gymnasium.make_vec(
            ENV_ID, num_envs=2, vectorization_mode=mode, traces=["family:oom-memory-limit"], max_steps=3
        )
        obs, _ = envs.reset(seed=[0, 1])
        assert obs.shape == (2, N_FEATURES)
        obs, rewards, *_ = envs.step(np.array([0, 0]))
        assert obs.shape == (2, N_FEATURES) and rewards.shape == (2,)
        envs.close()


def test_pickled_env_is_a_working_copy() -> None:
    env = LearnEnv(GENERATED)
    env.reset(seed=4)
    copy = pickle.loads(pickle.dumps(env))
    a, _ = env.reset(seed=5)
    b, _ = copy.reset(seed=5)
    assert np.array_equal(a, b)


def test_split_by_family_keeps_families_apart() -> None:
    train, held = split_by_family(
        [GENERATED, "family:replicas-under"], ["oom-memory-limit", "replicas-under"]
    )
    assert "oom-memory-limit" not in train.families and held.families == [
        "oom-memory-limit",
        "replicas-under",
    ]
    assert len(make_pool(str(ROOT / "traces" / "generated" / "cpu-*.sktrace")).families) == 3
    env = LearnEnv(GENERATED, holdout=["oom-memory-limit"], split="holdout")
    assert env.pool.families == ["oom-memory-limit"]


def test_bad_options_are_one_clear_line() -> None:
    with pytest.raises(SettingError, match=r"action_space='proportinal'.*did you mean 'proportional'"):
        LearnEnv(GENERATED, action_space="proportinal")
    with pytest.raises(UnknownNameError, match="trace family 'cpu-far'"):
        LearnEnv("family:cpu-far")
    with pytest.raises(SimArenaError, match=r"'nowhere/x\.sktrace' is not a trace file, a folder, a glob"):
        LearnEnv("nowhere/x.sktrace")
    with pytest.raises(SimArenaError, match="leaves no family to train on"):
        LearnEnv("family:replicas-under", holdout=["replicas-under"])
