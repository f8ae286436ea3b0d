"""Hand-built observations for policy and reward unit tests (no cluster needed)."""

from __future__ import annotations

from typing import Any

from pytest_simarena.episode.observation import ContainerView, NodeView, Observation
from pytest_simarena.trace.model import WorkloadRef

GI = 1024**3
MI = 1024**2
WEB = WorkloadRef("apps/v1.Deployment", "default", "web")

# The seed team's cluster: 3 KWOK nodes of 16 cpu / 32Gi / 110 pods (traces/README).
KWOK_NODES = tuple(NodeView(name=f"kwok-node-{i}", cpu=16000, memory=32 * GI, pods=110) for i in range(3))

FIT_CPU = (
    "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
    "3 No preemption victims found for incoming pod."
)
FIT_MEM = FIT_CPU.replace("cpu", "memory")


def obs(
    *,
    cpu: int | None = 500,
    memory: int | None = 512 * MI,
    cpu_limit: int | None = None,
    memory_limit: int | None = None,
    cpu_usage: int | None = None,
    memory_usage: int | None = None,
    target: int = 3,
    desired: int = 3,
    ready: int = 3,
    pending: int = 0,
    total: int | None = None,
    nodes: tuple[NodeView, ...] = KWOK_NODES,
    **extra: Any,
) -> Observation:
    """An observation of default/web with one container ``web``."""
    container = ContainerView(
        "web",
        cpu_request=cpu,
        memory_request=memory,
        cpu_limit=cpu_limit,
        memory_limit=memory_limit,
        cpu_usage=cpu_usage,
        memory_usage=memory_usage,
    )
    return Observation(
        step=extra.pop("step", 0),
        time=120.0,
        workload=WEB,
        target=target,
        desired=desired,
        ready=ready,
        pending=pending,
        running=ready,
        total=desired if total is None else total,
        containers=extra.pop("containers", (container,)),
        nodes=nodes,
        **extra,
    )
