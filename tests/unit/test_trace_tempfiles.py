"""Temp files (issue 11): a writer killed by SIGKILL leaves its temp file; the next write removes it.

The writers are real processes killed with a real SIGKILL while ``atomic_write`` holds their temp file open.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_simarena.trace.generator import canonical_traces
from pytest_simarena.trace.io import (
    STALE_AFTER_SECONDS,
    TEMP_SUFFIX,
    dump_trace,
    load_trace,
    remove_stale_temp_files,
)

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

# Writes a first chunk, says so, then waits to be killed in the middle of the write.
WRITER = """
import sys, time
from pytest_simarena.trace.io import atomic_write

def chunks():
    yield b"partial trace bytes"
    print("writing", flush=True)
    time.sleep(120)
    yield b"never"

atomic_write(sys.argv[1], chunks())
"""


def _start_writer(target: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True, cwd=target.parent
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"
    return proc


def _kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def _temp_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(TEMP_SUFFIX))


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


@pytest.fixture
def trace_out(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "out.sktrace"


def test_killed_writers_leave_temp_files_the_next_write_removes(trace_out: Path) -> None:
    folder = trace_out.parent
    for _ in range(3):
        _kill(_start_writer(trace_out))
    left = _temp_files(folder)
    assert len(left) == 3 and not trace_out.exists()  # a kill leaves no partial target, only temp files
    assert all(p.name.startswith(".out.sktrace.") for p in left)

    trace = canonical_traces()["slightly-bad-cpu"]
    dump_trace(trace, trace_out)
    assert _temp_files(folder) == left  # fresh ones stay: they could belong to a slow, live writer

    for path in left:
        _age(path, STALE_AFTER_SECONDS + 5)
    dump_trace(trace, folder / "other.sktrace")  # any write into the folder cleans up
    assert _temp_files(folder) == []
    assert load_trace(trace_out).events == load_trace(folder / "other.sktrace").events


def test_a_live_writers_temp_file_is_never_removed(trace_out: Path) -> None:
    proc = _start_writer(trace_out)
    try:
        (temp,) = _temp_files(trace_out.parent)
        _age(temp, STALE_AFTER_SECONDS * 10)  # old, but its writer still holds the lock
        assert remove_stale_temp_files(str(trace_out.parent)) == []
        assert temp.exists()
    finally:
        _kill(proc)
    assert remove_stale_temp_files(str(trace_out.parent)) == [temp.name]


def test_nothing_but_our_own_stale_temp_files_is_removed(tmp_path: Path) -> None:
    ours = tmp_path / f".t.sktrace.abcd_123{TEMP_SUFFIX}"
    others = [
        tmp_path / ".t.sktrace.abcd_123.tmp",  # the name an editor or another tool might use
        tmp_path / f"t.sktrace.abcd_123{TEMP_SUFFIX}",  # not hidden
        tmp_path / f".t.sktrace.abc{TEMP_SUFFIX}",  # not 8 random characters
        tmp_path / f".t.sktrace.ABCD_123{TEMP_SUFFIX}",  # mkstemp never writes capitals
        tmp_path / "t.sktrace",
        tmp_path / f".x.abcdefgh{TEMP_SUFFIX}.bak",
    ]
    for path in [ours, *others]:
        path.write_bytes(b"x")
    folder = tmp_path / f".d.abcdefgh{TEMP_SUFFIX}"
    folder.mkdir()
    link = tmp_path / f".l.abcdefgh{TEMP_SUFFIX}"
    link.symlink_to(tmp_path / "t.sktrace")
    for path in [ours, *others, folder, link]:
        _age(path, STALE_AFTER_SECONDS * 2)

    assert remove_stale_temp_files(str(tmp_path)) == [ours.name]
    assert all(p.exists() for p in [*others, folder]) and link.is_symlink()


def test_cleanup_never_fails_a_write(tmp_path: Path) -> None:
    assert remove_stale_temp_files(str(tmp_path / "missing")) == []
    dump_trace(canonical_traces()["mixed"], tmp_path / "m.sktrace")
    assert _temp_files(tmp_path) == []
