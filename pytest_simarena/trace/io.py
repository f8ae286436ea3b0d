"""Read and write SimKube trace files (format v2, msgpack or SimKube's JSON form), atomically.

Byte layout (notes/simkube.md §1.2-§1.9): a msgpack map ``version, config, events, index, pod_lifecycles``
written by ``rmp_serde::to_vec_named``. msgpack-python picks the same smallest headers as rmp, so decoding
and re-encoding a SimKube file gives the same bytes as long as dict order is kept (§1.9).

Decoding: the whole file is decoded with ``use_list=True`` (objects are edited by users, arrays must be
lists) except ``pod_lifecycles``, whose keys are arrays used as map keys (§1.7): that one value is located
with ``Unpacker.tell()``/``skip()`` and decoded on its own with ``use_list=False`` so its keys become tuples.
This keeps the C decoder doing all the work (see benchmarks/trace_io.py for the figures).

A valid trace is decoded faster by msgspec (its msgpack decoder gives the same lists, and tuples for the
pod_lifecycles keys): ``loads`` tries it first and takes the path above for anything that fails a check,
so every error is worded by one path (tests/unit/test_trace_fuzz.py compares the two on fuzzed traces).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import re
import stat
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import msgpack

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from pytest_simarena.errors import SimArenaWarning, TraceError, UnsupportedTraceVersion

from .model import CURRENT_VERSION, Obj, Trace
from .normalize import (
    LEGACY_VERSION,
    TOP_LEVEL_KEYS,
    normalize_after_checks,
    normalize_before_checks,
    simkube_event,
    split_extra,
)
from .structure import check_structure
from .values import preview, type_name


def _find_msgspec() -> Callable[[bytes], Any] | None:
    """msgspec's msgpack decoder: a dependency, imported defensively (a partial install still reads)."""
    try:
        import msgspec.msgpack
    except ImportError:  # pragma: no cover
        return None
    decode: Callable[[bytes], Any] = msgspec.msgpack.decode
    return decode


_msgspec_decode = _find_msgspec()
_EVENT_KEYS = frozenset(("ts", "applied_objs", "deleted_objs"))


Format = Literal["msgpack", "json"]
_WRITE_CHUNK = 1 << 20
_PRE_V2 = (
    "this is a SimKube trace older than format version 2 (a 4-element array); "
    "files older than version 2 can only be read by SimKube <= 1.1.1"
)


def format_for_path(path: str | os.PathLike[str]) -> Format:
    """``json`` for ``*.json`` paths, ``msgpack`` (``.sktrace``) otherwise."""
    return "json" if str(path).lower().endswith(".json") else "msgpack"


def sniff_format(data: bytes) -> Format:
    """Format by content: JSON starts with ``{`` or ``[`` (after whitespace/BOM); msgpack maps never do."""
    head = data[:64].lstrip(b" \t\r\n")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    return "json" if head[:1] in (b"{", b"[") else "msgpack"


# -- decoding


def _decode_msgpack(data: bytes) -> Any:
    first = data[0]
    is_map = 0x80 <= first <= 0x8F or first in (0xDE, 0xDF)
    if not is_map:
        if not (0x90 <= first <= 0x9F or first in (0xDC, 0xDD)):
            raise TraceError(
                f"not a SimKube trace (a msgpack map or a JSON object): the file starts with {data[:16]!r}"
            )
        return msgpack.unpackb(data, raw=False, strict_map_key=False, use_list=False)
    unpacker = msgpack.Unpacker(
        raw=False, strict_map_key=False, use_list=True, max_buffer_size=max(len(data), 1)
    )
    unpacker.feed(data)
    out: dict[Any, Any] = {}
    for _ in range(unpacker.read_map_header()):
        key = unpacker.unpack()
        if key == "pod_lifecycles":
            start = unpacker.tell()
            unpacker.skip()
            value = msgpack.unpackb(
                data[start : unpacker.tell()], raw=False, strict_map_key=False, use_list=False
            )
            out[key] = _lifecycles_to_lists(value)
        else:
            out[key] = unpacker.unpack()
    if unpacker.tell() != len(data):
        raise TraceError(f"{len(data) - unpacker.tell()} bytes of extra data after the trace (corrupt file?)")
    return out


def _lifecycles_to_lists(value: Any) -> Any:
    """Inner lifecycle arrays as lists (only the outer keys must stay tuples)."""
    if not isinstance(value, dict):
        return value
    out: dict[Any, Any] = {}
    for owner, by_hash in value.items():
        if isinstance(by_hash, dict):
            by_hash = {
                h: [
                    {k: list(v) if isinstance(v, tuple) else v for k, v in e.items()}
                    if isinstance(e, dict)
                    else e
                    for e in entries
                ]
                if isinstance(entries, tuple)
                else entries
                for h, entries in by_hash.items()
            }
        out[owner] = by_hash
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (SimKube's serde_json rejects it)")


def _decode_json(data: bytes) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TraceError(f"not valid UTF-8 JSON (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise TraceError(f"not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise TraceError("not a usable trace: JSON nested too deeply") from None
    except ValueError as exc:
        raise TraceError(str(exc)) from None


def _decode(data: bytes, fmt: Format) -> Any:
    if fmt == "json":
        return _decode_json(data)
    try:
        return _decode_msgpack(data)
    except TraceError:
        raise
    except msgpack.OutOfData:
        raise TraceError("truncated msgpack: the file ends in the middle of a value") from None
    except msgpack.ExtraData as exc:
        raise TraceError(f"{len(exc.extra)} bytes of extra data after the trace (corrupt file?)") from None
    except msgpack.StackError:
        raise TraceError("not a usable trace: msgpack nested too deeply") from None
    except msgpack.FormatError:
        raise TraceError("not msgpack: invalid type byte (is this a SimKube .sktrace file?)") from None
    except UnicodeDecodeError as exc:
        raise TraceError(f"not a valid trace: a msgpack string is not UTF-8 ({exc.reason})") from None
    except TypeError as exc:
        if "unhashable" in str(exc):
            raise TraceError(
                "not a valid trace: an array is used as a map key outside pod_lifecycles"
            ) from None
        raise TraceError(f"not a valid trace: {exc}") from None
    except ValueError as exc:
        text = str(exc)
        if "incomplete input" in text:
            raise TraceError("truncated msgpack: the file ends in the middle of a value") from None
        raise TraceError(f"not msgpack ({text or type(exc).__name__})") from None
    except Exception as exc:  # the C decoder has more failure modes than it documents; none may escape
        raise TraceError(f"not msgpack ({type(exc).__name__}: {exc})") from None


def _decode_fast(data: bytes) -> Any:
    """msgspec's msgpack decoder (C, ~1.5x msgpack-python here), or None when it is not installed or
    refuses the input. It gives what :func:`_decode_msgpack` gives for a valid trace (lists; arrays used
    as map keys, i.e. pod_lifecycles owners, as tuples); anything else decides nothing: see loads()."""
    if _msgspec_decode is None or not (0x80 <= data[0] <= 0x8F or data[0] in (0xDE, 0xDF)):
        return None
    try:
        raw = _msgspec_decode(data)
    except Exception:  # the classic decoder words the problem
        return None
    # The structural checks look at every value except an event's own extra keys: where msgspec's types
    # (Ext, datetime, tuple keys) could differ from msgpack-python's unseen, take the classic path.
    events = raw.get("events") if isinstance(raw, dict) else None
    if not isinstance(events, list) or not all(type(e) is dict and e.keys() <= _EVENT_KEYS for e in events):
        return None
    return raw


def loads(data: bytes, *, path: str | None = None, fmt: Format | None = None) -> Trace:
    """Decode a trace (msgpack or JSON, detected by content unless ``fmt``); legacy files are normalized.

    Every problem raises TraceError naming ``path``; normalizing a legacy file emits one SimArenaWarning.
    A msgpack trace is decoded by msgspec when it is installed; a trace that fails anything on that path
    is decoded and checked again by msgpack-python, so every error and its wording come from the one
    classic path.
    """
    # The cyclic GC would run over and over while decoding builds ~100k containers; none of them can form
    # a cycle, so pausing it halves the decoding time (see benchmarks/trace_io.py).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        data = bytes(data)
        fast = _decode_fast(data) if fmt != "json" and data[:1] else None
        try:
            trace, notes = _loads(data, fmt, decoded=fast) if fast is not None else _loads(data, fmt)
        except TraceError:
            if fast is None:
                raise
            trace, notes = _loads(data, fmt)
    except TraceError as exc:
        if path is None:
            raise
        raise _with_path_keep_type(exc, path) from None
    finally:
        if gc_was_enabled:
            gc.enable()
    trace.path = path
    if notes:
        trace.notes = notes
        warnings.warn(
            SimArenaWarning(f"{path or '<trace>'}: normalized a legacy trace: {'; '.join(notes)}"),
            stacklevel=3,
        )
    return trace


def _with_path_keep_type(exc: TraceError, path: str) -> TraceError:
    return type(exc)(exc.problem, path=path, location=exc.location, obj=exc.obj, field=exc.field)


def _loads(data: bytes, fmt: Format | None, *, decoded: Any = None) -> tuple[Trace, list[str]]:
    if decoded is None and not data.strip():
        raise TraceError("empty file (not a SimKube trace)")
    raw = decoded if decoded is not None else _decode(data, fmt or sniff_format(data))
    if isinstance(raw, list | tuple):
        if len(raw) == 4:
            raise UnsupportedTraceVersion(_PRE_V2)
        raise TraceError(
            f"top level is an array of {len(raw)} elements; a SimKube trace is a map (version 2)"
        )
    if not isinstance(raw, dict):
        raise TraceError(
            f"top level is a {type_name(raw)} {preview(raw)}; a SimKube trace is a map (version 2)"
        )
    if "version" not in raw:
        raise TraceError("missing field version (a SimKube v2 trace starts with version: 2)")
    version = raw["version"]
    if type(version) is not int:
        raise TraceError(f"expected an integer, got {type_name(version)} {preview(version)}", field="version")
    if version not in (CURRENT_VERSION, LEGACY_VERSION):
        raise UnsupportedTraceVersion(
            f"unsupported trace version {version} (this reads version 2, SimKube >= 2.0.0)", field="version"
        )
    core, extra = split_extra(raw)
    legacy_version = version == LEGACY_VERSION
    had_config = "config" in core
    index_was_empty = not core.get("index")
    notes = normalize_before_checks(core)
    for key in TOP_LEVEL_KEYS:
        if key not in core:
            raise TraceError(f"missing field {key} (SimKube requires all of {', '.join(TOP_LEVEL_KEYS)})")
    check_structure(core, extra)
    trace = Trace(
        events=core["events"] if isinstance(core["events"], list) else list(core["events"]),
        config=core["config"],
        index=core["index"],
        pod_lifecycles=core["pod_lifecycles"],
        version=CURRENT_VERSION,
        extra=extra,
    )
    if notes:
        # Seed files carry an empty index: fill it in as SimKube's tracer would have (notes §1.6, §1.8).
        notes += normalize_after_checks(
            trace, infer_config=legacy_version and not had_config, fill_index=index_was_empty
        )
        if extra:
            notes.append(f"extra top-level {', '.join(map(str, extra))} kept (SimKube ignores it)")
    return trace, notes


def load_trace(path: str | os.PathLike[str]) -> Trace:
    """Read a trace file (``.sktrace``/``.msgpack`` or ``.json``; the content decides)."""
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except FileNotFoundError:
        raise TraceError("no such file", path=name) from None
    except IsADirectoryError:
        raise TraceError("is a directory, not a trace file", path=name) from None
    except PermissionError:
        raise TraceError("permission denied", path=name) from None
    except OSError as exc:
        raise TraceError(f"cannot read ({exc.strerror or exc})", path=name) from None
    return loads(data, path=name)


# -- encoding


def _top_level(trace: Trace, *, order_objects: bool) -> Obj:
    if trace.version != CURRENT_VERSION:
        raise TraceError(f"cannot write trace version {trace.version} (only version 2, SimKube >= 2.0.0)")
    events = [simkube_event(e, order_objects=order_objects) for e in trace.events]
    top: Obj = {
        "version": trace.version,
        "config": trace.config,
        "events": events,
        "index": trace.index,
        "pod_lifecycles": trace.pod_lifecycles,
    }
    for key, value in trace.extra.items():
        if key not in top:
            top[key] = value  # SimKube ignores extra top-level keys (§1.2); keep the seed's metadata
    return top


def _should_order(trace: Trace, canonical: bool | None) -> bool:
    # A trace that was never loaded is new: write its objects in SimKube's order (§1.9). A loaded trace's
    # objects keep their order so that SimKube's files round-trip byte for byte.
    return trace.path is None if canonical is None else canonical


def iter_msgpack(trace: Trace, *, canonical: bool | None = None) -> Iterator[bytes]:
    """The msgpack encoding of ``trace`` in pieces (one per event): the same bytes as packing it whole."""
    top = _top_level(trace, order_objects=_should_order(trace, canonical))
    packer = msgpack.Packer(use_bin_type=True)
    yield packer.pack_map_header(len(top))
    for key, value in top.items():
        yield packer.pack(key)
        if key == "events":
            yield packer.pack_array_header(len(value))
            for n, event in enumerate(value):
                yield _pack(packer, event, f"events[{n}]")
        else:
            yield _pack(packer, value, key)


def _pack(packer: msgpack.Packer, value: Any, where: str) -> bytes:
    try:
        return bytes(packer.pack(value))
    except (TypeError, ValueError, OverflowError) as exc:
        detail = str(exc) or type(exc).__name__
        raise TraceError(f"cannot be written as msgpack ({detail})", location=where) from None


def dumps(trace: Trace, *, fmt: Format = "msgpack", canonical: bool | None = None) -> bytes:
    """Encode a trace. ``canonical`` (default: only for traces not loaded from a file) sorts object keys."""
    if fmt == "json":
        return b"".join(_iter_json(trace, canonical))
    return b"".join(iter_msgpack(trace, canonical=canonical))


def trace_bytes(trace: Trace) -> tuple[bytes, str]:
    """The trace's msgpack bytes and their sha256 (hex): what names a trace's content."""
    data = dumps(trace)
    return data, hashlib.sha256(data).hexdigest()


def _iter_json(trace: Trace, canonical: bool | None) -> Iterator[bytes]:
    top = _top_level(trace, order_objects=_should_order(trace, canonical))
    if top["pod_lifecycles"]:
        # serde_json cannot write tuple keys either: SimKube's own JSON traces carry {} here (§2).
        warnings.warn(
            SimArenaWarning(
                f"{trace.path or '<trace>'}: pod_lifecycles ({len(top['pod_lifecycles'])} owners) dropped: "
                "the JSON form cannot carry them; write .sktrace to keep them"
            ),
            stacklevel=4,
        )
        top["pod_lifecycles"] = {}
    try:
        yield json.dumps(top, indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8") + b"\n"
    except (TypeError, ValueError, RecursionError) as exc:
        raise TraceError(f"cannot be written as JSON ({exc})") from None


def dump_trace(
    trace: Trace, path: str | os.PathLike[str], *, fmt: Format | None = None, canonical: bool | None = None
) -> None:
    """Write ``trace`` to ``path`` atomically (JSON when it ends in ``.json``).

    What is guaranteed: ``path`` is always either its previous content (or absent) or the complete new
    file, never a partial one: the bytes go to a temporary file beside it, are fsynced, renamed over
    ``path``, and the folder is fsynced. When writing fails with an exception (an encoding error, a full
    disk, Ctrl-C) the temporary file is removed before the error propagates. A process killed outright
    (SIGKILL, power loss) cannot clean up and may leave its temporary file, named
    ``.<name>.<8 characters>.simarena-tmp``; the next write into that folder removes such files when they
    are older than :data:`STALE_AFTER_SECONDS` and no live writer holds their lock. Nothing else in the
    folder is ever removed (see :func:`remove_stale_temp_files`).
    """
    name = os.fspath(path)
    fmt = fmt or format_for_path(name)
    chunks = _iter_json(trace, canonical) if fmt == "json" else iter_msgpack(trace, canonical=canonical)
    try:
        atomic_write(name, chunks)
    except TraceError as exc:
        raise exc.with_path(name) if exc.path is None else exc from None


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_CREATE_MODE = _umask_mode()
TEMP_SUFFIX = ".simarena-tmp"
STALE_AFTER_SECONDS = 5 * 60
# ".<target name>.<mkstemp's 8 random characters>.simarena-tmp": only files named so are ever removed.
_TEMP_NAME = re.compile(r"\..+\.[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX) + r"\Z")


def atomic_write(path: str, chunks: Iterator[bytes], *, durable: bool = True) -> None:
    """Write the chunks to a temp file beside ``path``, fsync, ``os.replace``; clean up on any failure.

    The temp file is locked (``flock``) while it is written, so :func:`remove_stale_temp_files`, which
    runs first, never removes the file of a writer that is still alive. ``durable=False`` is for a writer
    that does not need the file durable (or makes it so later): no fsync and no scan for stale temp files;
    the rename is still atomic.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise TraceError("cannot write: the folder does not exist", path=path)
    if os.path.isdir(path):
        raise TraceError("cannot write: is a directory", path=path)
    if durable:
        remove_stale_temp_files(folder)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=TEMP_SUFFIX, dir=folder)
    except PermissionError:
        raise TraceError("cannot write: permission denied", path=path) from None
    except OSError as exc:
        raise TraceError(f"cannot write ({exc.strerror or exc})", path=path) from None
    try:
        with os.fdopen(fd, "wb") as out:
            _lock(out.fileno(), blocking=True)
            buffer = bytearray()
            for chunk in chunks:
                buffer += chunk
                if len(buffer) >= _WRITE_CHUNK:
                    out.write(buffer)
                    buffer.clear()
            out.write(buffer)
            out.flush()
            if durable:
                os.fsync(out.fileno())
            # mkstemp creates 0600; give the file the mode a plain open() would (0666 less the umask).
            os.chmod(tmp, _CREATE_MODE)
            os.replace(tmp, path)  # still locked: a cleaner that opened the temp name sees a live writer
    except BaseException as exc:
        _discard(tmp, path, exc)
        raise
    if durable:
        _fsync_dir(folder)


def _discard(tmp: str, path: str, exc: BaseException) -> None:
    """A write failed: remove its temp file; an OSError becomes the TraceError naming ``path``."""
    with contextlib.suppress(OSError):
        os.unlink(tmp)
    if isinstance(exc, OSError):
        raise TraceError(f"cannot write ({exc.strerror or exc})", path=path) from None


def remove_stale_temp_files(folder: str, *, older_than: float = STALE_AFTER_SECONDS) -> list[str]:
    """Remove the temp files killed writers left in ``folder``; returns the names removed.

    A file is removed only when all of these hold: its name is ours (``.<name>.<8 characters>.simarena-tmp``),
    it is a regular file (not a link or a folder) owned by this user, it was last modified more than
    ``older_than`` seconds ago, and no live process holds its write lock. Errors are ignored: cleaning up
    must never make a write fail.
    """
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        name = entry.name
        if not (name.endswith(TEMP_SUFFIX) and _TEMP_NAME.match(name)):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or (uid is not None and info.st_uid != uid):
                continue
            if now - info.st_mtime <= older_than:
                continue
            fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if _lock(fd, blocking=False):
                os.unlink(entry.path)
                removed.append(name)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def _lock(fd: int, *, blocking: bool) -> bool:
    """Take an exclusive advisory lock on ``fd``; False when another process holds it."""
    if fcntl is None:  # Windows: no flock; the age rule alone protects live writers there
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _fsync_dir(folder: str) -> None:
    # Make the rename itself durable; not every platform lets a directory be opened for this.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
