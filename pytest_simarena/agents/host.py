"""The tools' view of a live session: :class:`LiveHost` adapts a ``LiveSession`` to ``ToolHost``.

It also counts what the agent did through the tools (writes allowed and denied), so a live episode can
say ``blocked`` for an agent that only ever talks through tools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_simarena.backends.protocol import ClusterSnapshot
from pytest_simarena.errors import SimArenaError
from pytest_simarena.kubeview import parse_time

from .tools import ActOutcome

if TYPE_CHECKING:
    from pytest_simarena.actions import Action
    from pytest_simarena.live import LiveSession

Obj = dict[str, Any]


def available(obj: Obj) -> bool:
    """Whether a workload's ``Available`` condition is True (what ``kubectl wait`` checks)."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Available":
            return bool(cond.get("status") == "True")
    return False


@dataclass
class LiveHost:
    """A :class:`~pytest_simarena.agents.tools.ToolHost` over a live session."""

    session: LiveSession
    denied: list[str] = field(default_factory=list)

    def snapshot(self) -> ClusterSnapshot:
        objs = {name: self.session.list(name) for name in ("nodes", "pods", "events")}
        workloads = [
            w for kind in ("deployments", "statefulsets", "replicasets") for w in self.session.list(kind)
        ]
        return ClusterSnapshot(
            time=self.session.now,
            prefix="",
            nodes=objs["nodes"],
            pods=objs["pods"],
            workloads=workloads,
            events=objs["events"],
        )

    def wall_time(self) -> float:
        return parse_time(self.session.timestamp()) or 0.0

    def logs(self, namespace: str, pod: str, container: str | None = None) -> str:
        return self.session.logs(namespace, pod, container)

    def pod_metrics(self, namespace: str | None = None) -> list[Obj]:
        return self.session.pod_metrics(namespace)

    def node_metrics(self) -> list[Obj]:
        return self.session.node_metrics()

    def act(self, action: Action) -> ActOutcome:
        try:
            result = self.session.apply_action(action)
        except SimArenaError as exc:
            if getattr(exc, "code", None) == 403:
                self.denied.append(str(exc))
            raise
        return ActOutcome(str(result.status), str(result.message or ""))

    def advance(self, seconds: float) -> None:
        self.session.advance(seconds)

    def wait_available(self, kind: str, namespace: str, name: str, timeout: float) -> bool:
        resource = {"Deployment": "deployments", "StatefulSet": "statefulsets"}.get(kind, kind)
        self.session.get(resource, namespace, name)  # a 404 Status when it does not exist
        return self.session.advance_until(lambda s: available(s.get(resource, namespace, name)), timeout)
