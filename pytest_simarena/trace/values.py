"""Any decoded value, described for a message: its type in JSON/msgpack words and a short preview.

Trace input can hold anything msgpack or JSON can carry (a 1 GB string, a map with array keys, a list nested
thousands deep); these helpers never raise and never walk more of a value than they show.
"""

from __future__ import annotations

import json
from typing import Any

import msgpack


def preview(value: Any, limit: int = 60) -> str:
    """A short JSON-ish rendering of any value for messages (strings in double quotes, like kubectl).

    Never raises and never walks more of ``value`` than it shows: a bad value can be a 1 GB string, a map
    with array keys or a list nested thousands deep, and the message about it must still be printed.
    """
    parts: list[str] = []
    _render(value, parts, limit + 1, 0)
    text = "".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _render(value: Any, out: list[str], budget: int, depth: int) -> int:
    """Append ``value``'s rendering to ``out`` until ``budget`` characters are used; the budget left."""
    if budget <= 0:
        return 0
    if depth > 20:
        text = "..."
    elif value is None or isinstance(value, bool):
        text = "null" if value is None else ("true" if value else "false")
    elif isinstance(value, str):
        text = json.dumps(value[:budget], ensure_ascii=False)
    elif isinstance(value, int | float):
        text = _number(value, budget)
    elif isinstance(value, dict) or type(value) in (list, tuple):
        is_map = isinstance(value, dict)
        out.append("{" if is_map else "[")
        budget -= 1
        items: Any = value.items() if is_map else value
        for n, item in enumerate(items):
            if budget <= 0:
                return 0
            if n:
                out.append(", ")
                budget -= 2
            if is_map:
                key, item = item
                budget = _render(key if isinstance(key, str) else preview(key, 20), out, budget, depth + 1)
                out.append(": ")
                budget -= 2
            budget = _render(item, out, budget, depth + 1)
        out.append("}" if is_map else "]")
        return budget - 1
    else:
        text = f"<{type(value).__name__}>"
    out.append(text)
    return budget - len(text)


def _number(value: int | float, budget: int) -> str:
    if isinstance(value, float):
        return json.dumps(value)  # NaN, Infinity as JavaScript writes them
    if value.bit_length() > 200:  # str() of a huge int is slow, and Python limits it (int_max_str_digits)
        return f"<integer of {value.bit_length()} bits>"
    return str(value)[: budget + 1]


def type_name(value: Any) -> str:
    """JSON/msgpack vocabulary for a Python value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if type(value) in (list, tuple):
        return "array"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, bytes):
        return "binary"
    if isinstance(value, msgpack.ExtType | msgpack.Timestamp):
        return "msgpack extension"
    return type(value).__name__


def article(noun: str) -> str:
    """``an integer``, ``a map``."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
