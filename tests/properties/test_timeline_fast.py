"""The report's pod timeline drawn from a fast-path step equals the one drawn from its full snapshot; a chart
equals itself drawn with nothing remembered from other charts."""

from __future__ import annotations

import copy
import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_simarena.episode.loop import run_episode
from pytest_simarena.episode.results import EpisodeResult
from pytest_simarena.report.timeline import (
    Segment,
    StepWindow,
    Timeline,
    clear_remembered_parts,
    episode_timeline,
    timeline_svg,
)
from pytest_simarena.trace.generator import FAMILIES, generate_trace


def _from_snapshots(result: EpisodeResult) -> EpisodeResult:
    """``result`` with every step's snapshot a plain one (copies are: memo.LazySnapshot.__reduce__)."""
    steps = []
    for record in result.steps:
        obs = record.observation
        if obs is not None and obs.snapshot is not None:
            obs = dataclasses.replace(obs, snapshot=copy.copy(obs.snapshot))
        steps.append(dataclasses.replace(record, observation=obs))
    return dataclasses.replace(result, steps=steps)


@settings(max_examples=40, deadline=None)
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    index=st.integers(0, 50),
    policy=st.sampled_from(["random", "heuristic", "noop", "vpa"]),
    seed=st.integers(0, 2**16),
    isolated=st.booleans(),
)
def test_fast_timeline_equals_snapshot_timeline(
    family: str, index: int, policy: str, seed: int, isolated: bool
) -> None:
    """(Isolated: the pods of a memoized outcome, which fastpath shares among outcomes.)"""
    result = run_episode(generate_trace(family, 0, index), policy, seed=seed, max_steps=4, isolated=isolated)
    fast = [r for r in result.steps if getattr(r.observation.snapshot, "fast", None) is not None]
    plain = _from_snapshots(result)
    assert not any(getattr(r.observation.snapshot, "fast", None) for r in plain.steps)
    assert episode_timeline(result) == episode_timeline(plain), f"{len(fast)} fast steps"


def test_the_canonical_step_draws_from_the_fast_path() -> None:
    result = run_episode(generate_trace("cpu-slightly-over", 0, 0), "noop", seed=0, max_steps=2)
    assert all(getattr(r.observation.snapshot, "fast", None) is not None for r in result.steps)
    assert episode_timeline(result) == episode_timeline(_from_snapshots(result))


def test_a_fast_step_without_pods_draws_nothing_without_its_snapshot() -> None:
    trace = generate_trace("cpu-slightly-over", 0, 0)
    (deployment,) = trace.events[0]["applied_objs"]
    deployment["spec"]["replicas"] = 0
    result = run_episode(trace, "noop", seed=0, max_steps=2)
    snapshots = [r.observation.snapshot for r in result.steps]
    assert all(getattr(s, "fast", None) is not None and not s.fast.pods for s in snapshots)
    timeline = episode_timeline(result)
    # The fast snapshots' API lists are built by the engine on first read: drawing did not read them.
    assert all(getattr(s, "_parts", None) is None for s in snapshots)
    assert timeline == episode_timeline(_from_snapshots(result))
    assert timeline.lanes == 0 and not timeline.segments


_windows = st.lists(
    st.tuples(
        st.sampled_from([30.0, 60.0, 120.0, 121.5, 600.0]),
        st.sampled_from(["-", "noop", "bump_cpu", "scale_up", "set_memory_limit x" * 3]),
        st.sampled_from(["applied", "blocked", "unchanged", "solved"]),
    ),
    min_size=1,
    max_size=6,
)


@st.composite
def _timelines(draw: st.DrawFn) -> tuple[Timeline, float]:
    windows, cursor = [], 0.0
    for step, (length, action, status) in enumerate(draw(_windows)):
        windows.append(StepWindow(step, cursor, cursor + length, action, status))
        cursor += length
    lanes = draw(st.integers(0, 14))
    segments = tuple(
        Segment(lane, w.start, w.end, draw(st.sampled_from(["Ready", "Pending", "Failing"])), f"p-{lane}")
        for w in windows
        for lane in range(lanes)
    )
    target = draw(st.none() | st.integers(0, 9))
    return Timeline(tuple(windows), segments, lanes, target), draw(st.sampled_from([640.0, 480.0]))


@settings(max_examples=30, deadline=None)
@given(charts=st.lists(_timelines(), min_size=1, max_size=8))
def test_charts_drawn_after_others_equal_charts_drawn_alone(charts: list[tuple[Timeline, float]]) -> None:
    # The step windows, axis and legend are remembered across charts: a chart drawn after others (its
    # parts possibly remembered from them) is the chart drawn with nothing remembered.
    warm = [timeline_svg(t, width=w) for t, w in charts]
    for (timeline, width), drawn in zip(charts, warm, strict=True):
        clear_remembered_parts()
        assert timeline_svg(timeline, width=width) == drawn
