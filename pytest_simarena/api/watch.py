"""Watch streams (``?watch=1``): what ``kubectl get -w``, ``wait``, ``rollout status`` and the client read.

A watch is a chunked stream of ``{"type": "ADDED|MODIFIED|DELETED", "object": {...}}`` lines. Without a
``resourceVersion`` (or with ``0``) it starts with an ADDED event per current object; with one it starts
after that version. ``sendInitialEvents=true`` (client-go's WatchList) sends the ADDED events, then a
BOOKMARK annotated ``k8s.io/initial-events-end``.

Time: while the watch has nothing to send, SIMULATED time runs (to the next timer of the cluster, in
milliseconds of wall time) until a change matches or ``timeoutSeconds`` of simulated
time have passed (the ``watch_seconds`` setting, default 300); then the stream ends, as an apiserver ends a
watch at its timeout. After sending events the server waits up to ``watch_grace`` wall seconds (default
0.5) for the client to hang up (a satisfied ``kubectl wait`` does) before it lets time run again, so how
far a watch moves the clock depends on the requests, not on the machine's speed, as long as the client
reacts within the grace.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_simarena.live import LiveSession
from pytest_simarena.live.errors import bad_request
from pytest_simarena.live.resources import Resource

from .tables import to_table

Obj = dict[str, Any]


class Watch:
    """One watch request's cursor; every method is called with the server's lock held."""

    def __init__(
        self,
        session: LiveSession,
        res: Resource,
        namespace: str | None,
        query: dict[str, str],
        *,
        table: bool,
        default_timeout: float,
    ) -> None:
        self.session = session
        self.res = res
        self.namespace = namespace
        self.labels = query.get("labelSelector")
        self.fields = query.get("fieldSelector")
        self.table = table
        self.include_object = query.get("includeObject")
        raw_rv = query.get("resourceVersion", "")
        raw_timeout = query.get("timeoutSeconds", "")
        try:
            self.cursor = int(raw_rv) if raw_rv else 0
            timeout = float(raw_timeout) if raw_timeout else default_timeout
        except ValueError:
            raise bad_request(
                f"resourceVersion={raw_rv!r}, timeoutSeconds={raw_timeout!r}: expected numbers"
            ) from None
        self.deadline = session.now + max(timeout, 0.0)
        # WatchList (client-go's streaming list): initial ADDED events, then a bookmark marking their end.
        self.send_initial = query.get("sendInitialEvents") == "true"
        self.initial_list = not raw_rv or raw_rv == "0" or self.send_initial

    def _line(self, kind: str, obj: Obj) -> bytes:
        if self.table:
            now = self.session.cluster.clock.epoch + self.session.now
            obj = to_table([obj], self.res, now=now, include_object=self.include_object)
        return json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"

    def start(self) -> list[bytes]:
        """The initial events: ADDED for every current object when no resourceVersion was given."""
        session = self.session
        # Validate the selectors before the stream starts, so a bad one is a plain 400 answer.
        items = session.list(
            self.res.name, self.namespace, label_selector=self.labels, field_selector=self.fields
        )
        if not self.initial_list:
            return []
        self.cursor = int(session.resource_version)
        lines = [self._line("ADDED", obj) for obj in items]
        if self.send_initial:
            bookmark = {
                "kind": self.res.kind,
                "apiVersion": self.res.api_version,
                "metadata": {
                    "resourceVersion": str(self.cursor),
                    "annotations": {"k8s.io/initial-events-end": "true"},
                },
            }
            lines.append(
                json.dumps({"type": "BOOKMARK", "object": bookmark}, separators=(",", ":")).encode() + b"\n"
            )
        return lines

    def poll(self) -> list[bytes]:
        """Events after the cursor (and moves the cursor past them)."""
        changes = self.session.changes_since(
            self.cursor, self.res.name, self.namespace, label_selector=self.labels, field_selector=self.fields
        )
        self.cursor = max(self.cursor, int(self.session.resource_version))
        return [self._line(kind, obj) for kind, obj in changes]

    def step(self) -> bool:
        """Let simulated time run to the cluster's next timer (at most the deadline); False once expired."""
        session = self.session
        if session.now >= self.deadline:
            return False
        upcoming = session.cluster.clock.next_time()
        target = self.deadline if upcoming is None else min(max(upcoming, session.now), self.deadline)
        if target <= session.now:
            session.advance(0)  # timers due now run without moving the clock
        else:
            session.advance_to(target)
        return True
