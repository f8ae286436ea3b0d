"""The Gymnasium env: Gymnasium's own checker, vector envs, and an agent solving a trace by hand."""

from __future__ import annotations

from pathlib import Path

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from pytest_simarena.gym import ENV_ID, OBS_SIZE, SimArenaEnv
from pytest_simarena.policies.space import DISCRETE_ACTIONS

ROOT = Path(__file__).resolve().parents[2]
SLIGHT = str(ROOT / "traces" / "canonical" / "slightly-bad-cpu.sktrace")
MEMORY = str(ROOT / "traces" / "canonical" / "very-bad-memory.sktrace")


def test_passes_gymnasium_env_checker() -> None:
    env = SimArenaEnv(SLIGHT, max_steps=5)
    check_env(env, skip_render_check=True)
    env.close()


def test_registered_id_and_spaces() -> None:
    env = gymnasium.make(ENV_ID, trace=SLIGHT)
    assert env.action_space.n == len(DISCRETE_ACTIONS)  # type: ignore[attr-defined]
    assert env.observation_space.shape == (OBS_SIZE,)
    obs, info = env.reset(seed=0)
    assert obs.dtype == np.float32 and obs.shape == (OBS_SIZE,)
    assert info["observation"].pending == 3 and obs[1] == pytest.approx(1.0)  # pending / target
    env.close()


def test_two_reduce_cpu_steps_solve_the_slightly_bad_cpu_trace() -> None:
    env = SimArenaEnv(SLIGHT, reward="binary")
    env.reset(seed=0)
    reduce_cpu = DISCRETE_ACTIONS.index("reduce_cpu")
    _, reward, terminated, truncated, info = env.step(reduce_cpu)  # 17 -> 16.5 cpu: still Pending
    assert (reward, terminated, truncated) == (0.0, False, False) and info["status"] == "applied"
    _, reward, terminated, truncated, info = env.step(reduce_cpu)  # 16 cpu fits exactly (k8s notes §1.1)
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info["observation"].ready == 3
    env.close()


def test_blocked_actions_and_truncation() -> None:
    env = SimArenaEnv(SLIGHT, max_steps=2)
    env.reset(seed=0)
    _, _, terminated, truncated, info = env.step(DISCRETE_ACTIONS.index("bump_cpu"))
    assert info["status"] == "blocked" and "cap is 16" in info["message"] and not terminated and not truncated
    _, _, terminated, truncated, _ = env.step(0)
    assert not terminated and truncated


def test_reset_options_switch_trace() -> None:
    env = SimArenaEnv(SLIGHT)
    _, info = env.reset(seed=0, options={"trace": MEMORY})
    assert info["observation"].insufficient_memory
    env.close()


def test_sync_vector_env_steps_several_copies() -> None:
    envs = gymnasium.vector.SyncVectorEnv([lambda: SimArenaEnv(SLIGHT, reward="binary") for _ in range(3)])
    obs, _ = envs.reset(seed=[0, 1, 2])
    assert obs.shape == (3, OBS_SIZE)
    reduce_cpu = DISCRETE_ACTIONS.index("reduce_cpu")
    envs.step(np.array([reduce_cpu, 0, reduce_cpu]))
    _, rewards, terminated, _, _ = envs.step(np.array([reduce_cpu, 0, reduce_cpu]))
    assert list(terminated) == [True, False, True] and list(rewards) == [1.0, 0.0, 1.0]
    envs.close()
