"""Events as ``kubectl get events`` orders and shows them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from .access import _dict, _strip_prefix, parse_time

Obj = dict[str, Any]


def event_view(event: Mapping[str, Any], *, prefix: str | None = None) -> Obj:
    """An Event as the observation shows it: type, reason, object, message, count, first/last time."""
    involved = _dict(event.get("involvedObject"))
    count = event.get("count")
    series = _dict(event.get("series"))
    if series.get("count"):
        count = series["count"]
    return {
        "type": event.get("type", ""),
        "reason": event.get("reason", ""),
        "involvedObject": {
            "kind": involved.get("kind", ""),
            "namespace": _strip_prefix(str(involved.get("namespace", "")), prefix),
            "name": involved.get("name", ""),
        },
        "message": str(event.get("message", "")).strip(),
        "count": int(count) if count else 1,  # singleton events have no count (printEvent)
        "firstTimestamp": event.get("firstTimestamp") or event.get("eventTime"),
        "lastTimestamp": event.get("lastTimestamp") or event.get("firstTimestamp") or event.get("eventTime"),
    }


def _event_last_seen(event: Mapping[str, Any]) -> float | None:
    series = _dict(event.get("series"))
    return (
        parse_time(series.get("lastObservedTime"))
        or parse_time(event.get("lastTimestamp"))
        or parse_time(event.get("firstTimestamp"))
        or parse_time(event.get("eventTime"))
    )


def sorted_events(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Events by last-seen time, oldest first (as ``kubectl get events --sort-by=.lastTimestamp``)."""
    indexed = list(enumerate(events))
    indexed.sort(key=lambda ie: (_event_last_seen(ie[1]) or 0.0, ie[0]))
    return [e for _, e in indexed]
