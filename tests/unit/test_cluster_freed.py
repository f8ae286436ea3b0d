"""An embedded cluster is not cyclic garbage: one built per episode (as users build them) is freed by
reference counting when its last user lets go, and its copies call back themselves (cluster.py _Wiring,
fastpath.RngMark)."""

from __future__ import annotations

import copy
import gc
import pickle
import weakref
from collections.abc import Iterator

import pytest

from pytest_simarena.backends.embedded import EmbeddedCluster
from pytest_simarena.episode.loop import run_episode
from pytest_simarena.gym import SimArenaEnv
from pytest_simarena.trace.catalog import find_trace
from pytest_simarena.trace.io import load_trace


@pytest.fixture
def collector_off() -> Iterator[None]:
    """The cyclic collector stopped: what is freed meanwhile was freed by reference counting."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.parametrize("isolated", [False, True], ids=["reused", "isolated"])
def test_a_cluster_after_an_episode_is_freed_by_reference_counting(
    isolated: bool, collector_off: None
) -> None:
    trace = load_trace(find_trace("slightly-bad-cpu"))
    run_episode(trace, "random", backend=EmbeddedCluster(seed=3, isolated=isolated), max_steps=8, seed=2)
    gc.collect()  # (what first uses left: imports made on first call)
    cluster = EmbeddedCluster(seed=3, isolated=isolated)
    result = run_episode(trace, "random", backend=cluster, max_steps=8, seed=2)
    assert len(result.steps) > 1
    gone = weakref.ref(cluster)
    del cluster
    assert gone() is None
    del result
    assert gc.collect() == 0  # and nothing else of the episode was left in a cycle


def test_a_gym_env_with_its_own_clusters_leaves_no_cyclic_garbage(collector_off: None) -> None:
    env = SimArenaEnv(str(find_trace("slightly-bad-cpu")), max_steps=5)

    def episodes() -> None:
        env.reset(seed=0)
        for n in range(30):
            _, _, terminated, truncated, _ = env.step(n % len(env.action_names))
            if terminated or truncated:
                env.reset()

    episodes()  # first uses (imports made on first call leave cyclic garbage of their own)
    gc.collect()
    episodes()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        found = gc.collect()
        left = sorted({type(o).__qualname__ for o in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert found == 0, left


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_cluster_calls_back_the_copy(how: str) -> None:
    """A copy taken mid-run (pods pending, the scheduler and kubelet about to call back) goes on as the
    original would, also after the original is gone."""
    trace = load_trace(find_trace("slightly-bad-cpu"))

    def started() -> EmbeddedCluster:
        cluster = EmbeddedCluster(seed=5)
        cluster.fast = False
        cluster.start(trace, "virtual")
        cluster.run(0.5)
        return cluster

    alone = started()
    alone.run(60)
    original = started()
    twin = copy.deepcopy(original) if how == "deepcopy" else pickle.loads(pickle.dumps(original))
    del original
    twin.run(60)
    assert twin.event_log == alone.event_log
    assert twin.observe("virtual") == alone.observe("virtual")


def test_a_copied_generator_mark_stands_on_the_copied_clock() -> None:
    """After fast steps the clock holds a generator mark (fastpath.RngMark); the engine replaying on a
    copy puts the copy's generator back on the copy's clock and leaves the original's alone."""
    trace = load_trace(find_trace("slightly-bad-cpu"))

    def stepped() -> EmbeddedCluster:
        cluster = EmbeddedCluster(seed=7)
        for _ in range(2):
            cluster.run_trace(trace, "virtual", 120, cleanup=True)
            cluster.cleanup("virtual")
        cluster.fast = False
        return cluster

    def engine_step(cluster: EmbeddedCluster) -> tuple[object, ...]:
        snap = cluster.run_trace(trace, "virtual", 120, cleanup=True)
        cluster.cleanup("virtual")
        return snap.pods, snap.events

    alone = engine_step(stepped())
    original = stepped()
    twin = copy.deepcopy(original)
    assert engine_step(twin) == alone
    assert engine_step(original) == alone


def test_unread_fast_step_lines_are_not_tracked_by_the_collector() -> None:
    """A reused cluster keeps its fast steps' log lines unformatted until read (hundreds of steps): as
    plain values, which the cyclic collector stops tracking, so its full collections do not walk them."""
    trace = load_trace(find_trace("slightly-bad-cpu"))
    cluster = EmbeddedCluster(seed=1)
    for _ in range(20):
        assert hasattr(cluster.run_trace(trace, "virtual", 120, cleanup=True), "fast")
        cluster.cleanup("virtual")
    pending = cluster.recorder._pending
    assert len(pending) == 20
    gc.collect()
    gc.collect()  # (a tuple is untracked once the tuples it holds are: a pass may see it first)
    assert not any(gc.is_tracked(entry) for entry in pending)
    assert len(cluster.event_log) == 20 * 7  # and they read as the engine's lines (test_fastpath)
