"""The results files of a scenario run: ``results.json`` (deterministic) and ``timings.json`` (wall clock).

``results.json`` holds only what the seeds decide: the same run gives the same bytes with ``-n 0`` or
``-n 2`` and under any ``PYTHONHASHSEED``. Wall-clock figures (episode and test seconds) differ run to
run, so they go to ``timings.json`` beside it. No pytest here: the plugin's reporter calls these.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

Obj = dict[str, Any]

RESULTS_NAME = "results.json"
TIMINGS_NAME = "timings.json"
# Keys of a test record that are wall-clock measurements: they go to timings.json, never results.json.
TIMING_KEYS = ("episodeSeconds", "durationSeconds")
# Settings that only say where output goes or how it is shown: they cannot change a figure, and two runs
# writing to different folders must still write the same results.json.
OUTPUT_SETTINGS = frozenset({"report_dir", "run_dir", "charts", "full_trace"})


def record_key(record: Mapping[str, Any]) -> tuple[str, str, str, str, int, str]:
    """The order of records everywhere (file, scenario, trace, policy, seed, node id), whatever order
    xdist finished them in."""
    seed = record.get("seed")
    return (
        str(record.get("file", "")),
        str(record.get("scenario", "")),
        str(record.get("trace", "")),
        str(record.get("policy", "")),
        seed if isinstance(seed, int) else 0,
        str(record.get("nodeid", record.get("id", ""))),
    )


def ordered(records: Iterable[Mapping[str, Any]]) -> list[Obj]:
    """``records`` sorted by :func:`record_key`."""
    return sorted((dict(r) for r in records), key=record_key)


def split_timings(record: Mapping[str, Any]) -> tuple[Obj, Obj]:
    """``(deterministic part, wall-clock part)`` of one test record."""
    figures = {k: v for k, v in record.items() if k not in TIMING_KEYS}
    timings = {k: record[k] for k in TIMING_KEYS if k in record}
    return figures, timings


def policy_table(records: list[Obj]) -> list[Obj]:
    """Per policy: cases, passed, solved, solve rate, mean steps to solve (solved only), mean total reward.

    >>> policy_table([{"policy": "a", "passed": True, "solved": True, "stepsToSolve": 1, "totalReward": 1.0}])
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'policy': 'a', 'cases': 1, 'passed': 1, 'solved': 1, 'solveRate': 1.0, 'meanStepsToSolve': 1.0,
      'meanReward': 1.0}]
    """
    by_policy: dict[str, list[Obj]] = defaultdict(list)
    for r in records:
        by_policy[r["policy"]].append(r)
    rows = []
    for policy in sorted(by_policy):
        rs = by_policy[policy]
        ran = [r for r in rs if "solved" in r]
        solved = [r for r in ran if r["solved"]]
        to_solve = [r["stepsToSolve"] for r in solved if r.get("stepsToSolve") is not None]
        rows.append(
            {
                "policy": policy,
                "cases": len(rs),
                "passed": sum(1 for r in rs if r["passed"]),
                "solved": len(solved),
                "solveRate": round(len(solved) / len(ran), 4) if ran else None,
                "meanStepsToSolve": round(sum(to_solve) / len(to_solve), 3) if to_solve else None,
                "meanReward": round(sum(r["totalReward"] for r in ran) / len(ran), 4) if ran else None,
            }
        )
    return rows


def results_document(records: Iterable[Mapping[str, Any]], settings: Mapping[str, Any]) -> Obj:
    """``results.json``: the settings that decide figures, the per-policy table and one record per test."""
    tests = [split_timings(r)[0] for r in ordered(records)]
    return {
        "settings": {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in sorted(settings.items())
            if k not in OUTPUT_SETTINGS
        },
        "policies": policy_table(tests),
        "tests": tests,
    }


def timings_document(records: Iterable[Mapping[str, Any]], *, workers: int) -> Obj:
    """``timings.json``: wall-clock seconds per test (by node id) and in total; differs run to run."""
    tests = {}
    for r in ordered(records):
        timings = split_timings(r)[1]
        if timings:
            tests[str(r.get("nodeid", r.get("id", "")))] = timings
    total = sum(float(t.get("episodeSeconds", 0.0)) for t in tests.values())
    return {"workers": workers, "episodeSecondsTotal": round(total, 6), "tests": tests}


def dumps(document: Obj) -> str:
    """The canonical text of a results document (sorted keys, one space indent, final newline)."""
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(path: Path, document: Obj) -> None:
    """Write ``document`` to ``path`` atomically (a reader never sees half a file)."""
    from pytest_simarena.trace.io import atomic_write

    atomic_write(str(path), iter((dumps(document).encode("utf-8"),)))
