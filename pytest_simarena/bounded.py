"""A dict that holds at most a given number of entries: the memos on the step's path.

Reads are plain dict reads (``get``, ``in``, ``[]`` stay C calls); only a store goes through Python,
and a memo stores only on a miss. A store of a new key into a full dict empties it first: the memos
refill from what recurs, and a bound by count keeps a long run's memory flat without an LRU's move per
read.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedDict(dict[K, V]):
    """``dict`` emptied before a new key is stored once it holds ``max_entries``."""

    __slots__ = ("max_entries",)

    def __init__(self, max_entries: int) -> None:
        super().__init__()
        self.max_entries = max_entries

    def __setitem__(self, key: K, value: V) -> None:
        if len(self) >= self.max_entries and key not in self:
            self.clear()
        super().__setitem__(key, value)

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled (an env sent to a Ray worker, say) as an empty memo of the same bound.
        return (type(self), (self.max_entries,))
