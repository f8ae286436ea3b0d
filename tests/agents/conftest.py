"""Fixtures for the agent tools: a real embedded cluster replaying a canonical trace."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_simarena.actions import Action
from pytest_simarena.agents.tools import ActOutcome, ToolError
from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
from pytest_simarena.backends.protocol import ClusterSnapshot
from pytest_simarena.trace import load_trace
from pytest_simarena.trace.model import Trace

CANONICAL = Path(__file__).resolve().parents[2] / "traces" / "canonical"


@dataclass
class ReadHost:
    """The read half of a ToolHost over an embedded cluster (writes are the live session's job)."""

    cluster: EmbeddedCluster
    trace: Trace

    def snapshot(self) -> ClusterSnapshot:
        return self.cluster.observe("virtual")

    def wall_time(self) -> float:
        return float(self.trace.start_ts) + self.cluster.now

    def logs(self, namespace: str, pod: str, container: str | None = None) -> str:
        raise ToolError("logs need a live session")

    def pod_metrics(self, namespace: str | None = None) -> list[dict[str, Any]]:
        return []

    def node_metrics(self) -> list[dict[str, Any]]:
        return []

    def act(self, action: Action) -> ActOutcome:
        raise ToolError(f"read-only host: cannot {action}")

    def advance(self, seconds: float) -> None:
        self.cluster.advance(seconds)

    def wait_available(self, kind: str, namespace: str, name: str, timeout: float) -> bool:
        raise ToolError("wait needs a live session")


@pytest.fixture
def read_host() -> Iterator[ReadHost]:
    """``mixed`` (5 replicas, cpu and memory over a node) after 120 simulated seconds: all Pending."""
    trace = load_trace(CANONICAL / "mixed.sktrace")
    cluster = EmbeddedCluster(ClusterSpec.default(), seed=1)
    cluster.start(trace, "virtual")
    cluster.advance(120)
    yield ReadHost(cluster, trace)
    cluster.close()
