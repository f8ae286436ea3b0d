"""Kubernetes Events (core/v1) with client-go's merging of identical events into one with a count.

client-go's EventCorrelator keys an event by source, involved object, type, reason and message; a repeat
increments ``count`` and moves ``lastTimestamp`` instead of creating a new object (kubernetes.md §1.3
"Repeats": ``kubectl describe`` shows ``21m (x15 over 91m)``). Every recorded occurrence, merged or not,
also becomes one line of the cluster's deterministic ``event_log``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clock import Clock

Obj = dict[str, Any]


class Involved:
    """The ``involvedObject`` of an event (kept small: built once per object, reused by its events)."""

    __slots__ = ("api_version", "kind", "name", "namespace", "uid")

    def __init__(self, api_version: str, kind: str, namespace: str, name: str, uid: str) -> None:
        self.api_version = api_version
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid


class Event:
    """One (possibly merged) event; ``to_api()`` renders the core/v1 dict."""

    __slots__ = (
        "component",
        "count",
        "field_path",
        "first",
        "involved",
        "last",
        "message",
        "name",
        "reason",
        "type",
    )

    def __init__(
        self,
        name: str,
        involved: Involved,
        type_: str,
        reason: str,
        message: str,
        component: str,
        field_path: str,
        now: float,
    ) -> None:
        self.name = name
        self.involved = involved
        self.type = type_
        self.reason = reason
        self.message = message
        self.component = component
        self.field_path = field_path
        self.first = now
        self.last = now
        self.count = 1

    def to_api(self, clock: Clock) -> Obj:
        inv = self.involved
        involved: Obj = {
            "apiVersion": inv.api_version,
            "kind": inv.kind,
            "name": inv.name,
            "namespace": inv.namespace,
            "uid": inv.uid,
        }
        if self.field_path:
            involved["fieldPath"] = self.field_path
        first = clock.timestamp(self.first)
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": self.name, "namespace": inv.namespace, "creationTimestamp": first},
            "involvedObject": involved,
            "type": self.type,
            "reason": self.reason,
            "message": self.message,
            "source": {"component": self.component},
            "reportingComponent": self.component,
            "reportingInstance": "",
            "count": self.count,
            "firstTimestamp": first,
            "lastTimestamp": clock.timestamp(self.last),
            "eventTime": None,
        }


# The event log keeps the last MAX_LOG_LINES lines: a cluster reused for 100,000 steps must not grow
# without bound. When the log is read past the limit, the oldest lines go (``dropped_lines`` counts them).
MAX_LOG_LINES = 50_000

# The Event note limit: longer messages are cut and end in " ..." (kubernetes.md §1.3, [mem] 1024).
MAX_MESSAGE = 1024


class EventRecorder:
    """Records events, merges repeats, and keeps the event log."""

    __slots__ = ("_by_key", "_by_namespace", "_clock", "_lines", "_pending", "dropped_lines")

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._by_key: dict[tuple[str, ...], Event] = {}
        self._by_namespace: dict[str, list[Event]] = {}
        self._lines: list[str] = []
        # Log entries are formatted when the log is read: most runs never read it.
        self._pending: list[tuple[float, str, str, Involved, str] | tuple[float, str]] = []
        self.dropped_lines = 0

    @property
    def log(self) -> list[str]:
        """One line per recorded occurrence (and per note), in order."""
        if self._pending:
            lines = self._lines
            for entry in self._pending:
                if len(entry) == 2:
                    lines.append(f"{entry[0]:.3f} {entry[1]}")
                else:
                    now, type_, reason, inv, message = entry
                    lines.append(
                        f"{now:.3f} {type_} {reason} {inv.kind} {inv.namespace}/{inv.name}: {message}"
                    )
            self._pending.clear()
            if len(lines) > MAX_LOG_LINES:
                excess = len(lines) - MAX_LOG_LINES
                del lines[:excess]
                self.dropped_lines += excess
        return self._lines

    def restore_log(self, lines: tuple[str, ...] | list[str]) -> None:
        """Start the log with ``lines`` (an isolated cluster shows its last run's log)."""
        self._lines = list(lines)
        self._pending.clear()

    def record(
        self,
        involved: Involved,
        type_: str,
        reason: str,
        message: str,
        component: str,
        *,
        field_path: str = "",
    ) -> Event:
        """Record one occurrence; an identical earlier event gets ``count + 1`` (kubernetes.md §1.3)."""
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 4] + " ..."
        now = self._clock.now
        key = (component, involved.uid, field_path, type_, reason, message)
        event = self._by_key.get(key)
        if event is None:
            # Name as the API server's recorder builds it: "<object>.<hex unix nanos>".
            nanos = int((self._clock.epoch + now) * 1e9) + len(self._by_key)
            event = Event(
                f"{involved.name}.{nanos:x}", involved, type_, reason, message, component, field_path, now
            )
            self._by_key[key] = event
            self._by_namespace.setdefault(involved.namespace, []).append(event)
        else:
            event.count += 1
            event.last = now
        self._pending.append((now, type_, reason, involved, message))
        if len(self._pending) > MAX_LOG_LINES:
            _ = self.log  # format (and trim) what piled up unread
        return event

    def note(self, line: str) -> None:
        """Add a non-event line to the log (e.g. an object the API would have rejected)."""
        self._pending.append((self._clock.now, line))
        if len(self._pending) > MAX_LOG_LINES:
            _ = self.log

    def events_in(self, namespaces: list[str]) -> list[Event]:
        """Events of the given namespaces, in recording order per namespace."""
        found: list[Event] = []
        for ns in namespaces:
            found.extend(self._by_namespace.get(ns, ()))
        return found

    def namespaces(self) -> list[str]:
        return list(self._by_namespace)

    def drop_namespace(self, namespace: str) -> None:
        """Forget a namespace's events (its namespace was deleted)."""
        events = self._by_namespace.pop(namespace, None)
        if not events:
            return
        doomed = {id(e) for e in events}
        self._by_key = {k: e for k, e in self._by_key.items() if id(e) not in doomed}
