"""Replaying a live session's run folder (layout in :mod:`.runfolder`): above both it and the session.

A new session starts on ``input.sktrace`` with the recorded seed, cluster and safeguards, performs each
write at its recorded simulated time, runs to the end time and compares ``events.log``, ``objects.json``
and ``writes.jsonl`` byte for byte.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_simarena.actions import Action
from pytest_simarena.backends.embedded import ClusterSpec
from pytest_simarena.errors import SimArenaError
from pytest_simarena.safeguards import Safeguards
from pytest_simarena.trace.io import load_trace

from .runfolder import EVENTS_FILE, INPUT_FILE, LIVE_FILE, OBJECTS_FILE, WRITES_FILE
from .session import LiveSession, WriteRecord


@dataclass(frozen=True, slots=True)
class LiveReplay:
    """Whether re-executing the writes reproduced the run; ``difference`` names the first mismatch."""

    reproduced: bool
    difference: str | None
    writes: int


def _read_meta(directory: Path) -> dict[str, Any]:
    path = directory / LIVE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SimArenaError(f"{path}: cannot read a live session's run record ({exc})") from None
    if not isinstance(data, dict):
        raise SimArenaError(f"{path}: expected a JSON object")
    for key in ("seed", "clusterSpec", "safeguards", "endTime"):
        if key not in data:
            raise SimArenaError(f"{path}: missing field {key!r}")
    return data


def _first_line_diff(name: str, old: bytes, new: bytes) -> str | None:
    if old == new:
        return None
    a, b = old.decode().splitlines(), new.decode().splitlines()
    for n, (x, y) in enumerate(zip(a, b, strict=False), start=1):
        if x != y:
            return f"{name} line {n}: {x.strip()!r} -> {y.strip()!r}"
    return f"{name}: logged {len(a)} lines, replay gave {len(b)}"


def perform(session: LiveSession, record: Any) -> None:
    """Re-execute one recorded write on ``session`` (at the current simulated time)."""
    verb, res, ns, name, body = (
        record.verb,
        record.resource,
        record.namespace or None,
        record.name,
        record.body,
    )
    if verb == "create":
        session.create(res, ns, body)
    elif verb == "delete":
        session.delete(res, ns, name)
    elif record.actions and verb == record.actions[0].type and len(record.actions) == 1:
        action: Action = record.actions[0]
        session.apply_action(action)
    else:
        session.replace(res, ns, name, body, verb=verb)


def replay_live(directory: str | Path) -> LiveReplay:
    """Re-run the live session recorded in ``directory`` and compare (module docstring)."""
    directory = Path(directory)
    meta = _read_meta(directory)
    spec = ClusterSpec.from_record(meta["clusterSpec"], source=f"{directory / LIVE_FILE}: clusterSpec")
    safeguards = Safeguards.from_mapping(meta["safeguards"])
    trace = load_trace(directory / INPUT_FILE)
    session = LiveSession.start(trace, seed=int(meta["seed"]), spec=spec, safeguards=safeguards)
    session.label = str(meta.get("trace", session.label))
    lines = (directory / WRITES_FILE).read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, start=1):
        try:
            record = WriteRecord.from_json(json.loads(line))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise SimArenaError(f"{directory / WRITES_FILE} line {n}: not a write record ({exc})") from None
        session.advance_to(record.time)
        try:
            perform(session, record)
        except SimArenaError as exc:
            return LiveReplay(False, f"{WRITES_FILE} line {n}: the write failed on replay: {exc}", n - 1)
    session.advance_to(float(meta["endTime"]))
    with tempfile.TemporaryDirectory(prefix="simarena-live-replay-") as tmp:
        fresh = session.write_run(tmp)
        for name in (EVENTS_FILE, OBJECTS_FILE, WRITES_FILE):
            diff = _first_line_diff(name, (directory / name).read_bytes(), (fresh / name).read_bytes())
            if diff is not None:
                return LiveReplay(False, diff, len(lines))
    return LiveReplay(True, None, len(lines))
