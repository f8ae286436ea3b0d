"""Compact JSON text exactly as ``json.dumps(data, separators=(",", ":"), ensure_ascii=False)`` writes it,
and a step record's ``steps.jsonl`` line composed from cached fragments.

The compact text of a dict is ``{`` + ``"key":value`` pairs joined by ``,`` + ``}``, each value's text
independent of where it stands, so a line joined from separately encoded parts has json.dumps's bytes.
The parts a logged episode repeats step after step are encoded once: an action (policies reuse the same
frozen Action objects) and an observation but its step (frozen too; a memoized one is restamped with a
new step, and a reused cluster often shows a state again; its containers and largest node too) and a
verdict without changes. Equal field values give equal text as long
as the fields hold the types Observation declares (ints, not bools or floats, for counts and
quantities). The caches are bounded.
"""

from __future__ import annotations

import json
import operator
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_simarena.actions import Action

    from .observation import Observation
    from .results import StepRecord

# json.dumps(data, separators=(",", ":"), ensure_ascii=False), built once: json.dumps makes an encoder per
# call and JSONEncoder.encode makes a C encoder per call (a quarter of a step record's cost); with
# check_circular off (records are trees) the C encoder is the one json.dumps uses, so the text is the same.
_LINE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
_C_LINE = (
    None
    if c_make_encoder is None
    else c_make_encoder(None, _LINE.default, encode_basestring, None, ":", ",", False, False, True)
)
_MAX_CACHED = 4096  # entries per cache; a full cache starts over (memory stays flat over any run)


def compact(data: Any) -> str:
    """``json.dumps(data, separators=(",", ":"), ensure_ascii=False)``."""
    if _C_LINE is None:
        return _LINE.encode(data)
    return "".join(_C_LINE(data, 0))


def _number(value: Any) -> str:
    """``compact(value)``, without the encoder for an exact int or a finite float (the encoder writes
    them with ``int.__repr__``/``float.__repr__``)."""
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is float and value - value == 0.0:  # not NaN nor +-Infinity
        return float.__repr__(value)
    return compact(value)


def _string(value: Any) -> str:
    """``compact(value)``, without the encoder for None or an exact str (the encoder's own function)."""
    if value is None:
        return "null"
    if type(value) is str:
        return str(encode_basestring(value))
    return compact(value)


def jsonl_line(data: Any) -> str:
    """One compact JSON line (``json.dumps(data, separators=(",", ":"), ensure_ascii=False)`` + newline)."""
    return compact(data) + "\n"


# id(action) -> (the action, kept alive so its id is not reused, its compact text).
_ACTIONS: dict[int, tuple[Action, str]] = {}
# (type of the time, the fields written but the step) -> the text after ``{"step":N,``.
_OBSERVATIONS: dict[tuple[type, tuple[Any, ...]], str] = {}
# An observation's containers / nodes (equal views, equal text) -> the containers' / largest node's text.
_CONTAINERS: dict[tuple[Any, ...], str] = {}
_NODES: dict[tuple[Any, ...], str] = {}
# (status, message) of a record without changes -> its verdict..blockReason text.
_VERDICTS: dict[tuple[str, str], str] = {}


def clear() -> None:
    """Forget every cached fragment."""
    _ACTIONS.clear()
    for cache in (_OBSERVATIONS, _CONTAINERS, _NODES, _VERDICTS):
        cache.clear()


def action_text(action: Action | None) -> str:
    """``compact(action.to_dict())`` (``null`` for None), encoded once per action object."""
    if action is None:
        return "null"
    hit = _ACTIONS.get(id(action))
    if hit is not None and hit[0] is action:
        return hit[1]
    text = compact(action.to_dict())
    if len(_ACTIONS) >= _MAX_CACHED:
        _ACTIONS.clear()
    _ACTIONS[id(action)] = (action, text)
    return text


# What an observation's text depends on besides its step (history and snapshot are not written): equal
# values give equal text, the time's type included (0 and 0.0 are equal but written apart).
_OBSERVATION_KEY = operator.attrgetter(
    "time",
    "workload",
    "ready",
    "pending",
    "running",
    "crash_looping",
    "oom_killed",
    "restarts",
    "total",
    "desired",
    "target",
    "failed_scheduling",
    "oom",
    "backoff",
    "rejected",
    "containers",
    "nodes",
)


def observation_text(obs: Observation) -> str:
    """``compact(obs.to_json())``: all but its step encoded once per distinct value (an observation
    memoized on an isolated cluster, or a reused cluster's state seen again, is a lookup)."""
    try:
        key = (type(obs.time), _OBSERVATION_KEY(obs))
        rest = _OBSERVATIONS.get(key)
    except TypeError:  # an unhashable field (a list where a tuple belongs): no caching
        key, rest = None, None
    if rest is None:
        rest = _observation_rest(obs)
        if key is not None:
            if len(_OBSERVATIONS) >= _MAX_CACHED:
                _OBSERVATIONS.clear()
            _OBSERVATIONS[key] = rest
    return f'{{"step":{_number(obs.step)},{rest}'


def _observation_rest(obs: Observation) -> str:
    head = compact(
        {
            "time": obs.time,
            "workload": str(obs.workload),
            "ready": obs.ready,
            "pending": obs.pending,
            "running": obs.running,
            "crashLooping": obs.crash_looping,
            "oomKilled": obs.oom_killed,
            "restarts": obs.restarts,
            "total": obs.total,
            "desired": obs.desired,
            "target": obs.target,
            "healthy": obs.healthy,
        }
    )
    tail = compact(
        {
            "failedScheduling": obs.failed_scheduling,
            "oom": obs.oom,
            "backOff": obs.backoff,
            "rejected": obs.rejected,
        }
    )
    # The containers and the largest node change less often than the counts: each cached by value too.
    containers = _CONTAINERS.get(obs.containers)
    if containers is None:
        containers = _put(_CONTAINERS, obs.containers, compact([c.to_json() for c in obs.containers]))
    node = _NODES.get(obs.nodes)
    if node is None:
        largest = obs.node_allocatable
        node = _put(_NODES, obs.nodes, compact(largest.to_json() if largest else None))
    return f'{head[1:-1]},"containers":{containers},{tail[1:-1]},"nodeAllocatable":{node}}}'


def _put(cache: dict[Any, str], key: Any, text: str) -> str:
    if len(cache) >= _MAX_CACHED:
        cache.clear()
    cache[key] = text
    return text


def _verdict_text(record: StepRecord) -> str:
    """The record's ``"verdict":...,"blockReason":...`` part, encoded once per (status, message) when
    the step changed nothing (the usual repeat: unchanged, blocked or noop)."""
    key = None if record.changes else (record.status, record.message)
    text = _VERDICTS.get(key) if key is not None else None
    if text is None:
        verdict = {"status": record.status, "message": record.message, "changes": list(record.changes)}
        text = compact({"verdict": verdict, "blocked": record.blocked, "blockReason": record.block_reason})
        text = text[1:-1]
        if key is not None:
            if len(_VERDICTS) >= _MAX_CACHED:
                _VERDICTS.clear()
            _VERDICTS[key] = text
    return text


def step_line(record: StepRecord) -> str:
    """``jsonl_line(record.to_json())``: the record's ``steps.jsonl`` line, from cached fragments."""
    return (
        f'{{"step":{_number(record.step)},"time":{_number(record.time)},'
        f'"observation":{observation_text(record.observation)},"action":{action_text(record.action)},'
        f'{_verdict_text(record)},"reward":{_number(record.reward)},'
        f'"trace":{{"file":{_string(record.trace_file)},'
        f'"sha256":{_string(record.trace_sha256)}}}}}\n'
    )
