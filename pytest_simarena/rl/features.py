"""The learning observation: a documented, normalized feature vector (and its Dict grouping).

Every feature is computed from an :class:`~pytest_simarena.episode.observation.Observation` alone, so the
training env and a trained policy running in ``simarena run``/``batch`` (no numpy, gymnasium or torch:
:func:`clipped_values`) see the same numbers. T = max(target, 1); "node" is the largest node's
allocatable; "room" is the largest per-pod request with which ``target`` pods fit the nodes' free room
(the heuristic's own measure).

=====  ================  ======================================================================
Index  Name              Value (clipped to [-1, 4])
=====  ================  ======================================================================
0      ready             ready / T
1      pending           pending / T
2      running           running / T
3      crash_looping     crash-looping pods / T
4      oom_killed        OOM-killed pods / T
5      total             pods that exist / T
6      desired           spec.replicas / T
7      target            T / 10
8      cpu_request       pod cpu request / node cpu
9      memory_request    pod memory request / node memory
10     cpu_limit         pod cpu limit / node cpu (0 when unset)
11     memory_limit      pod memory limit / node memory (0 when unset)
12     cpu_usage         pod cpu usage (declared) / node cpu
13     memory_usage      pod memory usage (declared) / node memory
14     cpu_over_room     log2(pod cpu request / cpu room) / 4 (1 when nothing fits)
15     memory_over_room  log2(pod memory request / memory room) / 4 (1 when nothing fits)
16     oom_pressure      log2(max over containers of memory usage / memory limit) / 4 (0 without limits)
17     capacity          pods of the current size that fit / T, at most 2
18     insufficient_cpu  1 if the last FailedScheduling says Insufficient cpu
19     insufficient_mem  1 if it says Insufficient memory
20     too_many_pods     1 if it says Too many pods
21     oom               1 if a container was OOMKilled
22     backoff           1 if a container is in CrashLoopBackOff / BackOff
23     rejected          1 if the API rejected the object (request above limit...)
24     last_noop         1 if the previous action was a noop
25     last_blocked      1 if the previous action was blocked by the safeguards
26     last_acted        1 if the previous action went through (not noop, not blocked)
27     progress          step / max_steps
=====  ================  ======================================================================

The Dict variant groups the same numbers: ``counts`` (0-7), ``resources`` (8-13), ``fit`` (14-17),
``reasons`` (18-23), ``verdict`` (24-26), ``progress`` (27).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_simarena.bounded import BoundedDict
from pytest_simarena.episode.fit import by_state

if TYPE_CHECKING:
    import numpy as np

    from pytest_simarena.episode.observation import Observation

FEATURES: tuple[str, ...] = (
    "ready", "pending", "running", "crash_looping", "oom_killed", "total", "desired", "target",
    "cpu_request", "memory_request", "cpu_limit", "memory_limit", "cpu_usage", "memory_usage",
    "cpu_over_room", "memory_over_room", "oom_pressure", "capacity",
    "insufficient_cpu", "insufficient_mem", "too_many_pods", "oom", "backoff", "rejected",
    "last_noop", "last_blocked", "last_acted", "progress",
)  # fmt: skip
N_FEATURES = len(FEATURES)
LOW, HIGH = -1.0, 4.0
GROUPS: dict[str, tuple[int, int]] = {
    "counts": (0, 8),
    "resources": (8, 14),
    "fit": (14, 18),
    "reasons": (18, 24),
    "verdict": (24, 27),
    "progress": (27, 28),
}
# The seed team's 5-feature state (env/simkube_gymenv.py _compute_dqn_state), in its order and scales.
SEED_FEATURES: tuple[str, ...] = (
    "cpu_m/4000",
    "memory_mi/4096",
    "pending/5",
    "(target-total)/5",
    "replicas/8",
)


def feature_values(obs: Observation, *, max_steps: int) -> list[float]:
    """The features of ``obs`` in :data:`FEATURES` order, unclipped."""
    return [*_state(obs).values, *_verdict_progress(obs, max_steps)]


def state_values(obs: Observation, fit: dict[str, float] | None = None) -> list[float]:
    """Features 0-23 of ``obs`` (everything but the last verdict and the progress), computed afresh but
    for the fit measures (:func:`pytest_simarena.episode.fit.fit_measures`, or ``fit`` when given)."""
    return [*_counts(obs), *_shape(obs, fit), *_reasons(obs)]


def _counts(obs: Observation) -> tuple[float, ...]:
    """Features 0-6: the pod counts and desired replicas over T."""
    t = float(max(obs.target, 1))
    return (
        obs.ready / t,
        obs.pending / t,
        obs.running / t,
        obs.crash_looping / t,
        obs.oom_killed / t,
        obs.total / t,
        obs.desired / t,
    )


def _shape(obs: Observation, fit: dict[str, float] | None = None) -> tuple[float, ...]:
    """Features 7-17: what the target, the containers and the nodes give (the fit measures or ``fit``)."""
    t = float(max(obs.target, 1))
    node = obs.node_allocatable
    node_cpu = float(node.cpu) if node and node.cpu > 0 else 1.0
    node_mem = float(node.memory) if node and node.memory > 0 else 1.0
    from pytest_simarena.episode.fit import fit_measures

    if fit is None:
        fit = fit_measures(obs)
    return (
        t / 10.0,
        obs.pod_request("cpu") / node_cpu,
        obs.pod_request("memory") / node_mem,
        sum(c.cpu_limit or 0 for c in obs.containers) / node_cpu,
        sum(c.memory_limit or 0 for c in obs.containers) / node_mem,
        sum(c.cpu_usage or 0 for c in obs.containers) / node_cpu,
        sum(c.memory_usage or 0 for c in obs.containers) / node_mem,
        fit["cpu_over_room"],
        fit["memory_over_room"],
        fit["oom_pressure"],
        fit["capacity"],
    )


def _reasons(obs: Observation) -> tuple[float, ...]:
    """Features 18-23: what the scheduler, the kubelet and the API said."""
    backoff = bool(obs.backoff) or obs.crash_looping > 0
    return (
        float(obs.insufficient_cpu),
        float(obs.insufficient_memory),
        float(obs.too_many_pods),
        float(bool(obs.oom)),
        float(backoff),
        float(bool(obs.rejected)),
    )


N_STATE = 24  # features 0-23 read the workload state; 24-27 the last verdict and the progress


def _verdict_progress(obs: Observation, max_steps: int) -> tuple[float, float, float, float]:
    """Features 24-27: the last step's verdict and the progress."""
    last = obs.history[-1] if obs.history else None
    return (
        float(last is not None and last.action == "noop"),
        float(last is not None and last.blocked),
        float(last is not None and last.action != "noop" and not last.blocked),
        obs.step / max(max_steps, 1),
    )


class _State:
    """Features 0-23 of one workload state and its clipped vectors by :class:`Layout`.

    An env uses one layout: its vector is kept in two slots (a dict per state was a third of the memo's
    size and one more object for the cyclic collector per state); other layouts' go to a dict made when
    a second layout asks."""

    __slots__ = ("layout", "others", "template", "values")

    def __init__(self, obs: Observation) -> None:
        # Features 7-17 are shared by every state of the same containers, nodes and target.
        shape = by_state(_SHAPES, obs, (obs.target,), _shape)
        self.values = (*_counts(obs), *shape, *_reasons(obs))
        self.layout: Layout | None = None
        self.template: np.ndarray[Any, np.dtype[np.float32]] | None = None
        self.others: BoundedDict[Layout, np.ndarray[Any, np.dtype[np.float32]]] | None = None

    def template_of(self, layout: Layout) -> np.ndarray[Any, np.dtype[np.float32]]:
        """``layout``'s clipped vector of this state with the verdict and progress left at 0."""
        if self.layout is layout:
            assert self.template is not None
            return self.template
        if self.layout is None:
            self.layout, self.template = layout, layout._template(self.values)
            return self.template
        if self.others is None:
            self.others = BoundedDict(64)
        template = self.others.get(layout)
        if template is None:
            template = self.others[layout] = layout._template(self.values)
        return template


# Features 0-23 by the workload state they read (a state seen before, as most random-action steps
# revisit one, costs a dict lookup instead of ~30 us of fit measures).
_STATES: dict[tuple[Any, ...], _State] = {}
_SHAPES: dict[tuple[Any, ...], tuple[float, ...]] = {}


def _state(obs: Observation) -> _State:
    extra = (
        obs.target,
        obs.ready,
        obs.pending,
        obs.running,
        obs.crash_looping,
        obs.oom_killed,
        obs.total,
        obs.desired,
        obs.failed_scheduling,
        obs.oom,
        obs.backoff,
        obs.rejected,
    )
    return by_state(_STATES, obs, extra, _State)


def clear_memo() -> None:
    """Forget every remembered feature state and fit measure (benchmarks start each figure cold)."""
    from pytest_simarena.episode.fit import clear_memo as clear_fit_memo

    _STATES.clear()
    _SHAPES.clear()
    clear_fit_memo()


def clipped_values(obs: Observation, *, max_steps: int) -> list[float]:
    """The features of ``obs`` clipped to [LOW, HIGH], as plain floats (what trained policies read)."""
    return [min(HIGH, max(LOW, v)) for v in feature_values(obs, max_steps=max_steps)]


class Layout:
    """A vector layout: which features (every one when ``indices`` is None), clipped to [low, high], as
    float32. :meth:`vector` clips a workload state's part once (kept with the state) and writes the last
    verdict and the progress into a copy of it."""

    __slots__ = ("high", "indices", "low", "progress_at", "verdict_at")

    def __init__(self, indices: tuple[int, ...] | None, low: float, high: float) -> None:
        import numpy as np

        if float(np.float32(low)) != low or float(np.float32(high)) != high:
            raise ValueError(f"clip bounds {low}, {high} must be exact float32 values")
        self.indices, self.low, self.high = indices, low, high
        order = range(N_FEATURES) if indices is None else indices
        tail = [(pos, i) for pos, i in enumerate(order) if i >= N_STATE]
        # Where the progress goes (most layouts: once), and the verdict features (output position, index).
        self.progress_at = tuple(pos for pos, i in tail if i == N_FEATURES - 1)
        self.verdict_at = tuple((pos, i) for pos, i in tail if i < N_FEATURES - 1)

    def vector(self, obs: Observation, max_steps: int) -> np.ndarray[Any, np.dtype[np.float32]]:
        """``np.clip(np.asarray([features[i] for i in indices], float32), low, high)``, a new array."""
        state = _state(obs)
        template = state.template
        if template is None or state.layout is not self:
            template = state.template_of(self)
        vector = template.copy()
        # Clipping before or after the float32 rounding gives the same float32 for a finite value (rounding
        # is monotone and keeps the bounds, which float32 holds exactly); the tail is never NaN.
        low, high = self.low, self.high
        if self.progress_at:
            progress = min(high, max(low, obs.step / max(max_steps, 1)))
            for pos in self.progress_at:
                vector[pos] = progress
        if self.verdict_at:
            tail = _verdict_progress(obs, max_steps)
            for pos, i in self.verdict_at:
                vector[pos] = min(high, max(low, tail[i - N_STATE]))
        return vector

    def _template(self, values: tuple[float, ...]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """The clipped float32 vector of this layout with the verdict and progress left at 0."""
        import numpy as np

        order = range(N_FEATURES) if self.indices is None else self.indices
        chosen = [values[i] if i < N_STATE else 0.0 for i in order]
        low, high = self.low, self.high
        # A NaN fails both comparisons and stays NaN, as np.clip keeps it.
        clipped = [high if v > high else low if v < low else v for v in chosen]
        return np.array(clipped, dtype=np.float32)


# Layouts by (indices, low, high), for callers that name them (a layout keys the states' vectors).
_LAYOUTS: BoundedDict[tuple[Any, ...], Layout] = BoundedDict(64)


def clipped_vector(
    obs: Observation, indices: tuple[int, ...] | None, low: float, high: float, *, max_steps: int
) -> np.ndarray[Any, np.dtype[np.float32]]:
    """``np.clip(np.asarray([features[i] for i in indices], float32), low, high)`` (every feature when
    ``indices`` is None), each call a new array (:class:`Layout`)."""
    key = (indices, low, high)
    layout = _LAYOUTS.get(key)
    if layout is None:
        layout = _LAYOUTS[key] = Layout(indices, low, high)
    return layout.vector(obs, max_steps)


def observation_vector(obs: Observation, *, max_steps: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The feature vector of ``obs`` (float32, clipped to [LOW, HIGH]); see the module table."""
    return clipped_vector(obs, None, LOW, HIGH, max_steps=max_steps)


def observation_dict(obs: Observation, *, max_steps: int) -> dict[str, np.ndarray[Any, np.dtype[np.float32]]]:
    """The same numbers grouped by :data:`GROUPS`."""
    vector = observation_vector(obs, max_steps=max_steps)
    return {name: vector[a:b] for name, (a, b) in GROUPS.items()}


def seed_counts(obs: Observation, noise: float, rng: np.random.Generator | None) -> tuple[int, int, int]:
    """(ready, pending, total), with the seed's optional Gaussian noise: each count + N(0, noise) rounded,
    at least 0, and total raised to ready + pending when needed (seed observe/reader.py add_obs_noise)."""
    ready, pending, total = obs.ready, obs.pending, obs.total
    if noise > 0 and rng is not None:
        ready, pending, total = (
            max(0, round(v + float(rng.normal(0.0, noise)))) for v in (ready, pending, total)
        )
        total = max(total, ready + pending)
    return ready, pending, total


def seed_values(
    obs: Observation, *, noise: float = 0.0, rng: np.random.Generator | None = None
) -> list[float]:
    """The seed team's 5 features: pod cpu request in m / 4000, memory in Mi / 4096, pending / 5,
    (target - total) / 5, min(1, spec.replicas / 8); counts optionally noisy (:func:`seed_counts`)."""
    _, pending, total = seed_counts(obs, noise, rng)
    return [
        obs.pod_request("cpu") / 4000.0,
        obs.pod_request("memory") / (1024 * 1024) / 4096.0,
        pending / 5.0,
        (obs.target - total) / 5.0,
        min(1.0, obs.desired / 8.0),
    ]


def seed_vector(
    obs: Observation, *, noise: float = 0.0, rng: np.random.Generator | None = None
) -> np.ndarray[Any, np.dtype[np.float32]]:
    """:func:`seed_values` as a float32 vector (the env's ``seed`` observation)."""
    import numpy as np

    return np.asarray(seed_values(obs, noise=noise, rng=rng), dtype=np.float32)
