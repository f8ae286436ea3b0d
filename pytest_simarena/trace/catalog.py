"""Traces by name: the project's trace folders first, then the traces shipped inside the package.

``slightly-bad-cpu`` names ``traces/canonical/slightly-bad-cpu.sktrace`` in the current project if it has
one, else the packaged copy (``pytest_simarena/data/traces/{canonical,generated,extra}``), so names work in
any project after ``pip install``. A path that exists is always taken as it is.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from importlib.resources import files
from pathlib import Path

from pytest_simarena.errors import TraceError

TRACE_SUFFIXES = (".sktrace", ".msgpack", ".json")
# Folders of a project searched for names, relative to its root (the plugin's trace_dirs setting default).
PROJECT_DIRS = ("traces/canonical", "traces/generated", "traces/extra", "traces")
PACKAGED_FAMILIES = ("canonical", "generated", "extra")


def packaged_dirs() -> tuple[Path, ...]:
    """The folders of the traces shipped with pytest-simarena."""
    root = Path(str(files("pytest_simarena"))) / "data" / "traces"
    return tuple(root / family for family in PACKAGED_FAMILIES)


def search_dirs(project: Iterable[Path]) -> tuple[Path, ...]:
    """``project`` folders, then the packaged ones; each folder once (a repository's traces/ may be links)."""
    seen: set[Path] = set()
    out: list[Path] = []
    for d in (*project, *packaged_dirs()):
        key = d.resolve()
        if key not in seen:
            seen.add(key)
            out.append(d)
    return tuple(out)


def project_dirs(root: Path) -> tuple[Path, ...]:
    """The default project trace folders under ``root``."""
    return tuple(root / d for d in PROJECT_DIRS)


def stem(path: Path) -> str:
    """The trace name of ``path``: its file name without the trace suffix."""
    name = path.name
    for suffix in TRACE_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def names(dirs: Iterable[Path]) -> list[str]:
    """Every trace name found in ``dirs``, in search order (a name shadowed by an earlier folder once)."""
    found: dict[str, None] = {}
    for d in dirs:
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if p.is_file() and p.name.endswith(TRACE_SUFFIXES):
                    found.setdefault(stem(p), None)
    return list(found)


def by_name(name: str, dirs: Sequence[Path]) -> Path | None:
    """The first ``dirs/<name>[suffix]`` file, or None."""
    for d in dirs:
        for suffix in ("", *TRACE_SUFFIXES):
            candidate = d / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def not_found(spec: str, dirs: Sequence[Path]) -> str:
    """One line: the name was not found, where it was looked for, and the closest names."""
    close = difflib.get_close_matches(spec, names(dirs), n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    shown = ", ".join(str(d) for d in dirs if d.is_dir()) or "(no trace folders)"
    return f"trace {spec!r} not found as a path or by name in {shown}{hint}"


def find_trace(spec: str | Path, *, root: Path | None = None, project: Sequence[Path] | None = None) -> Path:
    """A trace file by path, else by name in the project's folders (under ``root``), else packaged.

    Raises:
        TraceError: nothing matches; the message lists close names (one line).
    """
    path = Path(spec)
    if path.is_file():
        return path
    base = root or Path.cwd()
    dirs = search_dirs(project if project is not None else project_dirs(base))
    if path.parent == Path(".") and path.name:
        found = by_name(path.name, dirs)
        if found is not None:
            return found
    raise TraceError(not_found(str(spec), dirs))
