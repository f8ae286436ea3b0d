"""Waiting on a real cluster: polls with a timeout, and the cross-process lock that serializes SimKube runs.

A wait never sleeps blindly: it polls a fetch function until a predicate holds, and on timeout raises a
:class:`WaitTimeout` that says what was awaited, for how long, and what was seen last (so a user can tell a
slow controller from a stuck one). Polls, not watches: a poll every second is cheap at our object counts,
survives API server restarts and needs no resourceVersion bookkeeping.

SimKube runs one simulation at a time (its controller holds the Lease ``sk-lease``, simkube.md §3.3: a
second one is Blocked). :class:`FileLock` serializes our simulations across pytest-xdist workers and
concurrent ``simarena`` processes on this machine with an ``flock`` on a file in the temp dir.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, TypeVar

from pytest_simarena.errors import BackendError

T = TypeVar("T")


class WaitTimeout(BackendError):
    """A wait ran out of time; the message says what was awaited and what was seen."""

    def __init__(self, awaited: str, timeout: float, seen: str) -> None:
        self.awaited = awaited
        self.timeout = timeout
        self.seen = seen
        super().__init__(f"timed out after {timeout:g}s waiting for {awaited}; last seen: {seen}")


def poll_until(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    *,
    awaited: str,
    timeout: float,
    interval: float = 1.0,
    describe: Callable[[T], str] = repr,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fetch`` until ``done(value)``; return that value, or raise WaitTimeout after ``timeout`` s.

    ``fetch`` runs at least once even with ``timeout`` 0; the sleeps never overshoot the deadline.
    """
    deadline = clock() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        left = deadline - clock()
        if left <= 0:
            raise WaitTimeout(awaited, timeout, describe(value))
        sleep(min(interval, left))


def sleep_until(deadline: float, *, clock: Callable[[], float] = time.monotonic) -> None:
    """Sleep until the monotonic ``deadline`` (the step's own duration: the one sleep we allow)."""
    while True:
        left = deadline - clock()
        if left <= 0:
            return
        time.sleep(min(left, 1.0))


def lock_path(key: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """The lock file for ``key`` (one per cluster: its server URL), in the temp dir by default."""
    import hashlib

    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(directory or tempfile.gettempdir()) / f"simarena-simkube-{digest}.lock"


class FileLock:
    """An exclusive ``flock`` on ``path``, waited for with a timeout; the holder's pid is in the file."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 3600.0, interval: float = 0.5):
        self.path = Path(path)
        self.timeout = timeout
        self.interval = interval
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def _try(self, handle: IO[str]) -> bool:
        import fcntl

        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _holder(self) -> str:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return "unknown"
        return f"process {text}" if text else "unknown"

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout`` s; WaitTimeout names the holder otherwise."""
        if self._file is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            poll_until(
                lambda: self._try(handle),
                bool,
                awaited=f"the SimKube lock {self.path} (SimKube runs one simulation at a time)",
                timeout=self.timeout,
                interval=self.interval,
                describe=lambda _got: f"held by {self._holder()}",
            )
        except BaseException:
            handle.close()
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Let the next waiter in; safe to call when not held."""
        handle, self._file = self._file, None
        if handle is None:
            return
        import fcntl

        with contextlib.suppress(OSError):
            handle.seek(0)
            handle.truncate()
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
