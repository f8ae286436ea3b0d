"""The first Gymnasium env, kept compatible: one trace, ``Discrete(7)``, a 15-feature vector
(``pip install pytest-simarena[gym]``). New work should use :mod:`pytest_simarena.rl.env`
(``SimArena-Learn-v0``: many traces, more action spaces, 28 features); this class is a thin profile of it.

>>> import gymnasium, pytest_simarena.gym
>>> env = gymnasium.make("SimArena-v0", trace="traces/canonical/slightly-bad-cpu.sktrace")  # doctest: +SKIP

An episode: ``reset`` replays the original trace (options may name another: ``{"trace": path}``); each
``step(a)`` applies discrete action ``a`` (:mod:`pytest_simarena.policies.space`) to the trace through the
safeguards, replays the edited trace for ``step_seconds`` and observes. ``terminated`` when the workload is
healthy (ready == total == target, nothing pending), ``truncated`` after ``max_steps`` steps. The reward is
the named reward (default ``shaped``) of the NEW observation given the action's outcome.

Observation vector (``Box(0, 100, (15,), float32)``; counts divided by T = max(target, 1), sizes by the
largest node's allocatable, all clipped to [0, 100]): features 0-6, 8-11, 18, 19, 21 and 27 of
:mod:`pytest_simarena.rl.features`, in that order:

=====  ============================================
Index  Feature
=====  ============================================
0      ready / T
1      pending / T
2      running / T
3      crash-looping pods / T
4      OOM-killed pods / T
5      total pods / T
6      desired replicas / T
7      pod cpu request / node cpu
8      pod memory request / node memory
9      pod cpu limit / node cpu (0 when unset)
10     pod memory limit / node memory (0 when unset)
11     1 if the scheduler said Insufficient cpu
12     1 if the scheduler said Insufficient memory
13     1 if a container was OOMKilled
14     step / max_steps
=====  ============================================

``info["observation"]`` is the full :class:`~pytest_simarena.episode.observation.Observation` (with the raw
API-shaped snapshot); ``info["status"]``/``info["message"]`` the safeguard/apply verdict of the action.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from pytest_simarena.backends.protocol import ClusterBackend
from pytest_simarena.episode.observation import Observation
from pytest_simarena.policies.space import DISCRETE_ACTIONS
from pytest_simarena.rl.env import LearnEnv
from pytest_simarena.rl.features import Layout
from pytest_simarena.settings import EpisodeSettings
from pytest_simarena.trace.io import load_trace
from pytest_simarena.trace.model import Trace

ENV_ID = "SimArena-v0"
OBS_SIZE = 15
OBS_HIGH = 100.0
LEGACY_FEATURES = (0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 18, 19, 21, 27)
_LAYOUT = Layout(LEGACY_FEATURES, 0.0, OBS_HIGH)


def observation_vector(obs: Observation, max_steps: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The documented 15-feature vector of ``obs`` (see the module docstring table)."""
    return _LAYOUT.vector(obs, max_steps)


class SimArenaEnv(LearnEnv):
    """Repair one workload of a trace on the embedded cluster, one discrete action per step."""

    def __init__(
        self,
        trace: str | Path | Trace | None = None,
        *,
        settings: EpisodeSettings | None = None,
        backend: ClusterBackend | None = None,
        render_mode: str | None = None,
        **overrides: Any,
    ) -> None:
        """``settings`` as for :func:`~pytest_simarena.episode.loop.run_episode` (this env's own defaults:
        reward ``shaped``, a learning signal, and prefix ``gym``); ``overrides`` replace fields of it
        (``max_steps=5``, ``cluster="cluster.yaml"``)."""
        fixed = load_trace(trace) if isinstance(trace, str | Path) else trace
        base = settings if settings is not None else EpisodeSettings(reward="shaped", prefix="gym")
        super().__init__(
            fixed,
            settings=base,
            backend=backend,
            render_mode=render_mode,
            action_space="discrete",
            **overrides,
        )
        self.observation_space = spaces.Box(0.0, OBS_HIGH, shape=(OBS_SIZE,), dtype=np.float32)

    def _encode(self, obs: Observation) -> Any:
        return _LAYOUT.vector(obs, self.max_steps)

    @property
    def action_names(self) -> tuple[str, ...]:
        """The action type of each discrete index."""
        return DISCRETE_ACTIONS


if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="pytest_simarena.gym:SimArenaEnv")
