"""Scenario files already found valid against the schema, remembered by content in pytest's cache.

A file is parsed and expanded by every process that collects it (a serial run, every xdist worker);
checking it against ``scenario.schema.json`` needs jsonschema, whose import alone costs ~0.1 s of CPU
per process. What the check depends on is the schema's bytes and the file's text
(:func:`pytest_simarena.scenario.loader.schema_key`), so a text found valid once stays valid: its key
is kept under ``simarena/valid-scenario-files`` in pytest's cache (``.pytest_cache``; ``--cache-clear``
empties it) and the check is skipped the next time. Only successes are kept: a file with an error is
checked every run, and any edit (or a new schema) gives a new key. Without the cache provider
(``-p no:cacheprovider``) every file is checked, as before.
"""

from __future__ import annotations

from typing import Any

import pytest

CACHE_KEY = "simarena/valid-scenario-files"
LIMIT = 1024  # keys kept, newest last (a key is 64 characters)


class CheckedFiles:
    """The keys read from the cache at the first collection, plus those this session found valid."""

    def __init__(self, config: pytest.Config) -> None:
        self._cache: Any = getattr(config, "cache", None)
        stored = self._cache.get(CACHE_KEY, []) if self._cache is not None else []
        self._order: list[str] = [k for k in stored if isinstance(k, str)] if isinstance(stored, list) else []
        self.known: set[str] = set(self._order)
        self._changed = False

    def add(self, key: str) -> None:
        if key and key not in self.known:
            self.known.add(key)
            self._order.append(key)
            self._changed = True

    def save(self) -> None:
        """Write the keys back when this session added any (xdist workers write the same set)."""
        if self._changed and self._cache is not None:
            self._cache.set(CACHE_KEY, self._order[-LIMIT:])
            self._changed = False
