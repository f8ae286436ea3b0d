"""Kubernetes Events (core/v1) with client-go's merging of identical events into one with a count.

client-go's EventCorrelator keys an event by source, involved object, type, reason and message; a repeat
increments ``count`` and moves ``lastTimestamp`` instead of creating a new object (kubernetes.md §1.3
"Repeats": ``kubectl describe`` shows ``21m (x15 over 91m)``). Every recorded occurrence, merged or not,
also becomes one line of the cluster's deterministic ``event_log``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from .clock import Clock

Obj = dict[str, Any]


# A fast step's log lines as plain values, formatted when the log is read (EventRecorder.add_step_lines):
# (time, namespace, Deployment, ReplicaSet, replicas scaled to, pod names in creation order, per pod the
# index of its node or None, per pod its FailedScheduling text, the node names by index).
StepLines = tuple[
    float,
    str,
    str,
    str,
    int,
    tuple[str, ...],
    tuple[int | None, ...],
    tuple[str | None, ...],
    tuple[str, ...],
]


def step_lines(entry: StepLines) -> list[str]:
    """A fast step's lines as the engine logs them: ScalingReplicaSet, one SuccessfulCreate per pod, then
    per pod Scheduled or FailedScheduling."""
    now, ns, name, rs, replicas, pods, nodes, failures, names = entry
    out = []
    if replicas:
        out.append(
            log_line(
                now, "Normal", "ScalingReplicaSet", "Deployment", ns, name, scaled_message(rs, 0, replicas)
            )
        )
    out.extend(
        log_line(now, "Normal", "SuccessfulCreate", "ReplicaSet", ns, rs, created_pod_message(pod))
        for pod in pods
    )
    for pod, index, failure in zip(pods, nodes, failures, strict=True):
        if index is None:
            out.append(log_line(now, "Warning", "FailedScheduling", "Pod", ns, pod, failure or ""))
        else:
            out.append(
                log_line(now, "Normal", "Scheduled", "Pod", ns, pod, scheduled_message(ns, pod, names[index]))
            )
    return out


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
        "cached",
        "component",
        "count",
        "field_path",
        "first",
        "involved",
        "last",
        "message",
        "name",
        "reason",
        "seen",
        "seen_last",
        "series",
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
        # events.k8s.io series (scheduler events): what the recorder's cache has seen vs what the API has.
        self.series = False
        self.cached = True
        self.seen = 1
        self.seen_last = now

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
        out: Obj = {
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
        if self.series and self.count > 1:
            # events.k8s.io series, as the core/v1 view carries it (kubectl describe: "(x<count> over ...)")
            out["series"] = {"count": self.count, "lastObservedTime": clock.timestamp(self.last)}
        return out

    def catch_up(self, now: float) -> None:
        """Apply the events.k8s.io broadcaster's periodic passes that ran up to ``now``.

        client-go tools/events event_broadcaster.go: ``finishSeries`` runs every 6 minutes (from start):
        a series last observed more than 6 minutes before writes its final count and leaves the cache, a
        singleton older than 6 minutes just leaves it; ``refreshExistingEventSeries`` runs every 30 minutes
        and writes every cached series' count. Between those passes the API keeps the last written count.
        """
        if not self.cached:
            return
        if not self.series:
            if now >= _next_tick(self.first + SERIES_FINISH, SERIES_FINISH):
                self.cached = False
            return
        finish = _next_tick(self.seen_last + SERIES_FINISH, SERIES_FINISH)
        refresh = _next_tick(self.seen_last, SERIES_REFRESH, strict=False)
        if now >= min(finish, refresh):
            self.count = self.seen
            self.last = self.seen_last
        if now >= finish:
            self.cached = False


# tools/events event_broadcaster.go: finishTime 6 minutes, refreshTime 30 minutes.
SERIES_FINISH = 360.0
SERIES_REFRESH = 1800.0


def _next_tick(after: float, period: float, *, strict: bool = True) -> float:
    """The first periodic pass (at 0, period, 2 * period ...) later than ``after`` (or at it)."""
    k = after // period
    tick = k * period
    if tick < after or (strict and tick == after):
        tick += period
    return tick


# Event texts recorded in more than one place: the engine and the fast path (fastpath.py) must agree
# byte for byte.
def scaled_message(rs_name: str, old: int, new: int) -> str:
    """deployment ScalingReplicaSet, kubernetes.md §6.3: "Scaled %s replica set %s from %d to %d"."""
    return f"Scaled {'up' if new > old else 'down'} replica set {rs_name} from {old} to {new}"


def created_pod_message(name: str) -> str:
    """controller_utils.go SuccessfulCreate."""
    return f"Created pod: {name}"


def scheduled_message(namespace: str, pod: str, node: str) -> str:
    """kube-scheduler's Scheduled event."""
    return f"Successfully assigned {namespace}/{pod} to {node}"


def log_line(now: float, type_: str, reason: str, kind: str, namespace: str, name: str, message: str) -> str:
    """One line of the event log."""
    return f"{now:.3f} {type_} {reason} {kind} {namespace}/{name}: {message}"


# The event log keeps the last MAX_LOG_LINES lines: a cluster reused for 100,000 steps must not grow
# without bound. When the log is read past the limit, the oldest lines go (``dropped_lines`` counts them).
MAX_LOG_LINES = 50_000
# Entries are formatted only when the log is read; once the kept lines and the unformatted entries hold
# MAX_LOG_LINES + PENDING_LIMIT lines, the oldest are dropped (unformatted: a long run nobody reads, a gym
# env on one cluster, formats nothing) down to MAX_LOG_LINES, the lines any later read could still show.
PENDING_LIMIT = MAX_LOG_LINES // 10

# An occurrence as the log keeps it until read: (time, type, reason, kind, namespace, name, message), plain
# values (the cyclic collector stops tracking it); a note is (time, text); a fast step's, StepLines.
Entry = tuple[float, str, str, str, str, str, str] | tuple[float, str] | StepLines


def _entry_lines(entry: Entry) -> int:
    """How many log lines ``entry`` makes."""
    if len(entry) == 9:
        step = cast("StepLines", entry)
        return (1 if step[4] else 0) + 2 * len(step[5])
    return 1


def _entry_text(entry: Entry) -> list[str]:
    """The log lines of ``entry``."""
    size = len(entry)
    if size == 7:
        now, type_, reason, kind, namespace, name, message = cast(
            "tuple[float, str, str, str, str, str, str]", entry
        )
        return [log_line(now, type_, reason, kind, namespace, name, message)]
    if size == 2:
        when, text = cast("tuple[float, str]", entry)
        return [f"{when:.3f} {text}"]
    return step_lines(cast("StepLines", entry))


# The Event note limit: longer messages are cut and end in " ..." (kubernetes.md §1.3, [mem] 1024).
MAX_MESSAGE = 1024


class EventRecorder:
    """Records events, merges repeats, and keeps the event log."""

    __slots__ = (
        "_batched",
        "_by_key",
        "_by_namespace",
        "_clock",
        "_deferred",
        "_lines",
        "_pending",
        "dropped_lines",
    )

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._by_key: dict[tuple[str, ...], Event] = {}
        self._by_namespace: dict[str, list[Event]] = {}
        self._lines: list[str] = []
        # Log entries are formatted when the log is read: most runs never read it.
        self._pending: list[Entry] = []
        self.dropped_lines = 0
        # Lines the pending entries hold beyond one each (the bound counts lines, not entries).
        self._batched = 0
        # The lines of a replay computed by the fast path: produced by the engine when first read.
        self._deferred: Callable[[], list[str]] | None = None

    @property
    def log(self) -> list[str]:
        """One line per recorded occurrence (and per note), in order."""
        if self._deferred is not None:
            deferred, self._deferred = self._deferred, None
            self._lines = deferred()
        if self._pending:
            lines = self._lines
            for entry in self._pending:
                lines.extend(_entry_text(entry))
            self._pending.clear()
            self._batched = 0
            if len(lines) > MAX_LOG_LINES:
                excess = len(lines) - MAX_LOG_LINES
                del lines[:excess]
                self.dropped_lines += excess
        return self._lines

    def restore_log(self, lines: tuple[str, ...] | list[str]) -> None:
        """Start the log with ``lines`` (an isolated cluster shows its last run's log)."""
        self._lines = list(lines)
        self._pending.clear()
        self._batched = 0
        self._deferred = None

    def add_step_lines(self, entry: StepLines) -> None:
        """Log a fast step's occurrences (:data:`StepLines`), formatted as :meth:`record` would have logged
        them when the log is read. Plain values only: the cyclic collector stops tracking the entry at its
        first passes, so the steps' entries a reused cluster keeps unread are not walked by every full
        collection (an object per step held there was)."""
        self._pending.append(entry)
        self._batched += _entry_lines(entry) - 1
        self._bound()

    def _bound(self) -> None:
        """Drop the oldest lines down to MAX_LOG_LINES once the kept and unformatted lines exceed it by
        PENDING_LIMIT: kept lines first, then whole unformatted entries (never formatted); an entry only
        partly beyond is formatted and its last lines kept. A later read shows what it would have."""
        pending = self._pending
        excess = len(self._lines) + len(pending) + self._batched - MAX_LOG_LINES
        if excess <= PENDING_LIMIT:
            return
        if self._deferred is not None:
            _ = self.log  # (the deferred lines come first: made, then trimmed as a read trims them)
            return
        lines = self._lines
        cut = min(excess, len(lines))
        del lines[:cut]
        excess -= cut
        self.dropped_lines += cut
        gone = 0
        while excess > 0:
            entry = pending[gone]
            gone += 1
            size = _entry_lines(entry)
            self._batched -= size - 1
            if size <= excess:
                excess -= size
                self.dropped_lines += size
            else:  # partly beyond: its last lines are the oldest kept ones
                lines.extend(_entry_text(entry)[excess:])
                self.dropped_lines += excess
                excess = 0
        del pending[:gone]

    def defer_log(self, lines: Callable[[], list[str]]) -> None:
        """Start the log with what ``lines()`` returns, called when the log is first read."""
        self._lines = []
        self._pending.clear()
        self._batched = 0
        self._deferred = lines

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
        self._pending.append((now, type_, reason, involved.kind, involved.namespace, involved.name, message))
        self._bound()
        return event

    def record_series(
        self, involved: Involved, type_: str, reason: str, message: str, component: str
    ) -> Event:
        """Record through the events.k8s.io API, as kube-scheduler does (issue 15 rule 2).

        client-go tools/events event_broadcaster.go recordToSink: the first occurrence creates the Event; an
        isomorphic repeat while it is cached starts a series with count 2 and writes it; later repeats only
        raise the cached count and last-observed time, written by the periodic passes (``Event.catch_up``).
        An occurrence after the event left the cache creates a new Event object.
        """
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 4] + " ..."
        now = self._clock.now
        key = ("series", component, involved.uid, type_, reason, message)
        event = self._by_key.get(key)
        if event is not None:
            event.catch_up(now)
        if event is None or not event.cached:
            nanos = int((self._clock.epoch + now) * 1e9) + len(self._by_key)
            event = Event(f"{involved.name}.{nanos:x}", involved, type_, reason, message, component, "", now)
            self._by_key[key] = event
            self._by_namespace.setdefault(involved.namespace, []).append(event)
        elif not event.series:
            event.series = True
            event.seen = event.count = 2
            event.seen_last = event.last = now
        else:
            event.seen += 1
            event.seen_last = now
        self._pending.append((now, type_, reason, involved.kind, involved.namespace, involved.name, message))
        self._bound()
        return event

    def note(self, line: str) -> None:
        """Add a non-event line to the log (e.g. an object the API would have rejected)."""
        self._pending.append((self._clock.now, line))
        self._bound()

    def events_in(self, namespaces: list[str]) -> list[Event]:
        """Events of the given namespaces, in recording order per namespace."""
        found: list[Event] = []
        now = self._clock.now
        for ns in namespaces:
            for event in self._by_namespace.get(ns, ()):
                if event.series:
                    event.catch_up(now)
                found.append(event)
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
