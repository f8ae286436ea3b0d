"""Snapshots of fast and memoized replays copy and pickle as plain snapshots (SB3 deep-copies step infos)."""

from __future__ import annotations

import copy
import pickle

from pytest_simarena.backends.embedded import EmbeddedCluster
from pytest_simarena.backends.protocol import ClusterSnapshot
from pytest_simarena.trace.catalog import find_trace
from pytest_simarena.trace.io import load_trace


def test_a_lazy_snapshot_copies_and_pickles_as_its_lists() -> None:
    cluster = EmbeddedCluster(seed=0)
    snap = cluster.run_trace(load_trace(find_trace("slightly-bad-cpu")), seconds=120.0, cleanup=True)
    plain = ClusterSnapshot(snap.time, snap.prefix, snap.nodes, snap.pods, snap.workloads, snap.events)
    assert type(snap) is not ClusterSnapshot  # the case this test is about: a lazy one
    for copied in (copy.deepcopy(snap), pickle.loads(pickle.dumps(snap)), copy.copy(snap)):
        assert type(copied) is ClusterSnapshot
        assert copied == plain
