"""A test report's form on the wire from an xdist worker to its controller: one JSON text.

xdist sends every report as pytest's dict (``pytest_report_to_serializable``) through execnet, whose
pure-Python serializer writes and reads it one value at a time: on the controller ~120 us to read a
scenario case's call report (its ``simarena`` record and ``user_properties``), ~60 us its teardown, in
the thread that also hands every report to the main loop; in each worker ~80 us to write the call report.
Under -n 2 the controller's CPU competes with the workers for the two cores.

In a worker (only there: other callers of the hook, such as a report log, keep pytest's dict), a passed
test report whose dict JSON carries exactly travels as ``{PACKED: bytes}``, encoded by msgspec (a
dependency, already imported to read traces; 2 us to encode, 5 us to decode where ``json`` takes 25 and
20); the controller decodes it and hands the dict to pytest's own ``pytest_report_from_serializable``.
Exactly means: the dict holds only dicts with string keys, lists, strings, numbers (no NaN), booleans and
None, except the fields pytest documents as tuples (``location``, the ``user_properties`` and
``sections`` pairs), which are put back as tuples; the decoded bytes must equal the dict before it is
sent. A report with anything else (a failure's ``longrepr``, a tuple elsewhere, another type) travels as
before.

**A test's events as one message.** Besides its reports an xdist worker sends, per test, ``logstart``,
``logfinish`` and ``runtest_protocol_complete``: six messages, each read by execnet's receiving thread on
the controller and handed to its main loop one by one (~70 us of controller CPU each, ~0.4 s a run of the
suite). A controller with this plugin offers ``BATCH`` in each worker's ``workerinput``; a worker of a
scenario run then holds a test's events (:class:`HeldEvents`, wrapping xdist's ``sendevent``) and sends
them at ``runtest_protocol_complete`` as one JSON text (:func:`pack_events`) when each one carries exactly:
names, ints, finite floats, the ``location`` triple and packed reports. Anything else (a report that is not
packed, any other event) first releases what is held, one message per event as before, in their order.
The controller (:func:`receiver`, around the node's ``process_from_remote``) hands xdist every event of
the text in order, as if each had come alone.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

PACKED = "$simarena.json"  # the only key of a packed report ("$report_type" is absent on purpose)
BATCH = "simarena_batch"  # the workerinput key offering it, and the event carrying a test's events
LOG_EVENTS = ("logstart", "logfinish")
REPORT_EVENT = "testreport"
END_EVENT = "runtest_protocol_complete"  # xdist's last event of a test

Obj = dict[str, Any]


@functools.cache
def _codec() -> tuple[Callable[[Any], bytes], Callable[[bytes], Any], type[Exception], type[Any]]:
    # Imported on first use: the plugin module that imports this one stays light in every process.
    import msgspec

    encode, decode = msgspec.json.Encoder().encode, msgspec.json.Decoder().decode
    return encode, decode, msgspec.MsgspecError, msgspec.Raw


def _pairs(value: Any) -> TypeGuard[list[tuple[Any, ...]]]:
    return type(value) is list and all(type(pair) is tuple for pair in value)


def pack(data: Obj) -> Obj:
    """``data`` (pytest's serialized report) as one JSON text when that carries it exactly, else itself."""
    if data.get("$report_type") != "TestReport" or data.get("longrepr") is not None:
        return data
    location, props, sections = data.get("location"), data.get("user_properties"), data.get("sections")
    if type(location) is not tuple or not _pairs(props) or not _pairs(sections):
        return data
    plain = {
        **data,
        "location": list(location),
        "user_properties": [list(pair) for pair in props],
        "sections": [list(pair) for pair in sections],
    }
    encode, decode, codec_error, _ = _codec()
    try:
        encoded = encode(plain)
        # A tuple, a non-string key, bytes, NaN (encoded as null)...: JSON would change it.
        if decode(encoded) != plain:
            return data
    except (TypeError, ValueError, codec_error):  # a type JSON has no form for
        return data
    return {PACKED: encoded}


def unpack(data: Obj) -> Obj | None:
    """The report dict :func:`pack` packed (tuples put back), or None when ``data`` is not packed."""
    encoded = data.get(PACKED)
    if not isinstance(encoded, bytes):
        return None
    plain = _tuples(_codec()[1](encoded))
    # What xdist adds to the dict after the hook packed it (item_index, worker_id, testrun_uid).
    plain.update((key, value) for key, value in data.items() if key != PACKED)
    return plain


def _tuples(plain: Obj) -> Obj:
    plain["location"] = tuple(plain["location"])
    plain["user_properties"] = [tuple(pair) for pair in plain["user_properties"]]
    plain["sections"] = [tuple(pair) for pair in plain["sections"]]
    return plain


def _name(value: Any) -> bool:
    return type(value) is str


def _int(value: Any) -> bool:
    return type(value) is int  # not bool


def _location(value: Any) -> bool:
    return (
        type(value) is tuple
        and len(value) == 3
        and _name(value[0])
        and (value[1] is None or _int(value[1]))
        and _name(value[2])
    )


def pack_events(events: list[tuple[str, Obj]]) -> bytes | None:
    """A test's xdist events as one JSON text, or None when one of them would not come back the same."""
    encode, _, _, raw = _codec()
    out: list[Any] = []
    for name, kwargs in events:
        if name in LOG_EVENTS:
            nodeid, location = kwargs.get("nodeid"), kwargs.get("location")
            if len(kwargs) != 2 or not _name(nodeid) or not _location(location):
                return None
            out.append([name, nodeid, location])
        elif name == REPORT_EVENT:
            data = kwargs.get("data")
            if len(kwargs) != 1 or type(data) is not dict or type(data.get(PACKED)) is not bytes:
                return None
            extra = {key: value for key, value in data.items() if key != PACKED}
            if not all(_name(value) or _int(value) for value in extra.values()):
                return None
            out.append([name, raw(data[PACKED]), extra])
        elif name == END_EVENT:
            index, duration = kwargs.get("item_index"), kwargs.get("duration")
            finite = type(duration) is float and math.isfinite(duration)
            if len(kwargs) != 2 or not _int(index) or not finite:
                return None
            out.append([name, index, duration])
        else:
            return None
    return encode(out)


def unpack_events(text: bytes) -> Iterator[tuple[str, Obj]]:
    """The events :func:`pack_events` packed, each as xdist's worker would have sent it."""
    for entry in _codec()[1](text):
        name = entry[0]
        if name in LOG_EVENTS:
            yield name, {"nodeid": entry[1], "location": tuple(entry[2])}
        elif name == REPORT_EVENT:
            data = _tuples(entry[1])
            data.update(entry[2])
            yield name, {"data": data}
        elif name == END_EVENT:
            yield name, {"item_index": entry[1], "duration": entry[2]}
        else:
            raise ValueError(f"unknown event in a batch: {name!r}")


class HeldEvents:
    """Worker side, in place of xdist's ``WorkerInteractor.sendevent``: a test's events go out together."""

    def __init__(self, send: Callable[..., None], active: Callable[[], bool]) -> None:
        self._send = send
        self._active = active  # whether this process batches now (a scenario run)
        self._held: list[tuple[str, Obj]] = []

    def __call__(self, name: str, **kwargs: Any) -> None:
        if (name in LOG_EVENTS or name in (REPORT_EVENT, END_EVENT)) and self._active():
            self._held.append((name, kwargs))
            if name == END_EVENT:
                self.release()
            return
        self.release()
        self._send(name, **kwargs)

    def release(self) -> None:
        """Send what is held: one message when it ends a test and packs exactly, else one per event."""
        held, self._held = self._held, []
        if not held:
            return
        text = pack_events(held) if held[-1][0] == END_EVENT else None
        if text is not None:
            self._send(BATCH, events=text)
            return
        for name, kwargs in held:
            self._send(name, **kwargs)


def receiver(process: Callable[[Any], None]) -> Callable[[Any], None]:
    """Controller side, around a node's ``process_from_remote``: a batch's events handed on one by one."""

    def receive(eventcall: Any) -> None:
        if type(eventcall) is tuple and eventcall[0] == BATCH:
            try:
                events = list(unpack_events(eventcall[1]["events"]))
            except Exception:
                # Handed on as it came: xdist's handler reports an unknown event and stops that worker.
                process(eventcall)
                return
            for event in events:
                process(event)
            return
        process(eventcall)

    return receive
