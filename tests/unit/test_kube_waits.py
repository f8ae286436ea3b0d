"""Waits say what was awaited and what was seen; the SimKube lock serializes processes (simkube.md §3.3)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_simarena.backends.kube.waits import FileLock, WaitTimeout, lock_path, poll_until


class FakeClock:
    """Simulated time for the poll loop: sleeping advances it, nothing really waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_poll_returns_the_first_value_that_is_done() -> None:
    clock = FakeClock()
    values = iter(["Initializing", "Initializing", "Running"])
    got = poll_until(
        lambda: next(values),
        lambda s: s == "Running",
        awaited="x",
        timeout=10,
        clock=clock,
        sleep=clock.sleep,
    )
    assert got == "Running" and clock.sleeps == [1.0, 1.0]


def test_timeout_names_what_was_awaited_and_the_last_value_seen() -> None:
    clock = FakeClock()
    with pytest.raises(WaitTimeout) as info:
        poll_until(
            lambda: ["virtual-default"],
            lambda left: not left,
            awaited="namespaces virtual-default to be deleted",
            timeout=2.5,
            describe=lambda left: f"still present: {', '.join(left)}",
            clock=clock,
            sleep=clock.sleep,
        )
    assert str(info.value) == (
        "timed out after 2.5s waiting for namespaces virtual-default to be deleted; "
        "last seen: still present: virtual-default"
    )
    assert clock.sleeps == [1.0, 1.0, 0.5]  # never sleeps past the deadline


def test_zero_timeout_still_looks_once() -> None:
    assert poll_until(lambda: 1, bool, awaited="x", timeout=0) == 1


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pytest_simarena.backends.kube.waits import FileLock
    with FileLock(sys.argv[1]):
        print("held", flush=True)
        sys.stdin.readline()
    """
)


def test_the_lock_excludes_another_process_and_names_it(tmp_path: Path) -> None:
    path = lock_path("https://127.0.0.1:6443", tmp_path)
    assert path.parent == tmp_path and path.name.startswith("simarena-simkube-")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(WaitTimeout) as info:
            FileLock(path, timeout=0.3, interval=0.1).acquire()
        assert "SimKube runs one simulation at a time" in str(info.value)
        assert f"held by process {holder.pid}" in str(info.value)
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=10)
    with FileLock(path, timeout=1) as lock:  # released by the holder: ours now
        assert lock.held
    assert not lock.held
    lock.release()  # idempotent
