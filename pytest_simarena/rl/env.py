"""The learning env: many traces, a choice of action and observation spaces, shaped rewards.

>>> import gymnasium, pytest_simarena.rl.env
>>> env = gymnasium.make("SimArena-Learn-v0", traces=["family:cpu-far-over"])  # doctest: +SKIP

Each ``reset(seed=...)`` draws the episode's trace from ``traces`` (:mod:`pytest_simarena.rl.sampling`) and
the embedded cluster's seed from the env's generator, so the seed decides both. Each ``step(a)`` decodes
``a`` in the chosen action space (:mod:`pytest_simarena.rl.action_spaces`) into one Action, applies it to
the trace through the safeguards, replays the edited trace for ``step_seconds`` on a fresh replay and
observes. An action that left the trace as it was (noop, blocked, nothing to change) does not replay: the
cluster is where it was, and only the step count and the verdict change. ``terminated`` when the workload
is healthy, ``truncated`` after ``max_steps`` steps. The reward is the named reward of the NEW observation.

Observations (``observation=``): ``vector`` (the 28 features of :mod:`pytest_simarena.rl.features`),
``dict`` (the same numbers grouped), ``seed`` (the seed team's 5 features, with ``obs_noise``).
``profile="seed"`` sets the seed team's environment shape at once: ``seed`` actions and observation,
``seed`` safeguards, ``scale`` reward (each can still be overridden).

``info``: ``observation`` (the full Observation), ``status``/``message`` (the action's verdict), ``healthy``,
``trace`` (where it came from), ``action`` (the Action applied), and ``reward_terms`` for rewards with a
breakdown (``cost_aware_v2``). The env holds no shared state: every instance builds its own clusters, and a
pickled env (between episodes) is a working copy.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, SupportsFloat

import gymnasium
import numpy as np
from gymnasium import spaces

from pytest_simarena.actions import Action
from pytest_simarena.backends.protocol import ClusterBackend
from pytest_simarena.bounded import BoundedDict
from pytest_simarena.episode.fit import containers_number
from pytest_simarena.episode.frozen import builder
from pytest_simarena.episode.loop import StepContext, apply_step_action, note_scaled, observe_trace
from pytest_simarena.episode.observation import HistoryEntry, Observation, restamp
from pytest_simarena.episode.runlog import trace_bytes
from pytest_simarena.episode.target import default_target, intended_cluster, resolve_workload
from pytest_simarena.errors import SimArenaError
from pytest_simarena.policies.registry import make_policy
from pytest_simarena.rewards import StepOutcome, make_reward
from pytest_simarena.safeguards import safeguards_profile
from pytest_simarena.settings import ClusterSettings, EpisodeSettings, LearnSettings
from pytest_simarena.trace.io import load_trace
from pytest_simarena.trace.model import Trace, WorkloadRef

from .action_spaces import action_space_spec
from .features import GROUPS, HIGH, LOW, N_FEATURES, Layout, seed_vector
from .sampling import TracePool, make_pool

ENV_ID = "SimArena-Learn-v0"
OBSERVATIONS = ("vector", "dict", "seed")
SEED_OBS_BOUND = 100.0
PROFILES: dict[str, dict[str, Any]] = {
    "default": {
        "action_space": "proportional",
        "observation": "vector",
        "safeguards": "default",
        "reward": "fit",
    },
    "seed": {"action_space": "seed", "observation": "seed", "safeguards": "seed", "reward": "scale"},
}


def make_observation_space(kind: str) -> spaces.Space[Any]:
    """The gymnasium space of observation kind ``vector``, ``dict`` or ``seed``."""
    if kind == "vector":
        return spaces.Box(LOW, HIGH, shape=(N_FEATURES,), dtype=np.float32)
    if kind == "dict":
        return spaces.Dict(
            {name: spaces.Box(LOW, HIGH, shape=(b - a,), dtype=np.float32) for name, (a, b) in GROUPS.items()}
        )
    if kind == "seed":
        return spaces.Box(-SEED_OBS_BOUND, SEED_OBS_BOUND, shape=(5,), dtype=np.float32)
    raise SimArenaError(f"observation={kind!r}: expected one of {', '.join(OBSERVATIONS)}")


def make_action_space(name: str) -> spaces.Space[Any]:
    """The gymnasium space of the named action space (Discrete or MultiDiscrete)."""
    spec = action_space_spec(name)
    if spec.nvec is not None:
        return spaces.MultiDiscrete(list(spec.nvec))
    return spaces.Discrete(spec.n or 1)


class LearnEnv(gymnasium.Env[Any, Any]):
    """Repair the workload of a trace drawn from ``traces`` at each reset (module docstring)."""

    metadata = {"render_modes": []}  # noqa: RUF012 - Gymnasium's documented class attribute

    def __init__(
        self,
        traces: str | Sequence[str] | TracePool | Trace | None = "family:*",
        *,
        settings: EpisodeSettings | None = None,
        learn: LearnSettings | None = None,
        backend: ClusterBackend | None = None,
        generator_seed: int = 0,
        split: str = "train",
        render_mode: str | None = None,
        **overrides: Any,
    ) -> None:
        """``settings`` are the episode rows (reward, max_steps, step_seconds, seed, workload, target,
        cluster, safeguards...; default: the profile's reward, prefix ``learn``), ``learn`` the learning
        rows (profile, action_space, observation, obs_noise, holdout). ``overrides`` replace fields of
        either by name (``max_steps=5``, ``action_space="parametric"``, ``safeguards="seed"``)."""
        super().__init__()
        if render_mode is not None:
            raise SimArenaError(
                f"render_mode={render_mode!r}: LearnEnv does not render; see info['observation']"
            )
        if split not in ("train", "holdout"):
            raise SimArenaError(f"split={split!r}: expected 'train' or 'holdout'")
        learn_fields = {f.name for f in dataclasses.fields(LearnSettings)}
        learn_changes = {k: overrides.pop(k) for k in list(overrides) if k in learn_fields}
        if isinstance(learn_changes.get("holdout"), list | str):
            raw = learn_changes["holdout"]
            learn_changes["holdout"] = (raw,) if isinstance(raw, str) else tuple(raw)
        self.learn = (learn or LearnSettings()).replace(**learn_changes)
        defaults = PROFILES[self.learn.profile]
        reward = overrides.pop("reward", None)
        guards = overrides.pop("safeguards", None)
        cluster = overrides.pop("cluster", None)
        base = (
            settings if settings is not None else EpisodeSettings(reward=defaults["reward"], prefix="learn")
        )
        if cluster is not None:
            overrides["cluster"] = (
                cluster if isinstance(cluster, ClusterSettings) else ClusterSettings(file=str(cluster))
            )
        if isinstance(reward, str):
            overrides["reward"] = reward
        self.settings = base.replace(**overrides) if overrides else base
        self.render_mode = render_mode
        self.profile = self.learn.profile
        self.action_space_name = self.learn.action_space or defaults["action_space"]
        self.observation_kind = self.learn.observation or defaults["observation"]
        self._spec = action_space_spec(self.action_space_name)
        self.action_space = make_action_space(self.action_space_name)
        self.observation_space = make_observation_space(self.observation_kind)
        self._reward = make_reward(
            reward if reward is not None and not isinstance(reward, str) else self.settings.reward
        )
        if guards is None:
            guards = self.settings.safeguards or defaults["safeguards"]
        self._safeguards = safeguards_profile(guards) if isinstance(guards, str) else guards
        self.max_steps = self.settings.max_steps
        self.step_seconds = self.settings.step_seconds
        self.obs_noise = self.learn.obs_noise
        self._fixed: Trace | None = traces if isinstance(traces, Trace) else None
        if isinstance(traces, TracePool):
            pool = traces
        elif isinstance(traces, Trace) or traces is None:
            pool = TracePool()
        else:
            pool = make_pool(traces, generator_seed=generator_seed)
        if self.learn.holdout:
            train, held = pool.split(self.learn.holdout)
            pool = train if split == "train" else held
        self.pool = pool
        self._given_backend = backend
        self._backend: ClusterBackend | None = backend
        self._ctx: StepContext | None = None
        self._trace: Trace | None = None
        self._label = ""
        self._steps = 0
        self._last: Observation | None = None
        self._seeded = False
        self._sha = ""  # sha256 of the trace's bytes (keys the step memos)
        breakdown = getattr(self._reward, "breakdown", None)
        self._breakdown = breakdown if callable(breakdown) else None
        self._layout = Layout(None, LOW, HIGH)
        # This episode's decoded actions: by the action's key (and the containers' value when the space's
        # actions read them); the workload and target they may read are the episode's own.
        self._decoded: BoundedDict[Any, Action] = BoundedDict(4096)
        self._plain = self._spec.plain
        # What a reset derives from a trace (its bytes' sha256, workload, target), by the trace's identity
        # and the options: a trace is never edited in place (an action makes a new one).
        self._starts: BoundedDict[tuple[Any, ...], tuple[Trace, str, WorkloadRef, int]] = BoundedDict(64)
        self._specs: BoundedDict[str, Any] = BoundedDict(64)  # the embedded clusters' node specs by options

    # --- Gymnasium API ------------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Draw a trace (``options={"trace": path}`` picks one) and a cluster seed; observe step 0."""
        if seed is None and not self._seeded:
            seed = self.settings.seed  # the first episode is seeded even when the caller gave no seed
        self._seeded = True
        super().reset(seed=seed)
        options = dict(options or {})
        if "trace" in options:
            source = options["trace"]
            trace = source if isinstance(source, Trace) else load_trace(source)
            label = str(source) if not isinstance(source, Trace) else (trace.path or "<trace>")
        elif self._fixed is not None:
            trace, label = self._fixed, self._fixed.path or "<trace>"
        else:
            if len(self.pool) == 0:
                raise SimArenaError(
                    'no traces to sample from: give traces=... or reset(options={"trace": ...})'
                )
            label, trace = self.pool.sample(self.np_random)
        cluster_seed = int(self.np_random.integers(2**31 - 1))
        workload, target = (
            options.get("workload", self.settings.workload),
            options.get("target", self.settings.target),
        )
        start_key = (id(trace), repr(workload), repr(target))  # (any option value, hashable or not)
        start = self._starts.get(start_key)
        if start is None:
            ref = resolve_workload(
                trace, workload, kind=self.settings.kind, namespace=self.settings.namespace
            )
            goal = default_target(trace, ref) if target is None else int(target)
            start = self._starts[start_key] = (trace, trace_bytes(trace)[1], ref, goal)
        _, sha, ref, goal = start
        if self._given_backend is None:
            self.close()
            from pytest_simarena.backends.registry import make_backend

            backend_options = self.settings.cluster.backend_options(
                "embedded", intended=intended_cluster(trace)
            )
            # The node spec those options name is built (parsed and checked) once; each episode's cluster
            # gets it with its own seed.
            spec_key = repr(sorted(backend_options.items()))
            spec = self._specs.get(spec_key)
            if spec is not None:
                backend_options = {"spec": spec}
            if self.settings.isolated:
                backend_options["isolated"] = True
            self._backend = make_backend("embedded", seed=cluster_seed, **backend_options)
            if spec is None:
                self._specs[spec_key] = getattr(self._backend, "spec", None)
        assert self._backend is not None
        self._ctx = StepContext(
            backend=self._backend,
            policy=_NOOP,  # the agent acts through step(); the context only needs a name
            reward=self._reward,
            workload=ref,
            target=goal,
            prefix=self.settings.prefix,
            step_seconds=self.step_seconds,
            safeguards=self._safeguards,
        )
        self._trace, self._label, self._steps = trace, label, 0
        self._sha = sha  # keys the step memos (actions; isolated replays)
        self._decoded.clear()
        self._last = self._observe(trace)
        info = {"observation": self._last, "status": "reset", "message": "", "healthy": self._last.healthy}
        return self._encode(self._last), {**info, "trace": label}

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Decode ``action``, apply it through the safeguards, replay if the trace changed, observe."""
        ctx, trace, last = self._ctx, self._trace, self._last
        if ctx is None or trace is None or last is None:
            raise SimArenaError("call reset() before step()")
        chosen = self._decoded.get(action) if self._plain and type(action) is int else None
        if chosen is None:
            chosen = self._decode(action, last)
        sha = self._sha
        status, message, changes, nxt, _, nsha = apply_step_action(trace, sha, chosen, self._safeguards)
        self._sha = nsha
        self._steps = steps = self._steps + 1
        if nxt is trace:
            obs = restamp(last, steps, last.history, last.snapshot)
        else:
            note_scaled(ctx, trace, sha, changes, nxt, nsha)
            self._trace = nxt
            obs = self._observe(nxt)
        blocked = status == "blocked"
        outcome = _NEW_OUTCOME(steps, chosen.type, status, blocked)
        reward = float(self._reward(obs, outcome))
        history = ctx.history
        history.append(_NEW_ENTRY(steps - 1, chosen.type, blocked, reward))
        # The policy in an episode sees every earlier step in its observation's history: so does the agent.
        self._last = obs = restamp(obs, steps, tuple(history), obs.snapshot)
        terminated = obs.healthy
        truncated = not terminated and steps >= self.max_steps
        return self._encode(obs), reward, terminated, truncated, self._info(obs, outcome, message, chosen)

    def _decode(self, action: Any, last: Observation) -> Action:
        """The Action of ``action`` in the state ``last``, remembered for the episode."""
        spec = self._spec
        key = spec.key(action)
        if spec.plain:
            memo_key: Any = key
        elif type(last.containers) is tuple:
            memo_key = (key, containers_number(last.containers))
        else:  # a hand-made observation's containers have no number: decoded afresh
            return spec.decode_key(key, last)
        found = self._decoded.get(memo_key)
        if found is None:
            found = self._decoded[memo_key] = spec.decode_key(key, last)
        return found

    def _info(self, obs: Observation, outcome: StepOutcome, message: str, chosen: Action) -> dict[str, Any]:
        """A step's info (module docstring)."""
        info: dict[str, Any] = {
            "observation": obs,
            "status": outcome.status,
            "message": message,
            "healthy": obs.healthy,
            "trace": self._label,
            "action": chosen,
        }
        if self._breakdown is not None:
            info["reward_terms"] = self._breakdown(obs, outcome)
        return info

    def close(self) -> None:
        """Close the current episode's embedded cluster (a backend passed in is left to its owner)."""
        if self._backend is not None and self._given_backend is None:
            self._backend.close()
            self._backend = None

    def __getstate__(self) -> dict[str, Any]:
        # A cluster mid-episode is not worth shipping: a pickled env starts over at its next reset().
        state = dict(self.__dict__)
        state.update(_ctx=None, _trace=None, _last=None, _steps=0, _decoded={}, _starts={}, _specs={})
        if self._given_backend is None:
            state["_backend"] = None
        return state

    # --- helpers ------------------------------------------------------------------------------------

    def _observe(self, trace: Trace) -> Observation:
        assert self._ctx is not None
        try:
            return observe_trace(self._ctx, trace, self._steps, key=self._sha)
        finally:
            self._ctx.backend.run_hooks("post_run")
            self._ctx.backend.cleanup(self._ctx.prefix)

    def _encode(self, obs: Observation) -> Any:
        if self.observation_kind == "seed":
            return seed_vector(obs, noise=self.obs_noise, rng=self.np_random)
        vector = self._layout.vector(obs, self.max_steps)
        if self.observation_kind == "dict":
            return {name: vector[a:b] for name, (a, b) in GROUPS.items()}
        return vector

    def process_seconds(self) -> float:
        """CPU seconds of the process this env runs in (training sums its env subprocesses' figures)."""
        return time.process_time()

    @property
    def trace(self) -> Trace | None:
        """The trace as the agent's actions left it."""
        return self._trace

    @property
    def action_labels(self) -> tuple[str, ...]:
        """What each discrete index does (empty for MultiDiscrete spaces)."""
        return self._spec.labels


_NOOP = make_policy("noop")
_NEW_OUTCOME = builder(StepOutcome)  # built every step: without the frozen __init__'s per-field cost
_NEW_ENTRY = builder(HistoryEntry)


def make_env(traces: str | Sequence[str] | Path = "family:*", **options: Any) -> LearnEnv:
    """A :class:`LearnEnv` (a plain function: picklable, usable as a vector env factory)."""
    return LearnEnv(str(traces) if isinstance(traces, Path) else traces, **options)


if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="pytest_simarena.rl.env:LearnEnv")
