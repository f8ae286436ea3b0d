"""Families of broken workloads written as valid SimKube v2 traces, deterministic from a seed.

Every generated trace is a plain :class:`~pytest_simarena.trace.model.Trace` whose objects look like what
SimKube's tracer stores (built by ``trace/builders.py``, whose plan types and builders are re-exported here).
What a trace is meant to show lives in
``trace.extra["metadata"]`` (the seed team's convention; SimKube ignores unknown top-level keys, section 1.2):
the family, what breaks, the cluster it is meant for, the target replicas, the workload to repair and the fix.

``generate(out_dir, seed, count)`` writes ``<family>-<nnn>.sktrace`` files; ``canonical(out_dir)`` writes the
four hand-chosen traces documented in ``docs/traces.md``. The same seed always gives the same bytes: every
random choice comes from a ``random.Random`` seeded from ``(seed, index)``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

from pytest_simarena.errors import UnknownNameError
from pytest_simarena.quantities import format_cpu, format_memory
from pytest_simarena.trace.builders import (
    DEFAULT_CLUSTER,
    DEPLOYMENT_GVK,
    EPOCH,
    GENERATOR_ID,
    NAMESPACE,
    ClusterShape,
    ContainerPlan,
    Gi,
    Mi,
    TracePlan,
    WorkloadPlan,
    build_trace,
    deployment,
)
from pytest_simarena.trace.model import Trace

# The plan types and builders live in trace/builders.py; re-exported here, where callers import them.
__all__ = [
    "CANONICAL",
    "DEFAULT_CLUSTER",
    "DEPLOYMENT_GVK",
    "EPOCH",
    "EXTRA_FAMILIES",
    "FAMILIES",
    "GENERATOR_ID",
    "NAMES",
    "NAMESPACE",
    "SIDECARS",
    "ClusterShape",
    "ContainerPlan",
    "TracePlan",
    "WorkloadPlan",
    "build_trace",
    "canonical",
    "canonical_plans",
    "canonical_traces",
    "deployment",
    "generate",
    "generate_trace",
    "generated_traces",
    "trace_rng",
]

# ---------------------------------------------------------------------------------------------------------
# Families

NAMES = (
    "web",
    "api",
    "checkout",
    "search",
    "frontend",
    "payments",
    "inventory",
    "ledger",
    "catalog",
    "orders",
)
SIDECARS = (
    ("envoy", "docker.io/envoyproxy/envoy:v1.31.0"),
    ("log-shipper", "docker.io/fluent/fluent-bit:3.1"),
)


def _image(name: str, rng: random.Random) -> str:
    return f"ghcr.io/example/{name}:1.{rng.randrange(10)}"


def _replicas(n: int) -> str:
    return f"{n} replica" if n == 1 else f"{n} replicas"


def _all_pending(n: int) -> str:
    return "the pod stays Pending" if n == 1 else f"all {n} pods stay Pending"


def _max_request(cluster: ClusterShape, replicas: int, per_node: int, reserve: int = 0) -> int:
    """The largest per-pod request that lets ``replicas`` pods spread evenly over the nodes.

    ``per_node`` is a node's allocatable; ``reserve`` what other workloads take on each node.
    """
    return (per_node - reserve) // -(-replicas // cluster.nodes)


def _reserve(cluster: ClusterShape, workloads: Sequence[WorkloadPlan]) -> tuple[int, int]:
    """(cpu, memory) other workloads take per node when their pods spread evenly."""
    cpu = sum(-(-w.replicas // cluster.nodes) * w.pod_cpu for w in workloads)
    memory = sum(-(-w.replicas // cluster.nodes) * w.pod_memory for w in workloads)
    return cpu, memory


def _over_node(
    name: str,
    cluster: ClusterShape,
    replicas: int,
    app: ContainerPlan,
    *,
    target: int | None = None,
    reserve: tuple[int, int] = (0, 0),
) -> WorkloadPlan:
    """A workload whose pods request more cpu and/or memory than any node has (kubernetes notes 1.1).

    ``breaks`` and ``fix`` are derived from the numbers: the fix bounds the request so ``target`` replicas
    (default all of them) fit with ``reserve`` (cpu, memory) per node taken by other workloads.
    """
    target = replicas if target is None else target
    show = {"cpu": format_cpu, "memory": format_memory}
    asked = {"cpu": app.cpu, "memory": app.memory}
    node = {"cpu": cluster.cpu, "memory": cluster.memory}
    over = [r for r in ("cpu", "memory") if asked[r] > node[r]]
    bound = {r: _max_request(cluster, target, node[r], reserve[i]) for i, r in enumerate(("cpu", "memory"))}
    fixes = [f"reduce the {r} request to at most {show[r](bound[r])} per pod" for r in over]
    fix = " and ".join(fixes) + f" so {_replicas(target)} fit{'s' if target == 1 else ''}"
    if replicas > target:
        fix += f", and scale down to {target} replicas"
    requests = " and ".join(f"{show[r](asked[r])} {r}" for r in over)
    nodes = " and ".join(f"{show[r](node[r])} {r}" for r in over)
    wanted = f"{_replicas(replicas)} (target {target}), " if replicas != target else ""
    return WorkloadPlan(
        name=name,
        replicas=replicas,
        target=target,
        containers=[app],
        breaks=(
            f"{wanted}each pod requests {requests}, more than a node's {nodes}: {_all_pending(replicas)} "
            f"({', '.join(f'Insufficient {r}' for r in over)})"
        ),
        fix=fix,
        broken=True,
    )


def _app(
    name: str,
    rng: random.Random,
    cpu: int,
    memory: int,
    *,
    guaranteed: bool | None = None,
    usage_cpu: int | None = None,
    usage_memory: int | None = None,
) -> ContainerPlan:
    """The main container; a third of the time with limits equal to requests (Guaranteed QoS)."""
    if guaranteed is None:
        guaranteed = rng.random() < 1 / 3
    # simulated usage stays well below the request: over-provisioned, never an OOM unless a family wants one
    if usage_cpu is None:
        usage_cpu = max(10, min(cpu, rng.choice((100, 200, 300, 500, 800))))
    if usage_memory is None:
        usage_memory = min(memory, rng.choice((96, 128, 200, 256, 400)) * Mi)
    return ContainerPlan(
        name=name,
        image=_image(name, rng),
        cpu=cpu,
        memory=memory,
        cpu_limit=cpu if guaranteed else None,
        memory_limit=memory if guaranteed else None,
        usage_cpu=usage_cpu,
        usage_memory=usage_memory,
        port=8080,
    )


def _healthy(name: str, rng: random.Random, *, offset: int = 0) -> WorkloadPlan:
    replicas = rng.randint(1, 3)
    cpu = rng.choice((100, 250, 500, 1000))
    memory = rng.choice((128, 256, 512, 1024)) * Mi
    return WorkloadPlan(
        name=name,
        replicas=replicas,
        target=replicas,
        containers=[_app(name, rng, cpu, memory, usage_cpu=cpu // 2, usage_memory=memory // 2)],
        offset=offset,
    )


def _cpu_over(
    name: str, rng: random.Random, cluster: ClusterShape, cpu: int, replicas: int, reserve: int = 0
) -> WorkloadPlan:
    memory = rng.choice((256, 512, 1024, 2048)) * Mi
    return _over_node(name, cluster, replicas, _app(name, rng, cpu, memory), reserve=(reserve, 0))


def _memory_over(
    name: str, rng: random.Random, cluster: ClusterShape, memory: int, replicas: int, reserve: int = 0
) -> WorkloadPlan:
    cpu = rng.choice((250, 500, 1000, 2000))
    return _over_node(name, cluster, replicas, _app(name, rng, cpu, memory), reserve=(0, reserve))


def _oom(name: str, rng: random.Random) -> WorkloadPlan:
    request = rng.choice((128, 256, 512)) * Mi
    limit = max(request, rng.choice((256, 384, 512, 1024)) * Mi)
    used = limit + rng.choice((64, 128, 256, 512)) * Mi
    replicas = rng.randint(1, 4)
    cpu = rng.choice((100, 250, 500))
    app = _app(name, rng, cpu, request, guaranteed=False, usage_cpu=cpu // 2, usage_memory=used)
    app.memory_limit = limit
    return WorkloadPlan(
        name=name,
        replicas=replicas,
        target=replicas,
        containers=[app],
        breaks=(
            f"container {name} uses {format_memory(used)} memory but its limit is {format_memory(limit)}: "
            "OOMKilled (exit 137), then CrashLoopBackOff"
        ),
        fix=f"raise the memory limit of container {name} to at least {format_memory(used)}",
        broken=True,
        container=name,
    )


def fam_cpu_far_over(rng: random.Random) -> TracePlan:
    name = rng.choice(NAMES)
    cpu = rng.choice((20, 24, 32, 40, 48, 64)) * 1000
    w = _cpu_over(name, rng, DEFAULT_CLUSTER, cpu, rng.randint(1, 5))
    return TracePlan(
        "cpu-far-over", DEFAULT_CLUSTER, [w], f"{w.replicas} x {format_cpu(cpu)} cpu, far over 16-cpu nodes"
    )


def fam_cpu_slightly_over(rng: random.Random) -> TracePlan:
    name = rng.choice(NAMES)
    if rng.random() < 0.5:
        cluster = DEFAULT_CLUSTER
        cpu = rng.choice((16500, 17000, 17500, 18000))
    else:  # a smaller cluster: 8.5 cpu against 8-cpu nodes, noted in the metadata's cluster
        cluster = ClusterShape(cpu=8000)
        cpu = rng.choice((8500, 9000))
    w = _cpu_over(name, rng, cluster, cpu, rng.randint(1, 4))
    summary = f"{w.replicas} x {format_cpu(cpu)} cpu, just over {format_cpu(cluster.cpu)}-cpu nodes"
    return TracePlan("cpu-slightly-over", cluster, [w], summary)


def fam_memory_far_over(rng: random.Random) -> TracePlan:
    name = rng.choice(NAMES)
    memory = rng.choice((40, 48, 64, 96, 128)) * Gi
    w = _memory_over(name, rng, DEFAULT_CLUSTER, memory, rng.randint(1, 5))
    summary = f"{w.replicas} x {format_memory(memory)} memory, far over 32Gi nodes"
    return TracePlan("memory-far-over", DEFAULT_CLUSTER, [w], summary)


def fam_memory_slightly_over(rng: random.Random) -> TracePlan:
    name = rng.choice(NAMES)
    memory = rng.choice((33 * Gi, 33280 * Mi, 34 * Gi))
    w = _memory_over(name, rng, DEFAULT_CLUSTER, memory, rng.randint(1, 4))
    summary = f"{w.replicas} x {format_memory(memory)} memory, just over 32Gi nodes"
    return TracePlan("memory-slightly-over", DEFAULT_CLUSTER, [w], summary)


def fam_cpu_memory_over(rng: random.Random) -> TracePlan:
    name = rng.choice(NAMES)
    cpu = rng.choice((17000, 20000, 32000))
    memory = rng.choice((33, 40, 64)) * Gi
    w = _over_node(name, DEFAULT_CLUSTER, rng.randint(1, 4), _app(name, rng, cpu, memory))
    summary = f"{w.replicas} x ({format_cpu(cpu)} cpu, {format_memory(memory)}), both over the node size"
    return TracePlan("cpu-memory-over", DEFAULT_CLUSTER, [w], summary)


def fam_replicas_over_capacity(rng: random.Random) -> TracePlan:
    name = rng.choice(NAMES)
    cluster = DEFAULT_CLUSTER
    if rng.random() < 0.5:
        cpu, memory = rng.choice((4000, 6000, 8000)), rng.choice((512, 1024)) * Mi
        short = "cpu"
    else:
        cpu, memory = rng.choice((500, 1000)), rng.choice((8, 10, 12, 16)) * Gi
        short = "memory"
    capacity = cluster.capacity(cpu, memory)
    replicas = capacity + rng.randint(1, max(1, capacity))
    w = WorkloadPlan(
        name=name,
        replicas=replicas,
        target=capacity,
        containers=[_app(name, rng, cpu, memory)],
        breaks=(
            f"{replicas} replicas of ({format_cpu(cpu)} cpu, {format_memory(memory)}) but the cluster holds "
            f"{capacity}: {replicas - capacity} pods stay Pending (Insufficient {short})"
        ),
        fix=f"scale down to {capacity} replicas (the target)",
        broken=True,
    )
    summary = f"{replicas} replicas where the cluster fits {capacity}"
    return TracePlan("replicas-over-capacity", cluster, [w], summary)


def fam_replicas_under(rng: random.Random) -> TracePlan:
    name = rng.choice(NAMES)
    replicas = rng.randint(1, 2)
    target = replicas + rng.randint(2, 5)
    cpu, memory = rng.choice((250, 500, 1000)), rng.choice((256, 512, 1024)) * Mi
    w = WorkloadPlan(
        name=name,
        replicas=replicas,
        target=target,
        containers=[_app(name, rng, cpu, memory)],
        breaks=f"only {_replicas(replicas)} where {target} are wanted: under-provisioned, every pod Running",
        fix=f"scale up to {target} replicas",
        broken=True,
    )
    return TracePlan("replicas-under", DEFAULT_CLUSTER, [w], f"{_replicas(replicas)}, target {target}")


def fam_oom_memory_limit(rng: random.Random) -> TracePlan:
    w = _oom(rng.choice(NAMES), rng)
    return TracePlan("oom-memory-limit", DEFAULT_CLUSTER, [w], f"memory limit below usage: {w.breaks}")


def _sum_over_node(
    resource: str, app: ContainerPlan, side: list[ContainerPlan], cluster: ClusterShape, replicas: int
) -> tuple[str, str]:
    """``(breaks, fix)`` when the app and its sidecars together request more ``resource`` than a node has."""
    show = format_cpu if resource == "cpu" else format_memory
    sidecars = sum(getattr(c, resource) for c in side)
    node = getattr(cluster, resource)
    breaks = (
        f"the pod's containers request {show(getattr(app, resource) + sidecars)} {resource} together, more "
        f"than a node's {show(node)}: {_all_pending(replicas)} (Insufficient {resource})"
    )
    return breaks, f"reduce the {resource} request of container {app.name} to at most {show(node - sidecars)}"


def fam_multi_container(rng: random.Random) -> TracePlan:
    name = rng.choice(NAMES)
    cluster = DEFAULT_CLUSTER
    replicas = rng.randint(1, 3)
    sidecars = rng.sample(SIDECARS, rng.randint(1, 2))
    variant = rng.choice(("cpu", "memory", "oom"))
    side = [
        ContainerPlan(
            name=s,
            image=image,
            cpu=rng.choice((100, 250, 500)),
            memory=rng.choice((64, 128, 256)) * Mi,
            memory_limit=512 * Mi,
            usage_cpu=50,
            usage_memory=48 * Mi,
        )
        for s, image in sidecars
    ]
    # cpu / memory: each container fits, their sum does not: the scheduler adds them up (k8s notes 1.1)
    if variant == "cpu":
        side[0].cpu = rng.choice((2000, 4000))
        excess = rng.choice((500, 1000, 2000))
        app = _app(name, rng, cluster.cpu - sum(c.cpu for c in side) + excess, 1 * Gi, guaranteed=False)
        breaks, fix = _sum_over_node("cpu", app, side, cluster, replicas)
        broken_container = name
    elif variant == "memory":
        app = _app(name, rng, 500, rng.choice((30, 31, 32)) * Gi, guaranteed=False)
        side[0].memory = rng.choice((2, 4)) * Gi
        side[0].memory_limit = side[0].memory
        breaks, fix = _sum_over_node("memory", app, side, cluster, replicas)
        broken_container = name
    else:  # the sidecar, not the app, runs out of memory
        app = _app(name, rng, 500, 512 * Mi)
        victim = side[0]
        victim.memory_limit = rng.choice((128, 256)) * Mi
        victim.memory = min(victim.memory, victim.memory_limit)
        victim.usage_memory = victim.memory_limit + rng.choice((64, 128)) * Mi
        breaks = (
            f"sidecar {victim.name} uses {format_memory(victim.usage_memory)} memory but its limit is "
            f"{format_memory(victim.memory_limit)}: OOMKilled, then CrashLoopBackOff"
        )
        needed = format_memory(victim.usage_memory)
        fix = f"raise the memory limit of container {victim.name} to at least {needed}"
        broken_container = victim.name
    w = WorkloadPlan(
        name=name,
        replicas=replicas,
        target=replicas,
        containers=[app, *side],
        breaks=breaks,
        fix=fix,
        broken=True,
        container=broken_container,
    )
    summary = f"{1 + len(side)} containers per pod; container {broken_container} is wrong ({variant})"
    return TracePlan("multi-container", cluster, [w], summary, extra={"variant": variant})


def fam_multi_deployment(rng: random.Random) -> TracePlan:
    cluster = DEFAULT_CLUSTER
    names = rng.sample(NAMES, rng.randint(2, 4))
    broken_index = rng.randrange(len(names))
    # applied one after another, 15 s apart, as a rollout would be traced
    healthy = {k: _healthy(name, rng, offset=15 * k) for k, name in enumerate(names) if k != broken_index}
    reserve_cpu, reserve_memory = _reserve(cluster, list(healthy.values()))
    name = names[broken_index]
    kind = rng.choice(("cpu", "memory", "oom", "under"))
    if kind == "cpu":
        w = _cpu_over(name, rng, cluster, rng.choice((17000, 24000)), rng.randint(1, 3), reserve_cpu)
    elif kind == "memory":
        w = _memory_over(name, rng, cluster, rng.choice((33, 48)) * Gi, rng.randint(1, 3), reserve_memory)
    elif kind == "oom":
        w = _oom(name, rng)
    else:
        w = _healthy(name, rng)
        w.target = w.replicas + rng.randint(2, 4)
        w.breaks = f"only {_replicas(w.replicas)} where {w.target} are wanted: under-provisioned"
        w.fix = f"scale up to {w.target} replicas"
        w.broken = True
    w.offset = 15 * broken_index
    workloads = [healthy.get(k, w) for k in range(len(names))]
    summary = f"{len(workloads)} deployments; {w.name} is broken: {w.breaks}"
    return TracePlan("multi-deployment", cluster, workloads, summary)


# -- admission families (issue 15): a namespace ResourceQuota or LimitRange refuses the pods -------------


def _policy(kind: str, name: str, spec: dict[str, object]) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": spec,
    }


def fam_quota_bound(rng: random.Random) -> TracePlan:
    """replicas x request exceed the namespace's quota (FailedCreate ``exceeded quota``) while the usage
    would fit: lowering the request lets every replica in."""
    name = rng.choice(NAMES)
    replicas = rng.randint(3, 5)
    resource = rng.choice(("cpu", "memory"))
    show = format_cpu if resource == "cpu" else format_memory
    if resource == "cpu":
        request = rng.choice((500, 800, 1000))
        app = _app(
            name, rng, request, 512 * Mi, guaranteed=False, usage_cpu=request // 4, usage_memory=200 * Mi
        )
    else:
        request = rng.choice((1024, 1536, 2048)) * Mi
        app = _app(name, rng, 250, request, guaranteed=False, usage_cpu=100, usage_memory=request // 4)
    hard = (replicas - 1) * request + request // 2  # replicas - 1 pods fit, the last one does not
    key = f"requests.{resource}"
    quota = _policy("ResourceQuota", "compute", {"hard": {key: show(hard), "pods": str(replicas + 5)}})
    budget = hard // replicas
    if resource == "memory":
        budget = budget // Mi * Mi
    w = WorkloadPlan(
        name=name,
        replicas=replicas,
        target=replicas,
        containers=[app],
        breaks=(
            f"{_replicas(replicas)} x {show(request)} {resource} exceed the namespace quota "
            f"{key}={show(hard)}: only {replicas - 1} pods are admitted, the rest FailedCreate "
            "(exceeded quota)"
        ),
        fix=f"reduce the {resource} request of container {name} to at most {show(budget)}",
        broken=True,
    )
    summary = f"ResourceQuota compute limits {key} to {show(hard)}; {w.breaks}"
    return TracePlan(
        "quota-bound", DEFAULT_CLUSTER, [w], summary, extra={"variant": resource}, objects=[quota]
    )


def fam_limitrange_bound(rng: random.Random) -> TracePlan:
    """The container's request or limit is outside the namespace LimitRange (min, max or limit/request
    ratio): every pod is refused (FailedCreate forbidden); bringing it inside the range fixes it."""
    variant = rng.choice(("min", "max", "ratio"))
    name = rng.choice(NAMES)
    replicas = rng.randint(1, 3)
    if variant == "min":
        low = rng.choice((250, 500))
        app = _app(
            name, rng, low // 5, 256 * Mi, guaranteed=False, usage_cpu=low * 87 // 100, usage_memory=128 * Mi
        )
        item: dict[str, object] = {"type": "Container", "min": {"cpu": format_cpu(low)}}
        breaks = f"the cpu request {format_cpu(app.cpu)} is below the LimitRange minimum {format_cpu(low)}"
        fix = f"raise the cpu request of container {name} to at least {format_cpu(low)}"
    elif variant == "max":
        high = rng.choice((1, 2)) * Gi
        request = high // 2
        app = _app(name, rng, 250, request, guaranteed=False, usage_cpu=100, usage_memory=request * 87 // 100)
        app.memory_limit = 2 * high
        item = {"type": "Container", "max": {"memory": format_memory(high)}}
        shown = format_memory(high)
        breaks = f"the memory limit {format_memory(2 * high)} is above the LimitRange maximum {shown}"
        fix = f"lower the memory limit of container {name} to at most {format_memory(high)}"
    else:
        ratio = rng.choice((2, 4))
        limit = rng.choice((1000, 2000))
        app = _app(name, rng, limit // (ratio * 4), 256 * Mi, guaranteed=False, usage_memory=128 * Mi)
        app.cpu_limit = limit
        app.usage_cpu = limit // ratio * 87 // 100
        item = {"type": "Container", "maxLimitRequestRatio": {"cpu": str(ratio)}}
        breaks = (
            f"cpu limit {format_cpu(limit)} / request {format_cpu(app.cpu)} = {limit / app.cpu:.2f} is above "
            f"the LimitRange's maxLimitRequestRatio {ratio}"
        )
        fix = f"raise the cpu request of container {name} to at least {format_cpu(limit // ratio)}"
    w = WorkloadPlan(
        name=name,
        replicas=replicas,
        target=replicas,
        containers=[app],
        breaks=f"{breaks}: every pod is refused (FailedCreate, forbidden)",
        fix=fix,
        broken=True,
    )
    summary = f"LimitRange limits ({variant}); {w.breaks}"
    lr = _policy("LimitRange", "limits", {"limits": [item]})
    return TracePlan(
        "limitrange-bound", DEFAULT_CLUSTER, [w], summary, extra={"variant": variant}, objects=[lr]
    )


FAMILIES: dict[str, Callable[[random.Random], TracePlan]] = {
    "cpu-far-over": fam_cpu_far_over,
    "cpu-slightly-over": fam_cpu_slightly_over,
    "memory-far-over": fam_memory_far_over,
    "memory-slightly-over": fam_memory_slightly_over,
    "cpu-memory-over": fam_cpu_memory_over,
    "replicas-over-capacity": fam_replicas_over_capacity,
    "replicas-under": fam_replicas_under,
    "oom-memory-limit": fam_oom_memory_limit,
    "multi-container": fam_multi_container,
    "multi-deployment": fam_multi_deployment,
}
# Families added after the first ten (issue 15): generated by name, outside generate()'s default rotation
# (which must keep reproducing the hundred committed traces/generated ones); packaged in data/traces/extra.
EXTRA_FAMILIES: dict[str, Callable[[random.Random], TracePlan]] = {
    "quota-bound": fam_quota_bound,
    "limitrange-bound": fam_limitrange_bound,
}


def trace_rng(seed: int, index: int) -> random.Random:
    """The random source of trace ``index`` for ``seed`` (str seeds are hashed with SHA-512: stable)."""
    return random.Random(f"simarena-generator:{seed}:{index}")


def generate_trace(family: str, seed: int, index: int = 0) -> Trace:
    """One trace of ``family``, fully determined by ``(seed, index)``."""
    known = {**FAMILIES, **EXTRA_FAMILIES}
    if family not in known:
        raise UnknownNameError("trace family", family, known)
    plan = known[family](trace_rng(seed, index))
    plan.extra["index"] = index
    return build_trace(plan, seed=seed)


def generated_traces(seed: int, count: int, families: Sequence[str] | None = None) -> list[tuple[str, Trace]]:
    """``count`` traces cycling through ``families`` (FAMILIES by default): ``[(file name, trace), ...]``."""
    names = list(families) if families is not None else list(FAMILIES)
    out: list[tuple[str, Trace]] = []
    for i in range(count):
        family = names[i % len(names)]
        out.append((f"{family}-{i:03d}.sktrace", generate_trace(family, seed, i)))
    return out


def generate(out_dir: str | Path, seed: int, count: int, families: Sequence[str] | None = None) -> list[Path]:
    """Write ``count`` generated traces into ``out_dir`` (created if needed); returns the paths written."""
    from pytest_simarena.trace.io import dump_trace

    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, trace in generated_traces(seed, count, families):
        dump_trace(trace, out / name)
        paths.append(out / name)
    return paths


# ---------------------------------------------------------------------------------------------------------
# The canonical traces (hand-chosen values, close to the seed team's scenarios; see docs/traces.md)


# name: (family, replicas, target, cpu m, memory, usage cpu m, usage memory, summary)
_CANONICAL: dict[str, tuple[str, int, int, int, int, int, int, str]] = {
    "very-bad-cpu": (
        "cpu-far-over", 3, 3, 20000, 2 * Gi, 500, 400 * Mi,
        "very bad cpu: 3 replicas x 20 cpu (60 cpu) on 16-cpu nodes: all Pending",
    ),
    "very-bad-memory": (
        "memory-far-over", 3, 3, 500, 40 * Gi, 200, 1 * Gi,
        "very bad memory: 3 replicas x 40Gi on 32Gi nodes: all Pending",
    ),
    "slightly-bad-cpu": (
        "cpu-slightly-over", 3, 3, 17000, 2 * Gi, 500, 400 * Mi,
        "slightly bad cpu: 3 replicas x 17 cpu on 16-cpu nodes: all Pending",
    ),
    "mixed": (
        "cpu-memory-over", 5, 3, 17000, 33 * Gi, 500, 2 * Gi,
        "mixed: 5 replicas x (17 cpu, 33Gi) where 3 are wanted, on 16 cpu / 32Gi nodes: all Pending",
    ),
}  # fmt: skip


def canonical_plans() -> dict[str, TracePlan]:
    """The four canonical traces (values of the seed team's scenarios): name -> plan."""
    plans = {}
    for name, (family, replicas, target, cpu, memory, used_cpu, used_memory, summary) in _CANONICAL.items():
        app = ContainerPlan(
            "web", "ghcr.io/example/web:1.0", cpu, memory, None, None, used_cpu, used_memory, 8080
        )
        w = _over_node("web", DEFAULT_CLUSTER, replicas, app, target=target)
        plans[name] = TracePlan(family, DEFAULT_CLUSTER, [w], summary, extra={"canonical": name})
    return plans


CANONICAL = ("very-bad-cpu", "very-bad-memory", "slightly-bad-cpu", "mixed")


def canonical_traces() -> dict[str, Trace]:
    """The canonical traces by name, built in memory."""
    plans = canonical_plans()
    return {name: build_trace(plans[name]) for name in CANONICAL}


def canonical(out_dir: str | Path) -> list[Path]:
    """Write ``<name>.sktrace`` for the four canonical traces into ``out_dir``; returns the paths."""
    from pytest_simarena.trace.io import dump_trace

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, trace in canonical_traces().items():
        dump_trace(trace, out / f"{name}.sktrace")
        paths.append(out / f"{name}.sktrace")
    return paths


# ---------------------------------------------------------------------------------------------------------
# priority-preemption (issue 15): a high-priority Deployment whose requests far exceed its usage preempts a
# low-priority one (kube-scheduler DefaultPreemption); right-sizing the high one from usage lets both run.

PRIORITY_LOW, PRIORITY_HIGH = ("batch-low", 1000), ("service-high", 1_000_000)


def fam_priority_preemption(rng: random.Random) -> TracePlan:
    cluster = DEFAULT_CLUSTER
    low_name, high_name = rng.sample(NAMES, 2)
    per_node = rng.choice((2, 3))
    low_cpu = rng.choice((2000, 3000, 4000))
    low_replicas = per_node * cluster.nodes
    low = WorkloadPlan(
        name=low_name,
        replicas=low_replicas,
        target=low_replicas,
        containers=[_app(low_name, rng, low_cpu, 1 * Gi, guaranteed=False, usage_cpu=low_cpu // 2)],
        broken=True,
        priority_class=PRIORITY_LOW[0],
    )
    # One high pod per node asking for the node's whole cpu: each preempts every low pod on its node, and
    # no smaller low pod could fit beside it (so shrinking the victim cannot help; the preemptor must shrink).
    free = cluster.cpu - per_node * low_cpu
    high_cpu = cluster.cpu
    usage = rng.choice((500, 800, 1000, 1500, 2000))
    high = WorkloadPlan(
        name=high_name,
        replicas=cluster.nodes,
        target=cluster.nodes,
        containers=[_app(high_name, rng, high_cpu, 1 * Gi, guaranteed=False, usage_cpu=usage)],
        offset=15,
        priority_class=PRIORITY_HIGH[0],
    )
    low.breaks = (
        f"{high_name} (PriorityClass {PRIORITY_HIGH[0]}) requests a node's whole {format_cpu(high_cpu)} cpu "
        f"per pod but uses {format_cpu(usage)}: its pods preempt all {low_replicas} pods of {low_name} "
        f"(PriorityClass {PRIORITY_LOW[0]}), which stay Pending (Insufficient cpu, no lower-priority victims)"
    )
    low.fix = (
        f"reduce the cpu request of {high_name} toward its usage ({format_cpu(usage)}), at most "
        f"{format_cpu(free)}, so both fit"
    )
    summary = f"{high_name} over-requests cpu and preempts {low_name}"
    return TracePlan(
        "priority-preemption",
        cluster,
        [low, high],
        summary,
        extra={
            "preemptor": high_name,
            "priorityClasses": {low_name: PRIORITY_LOW[0], high_name: PRIORITY_HIGH[0]},
        },
        objects=_priority_classes(),
    )


def _priority_classes() -> list[dict[str, object]]:
    return [
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            # Cluster-scoped: the API server clears a namespace on create (rest.BeforeCreate); SimKube's
            # trace format wants one on every object.
            "metadata": {"name": name, "namespace": NAMESPACE},
            "description": f"{name} workloads (generated)",
            "preemptionPolicy": "PreemptLowerPriority",
            "value": value,
        }
        for name, value in (PRIORITY_LOW, PRIORITY_HIGH)
    ]


EXTRA_FAMILIES["priority-preemption"] = fam_priority_preemption


# ---------------------------------------------------------------------------------------------------------
# probe-lag and oom-ramp (issue 15): a start too slow for the startup probe at the container's cpu limit,
# and memory that grows past the limit a few seconds after each start (backends/embedded/probes.py,
# lifecycle.py; the usage annotation's startupCpuSeconds / memoryPerMinute / memoryPeak).


def _http_probe(path: str, period: int, failure: int) -> dict[str, object]:
    return {
        "failureThreshold": failure,
        "httpGet": {"path": path, "port": 8080, "scheme": "HTTP"},
        "periodSeconds": period,
        "successThreshold": 1,
        "timeoutSeconds": 1,
    }


def fam_probe_lag(rng: random.Random) -> TracePlan:
    """The startup probe allows ``period x failureThreshold`` seconds; the app's start-up work takes 2-4
    times that at its cpu limit: every container is killed before it answers, never Ready."""
    name = rng.choice(NAMES)
    replicas = rng.randint(1, 3)
    period, failure = rng.choice((5, 7, 10)), rng.choice((3, 4, 6))
    budget = period * failure  # first probe one period after the start (initialDelaySeconds 0)
    limit = rng.choice((250, 500, 1000))
    factor = rng.choice((2, 3, 4))
    work = limit * budget * factor  # millicore-seconds: factor x budget seconds at the limit
    app = _app(name, rng, limit // 2, rng.choice((256, 512)) * Mi, guaranteed=False, usage_cpu=limit // 4)
    app.cpu_limit = limit
    app.usage_extra = {"startupCpuSeconds": format_cpu(work)}
    app.probes = {
        "readinessProbe": _http_probe("/ready", 5, 3),
        "startupProbe": _http_probe("/healthz", period, failure),
    }
    needed = work // budget
    w = WorkloadPlan(
        name=name,
        replicas=replicas,
        target=replicas,
        containers=[app],
        breaks=(
            f"start-up takes {format_cpu(work)} cpu-seconds, {budget * factor}s at the "
            f"{format_cpu(limit)} cpu limit, but the startup probe allows {budget}s ({failure} x {period}s): "
            "every container is killed (failed startup probe), restarted, then CrashLoopBackOff; never Ready"
        ),
        fix=f"raise the cpu limit of container {name} to at least {format_cpu(needed)}",
        broken=True,
        container=name,
    )
    summary = f"startup probe budget {budget}s, start-up {budget * factor}s at the cpu limit"
    return TracePlan("probe-lag", DEFAULT_CLUSTER, [w], summary, extra={"variant": f"x{factor}"})


# (memory the ramp gains before the limit in Mi, seconds to get there): the limit is reached 15-20 s after
# each start, so a replay of 120 s ends in a back-off wait (kills at D, 2D, 3D + 10, 4D + 30 s).
_RAMPS = ((256, 15), (256, 16), (256, 20), (384, 16), (384, 18), (384, 20))


def fam_oom_ramp(rng: random.Random) -> TracePlan:
    """Memory starts below the limit and grows past it within seconds of each start: OOMKilled after a ramp,
    then CrashLoopBackOff; the ramp's peak says what limit would hold it."""
    name = rng.choice(NAMES)
    replicas = rng.randint(1, 3)
    gap, seconds = rng.choice(_RAMPS)
    start = rng.choice((128, 192, 256)) * Mi
    limit = start + gap * Mi
    peak = limit + rng.choice((128, 256, 512, 768)) * Mi
    per_minute = gap * 60 // seconds * Mi
    cpu = rng.choice((100, 250, 500))
    app = _app(name, rng, cpu, start, guaranteed=False, usage_cpu=cpu // 2, usage_memory=start)
    app.memory_limit = limit
    app.usage_extra = {"memoryPerMinute": format_memory(per_minute), "memoryPeak": format_memory(peak)}
    w = WorkloadPlan(
        name=name,
        replicas=replicas,
        target=replicas,
        containers=[app],
        breaks=(
            f"container {name} starts at {format_memory(start)} and grows {format_memory(per_minute)} "
            f"a minute toward {format_memory(peak)}; its limit {format_memory(limit)} is reached {seconds}s "
            "after each start: OOMKilled (exit 137), then CrashLoopBackOff"
        ),
        fix=f"raise the memory limit of container {name} to at least {format_memory(peak)} (the ramp's peak)",
        broken=True,
        container=name,
    )
    summary = f"memory ramp reaches the limit {seconds}s after each start (peak {format_memory(peak)})"
    return TracePlan("oom-ramp", DEFAULT_CLUSTER, [w], summary)


EXTRA_FAMILIES["probe-lag"] = fam_probe_lag
EXTRA_FAMILIES["oom-ramp"] = fam_oom_ramp
