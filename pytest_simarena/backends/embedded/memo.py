"""The replay memo of isolated clusters: (cluster, trace, prefix, duration) -> the snapshot and event log.

An isolated :class:`~pytest_simarena.backends.embedded.EmbeddedCluster` replays every trace on its pristine
seeded state, so a replay is a pure function of the cluster's spec/seed/lifecycle, the trace's bytes, the
prefix and the simulated duration. The same edited trace recurs across an episode's steps (a blocked or
unchanged action), across policies and across RL episodes; this memo serves those repeats.

A hit returns fresh dicts (the snapshot is kept as ``marshal`` bytes), so callers may mutate what they get.
The memo is bounded by entries and bytes (least recently used entries go first) and shared by every
cluster of the process, like the parsed pod-template cache.
"""

from __future__ import annotations

import marshal
from collections import OrderedDict
from typing import Any, Generic, TypeVar

from pytest_simarena.backends.protocol import ClusterSnapshot

MAX_ENTRIES = 1024
MAX_BYTES = 16 * 2**20

V = TypeVar("V")


Parts = tuple[list[Any], list[Any], list[Any], list[Any]]

# Event reasons no fast-path replay logs (backends/embedded/fastpath.py covers one workload with no
# PriorityClass: every pod has priority 0, so kube-scheduler's DefaultPreemption evicts nothing).
NOT_FAST_REASONS = frozenset({"Preempted"})


class LazySnapshot(ClusterSnapshot):
    """A snapshot whose lists are made on first access (by :meth:`_load`); built with lists (as
    ``dataclasses.replace`` does) it is a plain snapshot of them.

    ``memo_key`` names the replay, so what is derived from the snapshot alone (an episode observation)
    can be memoized by it too.
    """

    __slots__ = ("_parts", "memo_key")
    _parts: Parts | None
    memo_key: Any

    def __init__(
        self,
        time: float,
        prefix: str,
        nodes: list[Any] | None = None,
        pods: list[Any] | None = None,
        workloads: list[Any] | None = None,
        events: list[Any] | None = None,
        *,
        memo_key: Any = None,
        lazy: bool = False,
    ) -> None:
        parts = None if lazy else (nodes or [], pods or [], workloads or [], events or [])
        object.__setattr__(self, "memo_key", memo_key)
        object.__setattr__(self, "_parts", parts)
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "prefix", prefix)

    def _load(self) -> Parts:
        raise NotImplementedError

    def may_hold_event(self, reason: str) -> bool:
        """False for a reason a fast-path replay cannot log (fastpath.py: one workload, no PriorityClass,
        so no ``Preempted``) when this is one: its outcome (``fast``) answers without replaying the step."""
        return reason not in NOT_FAST_REASONS or getattr(self, "fast", None) is None

    def _decoded(self) -> Parts:
        parts = self._parts
        if parts is None:
            parts = self._load()
            object.__setattr__(self, "_parts", parts)
        return parts

    @property
    def nodes(self) -> list[Any]:
        return self._decoded()[0]

    @property
    def pods(self) -> list[Any]:
        return self._decoded()[1]

    @property
    def workloads(self) -> list[Any]:
        return self._decoded()[2]

    @property
    def events(self) -> list[Any]:
        return self._decoded()[3]

    def __reduce__(self) -> tuple[Any, ...]:
        # Copies and pickles (SB3 deep-copies step infos; vector envs pickle them) are plain snapshots of
        # the loaded lists: the lazy source (a cluster, a memo) does not travel.
        return (ClusterSnapshot, (self.time, self.prefix, *self._decoded()))


class MemoSnapshot(LazySnapshot):
    """A memoized replay's snapshot: its lists are decoded from the memo's bytes on first access."""

    __slots__ = ("_data",)
    _data: bytes

    def __init__(self, *snapshot: Any, memo_key: Any = None, data: bytes = b"", **lists: Any) -> None:
        # ``snapshot``/``lists``: LazySnapshot's (time, prefix, nodes, pods, workloads, events).
        super().__init__(*snapshot, memo_key=memo_key, lazy=bool(data), **lists)
        object.__setattr__(self, "_data", data)

    def _load(self) -> Parts:
        parts: Parts = marshal.loads(self._data)
        return parts


class LRU(Generic[V]):
    """A small least-recently-used map bounded by entries (for values that are cheap to keep)."""

    __slots__ = ("_entries", "max_entries")

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Any, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Any) -> V | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: Any, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


class ReplayMemo:
    """A bounded LRU of replay outcomes (see the module docstring)."""

    __slots__ = ("_bytes", "_entries", "hits", "max_bytes", "max_entries", "misses")

    def __init__(self, *, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Any, tuple[bytes, tuple[str, ...], float, str]] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Any) -> tuple[MemoSnapshot, tuple[str, ...]] | None:
        """A fresh (lazily decoded) copy of the snapshot and the log lines stored under ``key``, or None."""
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        data, log, time, prefix = found
        return MemoSnapshot(time, prefix, memo_key=key, data=data), log

    def put(self, key: Any, snapshot: ClusterSnapshot, log: tuple[str, ...]) -> MemoSnapshot | None:
        """Keep ``snapshot`` and ``log`` under ``key``; returns the memo's view of it (None: not kept,
        the snapshot holds non-plain data or is too big)."""
        try:
            data = marshal.dumps((snapshot.nodes, snapshot.pods, snapshot.workloads, snapshot.events))
        except ValueError:
            return None
        size = len(data) + sum(len(line) for line in log)
        if size > self.max_bytes:
            return None
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old[0]) + sum(len(line) for line in old[1])
        self._entries[key] = (data, log, snapshot.time, snapshot.prefix)
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, (d, lines, _, _) = self._entries.popitem(last=False)
            self._bytes -= len(d) + sum(len(line) for line in lines)
        kept = MemoSnapshot(snapshot.time, snapshot.prefix, memo_key=key, data=data)
        # The memo holds bytes, not these lists: the caller may have them as they are (no decoding).
        parts = (snapshot.nodes, snapshot.pods, snapshot.workloads, snapshot.events)
        object.__setattr__(kept, "_parts", parts)
        return kept

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0


REPLAYS = ReplayMemo()
