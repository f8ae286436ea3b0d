"""A live session's run folder (``simarena replay DIR`` detects it by ``live.json``).

Layout::

    live.json        seed, trace label, cluster spec, safeguards, simulated end time, counts
    input.sktrace    the trace the session replayed
    writes.jsonl     every allowed write, in order: simulated time, verb, resource, namespace, name,
                     the object sent (after patching) and the project Actions it amounts to
    events.log       the cluster's event log (one line per event occurrence)
    objects.json     every object at the end, by resource (without resourceVersions: they count what the
                     session's reads saw, and a replay performs only the writes)
    export.sktrace   the input trace with the session's workload edits applied (LiveSession.export_trace)

``LiveSession.write_run`` writes it and :mod:`.replay` replays it: replaying starts a new session on
``input.sktrace`` with the same seed, cluster and safeguards, performs each write at its recorded
simulated time, runs to the end time and compares ``events.log`` and ``objects.json`` byte for byte.
Reads never change a run, so they are not recorded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_simarena.trace.io import atomic_write

LIVE_FILE = "live.json"
INPUT_FILE = "input.sktrace"
WRITES_FILE = "writes.jsonl"
EVENTS_FILE = "events.log"
OBJECTS_FILE = "objects.json"
EXPORT_FILE = "export.sktrace"


def json_bytes(data: Any) -> bytes:
    """``data`` as the folder's JSON files hold it (indented, UTF-8, final newline)."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def write_folder(directory: Path, files: Mapping[str, bytes]) -> Path:
    """Write ``files`` (name -> content, each atomically, in order) into ``directory`` (created)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        atomic_write(str(directory / name), iter((data,)))
    return directory


def is_live_run(directory: str | Path) -> bool:
    """Whether ``directory`` is a live session's run folder (it has ``live.json``)."""
    return (Path(directory) / LIVE_FILE).is_file()
