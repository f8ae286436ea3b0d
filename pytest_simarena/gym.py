"""A Gymnasium environment over the embedded cluster (optional extra: ``pip install pytest-simarena[gym]``).

>>> import gymnasium, pytest_simarena.gym
>>> env = gymnasium.make("SimArena-v0", trace="traces/canonical/slightly-bad-cpu.sktrace")  # doctest: +SKIP

An episode: ``reset`` replays the original trace (options may name another: ``{"trace": path}``); each
``step(a)`` applies discrete action ``a`` (:mod:`pytest_simarena.policies.space`) to the trace through the
safeguards, replays the edited trace for ``step_seconds`` and observes. ``terminated`` when the workload is
healthy (ready == total == target, nothing pending), ``truncated`` after ``max_steps`` steps. The reward is
the named reward (default ``shaped``) of the NEW observation given the action's outcome.

Observation vector (``Box(0, 100, (15,), float32)``; counts divided by T = max(target, 1), sizes by the
largest node's allocatable, all clipped to [0, 100]):

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
from typing import Any, SupportsFloat

import gymnasium
import numpy as np
from gymnasium import spaces

from pytest_simarena.action_model import Action
from pytest_simarena.backends.protocol import ClusterBackend
from pytest_simarena.episode.loop import StepContext, apply_step_action, observe_trace
from pytest_simarena.episode.observation import HistoryEntry, Observation
from pytest_simarena.episode.runlog import trace_bytes
from pytest_simarena.episode.target import default_target, intended_cluster, resolve_workload
from pytest_simarena.errors import SimArenaError
from pytest_simarena.policies.registry import make_policy
from pytest_simarena.policies.space import DISCRETE_ACTIONS, N_ACTIONS, action_for
from pytest_simarena.rewards import StepOutcome, make_reward
from pytest_simarena.safeguards import DEFAULT_SAFEGUARDS
from pytest_simarena.settings import ClusterSettings, EpisodeSettings
from pytest_simarena.trace.io import load_trace
from pytest_simarena.trace.model import Trace

ENV_ID = "SimArena-v0"
OBS_SIZE = 15
OBS_HIGH = 100.0


def observation_vector(obs: Observation, max_steps: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The documented feature vector of ``obs`` (see the module docstring table)."""
    t = float(max(obs.target, 1))
    node = obs.node_allocatable
    node_cpu = float(node.cpu) if node and node.cpu > 0 else 1.0
    node_mem = float(node.memory) if node and node.memory > 0 else 1.0
    cpu_req = sum(c.effective_cpu_request for c in obs.containers)
    mem_req = sum(c.effective_memory_request for c in obs.containers)
    cpu_lim = sum(c.cpu_limit or 0 for c in obs.containers)
    mem_lim = sum(c.memory_limit or 0 for c in obs.containers)
    values = [
        obs.ready / t,
        obs.pending / t,
        obs.running / t,
        obs.crash_looping / t,
        obs.oom_killed / t,
        obs.total / t,
        obs.desired / t,
        cpu_req / node_cpu,
        mem_req / node_mem,
        cpu_lim / node_cpu,
        mem_lim / node_mem,
        1.0 if obs.insufficient_cpu else 0.0,
        1.0 if obs.insufficient_memory else 0.0,
        1.0 if obs.oom else 0.0,
        obs.step / max(max_steps, 1),
    ]
    return np.clip(np.asarray(values, dtype=np.float32), 0.0, OBS_HIGH)


class SimArenaEnv(gymnasium.Env[np.ndarray, np.int64]):
    """Repair one workload of a trace on the embedded cluster, one discrete action per step."""

    metadata = {"render_modes": []}  # noqa: RUF012 - Gymnasium's documented class attribute

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
        super().__init__()
        if render_mode is not None:
            raise SimArenaError(
                f"render_mode={render_mode!r}: SimArenaEnv does not render; see info['observation']"
            )
        base = settings if settings is not None else EpisodeSettings(reward="shaped", prefix="gym")
        cluster = overrides.pop("cluster", None)
        if cluster is not None and not isinstance(cluster, ClusterSettings):
            overrides["cluster"] = base.cluster.replace(file=str(cluster))
        elif cluster is not None:
            overrides["cluster"] = cluster
        if "safeguards" in overrides and overrides["safeguards"] is None:
            del overrides["safeguards"]
        self.settings = base.replace(**overrides) if overrides else base
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(N_ACTIONS)
        self.observation_space = spaces.Box(0.0, OBS_HIGH, shape=(OBS_SIZE,), dtype=np.float32)
        self._default_trace = trace
        self._workload_name = self.settings.workload
        self._target_override = self.settings.target
        self.max_steps = self.settings.max_steps
        self.step_seconds = self.settings.step_seconds
        self._reward = make_reward(self.settings.reward)
        self._given_backend = backend
        self._backend: ClusterBackend | None = backend
        self._safeguards = self.settings.safeguards or DEFAULT_SAFEGUARDS
        self._prefix = self.settings.prefix
        self._ctx: StepContext | None = None
        self._trace: Trace | None = None
        self._sha = ""  # sha256 of the trace's bytes (keys the memos of isolated replays and actions)
        self._actions: dict[int, Action] = {}
        self._steps = 0
        self._last: Observation | None = None

    # --- Gymnasium API ------------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray[Any, np.dtype[np.float32]], dict[str, Any]]:
        """Start an episode: ``options`` may give ``trace``, ``workload`` and ``target``; a seed or a new
        trace builds a fresh embedded cluster. Returns the first observation vector and info."""
        super().reset(seed=seed)
        options = dict(options or {})
        source = options.get("trace", self._default_trace)
        if source is None:
            raise SimArenaError(
                'SimArenaEnv needs a trace: SimArenaEnv(trace=...) or reset(options={"trace": ...})'
            )
        trace = source if isinstance(source, Trace) else load_trace(source)
        ref = resolve_workload(trace, options.get("workload", self._workload_name))
        target = options.get("target", self._target_override)
        goal = default_target(trace, ref) if target is None else int(target)
        if self._given_backend is None and (self._backend is None or seed is not None or "trace" in options):
            if self._backend is not None:
                self._backend.close()
            from pytest_simarena.backends.registry import make_backend

            options = self.settings.cluster.backend_options("embedded", intended=intended_cluster(trace))
            if self.settings.isolated:
                options["isolated"] = True
            self._backend = make_backend(
                "embedded", seed=self.settings.seed if seed is None else seed, **options
            )
        assert self._backend is not None
        self._ctx = StepContext(
            backend=self._backend,
            policy=make_policy("noop"),  # the agent acts through step(); the context only needs a name
            reward=self._reward,
            workload=ref,
            target=goal,
            prefix=self._prefix,
            step_seconds=self.step_seconds,
            safeguards=self._safeguards,
        )
        self._trace = trace
        self._sha = trace_bytes(trace)[1]
        self._actions = {}
        self._steps = 0
        self._last = self._observe(trace)
        return observation_vector(self._last, self.max_steps), self._info(self._last, "reset", "")

    def step(
        self, action: np.int64 | int
    ) -> tuple[np.ndarray[Any, np.dtype[np.float32]], SupportsFloat, bool, bool, dict[str, Any]]:
        """Apply discrete action ``action`` (policies/space.py) to the trace, replay and observe; terminated
        when the workload is healthy, truncated after ``max_steps``."""
        if self._ctx is None or self._trace is None:
            raise SimArenaError("call reset() before step()")
        index = int(action)
        chosen = self._actions.get(index)
        if chosen is None:  # Actions are values: one per index and workload (parsing them is not free)
            ref = self._ctx.workload
            chosen = self._actions[index] = action_for(
                index, ref.name, namespace=ref.namespace, kind=ref.kind
            )
        status, message, _, self._trace, _, self._sha = apply_step_action(
            self._trace, self._sha, chosen, self._safeguards
        )
        blocked = status == "blocked"
        self._steps += 1
        obs = self._observe(self._trace)
        outcome = StepOutcome(step=self._steps, action=chosen.type, status=status, blocked=blocked)
        reward = float(self._reward(obs, outcome))
        self._ctx.history.append(HistoryEntry(self._steps - 1, chosen.type, blocked, reward))
        self._last = obs
        terminated = obs.healthy
        truncated = not terminated and self._steps >= self.max_steps
        info = self._info(obs, status, message)
        return observation_vector(obs, self.max_steps), reward, terminated, truncated, info

    def close(self) -> None:
        """Close the embedded cluster the environment made (a backend passed in is left to its owner)."""
        if self._backend is not None and self._given_backend is None:
            self._backend.close()
            self._backend = None

    # --- helpers ------------------------------------------------------------------------------------

    def _observe(self, trace: Trace) -> Observation:
        assert self._ctx is not None
        try:
            return observe_trace(self._ctx, trace, self._steps, key=self._sha)
        finally:
            self._ctx.backend.run_hooks("post_run")
            self._ctx.backend.cleanup(self._ctx.prefix)

    @staticmethod
    def _info(obs: Observation, status: str, message: str) -> dict[str, Any]:
        return {"observation": obs, "status": status, "message": message, "healthy": obs.healthy}

    @property
    def trace(self) -> Trace | None:
        """The trace as the agent's actions left it."""
        return self._trace

    @property
    def action_names(self) -> tuple[str, ...]:
        """The action type of each discrete index."""
        return DISCRETE_ACTIONS


if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="pytest_simarena.gym:SimArenaEnv")
