"""Content keys of traces made from another by value edits: a token instead of the sha256 of their bytes.

The step memos (actions, plans, replays, observations) key a trace by the sha256 of its msgpack bytes.
An action's new trace differs from its parent in a few values only (``actions.edit_values`` lists the
places the direct action route writes: ``spec.replicas`` and the containers' cpu/memory requests and
limits, each replaced where it is, never added or removed). Such a trace is named here by its *root*
(the sha256 of a trace whose bytes were encoded) and the values at those places: equal (root, values)
means equal content, so it keys the memos as soundly as the sha256 would, without encoding and hashing
the new trace (~10 us on the canonical trace). The bytes and the sha256 are made only when read (a run
folder, a step record's ``trace_sha256``).

A token is ``"~"``, the root's sha256 and the ``repr`` of the values: never a sha256 (hex), and it
spells its content, so it means the same in every process (an env pickled to another worker carries its
key) and after this module's bounded registry forgot it (then the caller encodes the next trace). A trace
whose values come back to its root's (bump then reduce) is named by the root's sha256 itself, so it meets
every memo entry the root made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_simarena.bounded import BoundedDict

from .model import Trace

Values = tuple[Any, ...]

TOKEN_MARK = "~"

# key (a sha256 or a token) -> (root sha256, the root's values, the key's values)
_ORIGINS: BoundedDict[str, tuple[str, Values, Values]] = BoundedDict(8192)


def is_token(key: str) -> bool:
    """Whether ``key`` is a token of this module (else a sha256 of bytes)."""
    return key[:1] == TOKEN_MARK


def edited_key(
    parent_key: str,
    parent: Trace,
    child: Trace,
    values: Callable[[Trace], Values | None],
    child_values: Values | None = None,
) -> str | None:
    """The key of ``child``, made from ``parent`` (keyed ``parent_key``) by writing values at the places
    ``values(trace)`` reads and nowhere else (the caller's promise: the direct action route);
    ``child_values``: ``values(child)`` when the caller has them. None when it cannot be named without
    its bytes (not the shape ``values`` reads, or the parent's origin is forgotten): the caller encodes
    it."""
    found = _ORIGINS.get(parent_key)
    if found is None:
        if is_token(parent_key):
            return None
        base = values(parent)
        if base is None:
            return None
        found = _ORIGINS[parent_key] = (parent_key, base, base)
    root, root_values, _ = found
    now = values(child) if child_values is None else child_values
    if now is None:
        return None
    if now == root_values:  # the root's content again
        if root not in _ORIGINS:
            _ORIGINS[root] = (root, root_values, root_values)
        return root
    # repr spells each value with its type (1, 1.0, "1" and True apart): equal tokens, equal contents.
    token = f"{TOKEN_MARK}{root}{now!r}"
    if token not in _ORIGINS:
        _ORIGINS[token] = (root, root_values, now)
    return token


def origin(key: str) -> tuple[str, Values] | None:
    """(root sha256, values) of a key known here: the trace it names is the root's with those values."""
    found = _ORIGINS.get(key)
    return None if found is None else (found[0], found[2])


def value_edit(parent_key: str, child_key: str) -> tuple[str, Values, Values] | None:
    """(their root's sha256, the parent's values, the child's values) when both keys are known here from
    the same root: the two traces differ only in values at the places ``values`` reads. None otherwise."""
    a, b = _ORIGINS.get(parent_key), _ORIGINS.get(child_key)
    if a is None or b is None or a[0] != b[0]:
        return None
    return a[0], a[2], b[2]


def clear() -> None:
    """Forget every key's origin (a token forgotten still names its content)."""
    _ORIGINS.clear()
