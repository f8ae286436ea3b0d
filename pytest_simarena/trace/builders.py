"""The SimKube-shaped objects and traces the generator writes, built from plain plans.

A :class:`TracePlan` lists :class:`WorkloadPlan` s (each with :class:`ContainerPlan` s) and the
:class:`ClusterShape` it is meant for; :func:`deployment` turns a workload plan into the Deployment SimKube's
tracer would store (``../shared/notes/simkube.md`` section 1.3: ``apiVersion, kind, metadata`` then the other
keys sorted, every nested map sorted, ``"annotations": {}``, ``creationTimestamp: None`` in the pod template,
canonical quantities) and :func:`build_trace` into a v2 trace with its index and ``extra["metadata"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_simarena.quantities import format_cpu, format_memory
from pytest_simarena.trace.model import Obj, Trace
from pytest_simarena.trace.usage import write_usage

# The seed team's traces start at this second (2024-10-31T16:00:00Z); ts are epoch seconds (notes 1.3).
EPOCH = 1730390400
NAMESPACE = "default"
DEPLOYMENT_GVK = "apps/v1.Deployment"
GENERATOR_ID = "pytest-simarena trace generator 1"

Mi, Gi = 1024**2, 1024**3


@dataclass(frozen=True, slots=True)
class ClusterShape:
    """Uniform nodes a trace is meant for (``ClusterSpec.uniform(nodes, cpu, memory, pods)``)."""

    nodes: int = 3
    cpu: int = 16000  # millicores per node (allocatable)
    memory: int = 32 * Gi  # bytes per node (allocatable)
    pods: int = 110

    def fits_per_node(self, cpu: int, memory: int) -> int:
        """How many pods requesting ``cpu`` millicores and ``memory`` bytes fit one node (k8s notes 1.1)."""
        by_cpu = self.cpu // cpu if cpu else self.pods
        by_memory = self.memory // memory if memory else self.pods
        return max(0, min(by_cpu, by_memory, self.pods))

    def capacity(self, cpu: int, memory: int) -> int:
        """How many such pods the whole cluster holds."""
        return self.nodes * self.fits_per_node(cpu, memory)

    def to_metadata(self) -> Obj:
        return {
            "cpu": format_cpu(self.cpu),
            "memory": format_memory(self.memory),
            "nodes": self.nodes,
            "pods": self.pods,
        }


DEFAULT_CLUSTER = ClusterShape()  # 3 KWOK nodes, 16 cpu / 32Gi / 110 pods, as the seed team ran them


@dataclass(slots=True)
class ContainerPlan:
    """One container: requests and limits in millicores/bytes (None = not set) and its simulated usage."""

    name: str
    image: str
    cpu: int
    memory: int
    cpu_limit: int | None = None
    memory_limit: int | None = None
    usage_cpu: int | None = None
    usage_memory: int | None = None
    port: int | None = None
    # More usage annotation keys (startupCpuSeconds, memoryPerMinute, memoryPeak; trace/usage.py) and
    # probes by field (startupProbe, readinessProbe, livenessProbe), written as given.
    usage_extra: dict[str, str] = field(default_factory=dict)
    probes: dict[str, Obj] = field(default_factory=dict)


@dataclass(slots=True)
class WorkloadPlan:
    """One Deployment to write, with what is wrong with it and what repairs it."""

    name: str
    replicas: int
    target: int
    containers: list[ContainerPlan]
    breaks: str = "nothing: healthy"
    fix: str = "nothing to fix"
    broken: bool = False
    container: str | None = None  # the container to repair, when one of several
    offset: int = 0  # seconds after EPOCH at which it is applied
    priority_class: str | None = None  # the pod template's priorityClassName (a TracePlan object defines it)

    @property
    def pod_cpu(self) -> int:
        return sum(c.cpu for c in self.containers)

    @property
    def pod_memory(self) -> int:
        return sum(c.memory for c in self.containers)


@dataclass(slots=True)
class TracePlan:
    """A whole trace: its family, the cluster it targets, its workloads (the first broken one is primary)."""

    family: str
    cluster: ClusterShape
    workloads: list[WorkloadPlan]
    summary: str
    extra: Obj = field(default_factory=dict)
    # Objects other than the Deployments (ResourceQuota, LimitRange, PriorityClass ...): applied with the
    # first workloads, listed first, so what governs the pods exists before them.
    objects: list[Obj] = field(default_factory=list)

    @property
    def primary(self) -> WorkloadPlan:
        return next((w for w in self.workloads if w.broken), self.workloads[0])


# ---------------------------------------------------------------------------------------------------------
# Objects in SimKube's shape


def _sorted(value: Any) -> Any:
    """Every nested map with sorted keys, as serde_json's BTreeMap writes them (notes 1.3)."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _sk_object(obj: Obj) -> Obj:
    """``apiVersion, kind, metadata``, then the other keys sorted; nested maps sorted (notes 1.3, 1.9)."""
    head = ["apiVersion", "kind", "metadata"]
    ordered = {k: _sorted(obj[k]) for k in head if k in obj}
    ordered.update({k: _sorted(obj[k]) for k in sorted(obj) if k not in head})
    return ordered


def _resources(c: ContainerPlan) -> Obj:
    requests = {"cpu": format_cpu(c.cpu), "memory": format_memory(c.memory)}
    limits: dict[str, str] = {}
    if c.cpu_limit is not None:
        limits["cpu"] = format_cpu(c.cpu_limit)
    if c.memory_limit is not None:
        limits["memory"] = format_memory(c.memory_limit)
    return {"limits": limits, "requests": requests} if limits else {"requests": requests}


def _container(c: ContainerPlan) -> Obj:
    container: Obj = {
        "image": c.image,
        "imagePullPolicy": "IfNotPresent",
        "name": c.name,
        "resources": _resources(c),
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if c.port is not None:
        container["ports"] = [{"containerPort": c.port, "protocol": "TCP"}]
    container.update(c.probes)
    return container


def deployment(plan: WorkloadPlan, namespace: str = NAMESPACE) -> Obj:
    """A Deployment as SimKube's tracer stores it (the shape of the dsb-scaling trace's objects)."""
    template: Obj = {
        "metadata": {"creationTimestamp": None, "labels": {"app": plan.name}},
        "spec": {
            "containers": [_container(c) for c in plan.containers],
            "dnsPolicy": "ClusterFirst",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "terminationGracePeriodSeconds": 30,
        },
    }
    if plan.priority_class is not None:
        template["spec"]["priorityClassName"] = plan.priority_class
    usage = {
        c.name: {
            **({"cpu": format_cpu(c.usage_cpu)} if c.usage_cpu is not None else {}),
            **({"memory": format_memory(c.usage_memory)} if c.usage_memory is not None else {}),
            **c.usage_extra,
        }
        for c in plan.containers
        if c.usage_cpu is not None or c.usage_memory is not None or c.usage_extra
    }
    if usage:
        write_usage(template, usage)
    return _sk_object(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            # sanitize_obj strips two annotations, which always leaves an (empty) map behind (notes 1.3)
            "metadata": {
                "annotations": {},
                "labels": {"app": plan.name},
                "name": plan.name,
                "namespace": namespace,
            },
            "spec": {
                "progressDeadlineSeconds": 600,
                "replicas": plan.replicas,
                "revisionHistoryLimit": 10,
                "selector": {"matchLabels": {"app": plan.name}},
                "strategy": {
                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                    "type": "RollingUpdate",
                },
                "template": template,
            },
        }
    )


def _metadata(plan: TracePlan, seed: int | None) -> Obj:
    primary = plan.primary
    workloads = [
        {
            "breaks": w.breaks,
            "broken": w.broken,
            **({"container": w.container} if w.container else {}),
            "fix": w.fix,
            "kind": "Deployment",
            "name": w.name,
            "namespace": NAMESPACE,
            "replicas": w.replicas,
            "target": w.target,
        }
        for w in plan.workloads
    ]
    meta: Obj = {
        "breaks": "; ".join(f"{w.name}: {w.breaks}" for w in plan.workloads if w.broken) or primary.breaks,
        "cluster": plan.cluster.to_metadata(),
        "description": plan.summary,
        "family": plan.family,
        "fix": "; ".join(f"{w.name}: {w.fix}" for w in plan.workloads if w.broken) or primary.fix,
        "generator": GENERATOR_ID,
        "kind": "Deployment",
        "namespace": NAMESPACE,
        "target": primary.target,
        "targets": {f"{NAMESPACE}/{w.name}": w.target for w in plan.workloads},
        "workload": primary.name,
        "workloads": workloads,
        **plan.extra,
    }
    if primary.container:
        meta["container"] = primary.container
    if seed is not None:
        meta["seed"] = seed
    ordered: Obj = _sorted(meta)
    return ordered


def build_trace(plan: TracePlan, *, seed: int | None = None) -> Trace:
    """The SimKube v2 trace for ``plan``: one event per distinct offset, index rebuilt from the specs."""
    from pytest_simarena.trace.hashing import rebuild_index

    events: list[Obj] = []
    for offset in sorted({w.offset for w in plan.workloads}):
        objs = [deployment(w) for w in plan.workloads if w.offset == offset]
        events.append({"ts": EPOCH + offset, "applied_objs": objs, "deleted_objs": []})
    if plan.objects:
        events[0]["applied_objs"][:0] = [_sk_object(obj) for obj in plan.objects]
    trace = Trace(
        events=events,
        config={"trackedObjects": {DEPLOYMENT_GVK: {"podSpecTemplatePaths": ["/spec/template"]}}},
        extra={"metadata": _metadata(plan, seed)},
    )
    rebuild_index(trace)
    return trace
