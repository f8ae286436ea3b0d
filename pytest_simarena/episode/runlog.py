"""The run folder: ``steps.jsonl``, ``summary.json``, ``timings.json`` and the trace of every step.

Layout of ``runs/<run-id>/``::

    step-000.sktrace   the trace step 0 replayed (the input, normalized to SimKube v2)
    step-001.sktrace   the trace after step 0's action, replayed by step 1 ... (written atomically)
    steps.jsonl        one JSON record per step (StepRecord.to_json), no wall-clock times
    summary.json       EpisodeResult.summary_json(): outcome and the options replay needs
    timings.json       wall-clock seconds per step (kept apart so the two files above are reproducible)
    cluster.yaml       a copy of --cluster FILE, when one was given

Same seed, same inputs -> byte-identical ``steps.jsonl`` and ``summary.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_simarena.trace.io import FolderWriter, dumps, remove_stale_temp_files
from pytest_simarena.trace.model import Trace

STEPS_FILE = "steps.jsonl"
SUMMARY_FILE = "summary.json"
TIMINGS_FILE = "timings.json"
CLUSTER_FILE = "cluster.yaml"


def trace_file_name(step: int) -> str:
    return f"step-{step:03d}.sktrace"


def dumps_json(data: Any) -> str:
    """Stable JSON text: key order as built, two-space indent, trailing newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def jsonl_line(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n"


def trace_bytes(trace: Trace) -> tuple[bytes, str]:
    """The trace's msgpack bytes and their sha256 (hex)."""
    data = dumps(trace)
    return data, hashlib.sha256(data).hexdigest()


def default_run_dir(trace_label: str, policy: str, seed: int, *, root: str | Path = "runs") -> Path:
    """``runs/<UTC time>-<trace stem>-<policy>-s<seed>`` (the wall clock only names the folder)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(trace_label).stem)[:40]
    pol = re.sub(r"[^A-Za-z0-9_.-]+", "_", policy)[:30]
    base = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{stem}-{pol}-s{seed}"
    path = Path(root) / base
    n = 2
    while path.exists():
        path = Path(root) / f"{base}-{n}"
        n += 1
    return path


class RunLog:
    """Writes one episode's run folder as the episode goes (a crash leaves every finished step on disk).

    Every file is renamed into place whole (:class:`~pytest_simarena.trace.io.FolderWriter`). A new
    folder is used as it is; a folder that exists is emptied of an earlier run's files first.
    """

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        try:
            os.mkdir(self.dir)
        except FileNotFoundError:
            self.dir.parent.mkdir(parents=True, exist_ok=True)
            os.mkdir(self.dir)
        except FileExistsError:
            if not self.dir.is_dir():
                raise
            for stale in (STEPS_FILE, SUMMARY_FILE, TIMINGS_FILE):
                (self.dir / stale).unlink(missing_ok=True)
            for old in self.dir.glob("step-*.sktrace"):
                old.unlink()
            remove_stale_temp_files(str(self.dir))
        self._writer = FolderWriter(self.dir)
        self._steps = open(self.dir / STEPS_FILE, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self.timings: list[dict[str, Any]] = []
        self._written: dict[bytes, str] = {}  # each distinct step trace and the first file holding it

    def write_trace(self, step: int, data: bytes) -> str:
        """Write ``step-NNN.sktrace`` atomically; returns the file name.

        Each file is renamed into place complete (a crashed process leaves whole files) but not fsynced:
        an fsync per file cost more than the step itself. A run is reproducible from its seed and the
        first trace; after a power loss its folder may lack the last step traces.
        """
        name = trace_file_name(step)
        earlier = self._written.get(data)
        if earlier is not None:
            # The same bytes as an earlier step (an unchanged, blocked or noop action, or an action undoing
            # the one before): a hard link is one system call and no new file, and the folder reads the same.
            try:
                os.link(self.dir / earlier, self.dir / name)
            except OSError:  # no hard links here (some file systems): write it
                self._writer.write(name, data)
        else:
            self._writer.write(name, data)
            self._written[data] = name
        return name

    def copy_cluster(self, source: str | Path) -> str:
        shutil.copyfile(source, self.dir / CLUSTER_FILE)
        return CLUSTER_FILE

    def append_step(self, record: dict[str, Any], *, seconds: float) -> None:
        self._steps.write(jsonl_line(record))
        self._steps.flush()
        self.timings.append({"step": record.get("step"), "seconds": round(seconds, 6)})

    def finish(self, summary: dict[str, Any], *, total_seconds: float) -> None:
        # The record (steps, summary, timings) is made durable: each file fsynced through the descriptor
        # that wrote it, then the folder once.
        if not self._steps.closed:
            self._steps.flush()
            os.fsync(self._steps.fileno())
        self.close()
        self._writer.write(SUMMARY_FILE, dumps_json(summary).encode(), durable=True)
        timings = {"totalSeconds": round(total_seconds, 6), "steps": self.timings}
        self._writer.write(TIMINGS_FILE, dumps_json(timings).encode(), durable=True)
        self._writer.sync_folder()

    def close(self) -> None:
        if not self._steps.closed:
            self._steps.close()
