"""Build instances of frozen slots dataclasses without their generated ``__init__``, for per-step records.

A frozen dataclass sets each field with ``object.__setattr__(self, name, value)``: in CPython a call
through a slot wrapper that packs its arguments into a tuple and checks the type's setattr chain, some
1,500 machine instructions a field. An episode step builds an Observation (21 fields), a StepRecord (10),
a StepOutcome and a HistoryEntry: a quarter of a fast step's instructions went there.

:func:`builder` returns ``build(*values)`` (every field, in the class's order) that fills an instance of
a private twin class with the same ``__slots__`` by plain attribute stores, then gives it the frozen
class (``__class__`` assignment, which CPython allows between classes of the same slots layout). The
result is an ordinary instance of the frozen class: equal, hashable, frozen and pickled as one built by
its constructor (``tests/properties/test_fastpath.py`` checks that). Only for classes whose
``__init__`` does nothing else: no ``__post_init__``, no ``InitVar``, no field left to a default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def builder(cls: type[T]) -> Callable[..., T]:
    """``build(*values) == cls(*values)`` for a frozen slots dataclass ``cls`` (every field given)."""
    names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    slots = getattr(cls, "__slots__", None)
    params = getattr(cls, "__dataclass_params__", None)
    if (
        params is None
        or not params.frozen
        or slots is None
        or tuple(slots) != names
        or hasattr(cls, "__post_init__")
        or cls.__bases__ != (object,)
        or any(f.init is False for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    ):
        raise TypeError(f"{cls.__name__}: not a frozen slots dataclass of plain fields")
    draft = type(f"_{cls.__name__}Draft", (), {"__slots__": tuple(slots)})
    args = ", ".join(f"v{i}" for i in range(len(names)))
    stores = "".join(f"    o.{name} = v{i}\n" for i, name in enumerate(names))
    source = f"def build({args}):\n    o = draft()\n{stores}    o.__class__ = cls\n    return o\n"
    namespace: dict[str, Any] = {"draft": draft, "cls": cls}
    exec(source, namespace)  # as dataclasses writes __init__: one store per field, no loop
    build: Callable[..., T] = namespace["build"]
    build.__qualname__ = build.__name__ = f"build_{cls.__name__}"
    return build
