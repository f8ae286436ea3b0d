"""The interface every cluster backend implements (embedded simulator now, real cluster via ``kube``).

Namespaces: a run is identified by a *prefix*. As SimKube's driver does with ``virtualNsPrefix``, every
traced object lands in ``<prefix>-<original namespace>`` (the default prefix ``virtual`` gives SimKube's
``virtual-default``). A per-test prefix (``simarena-gw0-test-cpu``) isolates parallel tests on one cluster.

Everything a backend returns is API-shaped (camelCase dicts, as ``kubectl get -o json`` shows them), so
the code that summarizes an observation (``pytest_simarena.kubeview``) is shared by all backends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pytest_simarena.trace.model import Trace

Obj = dict[str, Any]
HookStage = Literal["pre_start", "pre_run", "post_run", "post_stop"]
HOOK_STAGES: tuple[HookStage, ...] = ("pre_start", "pre_run", "post_run", "post_stop")

DEFAULT_PREFIX = "virtual"


def virtual_namespace(prefix: str, original_namespace: str) -> str:
    """Where an object of ``original_namespace`` lands: ``<prefix>-<original namespace>`` (SimKube's rule).

    The empty prefix keeps the trace's own namespaces (the live session serves ``default`` as ``default``).
    """
    return f"{prefix}-{original_namespace}" if prefix else original_namespace


@dataclass(frozen=True, slots=True)
class ClusterSnapshot:
    """What a backend shows at one moment, as API-shaped objects.

    ``time`` is seconds since the trace started (simulated on the embedded cluster, wall on a real one).
    ``workloads`` holds Deployments, ReplicaSets, StatefulSets, Jobs and CronJobs.
    """

    time: float
    prefix: str
    nodes: list[Obj] = field(default_factory=list)
    pods: list[Obj] = field(default_factory=list)
    workloads: list[Obj] = field(default_factory=list)
    events: list[Obj] = field(default_factory=list)

    def may_hold_event(self, reason: str) -> bool:
        """False only when ``events`` is known to hold no event of ``reason`` without reading it (reading
        a lazy snapshot's lists may replay the step: backends/embedded/memo.py); True when it may."""
        return True


@dataclass(frozen=True, slots=True)
class PreflightCheck:
    """One preflight verdict: what was checked, whether it passed, and the command that fixes it."""

    name: str
    ok: bool
    message: str
    fix: str = ""


Hook = Callable[["ClusterBackend", HookStage], None]


@runtime_checkable
class ClusterBackend(Protocol):
    """A cluster the episode loop can drive without knowing which one it is."""

    name: str

    def preflight(self) -> list[PreflightCheck]:
        """Checks that the backend can run (always passing on the embedded cluster)."""
        ...

    def run_hooks(self, stage: HookStage) -> None:
        """Run the user's hooks for ``stage`` (pre_start, pre_run, post_run, post_stop)."""
        ...

    def prepare(self, prefix: str) -> None:
        """Make the run's namespaces exist and be empty of what we created; idempotent."""
        ...

    def start(self, trace: Trace, prefix: str, *, speed: float = 1.0) -> None:
        """Begin replaying ``trace`` into ``<prefix>-<ns>`` namespaces (time starts at the first event)."""
        ...

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of cluster time pass (simulated or real)."""
        ...

    def observe(self, prefix: str) -> ClusterSnapshot:
        """The objects of the run under ``prefix`` and the cluster's nodes, now."""
        ...

    def cleanup(self, prefix: str) -> None:
        """Delete what this backend created under ``prefix``, and nothing else; idempotent."""
        ...

    def close(self) -> None:
        """Release connections; the backend is not used afterwards."""
        ...
