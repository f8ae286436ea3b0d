"""The exceptions pytest-simarena raises; every one derives from :class:`SimArenaError`."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class SimArenaError(Exception):
    """Base class: a user-facing problem with a one-line message (the CLI prints it without a traceback)."""


class SimArenaWarning(UserWarning):
    """Something was accepted but changed or is suspicious (e.g. a legacy trace was normalized)."""


class QuantityError(SimArenaError, ValueError):
    """A string is not a Kubernetes resource quantity (message uses Kubernetes' own wording)."""


class TraceError(SimArenaError, ValueError):
    """A trace file or trace object is malformed.

    The message names the file, the event index and object (``kind namespace/name``) and the field path:
    ``traces/x.sktrace: events[0].applied_objs[2] (Deployment default/web): spec.replicas: ...``.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | None = None,
        location: str | None = None,
        obj: str | None = None,
        field: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = path
        self.location = location
        self.obj = obj
        self.field = field
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.location:
            where = self.location
            if self.obj:
                where += f" ({self.obj})"
        parts = [p for p in (self.path, where, self.field) if p]
        return ": ".join([*parts, self.problem])

    def with_path(self, path: str) -> TraceError:
        """The same error, attributed to ``path`` (used when a loader learns the file name late)."""
        return TraceError(self.problem, path=path, location=self.location, obj=self.obj, field=self.field)


class UnsupportedTraceVersion(TraceError):
    """A SimKube trace in a format version this project (like current SimKube) cannot read."""


class ActionError(SimArenaError, ValueError):
    """An action is malformed (unknown type, bad amount).

    A blocked or not-found action is a result, not this exception.
    """


class ScenarioError(SimArenaError):
    """A scenario file is malformed; the message names ``file:line`` and the field."""


class BackendError(SimArenaError):
    """A cluster backend failed (API error, timeout); the message says what was awaited and what was seen."""


class BackendUnavailable(BackendError):
    """A backend cannot be used here (no kubeconfig, unreachable API, missing extra)."""


class UnknownNameError(SimArenaError, LookupError):
    """A policy, reward or backend name is not registered; the message suggests close matches."""

    def __init__(self, what: str, name: str, known: Iterable[str]) -> None:
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(f"unknown {what} {name!r}.{hint} Known: {', '.join(known)}")
        self.name = name
        self.known = known
