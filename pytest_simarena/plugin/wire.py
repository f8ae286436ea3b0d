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
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    from collections.abc import Callable

PACKED = "$simarena.json"  # the only key of a packed report ("$report_type" is absent on purpose)

Obj = dict[str, Any]


@functools.cache
def _codec() -> tuple[Callable[[Any], bytes], Callable[[bytes], Any], type[Exception]]:
    # Imported on first use: the plugin module that imports this one stays light in every process.
    import msgspec

    return msgspec.json.Encoder().encode, msgspec.json.Decoder().decode, msgspec.MsgspecError


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
    encode, decode, codec_error = _codec()
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
    plain: Obj = _codec()[1](encoded)
    plain["location"] = tuple(plain["location"])
    plain["user_properties"] = [tuple(pair) for pair in plain["user_properties"]]
    plain["sections"] = [tuple(pair) for pair in plain["sections"]]
    return plain
