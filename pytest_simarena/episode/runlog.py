"""The run folder: ``steps.jsonl``, ``traces.msgpack``, ``summary.json`` and ``timings.json``.

Layout of ``runs/<run-id>/``::

    steps.jsonl      one JSON record per step (StepRecord.to_json), no wall-clock times; each record's
                     ``trace`` names the trace the step replayed (``step-NNN.sktrace``) and its sha256
    traces.msgpack   every step's trace, in step order: step 0's is the input (normalized to SimKube v2),
                     step N's the trace after step N-1's action; the last one is the final trace
    summary.json     EpisodeResult.summary_json(): outcome and the options replay needs
    timings.json     wall-clock seconds per step (kept apart so the files above are reproducible)
    cluster.yaml     a copy of --cluster FILE, when one was given

``traces.msgpack`` is a stream of msgpack maps, one per step, appended as the episode goes:
``{"step": N, "sha256": HEX, "trace": BYTES}`` holds the ``.sktrace`` bytes of a trace seen for the first
time, ``{"step": N, "sha256": HEX, "sameAs": M}`` says step N replayed the same bytes as step M (an
unchanged, blocked or noop action). :func:`step_trace_bytes` reads any step's trace back and
:func:`export_step_trace` (``simarena replay RUN --export-step N``) writes it as ``step-NNN.sktrace``, a
file SimKube runs as it is. Older run folders hold one ``step-NNN.sktrace`` file per step instead; both
readers take either layout.

Each step's record and trace are flushed as the step ends (a crash leaves every finished step readable;
a torn last trace entry is ignored). Nothing is fsynced: the files are complete after a process crash,
not necessarily after a power loss. Same seed, same inputs -> byte-identical ``steps.jsonl``,
``traces.msgpack`` and ``summary.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgpack

from pytest_simarena.errors import SimArenaError
from pytest_simarena.trace.io import remove_stale_temp_files
from pytest_simarena.trace.io import trace_bytes as trace_bytes  # re-exported: callers import it from here

from .jsonline import jsonl_line as jsonl_line  # re-exported: readers import it from here
from .jsonline import step_line

if TYPE_CHECKING:
    from .results import StepRecord

STEPS_FILE = "steps.jsonl"
TRACES_FILE = "traces.msgpack"
SUMMARY_FILE = "summary.json"
TIMINGS_FILE = "timings.json"
CLUSTER_FILE = "cluster.yaml"
_STEP_NAME = re.compile(r"step-(\d{3,})\.sktrace")


def trace_file_name(step: int) -> str:
    """The name of step ``step``'s trace (an entry of ``traces.msgpack``, or a file once exported)."""
    if type(step) is int and 0 <= step < len(_NAMES):  # named twice per logged step
        return _NAMES[step]
    return f"step-{step:03d}.sktrace"


_NAMES = tuple(f"step-{n:03d}.sktrace" for n in range(1000))


def dumps_json(data: Any) -> str:
    """Stable JSON text: key order as built, two-space indent, trailing newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


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

    A new folder is used as it is; a folder that exists is emptied of an earlier run's files first. Per
    step: one appended line in ``steps.jsonl`` and one appended entry in ``traces.msgpack`` (a trace is
    stored once; a repeat is a reference to the step that first had it), each flushed. No file is created
    per step: a new file or folder costs a contended ext4 up to ~0.9 ms of CPU, an append a few us.
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
            for stale in (STEPS_FILE, TRACES_FILE, SUMMARY_FILE, TIMINGS_FILE):
                (self.dir / stale).unlink(missing_ok=True)
            for old in self.dir.glob("step-*.sktrace"):  # an earlier run's, in either layout
                old.unlink()
            remove_stale_temp_files(str(self.dir))
        self._steps = open(self.dir / STEPS_FILE, "wb")  # noqa: SIM115 - closed in close()
        self._traces = open(self.dir / TRACES_FILE, "wb")  # noqa: SIM115 - closed in close()
        self._packer = msgpack.Packer(use_bin_type=True)
        self.timings: list[tuple[int, float]] = []  # (step, wall-clock seconds)
        self._written: dict[str, int] = {}  # each distinct step trace's sha256 and the first step with it

    def write_trace(self, step: int, data: bytes, sha256: str | None = None) -> str:
        """Append step ``step``'s trace (``data``, the ``.sktrace`` bytes) and flush; returns its name.

        ``sha256`` is ``data``'s (hex), computed here when not given.
        """
        digest = sha256 if sha256 is not None else hashlib.sha256(data).hexdigest()
        earlier = self._written.get(digest)
        if earlier is None:
            self._written[digest] = step
            entry: dict[str, Any] = {"step": step, "sha256": digest, "trace": data}
        else:
            entry = {"step": step, "sha256": digest, "sameAs": earlier}
        self._traces.write(self._packer.pack(entry))
        self._traces.flush()
        return trace_file_name(step)

    def copy_cluster(self, source: str | Path) -> str:
        shutil.copyfile(source, self.dir / CLUSTER_FILE)
        return CLUSTER_FILE

    def append_record(self, record: StepRecord, *, seconds: float) -> None:
        """Append the step's record as one JSON line (``jsonl_line(record.to_json())``'s bytes, composed from
        cached fragments) and flush; its wall-clock seconds go to timings.json."""
        self._steps.write(step_line(record).encode())
        self._steps.flush()
        self.timings.append((record.step, seconds))

    def finish(self, summary: dict[str, Any], *, total_seconds: float) -> None:
        """Close the step files and write ``summary.json`` and ``timings.json``, once each."""
        self.close()
        _write_new(self.dir / SUMMARY_FILE, dumps_json(summary))
        # One object per line (the text is read by people, it is no record: never compared).
        rows = [f'{{"step": {n!r}, "seconds": {round(sec, 6)!r}}}' for n, sec in self.timings]
        steps = "[\n" + ",\n".join("    " + row for row in rows) + "\n  ]" if rows else "[]"
        total = round(total_seconds, 6)
        _write_new(self.dir / TIMINGS_FILE, f'{{\n  "totalSeconds": {total!r},\n  "steps": {steps}\n}}\n')

    def close(self) -> None:
        for f in (self._steps, self._traces):
            if not f.closed:
                f.close()


def _write_new(path: Path, text: str) -> None:
    # One open, one write, one close: the folder is this run's alone and the file did not exist (a crash
    # before this leaves no summary, which replay reports as a missing file).
    data = text.encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


# -- reading ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StepTrace:
    """One step's trace in a run folder: its step, sha256 and ``.sktrace`` bytes."""

    step: int
    sha256: str
    data: bytes

    @property
    def name(self) -> str:
        return trace_file_name(self.step)


def read_step_traces(run_dir: str | Path) -> list[StepTrace]:
    """Every step trace of a run folder, in step order (either layout: ``traces.msgpack`` or one
    ``step-NNN.sktrace`` file per step). Bad input: a :class:`SimArenaError` of one line naming the file,
    the entry and the field."""
    run_dir = Path(run_dir)
    path = run_dir / TRACES_FILE
    if path.is_file():
        return _read_stream(path)
    files = sorted(
        (int(m.group(1)), p)
        for p in (run_dir.glob("step-*.sktrace") if run_dir.is_dir() else ())
        if (m := _STEP_NAME.fullmatch(p.name))
    )
    if not files:
        why = "no such directory" if not run_dir.is_dir() else f"neither {TRACES_FILE} nor step-000.sktrace"
        raise SimArenaError(f"{run_dir}: not a run folder ({why})")
    out = []
    for step, file in files:
        data = file.read_bytes()
        out.append(StepTrace(step, hashlib.sha256(data).hexdigest(), data))
    return out


def _read_stream(path: Path) -> list[StepTrace]:
    raw = path.read_bytes()
    unpacker = msgpack.Unpacker(raw=False, max_buffer_size=max(len(raw), 1))
    unpacker.feed(raw)
    out: list[StepTrace] = []
    by_step: dict[int, StepTrace] = {}
    try:
        for n, entry in enumerate(unpacker):
            where = f"{path}: entry {n}"
            if not isinstance(entry, dict):
                raise SimArenaError(f"{where}: expected a map, got {type(entry).__name__}")
            step, digest = entry.get("step"), entry.get("sha256")
            if not isinstance(step, int) or isinstance(step, bool) or step in by_step:
                raise SimArenaError(f"{where}: step: expected a new step number, got {step!r}")
            if not isinstance(digest, str):
                raise SimArenaError(f"{where} (step {step}): sha256: expected a string, got {digest!r}")
            if "trace" in entry:
                data = entry["trace"]
                if not isinstance(data, bytes):
                    raise SimArenaError(f"{where} (step {step}): trace: expected bytes")
            else:
                same = entry.get("sameAs")
                if not isinstance(same, int) or same not in by_step:
                    raise SimArenaError(
                        f"{where} (step {step}): sameAs: expected an earlier step, got {same!r}"
                    )
                data = by_step[same].data
            if hashlib.sha256(data).hexdigest() != digest:
                raise SimArenaError(f"{where} (step {step}): sha256 does not match the trace's bytes")
            by_step[step] = StepTrace(step, digest, data)
            out.append(by_step[step])
    except (ValueError, msgpack.UnpackException) as exc:  # not msgpack at all (a torn tail just ends it)
        raise SimArenaError(f"{path}: entry {len(out)}: not msgpack ({exc})") from None
    return out


def step_trace_bytes(run_dir: str | Path, step: int | str) -> tuple[str, bytes]:
    """``(name, bytes)`` of step ``step``'s trace (a number, ``step-NNN.sktrace`` or ``final``: the last)."""
    traces = read_step_traces(run_dir)
    if not traces:  # a run that stopped before its first step's trace was written
        raise SimArenaError(f"{Path(run_dir) / TRACES_FILE}: holds no step trace")
    if step == "final":
        return traces[-1].name, traces[-1].data
    if isinstance(step, str):
        m = _STEP_NAME.fullmatch(step)
        if not m and not step.isdigit():
            raise SimArenaError(f"{step!r}: expected a step number, step-NNN.sktrace or 'final'")
        step = int(m.group(1) if m else step)
    for t in traces:
        if t.step == step:
            return t.name, t.data
    raise SimArenaError(f"{run_dir}: no trace for step {step} (steps {traces[0].step}-{traces[-1].step})")


def export_step_trace(run_dir: str | Path, step: int | str, out: str | Path | None = None) -> Path:
    """Write step ``step``'s trace as a ``.sktrace`` file (default ``RUN_DIR/step-NNN.sktrace``)."""
    name, data = step_trace_bytes(run_dir, step)
    target = Path(out) if out is not None else Path(run_dir) / name
    if target.is_file() and target.read_bytes() == data:
        return target
    from pytest_simarena.trace.io import atomic_write

    atomic_write(str(target), iter((data,)), durable=False)
    return target
