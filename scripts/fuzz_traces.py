"""Fuzz the trace readers: mutate every shipped and shared trace file and count the errors that escape.

Run: ``.venv/bin/python scripts/fuzz_traces.py [--count 100000] [--seed 0] [--root DIR]... [--json]``.
Not part of the test suite's default run (a seeded slice of it is: tests/unit/test_trace_fuzz.py).

Each trial takes one trace file (round-robin over the corpus: the project's ``traces/``, the traces packaged
in ``pytest_simarena``, and ``../shared/traces/`` when present), mutates it with a ``random.Random`` seeded by
``(seed, trial)`` and runs what a user's command runs on it: ``loads`` (decode + structural checks),
``validate``, ``simarena trace inspect``'s summary, ``diff_traces`` against the original and ``dumps``;
and ``validate`` on the decoded value as an in-memory ``Trace`` the loader never checked.
A :class:`~pytest_simarena.errors.SimArenaError` whose message names the file is the expected outcome of
bad input; anything else is an *escape*: another exception type (an AttributeError, a RecursionError, ...)
or an error that does not name the file. The goal is 0 escapes. The report groups escapes by stage,
exception and source line, with the trial number that reproduces each (``--trial N --count 1``).

Mutations, half on the decoded value and half on the bytes: replace a random node (a map, an array or a
scalar anywhere in the file, pod templates and the usage annotation weighted up) by a value of another
shape (null, numbers out of range, NaN, binary, msgpack extensions, maps with non-string keys, JSON or
msgpack nested thousands deep, deeply nested JSON *inside* the usage annotation string), delete or add a
key, swap two nodes; flip, insert, delete or duplicate bytes, truncate.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack

from pytest_simarena.errors import SimArenaError

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = (".sktrace", ".msgpack", ".json")
USAGE = "simarena.io/usage"


def default_roots() -> list[Path]:
    """The project's traces, the packaged ones, and the shared real traces when this checkout has them."""
    import pytest_simarena

    roots = [ROOT / "traces", Path(pytest_simarena.__file__).parent, ROOT.parent / "shared" / "traces"]
    return [r for r in roots if r.is_dir()]


def corpus(roots: list[Path]) -> list[Path]:
    """Every trace file under ``roots`` that loads, deduplicated by content, in a stable order."""
    from pytest_simarena.trace import loads

    seen: set[bytes] = set()
    found: list[Path] = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() not in SUFFIXES or not path.is_file():
                continue
            data = path.read_bytes()
            if data in seen:
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    loads(data, path=str(path))
            except SimArenaError:
                continue  # some other file (a schema, a broken-on-purpose fixture), not a trace
            else:
                seen.add(data)
                found.append(path)
    return found


# ---------------------------------------------------------------------------------------------------------
# mutations


def _decode(data: bytes, is_json: bool) -> Any:
    if is_json:
        return json.loads(data)
    return msgpack.unpackb(data, raw=False, strict_map_key=False, use_list=False)


def _get(root: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        root = root[part]
    return root


def _replace(root: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of ``root`` in which the node at ``path`` is ``new`` (only the path is copied)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(root, dict):
        out = dict(root)
        out[head] = _replace(root[head], rest, new)
        return out
    items = list(root)
    items[head] = _replace(items[head], rest, new)
    return items if isinstance(root, list) else tuple(items)


def _nested(depth: int, kind: str) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


_DELETE = object()


def _odd_value(rng: random.Random, is_json: bool) -> Any:
    """A value of a surprising shape; msgpack-only types only when the file is msgpack."""
    choices: list[Callable[[], Any]] = [
        lambda: None,
        lambda: rng.choice([True, False]),
        lambda: rng.choice([0, -1, 1, 2**31, 2**63, -(2**63) - 1, 2**64 - 1, -(2**64)]),
        lambda: rng.choice([0.5, -1e300, 1e308]),
        lambda: rng.choice(["", "x", "500m", "-1", "1e400", "Infinity", "🙂", "a" * 300, "0.000000001"]),
        list,
        dict,
        lambda: [None, 1, "x"],
        lambda: {"": None},
        lambda: {"metadata": rng.choice([None, 1, "x", [], {"annotations": rng.choice([1, "x", [], None])}])},
        lambda: _nested(rng.choice([50, 99, 101, 300, 3000]), rng.choice(["list", "dict"])),
        lambda: "[" * rng.choice([100, 1000, 5000, 100_000]) + "]" * rng.choice([0, 100, 1000, 100_000]),
        lambda: json.dumps({"web": {"cpu": rng.choice([1, "x", None, [], {}, "1e400", "500m"])}}),
        lambda: json.dumps(rng.choice([[], 1, "x", None, {"web": 1}, {"web": {"gpu": "1"}}])),
        lambda: '{"web": ' * rng.choice([1000, 50_000]),
        lambda: _DELETE,
    ]
    if is_json:
        choices.append(lambda: math.nan)
    else:
        choices += [
            lambda: math.nan,
            lambda: b"\x00\xff",
            lambda: msgpack.ExtType(rng.randrange(128), b"xy"),
            lambda: msgpack.Timestamp(1, 2),
            lambda: {1: 2},
            lambda: {(1, 2): "x"},
            lambda: {None: 1},
            lambda: (1, (2, 3)),
        ]
    return rng.choice(choices)()


_HOT = ("events", "applied_objs", "spec", "template", "metadata", "annotations", USAGE, "containers")


def _pick_path(rng: random.Random, value: Any) -> tuple[Any, ...]:
    """A random walk from the root: stop at each level with some chance, prefer the keys readers dig into."""
    path: tuple[Any, ...] = ()
    node = value
    while isinstance(node, dict | list | tuple) and node and len(path) < 40:
        if rng.random() < 0.12:
            break
        if isinstance(node, dict):
            hot = [k for k in node if k in _HOT]
            key = rng.choice(hot) if hot and rng.random() < 0.7 else rng.choice(list(node))
        else:
            key = rng.randrange(len(node))
        path = (*path, key)
        node = node[key]
    return path


def mutate_value(data: bytes, rng: random.Random, *, is_json: bool) -> bytes:
    """Decode, change one to three nodes, encode again (msgpack, or JSON for JSON files mostly)."""
    try:
        value = _decode(data, is_json)
    except Exception:
        return mutate_bytes(data, rng)
    for _ in range(rng.choice([1, 1, 2, 3])):
        path = _pick_path(rng, value)
        how = rng.random()
        new: Any = _odd_value(rng, is_json)
        if how < 0.1 and path:
            new = _get(value, _pick_path(rng, value))  # swap in another node of the file
        elif how < 0.2:
            old = _get(value, path)
            key = rng.choice(["metadata", "annotations", USAGE, "spec", "template", "x", 7])
            new = {**old, key: new} if isinstance(old, dict) and new is not _DELETE else old
        elif new is _DELETE and path:
            path, key = path[:-1], path[-1]
            old = _get(value, path)
            if isinstance(old, dict):
                new = {a: b for a, b in old.items() if a != key}
            else:
                new = [x for n, x in enumerate(old) if n != key]
        if new is not _DELETE:
            value = _replace(value, path, new)
    try:
        if is_json and rng.random() < 0.8:
            return json.dumps(value, default=repr, allow_nan=True).encode()
        return bytes(msgpack.packb(value, use_bin_type=True))
    except (TypeError, ValueError, OverflowError, RecursionError):
        return mutate_bytes(data, rng)


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Flip, insert, delete or duplicate a few bytes, or truncate."""
    buf = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 4, 8])):
        if not buf:
            break
        at = rng.randrange(len(buf))
        how = rng.randrange(5)
        if how == 0:
            buf[at] = rng.randrange(256)
        elif how == 1:
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5)))
        elif how == 2:
            del buf[at : at + rng.randrange(1, 9)]
        elif how == 3:
            end = min(len(buf), at + rng.randrange(1, 64))
            buf[at:at] = buf[at:end]
        else:
            del buf[at:]
    return bytes(buf)


def mutate(data: bytes, rng: random.Random, *, is_json: bool) -> bytes:
    """One mutated copy of ``data``."""
    return mutate_value(data, rng, is_json=is_json) if rng.random() < 0.5 else mutate_bytes(data, rng)


# ---------------------------------------------------------------------------------------------------------
# the readers under test


@dataclass
class Escape:
    """An error that got out: where (stage), what (exception), from which source line."""

    stage: str
    kind: str
    origin: str
    message: str


def exercise(data: bytes, name: str, original: Any, *, replay: bool = False) -> Escape | str:
    """Run the readers on ``data`` (as file ``name``): the escape, else ``accepted`` or ``rejected``.

    ``replay``: an accepted mutant is also replayed for 120 simulated seconds on the embedded cluster and
    observed, as ``simarena simulate`` does.
    """
    from pytest_simarena.cli.trace_cmd import inspect_trace
    from pytest_simarena.trace import Trace, diff_traces, dumps, loads, validate

    stage = "validate-in-memory"
    try:
        raw = _decode(data, data.lstrip()[:1] in (b"{", b"["))
    except Exception:  # not decodable at all: only the loader's own path applies
        raw = None
    if isinstance(raw, dict):
        # validate() takes any Trace, also one never checked by the loader (built or edited in memory)
        events: Any = raw.get("events")
        config: Any = raw.get("config")
        index: Any = raw.get("index")
        lifecycles: Any = raw.get("pod_lifecycles")
        try:
            unchecked = Trace(events=events, config=config, index=index, pod_lifecycles=lifecycles)
            validate(unchecked)
        except Exception as exc:
            return Escape(stage, type(exc).__name__, _origin(exc), str(exc)[:200])
    stage = "load"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trace = loads(data, path=name)
            stage = "validate"
            validate(trace)
            stage = "inspect"
            inspect_trace(trace)
            stage = "diff"
            diff_traces(original, trace)
            stage = "dump"
            dumps(trace)
            if replay:
                stage = "replay"
                _replay(trace)
    except SimArenaError as exc:
        if name in str(exc) or stage in ("diff", "dump", "replay"):
            # errors about an in-memory trace or a cluster; the CLI adds the file name
            return "rejected" if stage == "load" else "accepted"
        return Escape(stage, type(exc).__name__ + " without the file name", _origin(exc), str(exc)[:200])
    except Exception as exc:  # exactly what this script exists to find
        return Escape(stage, type(exc).__name__, _origin(exc), str(exc)[:200])
    return "accepted"


def _replay(trace: Any) -> None:
    from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
    from pytest_simarena.kubeview import summarize

    cluster = EmbeddedCluster(ClusterSpec.default(), seed=0)
    cluster.start(trace)
    cluster.run(120)
    summarize(cluster.observe())


def _origin(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "pytest_simarena" in f.filename]
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename.rsplit('pytest_simarena', 1)[-1].lstrip('/')}:{last.lineno} {last.name}"


# ---------------------------------------------------------------------------------------------------------
# the run


@dataclass
class Summary:
    """What :func:`fuzz` found."""

    files: int = 0
    trials: int = 0
    rejected: int = 0  # a clear SimArenaError: the expected outcome for most mutants
    accepted: int = 0
    escapes: int = 0
    seconds: float = 0.0
    kinds: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str, str], tuple[int, str, str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "trials": self.trials,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "escapes": self.escapes,
            "escapeRate": self.escapes / self.trials if self.trials else 0.0,
            "seconds": round(self.seconds, 1),
            "byKind": [
                {
                    "stage": k[0],
                    "exception": k[1],
                    "origin": k[2],
                    "count": n,
                    "trial": self.examples[k][0],
                    "file": self.examples[k][1],
                    "message": self.examples[k][2],
                }
                for k, n in sorted(self.kinds.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        }


def fuzz(files: list[Path], *, count: int, seed: int, first: int = 0, replay: bool = False) -> Summary:
    """Trials ``first .. first+count-1``; trial ``n`` mutates ``files[n % len(files)]``."""
    from pytest_simarena.trace import loads

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))  # the default, whatever a caller set
    summary = Summary(files=len(files))
    originals: dict[Path, tuple[bytes, Any]] = {}
    start = time.perf_counter()
    for n in range(first, first + count):
        path = files[n % len(files)]
        if path not in originals:
            data = path.read_bytes()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                originals[path] = (data, loads(data, path=str(path)))
        data, original = originals[path]
        rng = random.Random(f"{seed}:{n}")
        mutant = mutate(data, rng, is_json=path.suffix.lower() == ".json")
        escape = exercise(mutant, str(path), original, replay=replay)
        summary.trials += 1
        if escape == "accepted":
            summary.accepted += 1
            continue
        if escape == "rejected":
            summary.rejected += 1
            continue
        assert isinstance(escape, Escape)
        summary.escapes += 1
        key = (escape.stage, escape.kind, escape.origin)
        summary.kinds[key] += 1
        summary.examples.setdefault(key, (n, str(path), escape.message))
    summary.seconds = time.perf_counter() - start
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=100_000, help="Mutated copies in all (default 100000)")
    parser.add_argument("--seed", type=int, default=0, help="Same seed, same mutants (default 0)")
    parser.add_argument("--trial", type=int, default=0, help="First trial number (to reproduce one)")
    parser.add_argument("--root", action="append", type=Path, help="Folder of traces (default: see above)")
    parser.add_argument("--json", action="store_true", help="Print the summary as JSON")
    parser.add_argument(
        "--replay",
        action="store_true",
        help="Also replay each accepted mutant on the embedded cluster (slow)",
    )
    args = parser.parse_args(argv)
    files = corpus(args.root or default_roots())
    if not files:
        print("no trace files found", file=sys.stderr)
        return 2
    if args.replay:
        # A mutant can ask the simulator for millions of pods: fail with MemoryError (an escape to look
        # at) rather than take the machine's memory.
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = 4 << 30 if hard == resource.RLIM_INFINITY else min(4 << 30, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    summary = fuzz(files, count=args.count, seed=args.seed, first=args.trial, replay=args.replay)
    if args.json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        rate = summary.escapes / summary.trials if summary.trials else 0.0
        print(
            f"{summary.trials} mutants of {summary.files} trace files in {summary.seconds:.1f} s: "
            f"{summary.rejected} rejected with a clear error, {summary.accepted} accepted, "
            f"{summary.escapes} escapes ({rate:.3%}; goal 0)"
        )
        for entry in summary.to_json()["byKind"]:
            print(
                f"  {entry['count']:6d}  {entry['stage']}: {entry['exception']} at {entry['origin']} "
                f"(e.g. --trial {entry['trial']} --count 1: {entry['file']}: {entry['message'][:100]})"
            )
    return 1 if summary.escapes else 0


if __name__ == "__main__":
    sys.exit(main())
