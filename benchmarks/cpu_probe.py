"""A pytest plugin for benchmarks/report.py: each process of a run (the controller and every xdist
worker) appends its own CPU seconds to ``$SIMARENA_CPU_PROBE`` when it ends.

    SIMARENA_CPU_PROBE=/tmp/cpu.jsonl PYTHONPATH=benchmarks pytest -p cpu_probe ...

One JSON line per process: ``{"worker": "gw0"|"master", "start": s, "self": s, "children": s, "gc": s}``:
its CPU seconds when the session started (start-up: interpreter, pytest, plugins; under xdist the
controller starts its workers then), at the end, of the programs it ran and waited for (kubectl; for the
controller also its workers), and of its cyclic garbage collections up to its end (``gc.callbacks``).
On a shared machine these are steadier than wall times.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import time
from typing import Any

_START: list[float] = []
_GC = [0.0, 0.0]  # CPU seconds in collections so far, CPU time when the running one started


def _gc_timer(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _GC[1] = time.process_time()
    else:
        _GC[0] += time.process_time() - _GC[1]


gc.callbacks.append(_gc_timer)


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def pytest_sessionstart(session: Any) -> None:
    _START.append(_cpu(resource.RUSAGE_SELF))


def pytest_unconfigure(config: Any) -> None:
    path = os.environ.get("SIMARENA_CPU_PROBE")
    if not path:
        return
    workerinput = getattr(config, "workerinput", None)
    worker = workerinput.get("workerid", "master") if isinstance(workerinput, dict) else "master"
    line = {
        "worker": worker,
        "start": _START[0] if _START else 0.0,
        "self": _cpu(resource.RUSAGE_SELF),
        "children": _cpu(resource.RUSAGE_CHILDREN),
        "gc": round(_GC[0], 6),
    }
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
