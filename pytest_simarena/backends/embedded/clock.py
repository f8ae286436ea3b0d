"""Simulated time: a heap of timed callbacks, jumped through in order; never the wall clock, never sleep.

Every component of the embedded cluster schedules work here (``clock.at(t, fn, *args)``). Callbacks due at
the same instant run in the order they were scheduled (a sequence number breaks ties), which together
with one seeded ``random.Random`` makes a run a pure function of (seed, trace, cluster spec).
Timestamps shown to users are RFC3339 strings counted from a fixed epoch (the trace's first ``ts``).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pytest_simarena.errors import BackendError

# 2024-01-01T00:00:00Z: the epoch when a cluster is used without a trace (apply() directly).
DEFAULT_EPOCH = 1704067200
# Far above what any real trace needs at one instant (100k pods bound at t=0 are ~10 callbacks each).
MAX_CALLBACKS_PER_INSTANT = 5_000_000

Callback = Callable[..., None]


# Formatted timestamps kept (per clock, cleared when full; and process-wide, least recently used go):
# a reused cluster's clock keeps moving, so neither may grow with it.
MAX_TIMESTAMPS = 4096


@lru_cache(maxsize=MAX_TIMESTAMPS)
def _rfc3339(unix_seconds: int) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Clock:
    """Simulated seconds since the cluster started, a timer heap, and the run's single RNG."""

    # (__weakref__: the generator mark the fast path stands on ``rng`` refers back weakly, fastpath.RngMark)
    __slots__ = ("__weakref__", "_heap", "_rfc_cache", "_seq", "epoch", "now", "rng")

    def __init__(self, *, seed: int = 0, epoch: int = DEFAULT_EPOCH) -> None:
        self.now = 0.0
        self.epoch = epoch
        # One generator for every random choice (names, uids, tie-breaks, jitter): same seed, same run.
        self.rng = random.Random(seed)
        self._heap: list[tuple[float, int, Callback, tuple[Any, ...]]] = []
        self._seq = 0
        self._rfc_cache: dict[float, str] = {}

    def set_epoch(self, epoch: int) -> None:
        """Count timestamps from ``epoch`` (unix seconds) from now on."""
        self.epoch = epoch
        self._rfc_cache.clear()

    def at(self, when: float, fn: Callback, *args: Any) -> None:
        """Run ``fn(*args)`` at simulated time ``when`` (never earlier than now)."""
        if when < self.now:
            when = self.now
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, fn, args))

    def after(self, delay: float, fn: Callback, *args: Any) -> None:
        """Run ``fn(*args)`` ``delay`` simulated seconds from now."""
        self.at(self.now + delay, fn, *args)

    def soon(self, fn: Callback, *args: Any) -> None:
        """Run ``fn(*args)`` at the current instant, after what is already due now."""
        self.at(self.now, fn, *args)

    def next_time(self) -> float | None:
        """When the next callback is due, or None when nothing is scheduled."""
        return self._heap[0][0] if self._heap else None

    def run_until_time(self, target: float, stop: Callable[[], bool] | None = None) -> bool:
        """Run every callback due at or before ``target``; the clock ends at ``target``.

        With ``stop``, it is checked after each instant's callbacks have all run; when it returns True
        the clock stays at that instant and True is returned.
        """
        heap = self._heap
        pop = heapq.heappop
        if stop is not None and stop():
            return True
        same_instant = 0
        while heap and heap[0][0] <= target:
            when, _, fn, args = pop(heap)
            if when == self.now:
                # A loop of callbacks that never lets time advance would hang the caller forever (a
                # simulator bug, e.g. a retry rescheduled at the instant it ran): fail loudly instead.
                same_instant += 1
                if same_instant > MAX_CALLBACKS_PER_INSTANT:
                    raise BackendError(
                        f"simulated time stopped advancing at t={when:.3f}s: more than "
                        f"{MAX_CALLBACKS_PER_INSTANT} callbacks at one instant (a simulator bug; last: "
                        f"{getattr(fn, '__qualname__', fn)})"
                    )
            else:
                same_instant = 0
            self.now = when
            fn(*args)
            if stop is not None and (not heap or heap[0][0] > when) and stop():
                return True
        if target > self.now:
            self.now = target
        return False

    def timestamp(self, t: float | None = None) -> str:
        """RFC3339 (second precision, as metav1.Time serializes) of simulated time ``t`` (default now)."""
        if t is None:
            t = self.now
        text = self._rfc_cache.get(t)
        if text is None:
            if len(self._rfc_cache) >= MAX_TIMESTAMPS:
                self._rfc_cache.clear()  # a reused cluster's clock keeps moving: keep the cache bounded
            text = self._rfc_cache[t] = _rfc3339(int(self.epoch + t))
        return text

    def token(self, length: int, alphabet: str) -> str:
        """A random string (pod name suffixes: Kubernetes' utilrand.String alphabet)."""
        # random.choices(alphabet, k=length) inlined: the same draws (floor(random() * n) each), cheaper.
        draw = self.rng.random
        n = len(alphabet)
        return "".join([alphabet[int(draw() * n)] for _ in range(length)])

    def uid(self) -> str:
        """A version-4-shaped UUID drawn from the run's RNG (deterministic, unlike uuid.uuid4)."""
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
