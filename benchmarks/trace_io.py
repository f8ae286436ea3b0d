"""Trace I/O throughput: read and write MB/s on a ~10 MB trace built from SimKube's dsb-scaling trace.

Run: ``.venv/bin/python benchmarks/trace_io.py [--size-mb 10] [--repeat 5]``. It prints, best of
``--repeat`` runs (all in a temporary folder; nothing is written to the repo):

* read: ``load_trace`` (decode + structural checks, everything a user pays for);
* the decoding strategies that were compared to pick the one ``trace/io.py`` uses (decode only);
* write: ``dump_trace`` (encode + atomic write with fsync) and ``dumps`` (encode only);
* actions/s of ``apply_action`` on a 100-workload trace (pytest_simarena.actions).

The big trace repeats dsb-scaling's events under renamed namespaces and later timestamps, so its
objects, quantities and nesting are SimKube's own.
"""

from __future__ import annotations

import argparse
import copy
import gc
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack

from pytest_simarena.trace import Trace, dump_trace, dumps, load_trace
from pytest_simarena.trace.hashing import rebuild_index

DSB = Path(__file__).resolve().parent.parent.parent / "shared" / "traces" / "simkube" / "dsb-scaling.sktrace"


def build_big_trace(base: Trace, target_bytes: int) -> Trace:
    """dsb-scaling's events repeated (namespaces ``dsb-<n>``, shifted ts) until the file is ~target_bytes."""
    per_copy = len(dumps(base))
    copies = max(1, round(target_bytes / per_copy))
    events: list[dict[str, Any]] = []
    offset = 0
    for n in range(copies):
        for event in base.events:
            event = copy.deepcopy(event)
            event["ts"] += offset
            for key in ("applied_objs", "deleted_objs"):
                for obj in event[key]:
                    obj["metadata"]["namespace"] = f"dsb-{n}"
            events.append(event)
        offset += base.duration + 60
    big = Trace(events=events, config=copy.deepcopy(base.config))
    return rebuild_index(big)


def best_of(repeat: int, run: Callable[[], object], *, no_gc: bool = False) -> float:
    """The fastest of ``repeat`` runs in seconds (cyclic GC paused when ``no_gc``, as loads does)."""
    times = []
    for _ in range(repeat):
        if no_gc:
            gc.disable()
        try:
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return min(times)


def _tuples_to_lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _tuples_to_lists(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_tuples_to_lists(v) for v in value]
    return value


def _decode_strategies(data: bytes) -> dict[str, Callable[[], object]]:
    from pytest_simarena.trace.io import _decode_msgpack

    def pairs_hook(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
        return {tuple(k) if isinstance(k, list) else k: v for k, v in pairs}

    def use_list_false_then_convert() -> object:
        raw = msgpack.unpackb(data, raw=False, strict_map_key=False, use_list=False)
        return {k: (v if k == "pod_lifecycles" else _tuples_to_lists(v)) for k, v in raw.items()}

    return {
        "split top level (used)": lambda: _decode_msgpack(data),
        "object_pairs_hook": lambda: msgpack.unpackb(
            data, raw=False, strict_map_key=False, object_pairs_hook=pairs_hook
        ),
        "use_list=False + convert": use_list_false_then_convert,
        "use_list=False (tuples, wrong)": lambda: msgpack.unpackb(
            data, raw=False, strict_map_key=False, use_list=False
        ),
    }


def actions_per_second(base: Trace, seconds: float = 2.0) -> str:
    try:
        from pytest_simarena.actions import Action, apply_action
    except ImportError:
        return "actions/s: skipped (pytest_simarena.actions is not there yet)"
    template = base.events[1]["applied_objs"]
    objs = []
    for n in range(100):
        obj = copy.deepcopy(template[n % len(template)])
        obj["metadata"]["name"] = f"{obj['metadata']['name']}-{n}"
        objs.append(obj)
    trace = Trace(
        events=[{"ts": 0, "applied_objs": objs, "deleted_objs": []}], config=copy.deepcopy(base.config)
    )
    names = [o["metadata"]["name"] for o in objs]
    rng = random.Random(0)
    kinds = ["bump_cpu", "reduce_cpu", "bump_memory", "reduce_memory", "scale_up", "scale_down"]
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        result = apply_action(trace, Action(rng.choice(kinds), rng.choice(names), namespace="dsb"))
        trace = result.trace
        done += 1
    rate = done / (time.perf_counter() - start)
    return f"actions/s: {rate:,.0f} (apply_action on a 100-workload trace, {done} random actions)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--size-mb", type=float, default=10.0, help="size of the generated trace (default 10)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; the best is shown")
    args = parser.parse_args(argv)
    if not DSB.is_file():
        print(
            f"{DSB} not found: the benchmark builds its trace from SimKube's dsb-scaling trace",
            file=sys.stderr,
        )
        return 2
    base = load_trace(DSB)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.sktrace"
        big = build_big_trace(base, int(args.size_mb * 1_000_000))
        dump_trace(big, path)
        data = path.read_bytes()
        mb = len(data) / 1_000_000
        objects = sum(len(e["applied_objs"]) + len(e["deleted_objs"]) for e in big.events)
        print(f"trace: {mb:.1f} MB, {len(big.events)} events, {objects} objects (from {DSB.name})")
        loaded = load_trace(path)
        assert dumps(loaded) == data, "round trip changed the bytes"
        read = best_of(args.repeat, lambda: load_trace(path))
        print(f"read  (load_trace: decode + checks): {mb / read:7.1f} MB/s  ({read * 1000:.0f} ms)")
        for name, run in _decode_strategies(data).items():
            with_gc = best_of(args.repeat, run)
            t = best_of(args.repeat, run, no_gc=True)
            print(
                f"  decode only, {name:<31} {mb / t:7.1f} MB/s  ({t * 1000:.0f} ms; "
                f"{mb / with_gc:.1f} MB/s with the GC running)"
            )
        write = best_of(args.repeat, lambda: dump_trace(loaded, Path(tmp) / "out.sktrace"))
        print(f"write (dump_trace: encode + fsync + rename): {mb / write:7.1f} MB/s  ({write * 1000:.0f} ms)")
        encode = best_of(args.repeat, lambda: dumps(loaded))
        print(f"  encode only (dumps):                   {mb / encode:7.1f} MB/s  ({encode * 1000:.0f} ms)")
    print(actions_per_second(base))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
