"""Many traces for one env: sources (files, folders, globs, generated families), seeded sampling, splits.

A source string is one of:

* a trace file, or a folder (its ``.sktrace``/``.msgpack``/``.json`` files, sorted by name);
* a glob (``traces/generated/cpu-*.sktrace``);
* ``family:NAME`` (or ``family:*`` for every family): generated traces of that family
  (:mod:`pytest_simarena.trace.generator`), a fresh one per episode, drawn from ``(seed, index)``.

:meth:`TracePool.sample` draws the next episode's trace from a ``numpy.random.Generator`` (the env's,
seeded by ``reset(seed=...)``): first a family uniformly (so a family with many files is not favoured),
then a trace of it uniformly. :func:`split_by_family` keeps whole families out of training, for results on
families never seen.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_simarena.errors import SimArenaError, UnknownNameError

if TYPE_CHECKING:
    import numpy as np

    from pytest_simarena.trace.model import Trace

TRACE_SUFFIXES = (".sktrace", ".msgpack", ".json")
FAMILY_PREFIX = "family:"
# Generated traces drawn per family: indices in [0, GENERATED_INDICES) of the generator's seed.
GENERATED_INDICES = 1_000_000


def family_of_path(path: str) -> str:
    """A trace file's family as the generator names files (``cpu-far-over-012.sktrace`` ->
    ``cpu-far-over``); otherwise the file's stem."""
    stem = Path(path).stem
    head, _, tail = stem.rpartition("-")
    return head if head and tail.isdigit() else stem


def family_of(trace: Trace, path: str | None = None) -> str:
    """The trace's family: ``extra.metadata.family`` (the generator's), else from the file name."""
    meta = trace.extra.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("family"), str):
        return str(meta["family"])
    return family_of_path(path or trace.path or "trace")


@dataclass(frozen=True, slots=True)
class TracePool:
    """Where an env's traces come from: files grouped by family, plus generated families."""

    files: dict[str, tuple[str, ...]] = field(default_factory=dict)
    generated: tuple[str, ...] = ()
    generator_seed: int = 0

    @property
    def families(self) -> list[str]:
        return sorted({*self.files, *self.generated})

    def __len__(self) -> int:
        return sum(len(v) for v in self.files.values()) + len(self.generated)

    def sample(self, rng: np.random.Generator) -> tuple[str, Trace]:
        """``(label, trace)`` for the next episode, drawn from ``rng`` (family first, then a trace)."""
        from pytest_simarena.trace.generator import generate_trace
        from pytest_simarena.trace.io import load_trace

        families = self.families
        family = families[int(rng.integers(len(families)))]
        files = self.files.get(family, ())
        pick = int(rng.integers(len(files) + (GENERATED_INDICES if family in self.generated else 0)))
        if pick < len(files):
            return files[pick], _load_cached(files[pick], load_trace)
        index = pick - len(files)
        return f"{FAMILY_PREFIX}{family}#{index}", generate_trace(family, self.generator_seed, index)

    def split(self, holdout: Iterable[str]) -> tuple[TracePool, TracePool]:
        """(train, held out): the families named in ``holdout`` go wholly to the second pool."""
        held = set(holdout)
        unknown = held - set(self.families)
        if unknown:
            raise UnknownNameError("trace family", sorted(unknown)[0], self.families)
        train = TracePool(
            {f: v for f, v in self.files.items() if f not in held},
            tuple(f for f in self.generated if f not in held),
            self.generator_seed,
        )
        test = TracePool(
            {f: v for f, v in self.files.items() if f in held},
            tuple(f for f in self.generated if f in held),
            self.generator_seed,
        )
        if not train.families:
            raise SimArenaError(f"holdout={sorted(held)} leaves no family to train on")
        return train, test


_CACHE: dict[str, Trace] = {}


def _load_cached(path: str, load: object) -> Trace:
    """Traces are values (actions never mutate them), so each process reads a file once."""
    trace = _CACHE.get(path)
    if trace is None:
        trace = load(path)  # type: ignore[operator]
        _CACHE[path] = trace
    return trace


def _expand(source: str) -> list[str]:
    path = Path(source)
    if path.is_dir():
        return sorted(str(p) for p in path.iterdir() if p.is_file() and p.suffix in TRACE_SUFFIXES)
    if path.is_file():
        return [str(path)]
    if glob.has_magic(source):
        return sorted(p for p in glob.glob(source) if Path(p).suffix in TRACE_SUFFIXES)
    raise SimArenaError(
        f"traces: {source!r} is not a trace file, a folder, a glob or 'family:NAME' "
        f"(families: see `simarena trace generate --help`)"
    )


def make_pool(sources: str | Sequence[str], *, generator_seed: int = 0) -> TracePool:
    """The pool of ``sources`` (module docstring); SimArenaError naming a source that matches nothing.

    Files are grouped by the family their metadata names (the generator's), else by their file name.
    """
    from pytest_simarena.trace.generator import FAMILIES
    from pytest_simarena.trace.io import load_trace

    items = [sources] if isinstance(sources, str) else list(sources)
    if not items:
        raise SimArenaError("traces: give at least one trace file, folder, glob or family:NAME")
    files: dict[str, list[str]] = {}
    generated: list[str] = []
    for source in items:
        if source.startswith(FAMILY_PREFIX):
            name = source[len(FAMILY_PREFIX) :]
            names = list(FAMILIES) if name in ("*", "all") else [name]
            for family in names:
                if family not in FAMILIES:
                    raise UnknownNameError("trace family", family, FAMILIES)
                if family not in generated:
                    generated.append(family)
            continue
        found = _expand(source)
        if not found:
            raise SimArenaError(f"traces: {source!r} matches no trace file ({', '.join(TRACE_SUFFIXES)})")
        for path in found:
            group = files.setdefault(family_of(_load_cached(path, load_trace), path), [])
            if path not in group:
                group.append(path)
    return TracePool({f: tuple(v) for f, v in files.items()}, tuple(generated), generator_seed)


def split_by_family(
    sources: str | Sequence[str], holdout: Iterable[str], *, generator_seed: int = 0
) -> tuple[TracePool, TracePool]:
    """``make_pool(sources).split(holdout)``: train and held-out pools with no family in common."""
    return make_pool(sources, generator_seed=generator_seed).split(holdout)
