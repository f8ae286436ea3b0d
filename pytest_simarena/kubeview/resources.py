"""The scheduler's accounting: what a pod requests and what each node has left (kubernetes notes §1.1)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_simarena.quantities import format_cpu, format_memory, parse_cpu, parse_memory, parse_quantity

from .access import TERMINAL_PHASES, _dict, _is_restartable_init, _list, _meta

if TYPE_CHECKING:
    from pytest_simarena.backends.protocol import ClusterSnapshot

Obj = dict[str, Any]


# A cluster uses few distinct quantity strings (every pod, every node, every step); parsing is exact but
# not cheap, so results are memoized. typed=True: True must not hit the entry of 1 (a bool is no quantity).
@functools.lru_cache(maxsize=4096, typed=True)
def cpu_of(value: str | int | float) -> int:
    """:func:`~pytest_simarena.quantities.parse_cpu`, memoized (millicores, rounded up)."""
    return parse_cpu(value)


@functools.lru_cache(maxsize=4096, typed=True)
def memory_of(value: str | int | float) -> int:
    """:func:`~pytest_simarena.quantities.parse_memory`, memoized (bytes, rounded up)."""
    return parse_memory(value)


@functools.lru_cache(maxsize=256, typed=True)
def _count_of(value: str | int | float) -> int:
    return int(parse_quantity(value))


def _container_requests(container: Mapping[str, Any]) -> tuple[int, int]:
    """(millicores, bytes) a container requests; a limit without a request counts as the request (§2.1)."""
    resources = _dict(container.get("resources"))
    requests = _dict(resources.get("requests"))
    limits = _dict(resources.get("limits"))
    cpu = requests.get("cpu", limits.get("cpu"))
    memory = requests.get("memory", limits.get("memory"))
    return (cpu_of(cpu) if cpu is not None else 0, memory_of(memory) if memory is not None else 0)


def pod_requests(pod_or_template: Mapping[str, Any]) -> tuple[int, int]:
    """What the scheduler reserves for a pod (§1.1 NodeResourcesFit, ``resource.PodRequests``).

    Sum over regular containers; sidecars (init containers with ``restartPolicy: Always``) run alongside
    them; each ordinary init container runs alone (with the sidecars started before it), so the result is
    the per-resource max of the two; ``spec.overhead`` is added. Returns (millicores, bytes).
    """
    spec = _dict(pod_or_template.get("spec"))
    cpu = mem = 0
    for c in _list(spec.get("containers")):
        if isinstance(c, dict):
            c_cpu, c_mem = _container_requests(c)
            cpu += c_cpu
            mem += c_mem
    init_cpu = init_mem = 0
    side_cpu = side_mem = 0
    for c in _list(spec.get("initContainers")):
        if not isinstance(c, dict):
            continue
        c_cpu, c_mem = _container_requests(c)
        if _is_restartable_init(c):
            cpu += c_cpu
            mem += c_mem
            side_cpu += c_cpu
            side_mem += c_mem
            need_cpu, need_mem = side_cpu, side_mem
        else:
            need_cpu, need_mem = c_cpu + side_cpu, c_mem + side_mem
        init_cpu = max(init_cpu, need_cpu)
        init_mem = max(init_mem, need_mem)
    cpu = max(cpu, init_cpu)
    mem = max(mem, init_mem)
    overhead = _dict(spec.get("overhead"))
    if overhead.get("cpu") is not None:
        cpu += cpu_of(overhead["cpu"])
    if overhead.get("memory") is not None:
        mem += memory_of(overhead["memory"])
    return cpu, mem


@dataclass(frozen=True, slots=True)
class NodeUsage:
    """One node: allocatable vs what its non-terminal pods request (cpu in millicores, memory in bytes)."""

    name: str
    allocatable_cpu: int
    allocatable_memory: int
    allocatable_pods: int
    requested_cpu: int
    requested_memory: int
    pods: int

    def to_dict(self) -> Obj:
        """camelCase, with quantities in Kubernetes' canonical form."""
        return {
            "name": self.name,
            "allocatable": {
                "cpu": format_cpu(self.allocatable_cpu),
                "memory": format_memory(self.allocatable_memory),
                "pods": str(self.allocatable_pods),
            },
            "requested": {
                "cpu": format_cpu(self.requested_cpu),
                "memory": format_memory(self.requested_memory),
                "pods": str(self.pods),
            },
        }


def node_usage(snapshot: ClusterSnapshot) -> list[NodeUsage]:
    """Per node, allocatable vs the requests of the pods bound to it, in node name order.

    Terminal pods (Succeeded/Failed) free their requests, as they leave the scheduler's cache (§10 notes this
    as believed, not confirmed); pods being deleted still count until they are gone.
    """
    cpu: dict[str, int] = {}
    mem: dict[str, int] = {}
    count: dict[str, int] = {}
    for pod in snapshot.pods:
        node = _dict(pod.get("spec")).get("nodeName")
        if not node or _dict(pod.get("status")).get("phase") in TERMINAL_PHASES:
            continue
        p_cpu, p_mem = pod_requests(pod)
        cpu[node] = cpu.get(node, 0) + p_cpu
        mem[node] = mem.get(node, 0) + p_mem
        count[node] = count.get(node, 0) + 1
    result = []
    for node_obj in snapshot.nodes:
        name = str(_meta(node_obj).get("name", ""))
        status = _dict(node_obj.get("status"))
        alloc = _dict(status.get("allocatable")) or _dict(status.get("capacity"))
        result.append(
            NodeUsage(
                name=name,
                allocatable_cpu=cpu_of(alloc.get("cpu", 0)),
                allocatable_memory=memory_of(alloc.get("memory", 0)),
                allocatable_pods=_count_of(alloc.get("pods", 0)),
                requested_cpu=cpu.get(name, 0),
                requested_memory=mem.get(name, 0),
                pods=count.get(name, 0),
            )
        )
    return sorted(result, key=lambda n: n.name)
