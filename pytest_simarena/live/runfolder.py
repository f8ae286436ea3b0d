"""A live session's run folder, and its replay (``simarena replay DIR`` detects it by ``live.json``).

Layout::

    live.json        seed, trace label, cluster spec, safeguards, simulated end time, counts
    input.sktrace    the trace the session replayed
    writes.jsonl     every allowed write, in order: simulated time, verb, resource, namespace, name,
                     the object sent (after patching) and the project Actions it amounts to
    events.log       the cluster's event log (one line per event occurrence)
    objects.json     every object at the end, by resource (without resourceVersions: they count what the
                     session's reads saw, and a replay performs only the writes)
    export.sktrace   the input trace with the session's workload edits applied (LiveSession.export_trace)

Replaying starts a new session on ``input.sktrace`` with the same seed, cluster and safeguards, performs
each write at its recorded simulated time, runs to the end time and compares ``events.log`` and
``objects.json`` byte for byte. Reads never change a run, so they are not recorded.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import SimArenaError
from pytest_simarena.safeguards import Safeguards
from pytest_simarena.trace.io import atomic_write, dumps, load_trace

if TYPE_CHECKING:
    from .session import LiveSession

LIVE_FILE = "live.json"
INPUT_FILE = "input.sktrace"
WRITES_FILE = "writes.jsonl"
EVENTS_FILE = "events.log"
OBJECTS_FILE = "objects.json"
EXPORT_FILE = "export.sktrace"


def _write(path: Path, data: bytes) -> None:
    atomic_write(str(path), iter((data,)))


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def write_run(session: LiveSession, directory: Path) -> Path:
    """Write ``session``'s run folder into ``directory`` (created); returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    spec = session.cluster.spec.to_dict()
    meta = {
        "kind": "LiveSession",
        "version": 1,
        "trace": session.label,
        "seed": session.seed,
        "clusterSpec": spec,
        "safeguards": session.safeguards.to_dict(),
        "endTime": session.now,
        "writes": len(session.writes),
        "actions": len(session.actions()),
    }
    _write(directory / INPUT_FILE, dumps(session.trace))
    lines = "".join(
        json.dumps(w.to_json(), separators=(",", ":"), ensure_ascii=False) + "\n" for w in session.writes
    )
    _write(directory / WRITES_FILE, lines.encode())
    _write(directory / EVENTS_FILE, "".join(line + "\n" for line in session.cluster.event_log).encode())
    _write(directory / OBJECTS_FILE, _json(session.snapshot_objects(versions=False)))
    _write(directory / EXPORT_FILE, dumps(session.export_trace()))
    _write(directory / LIVE_FILE, _json(meta))
    return directory


def is_live_run(directory: str | Path) -> bool:
    return (Path(directory) / LIVE_FILE).is_file()


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
    from pytest_simarena.actions import Action

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
    from pytest_simarena.backends.embedded import ClusterSpec

    from .session import LiveSession, WriteRecord

    directory = Path(directory)
    meta = _read_meta(directory)
    spec = ClusterSpec.from_dict(meta["clusterSpec"], source=f"{directory / LIVE_FILE}: clusterSpec")
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
        fresh = write_run(session, Path(tmp))
        for name in (EVENTS_FILE, OBJECTS_FILE, WRITES_FILE):
            diff = _first_line_diff(name, (directory / name).read_bytes(), (fresh / name).read_bytes())
            if diff is not None:
                return LiveReplay(False, diff, len(lines))
    return LiveReplay(True, None, len(lines))
