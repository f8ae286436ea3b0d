"""The RL env's step and features (rl/env.py, rl/features.py, episode/fit.py, gym.py) against the
reference path (hypothesis, differential).

The env remembers the features of each workload state it has seen and the fit measures, and restamps
observations without ``dataclasses.replace``. The reference here is the code as it was before that:
every feature computed from the Observation afresh, then ``np.clip(np.asarray(values, float32), low,
high)``, and the step building its observations with ``dataclasses.replace``. Random action sequences
drive the same env twice, on reused or isolated clusters, through the action spaces and observation
kinds; every reset and step must give byte-identical observations (same dtype), the same rewards, flags
and info. Hand-built observations that differ from each other in one field check the memos' keys.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, SupportsFloat

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_simarena.episode.fit import fit_measures, measure
from pytest_simarena.episode.loop import apply_step_action, note_scaled
from pytest_simarena.episode.observation import ContainerView, HistoryEntry, NodeView, Observation
from pytest_simarena.gym import LEGACY_FEATURES, OBS_HIGH, SimArenaEnv
from pytest_simarena.rewards import StepOutcome
from pytest_simarena.rl import features
from pytest_simarena.rl.env import LearnEnv
from pytest_simarena.rl.features import GROUPS, HIGH, LOW, seed_vector, state_values
from pytest_simarena.trace.model import WorkloadRef

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = sorted(str(p) for p in (ROOT / "traces" / "canonical").glob("*.sktrace"))
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

Vector = np.ndarray[Any, np.dtype[np.float32]]


def reference_values(obs: Observation, max_steps: int) -> list[float]:
    """Every feature of ``obs`` computed afresh (the module table), no memo."""
    last = obs.history[-1] if obs.history else None
    return [
        *state_values(obs, fit=measure(obs)),
        float(last is not None and last.action == "noop"),
        float(last is not None and last.blocked),
        float(last is not None and last.action != "noop" and not last.blocked),
        obs.step / max(max_steps, 1),
    ]


def reference_vector(
    obs: Observation, max_steps: int, indices: tuple[int, ...] | None, low: float, high: float
) -> Vector:
    values = reference_values(obs, max_steps)
    chosen = values if indices is None else [values[i] for i in indices]
    return np.clip(np.asarray(chosen, dtype=np.float32), low, high)


class ReferenceStep(LearnEnv):
    """The env's step as it was: ``dataclasses.replace`` for every observation, features afresh, and each
    reset reading its trace and building its cluster's node spec afresh."""

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        self._starts.clear()
        self._specs.clear()
        return super().reset(seed=seed, options=options)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        assert self._ctx is not None and self._trace is not None and self._last is not None
        chosen = self._spec.decode(action, self._last)  # never remembered
        sha = self._sha
        status, message, changes, nxt, _, self._sha = apply_step_action(
            self._trace, sha, chosen, self._safeguards
        )
        if nxt is not self._trace:
            note_scaled(self._ctx, self._trace, sha, changes, nxt, self._sha)
        blocked = status == "blocked"
        self._steps += 1
        if nxt is self._trace:
            obs = dataclasses.replace(self._last, step=self._steps)
        else:
            self._trace = nxt
            obs = self._observe(self._trace)
        outcome = StepOutcome(step=self._steps, action=chosen.type, status=status, blocked=blocked)
        reward = float(self._reward(obs, outcome))
        self._ctx.history.append(HistoryEntry(self._steps - 1, chosen.type, blocked, reward))
        obs = dataclasses.replace(obs, history=tuple(self._ctx.history))
        self._last = obs
        terminated = obs.healthy
        truncated = not terminated and self._steps >= self.max_steps
        return self._encode(obs), reward, terminated, truncated, self._info(obs, outcome, message, chosen)

    def _encode(self, obs: Observation) -> Any:
        if self.observation_kind == "seed":
            return seed_vector(obs, noise=self.obs_noise, rng=self.np_random)
        vector = reference_vector(obs, self.max_steps, None, LOW, HIGH)
        if self.observation_kind == "dict":
            return {name: vector[a:b] for name, (a, b) in GROUPS.items()}
        return vector


class ReferenceGym(ReferenceStep, SimArenaEnv):
    def _encode(self, obs: Observation) -> Any:
        return reference_vector(obs, self.max_steps, LEGACY_FEATURES, 0.0, OBS_HIGH)


def watching(obs: Observation, outcome: StepOutcome) -> float:
    """A reward that reads what a user's reward may read: the step, the history, every count."""
    return obs.step + len(obs.history) / 100 + sum(h.reward for h in obs.history) + obs.ready / 1000


def same_encoding(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_encoding(a[k], b[k]) for k in a)
    return bool(a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes())


def same_info(a: dict[str, Any], b: dict[str, Any]) -> bool:
    oa, ob = a["observation"], b["observation"]
    plain = {k: v for k, v in a.items() if k != "observation"} == {
        k: v for k, v in b.items() if k != "observation"
    }
    return plain and oa == ob and repr(oa) == repr(ob) and oa.to_json() == ob.to_json()


def drive(env: LearnEnv, ref: LearnEnv, seed: int, actions: list[Any]) -> None:
    """Run both envs through ``actions`` (resetting when an episode ends); compare every output."""
    try:
        (o1, i1), (o2, i2) = env.reset(seed=seed), ref.reset(seed=seed)
        assert same_encoding(o1, o2) and same_info(i1, i2)
        for action in actions:
            got, want = env.step(action), ref.step(action)
            assert same_encoding(got[0], want[0]), (action, got[0], want[0])
            assert repr(got[1]) == repr(want[1]) and got[2:4] == want[2:4]
            assert same_info(got[4], want[4])
            if got[2] or got[3]:
                (o1, i1), (o2, i2) = env.reset(), ref.reset()
                assert same_encoding(o1, o2) and same_info(i1, i2)
    finally:
        env.close()
        ref.close()


@SETTINGS
@given(
    trace=st.sampled_from(CANONICAL),
    seed=st.integers(0, 2**16),
    isolated=st.booleans(),
    actions=st.lists(st.integers(0, 6), min_size=1, max_size=80),
)
def test_gym_env_matches_the_reference(trace: str, seed: int, isolated: bool, actions: list[int]) -> None:
    features.clear_memo()
    options = {"max_steps": 12, "isolated": isolated, "reward": watching}
    drive(SimArenaEnv(trace, **options), ReferenceGym(trace, **options), seed, actions)


@SETTINGS
@given(
    space=st.sampled_from(["discrete", "proportional", "parametric", "seed"]),
    kind=st.sampled_from(["vector", "dict", "seed"]),
    reward=st.sampled_from(["fit", "shaped", "cost_aware_v2", watching]),
    seed=st.integers(0, 2**16),
    isolated=st.booleans(),
    data=st.data(),
)
def test_learn_env_matches_the_reference(
    space: str, kind: str, reward: Any, seed: int, isolated: bool, data: st.DataObject
) -> None:
    options: dict[str, Any] = {
        "action_space": space,
        "observation": kind,
        "reward": reward,
        "max_steps": 10,
        "isolated": isolated,
    }
    env = LearnEnv("family:*", **options)
    if space == "parametric":
        action = st.tuples(st.integers(0, 2), st.integers(0, 8)).map(list)
    else:
        action = st.integers(0, env.action_space.n - 1)  # type: ignore[attr-defined]
    actions = data.draw(st.lists(action, min_size=1, max_size=40))
    drive(env, ReferenceStep("family:*", **options), seed, actions)


# --- hand-built observations: states that share containers and nodes ------------------------------------

CONTAINERS = (
    (ContainerView("app", cpu_request=500, memory_request=2**28, cpu_limit=1000, memory_limit=2**29),),
    (
        ContainerView("app", cpu_request=4000, memory_request=2**33, memory_limit=2**33, memory_usage=2**34),
        ContainerView("side", cpu_limit=100, cpu_usage=50),
    ),
    (),
)
NODES = (
    tuple(NodeView(f"n{i}", 16000, 2**35, 110) for i in range(3)),
    (NodeView("a", 4000, 2**33, 10, 3000, 2**32, 3, 1000, 2**31, 1), NodeView("b", 2000, 2**32, 4)),
    (),
)
WORKLOADS = (
    WorkloadRef("apps/v1.Deployment", "default", "web"),
    WorkloadRef("apps/v1.Deployment", "shop", "api"),
)
MESSAGES = (None, "0/3 nodes are available: 3 Insufficient cpu.", "Too many pods, Insufficient memory")


# Nodes and containers of a few units each, so that a change of any one field can move a feature.
UNITS = st.integers(0, 8)


def small_nodes() -> st.SearchStrategy[NodeView]:
    names = st.sampled_from(["n0", "n1", "n2"])
    return st.builds(NodeView, names, UNITS, UNITS, UNITS, UNITS, UNITS, UNITS, UNITS, UNITS, UNITS)


def small_containers() -> st.SearchStrategy[ContainerView]:
    maybe = st.none() | UNITS
    return st.builds(
        ContainerView, st.sampled_from(["app", "side"]), maybe, maybe, maybe, maybe, maybe, maybe
    )


@st.composite
def observations(draw: st.DrawFn, small: bool = False) -> Observation:
    count = st.integers(0, 6)
    if not small and draw(st.booleans()):
        containers, nodes = draw(st.sampled_from(CONTAINERS)), draw(st.sampled_from(NODES))
    else:
        containers = tuple(draw(st.lists(small_containers(), min_size=1, max_size=2)))
        nodes = tuple(draw(st.lists(small_nodes(), min_size=1, max_size=3)))
    history = draw(
        st.lists(
            st.builds(HistoryEntry, st.integers(0, 9), st.sampled_from(["noop", "bump_cpu"]), st.booleans(),
                      st.floats(-1, 1)),
            max_size=3,
        )
    )  # fmt: skip
    return Observation(
        step=draw(st.integers(0, 60)),
        time=120.0,
        workload=draw(st.sampled_from(WORKLOADS)),
        target=draw(st.integers(0, 5)),
        desired=draw(count),
        ready=draw(count),
        pending=draw(count),
        running=draw(count),
        crash_looping=draw(count),
        oom_killed=draw(count),
        total=draw(count),
        containers=containers,
        failed_scheduling=draw(st.sampled_from(MESSAGES)),
        oom=draw(st.sampled_from([None, "container app in pod web-1 was OOMKilled"])),
        backoff=draw(st.sampled_from([None, "back-off 10s"])),
        rejected=draw(st.sampled_from([None, "FailedApply"])),
        nodes=nodes,
        history=tuple(history),
    )


@st.composite
def related(draw: st.DrawFn) -> list[Observation]:
    """Observations that differ from a first one in one field each (the memo must tell them apart)."""
    first = draw(observations())
    out = [first]
    for _ in range(draw(st.integers(1, 10))):
        other = draw(observations())
        name = draw(
            st.sampled_from([f.name for f in dataclasses.fields(Observation) if f.name != "snapshot"])
        )
        out.append(dataclasses.replace(first, **{name: getattr(other, name)}))
    return out


@settings(max_examples=200, deadline=None)
@given(batch=related(), max_steps=st.integers(1, 60), repeat=st.data())
def test_remembered_features_are_the_computed_ones(
    batch: list[Observation], max_steps: int, repeat: st.DataObject
) -> None:
    features.clear_memo()
    # Each observation twice, in a drawn order: the second sight of a state comes from the memo.
    for obs in repeat.draw(st.permutations(batch + batch)):
        want = reference_values(obs, max_steps)
        assert features.feature_values(obs, max_steps=max_steps) == want
        for indices, low, high in (
            (None, LOW, HIGH),
            (LEGACY_FEATURES, 0.0, OBS_HIGH),
            ((27, 3, 25), -1.0, 4.0),
        ):
            got = features.clipped_vector(obs, indices, low, high, max_steps=max_steps)
            ref = reference_vector(obs, max_steps, indices, low, high)
            assert got.dtype == ref.dtype and got.tobytes() == ref.tobytes()
            got[:] = 9.0  # the caller's array is its own: the memo is not touched
        as_list = dataclasses.replace(obs, containers=list(obs.containers))  # type: ignore[arg-type]
        assert features.feature_values(as_list, max_steps=max_steps) == want
        assert fit_measures(obs) == measure(obs)


@settings(max_examples=40, deadline=None)
@given(obs=observations(small=True), max_steps=st.integers(1, 60))
def test_every_field_of_the_nodes_and_containers_keys_the_memos(obs: Observation, max_steps: int) -> None:
    """New tuples equal to the observation's, or apart from them in one field of every item (each value
    a few units, so a node's pod slots or room can bind), give the features and measures computed afresh:
    the memos number the tuples by the value of every field they read."""
    features.clear_memo()
    variants = [obs]
    for name in ("containers", "nodes"):
        items = getattr(obs, name)
        for f in dataclasses.fields(items[0]):
            values = ["n0", "n1", "n2", "app", "side"] if f.name == "name" else [None, *range(9)]
            for value in values:
                if value is None and f.type != "int | None":
                    continue
                changed = tuple(dataclasses.replace(i, **{f.name: value}) for i in items)
                variants.append(dataclasses.replace(obs, **{name: changed}))
    for o in variants + variants[::-1]:
        assert features.feature_values(o, max_steps=max_steps) == reference_values(o, max_steps)
        assert fit_measures(o) == measure(o)
