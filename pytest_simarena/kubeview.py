"""What ``kubectl`` shows, derived from API-shaped objects; shared by the embedded and real-cluster backends.

Every function here is pure: it reads camelCase dicts (as ``kubectl get -o json`` prints them) and never
changes them. The rules are Kubernetes' own, cited by section of ``shared/notes/kubernetes.md``:

- :func:`pod_status`, :func:`pod_ready`, :func:`pod_restarts`: kubectl's ``printPod`` (§5.3).
- :func:`pod_requests`: the scheduler's pod request (containers sum vs init max, sidecars, overhead; §1.1).
- :func:`summarize`: one :class:`WorkloadSummary` per top-level workload (Deployment, StatefulSet,
  CronJob, stand-alone ReplicaSet or Job, bare Pod), walking ``ownerReferences``.
- :func:`node_usage`: allocatable vs requested per node (§1.1 node side, §7.3).
- ``render_*``: the text tables of ``kubectl get deploy,pods``, ``kubectl get events`` and a node table.
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .quantities import format_cpu, format_memory, parse_cpu, parse_memory, parse_quantity

if TYPE_CHECKING:
    from .backends.protocol import ClusterSnapshot

Obj = dict[str, Any]

ORIGINAL_NAMESPACE_ANNOTATION = "static.simkube.io/original-namespace"  # simkube notes §3.4
TERMINAL_PHASES = ("Succeeded", "Failed")
NODE_LOST_REASON = "NodeLost"  # node.NodeUnreachablePodReason, printPod (§5.3 step 6)

# Order in which workload kinds are listed (kubectl get deploy,sts,rs,cronjob,job,pods).
_KIND_ORDER = {"Deployment": 0, "StatefulSet": 1, "ReplicaSet": 2, "CronJob": 3, "Job": 4, "Pod": 5}
_API_GROUP = {
    "Deployment": "deployment.apps",
    "StatefulSet": "statefulset.apps",
    "ReplicaSet": "replicaset.apps",
    "CronJob": "cronjob.batch",
    "Job": "job.batch",
    "Pod": "pod",
}


# --------------------------------------------------------------------------------------------------
# small accessors


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _condition(obj: Mapping[str, Any], ctype: str) -> Mapping[str, Any] | None:
    for cond in _list(_dict(obj.get("status")).get("conditions")):
        if isinstance(cond, dict) and cond.get("type") == ctype:
            return cond
    return None


def _is_restartable_init(container: Mapping[str, Any] | None) -> bool:
    """A sidecar: an init container with ``restartPolicy: Always`` (§1.1, printPod)."""
    return bool(container) and _dict(container).get("restartPolicy") == "Always"


def parse_time(value: Any) -> float | None:
    """Epoch seconds of an RFC3339 timestamp (or a number already in seconds); None if unset."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        stamp = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=_dt.UTC)
    return stamp.timestamp()


def human_duration(seconds: float) -> str:
    """kubectl's age format (apimachinery ``duration.HumanDuration``): ``45s``, ``3m20s``, ``2h5m``."""
    secs = int(seconds)
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 120:
        return f"{secs}s"
    minutes = secs // 60
    if minutes < 10:
        rest = secs % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = secs // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


# --------------------------------------------------------------------------------------------------
# pods: kubectl's printPod (§5.3)


@dataclass(frozen=True, slots=True)
class _PodColumns:
    status: str
    ready: int
    total: int
    restarts: int
    last_restart: float | None


def _terminated_reason(term: Mapping[str, Any], prefix: str = "") -> str:
    if term.get("reason"):
        return prefix + str(term["reason"])
    if term.get("signal"):
        return f"{prefix}Signal:{term['signal']}"
    return f"{prefix}ExitCode:{term.get('exitCode', 0)}"


def _print_pod(pod: Mapping[str, Any]) -> _PodColumns:
    """kubectl's printPod (pkg/printers/internalversion/printers.go, recent release with sidecars; §5.3)."""
    spec = _dict(pod.get("spec"))
    status = _dict(pod.get("status"))
    phase = str(status.get("phase") or "")
    reason = str(status.get("reason") or phase)
    sched = _condition(pod, "PodScheduled")
    if sched is not None and sched.get("reason") == "SchedulingGated":
        reason = "SchedulingGated"

    init_specs = {str(c.get("name")): c for c in _list(spec.get("initContainers")) if isinstance(c, dict)}
    total = len(_list(spec.get("containers"))) + sum(
        1 for c in init_specs.values() if _is_restartable_init(c)
    )
    ready = 0
    restarts = 0
    sidecar_restarts = 0
    last_restart: float | None = None
    last_sidecar_restart: float | None = None

    def later(a: float | None, b: float | None) -> float | None:
        return b if a is None or (b is not None and b > a) else a

    init_statuses = [c for c in _list(status.get("initContainerStatuses")) if isinstance(c, dict)]
    initializing = False
    for i, cs in enumerate(init_statuses):
        count = int(cs.get("restartCount") or 0)
        finished = parse_time(_dict(_dict(cs.get("lastState")).get("terminated")).get("finishedAt"))
        restarts += count
        last_restart = later(last_restart, finished)
        sidecar = _is_restartable_init(init_specs.get(str(cs.get("name"))))
        if sidecar:
            sidecar_restarts += count
            last_sidecar_restart = later(last_sidecar_restart, finished)
        state = _dict(cs.get("state"))
        term = _dict(state.get("terminated"))
        waiting = _dict(state.get("waiting"))
        if state.get("terminated") is not None and int(term.get("exitCode") or 0) == 0:
            continue
        if sidecar and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if state.get("terminated") is not None:
            reason = _terminated_reason(term, "Init:")
        elif waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    initialized = _condition(pod, "Initialized")
    if not initializing or (initialized is not None and initialized.get("status") == "True"):
        restarts = sidecar_restarts
        last_restart = last_sidecar_restart
        has_running = False
        # Walk from last to first so the first container (in spec order) with a reason wins.
        for cs in reversed([c for c in _list(status.get("containerStatuses")) if isinstance(c, dict)]):
            restarts += int(cs.get("restartCount") or 0)
            finished = parse_time(_dict(_dict(cs.get("lastState")).get("terminated")).get("finishedAt"))
            last_restart = later(last_restart, finished)
            state = _dict(cs.get("state"))
            waiting = _dict(state.get("waiting"))
            if state.get("waiting") is not None and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif state.get("terminated") is not None:
                reason = _terminated_reason(_dict(state.get("terminated")))
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            ready_cond = _condition(pod, "Ready")
            reason = (
                "Running" if ready_cond is not None and ready_cond.get("status") == "True" else "NotReady"
            )

    if _meta(pod).get("deletionTimestamp"):
        if status.get("reason") == NODE_LOST_REASON:
            reason = "Unknown"
        elif phase not in TERMINAL_PHASES:
            reason = "Terminating"
    return _PodColumns(reason, ready, total, restarts, last_restart)


def pod_status(pod: Mapping[str, Any]) -> str:
    """The STATUS column of ``kubectl get pods`` (Pending, ContainerCreating, Running, OOMKilled, ...)."""
    return _print_pod(pod).status


def pod_ready(pod: Mapping[str, Any]) -> str:
    """The READY column: ``"<ready running containers>/<containers + sidecars>"``, e.g. ``"0/1"``."""
    cols = _print_pod(pod)
    return f"{cols.ready}/{cols.total}"


def pod_restarts(pod: Mapping[str, Any]) -> int:
    """The RESTARTS number: init containers' restarts while initializing, else the containers'."""
    status = _dict(pod.get("status"))
    if not status.get("initContainerStatuses"):
        # no init containers: printPod sums the regular containers' restart counts
        return sum(int(cs.get("restartCount") or 0) for cs in _list(status.get("containerStatuses")))
    return _print_pod(pod).restarts


def pod_is_ready(pod: Mapping[str, Any]) -> bool:
    """The pod's Ready condition is True (what ReplicaSets count as readyReplicas)."""
    cond = _condition(pod, "Ready")
    return cond is not None and cond.get("status") == "True"


def _all_container_statuses(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    status = _dict(pod.get("status"))
    found = _list(status.get("initContainerStatuses")) + _list(status.get("containerStatuses"))
    return [c for c in found if isinstance(c, dict)]


def pod_crash_looping(pod: Mapping[str, Any]) -> bool:
    """Some container waits in CrashLoopBackOff (§4.3)."""
    return any(
        _dict(_dict(cs.get("state")).get("waiting")).get("reason") == "CrashLoopBackOff"
        for cs in _all_container_statuses(pod)
    )


def pod_oom_killed(pod: Mapping[str, Any]) -> bool:
    """Some container is, or last was, terminated with reason OOMKilled (§4.1)."""
    for cs in _all_container_statuses(pod):
        for key in ("state", "lastState"):
            if _dict(_dict(cs.get(key)).get("terminated")).get("reason") == "OOMKilled":
                return True
    return False


_SIGNALS = {
    1: "SIGHUP",
    2: "SIGINT",
    3: "SIGQUIT",
    4: "SIGILL",
    6: "SIGABRT",
    7: "SIGBUS",
    8: "SIGFPE",
    9: "SIGKILL",
    11: "SIGSEGV",
    13: "SIGPIPE",
    14: "SIGALRM",
    15: "SIGTERM",
}


def explain_exit_code(code: int) -> str:
    """A container exit code in words: ``137 = killed (SIGKILL), usually the OOM killer`` (§4.1)."""
    if code == 0:
        return "0 = exited successfully"
    if code == 137:
        return "137 = killed (SIGKILL), usually the OOM killer (memory limit exceeded)"
    if code == 143:
        return "143 = terminated (SIGTERM), asked to stop (pod deleted, scaled down or probe failed)"
    if code == 1:
        return "1 = the application exited with an error"
    if code == 126:
        return "126 = the command could not be executed (permission or not executable)"
    if code == 127:
        return "127 = the command was not found in the image"
    if code == 139:
        return "139 = segmentation fault (SIGSEGV)"
    if 128 < code < 160:
        signal = code - 128
        name = _SIGNALS.get(signal, f"signal {signal}")
        return f"{code} = killed by {name} (128 + {signal})"
    if code < 0:
        return f"{code} = the container runtime could not start the container"
    return f"{code} = the application exited with an error"


def _pod_reason_message(pod: Mapping[str, Any]) -> tuple[str, str]:
    """Why a pod is in its state: the pod reason, the PodScheduled=False reason, or a container's reason."""
    status = _dict(pod.get("status"))
    if status.get("reason"):
        return str(status["reason"]), str(status.get("message") or "")
    sched = _condition(pod, "PodScheduled")
    if sched is not None and sched.get("status") == "False":
        return str(sched.get("reason") or ""), str(sched.get("message") or "")
    for cs in _all_container_statuses(pod):
        state = _dict(cs.get("state"))
        for key in ("waiting", "terminated"):
            sub = _dict(state.get(key))
            if sub.get("reason") and sub.get("reason") not in ("Completed",):
                return str(sub["reason"]), str(sub.get("message") or "")
    for cs in _all_container_statuses(pod):
        last = _dict(_dict(cs.get("lastState")).get("terminated"))
        if last.get("reason"):
            code = int(last.get("exitCode") or 0)
            return str(last["reason"]), f"last terminated: exit code {explain_exit_code(code)}"
    return "", ""


def _last_exit_code(pod: Mapping[str, Any]) -> int | None:
    for cs in _all_container_statuses(pod):
        for key in ("state", "lastState"):
            term = _dict(_dict(cs.get(key)).get("terminated"))
            if term and int(term.get("exitCode") or 0) != 0:
                return int(term["exitCode"])
    return None


def pod_view(pod: Mapping[str, Any], *, prefix: str | None = None) -> Obj:
    """One pod as the observation shows it: name, namespace, node, phase, status, ready, restarts, ..."""
    meta = _meta(pod)
    cols = _print_pod(pod)
    reason, message = _pod_reason_message(pod)
    view: Obj = {
        "name": meta.get("name", ""),
        "namespace": original_namespace(pod, prefix),
        "node": _dict(pod.get("spec")).get("nodeName") or None,
        "phase": _dict(pod.get("status")).get("phase") or "",
        "status": cols.status,
        "ready": f"{cols.ready}/{cols.total}",
        "restarts": cols.restarts,
        "reason": reason,
        "message": message,
    }
    code = _last_exit_code(pod)
    if code is not None:
        view["exitCode"] = code
        view["exitCodeMeaning"] = explain_exit_code(code)
    return view


# --------------------------------------------------------------------------------------------------
# scheduler accounting (§1.1)


# A cluster uses few distinct quantity strings; parsing them once keeps node_usage cheap on big snapshots.
@functools.lru_cache(maxsize=4096)
def _cpu(value: str | int | float) -> int:
    return parse_cpu(value)


@functools.lru_cache(maxsize=4096)
def _mem(value: str | int | float) -> int:
    return parse_memory(value)


def _container_requests(container: Mapping[str, Any]) -> tuple[int, int]:
    """(millicores, bytes) a container requests; a limit without a request counts as the request (§2.1)."""
    resources = _dict(container.get("resources"))
    requests = _dict(resources.get("requests"))
    limits = _dict(resources.get("limits"))
    cpu = requests.get("cpu", limits.get("cpu"))
    memory = requests.get("memory", limits.get("memory"))
    return (_cpu(cpu) if cpu is not None else 0, _mem(memory) if memory is not None else 0)


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
        cpu += _cpu(overhead["cpu"])
    if overhead.get("memory") is not None:
        mem += _mem(overhead["memory"])
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
                allocatable_cpu=_cpu(alloc.get("cpu", 0)),
                allocatable_memory=_mem(alloc.get("memory", 0)),
                allocatable_pods=int(parse_quantity(alloc.get("pods", 0))),
                requested_cpu=cpu.get(name, 0),
                requested_memory=mem.get(name, 0),
                pods=count.get(name, 0),
            )
        )
    return sorted(result, key=lambda n: n.name)


# --------------------------------------------------------------------------------------------------
# workloads


def _strip_prefix(namespace: str, prefix: str | None) -> str:
    if prefix and namespace.startswith(prefix + "-"):
        return namespace[len(prefix) + 1 :]
    return namespace


def original_namespace(obj: Mapping[str, Any], prefix: str | None = None) -> str:
    """The traced namespace of an object in ``<prefix>-<ns>`` (SimKube's annotation, else the prefix cut)."""
    meta = _meta(obj)
    annotations = _dict(meta.get("annotations"))
    if annotations.get(ORIGINAL_NAMESPACE_ANNOTATION):
        return str(annotations[ORIGINAL_NAMESPACE_ANNOTATION])
    spec = _dict(obj.get("spec"))
    for template in (
        _dict(spec.get("template")),
        _dict(_dict(_dict(spec.get("jobTemplate")).get("spec")).get("template")),
    ):
        t_ann = _dict(_meta(template).get("annotations"))
        if t_ann.get(ORIGINAL_NAMESPACE_ANNOTATION):
            return str(t_ann[ORIGINAL_NAMESPACE_ANNOTATION])
    return _strip_prefix(str(meta.get("namespace", "")), prefix)


@dataclass(frozen=True, slots=True)
class WorkloadSummary:
    """One top-level workload as an agent sees it: desired vs what its pods are doing.

    ``ready``/``available``/``updated`` come from the workload's status where Kubernetes keeps them
    (Deployment, StatefulSet, ReplicaSet; what ``kubectl get deploy`` prints), else from its pods.
    Pod counts (``pending``, ``running``, ``crash_looping``, ``oom_killed``, ``restarts``, ``total``) come
    from the pods it owns, directly or through ReplicaSets and Jobs.
    """

    kind: str
    namespace: str
    name: str
    desired: int
    ready: int
    available: int
    updated: int
    pending: int
    running: int
    crash_looping: int
    oom_killed: int
    restarts: int
    total: int
    conditions: tuple[Obj, ...] = ()

    def condition(self, ctype: str) -> Obj | None:
        """The condition of type ``ctype`` (e.g. ``"Available"``), or None."""
        return next((c for c in self.conditions if c.get("type") == ctype), None)

    def to_dict(self) -> Obj:
        """camelCase, as the ``--json`` output and the episode log show it."""
        return {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "desired": self.desired,
            "ready": self.ready,
            "available": self.available,
            "updated": self.updated,
            "pending": self.pending,
            "running": self.running,
            "crashLooping": self.crash_looping,
            "oomKilled": self.oom_killed,
            "restarts": self.restarts,
            "total": self.total,
            "conditions": [dict(c) for c in self.conditions],
        }


def _key(kind: str, namespace: str, name: str) -> tuple[str, str, str]:
    return (kind, namespace, name)


def _desired(obj: Mapping[str, Any]) -> int:
    kind = obj.get("kind")
    spec = _dict(obj.get("spec"))
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        replicas = spec.get("replicas")
        return 1 if replicas is None else int(replicas)  # API default 1 (§6.1)
    if kind == "Job":
        completions = spec.get("completions")
        parallelism = spec.get("parallelism")
        if completions is not None:
            return int(completions)
        return 1 if parallelism is None else int(parallelism)
    return 0


def summarize(snapshot: ClusterSnapshot) -> list[WorkloadSummary]:
    """One summary per top-level workload of the snapshot, sorted by namespace, kind and name.

    Pods are attributed by ``ownerReferences`` (uid when present, else kind and name): pod -> ReplicaSet
    -> Deployment, pod -> StatefulSet, pod -> Job -> CronJob; a pod without a known owner is its own
    workload (desired 1).
    """
    by_uid: dict[str, Mapping[str, Any]] = {}
    by_key: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for obj in snapshot.workloads:
        meta = _meta(obj)
        kind, ns, name = str(obj.get("kind", "")), str(meta.get("namespace", "")), str(meta.get("name", ""))
        by_key[_key(kind, ns, name)] = obj
        if meta.get("uid"):
            by_uid[str(meta["uid"])] = obj

    def owner_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
        meta = _meta(obj)
        for ref in _list(meta.get("ownerReferences")):
            if not isinstance(ref, dict):
                continue
            found = by_uid.get(str(ref.get("uid"))) if ref.get("uid") else None
            if found is None:
                found = by_key.get(
                    _key(str(ref.get("kind")), str(meta.get("namespace", "")), str(ref.get("name")))
                )
            if found is not None:
                return found
        return None

    tops: dict[int, Mapping[str, Any]] = {}

    def top(obj: Mapping[str, Any]) -> Mapping[str, Any]:
        start = obj
        cached = tops.get(id(start))
        if cached is not None:
            return cached
        seen = 0
        while seen < 8:  # an ownership chain is at most pod -> Job -> CronJob; guard against cycles
            owner = owner_of(obj)
            if owner is None:
                break
            obj = tops.get(id(owner)) or owner
            seen += 1
        tops[id(start)] = obj
        return obj

    roots: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for obj in snapshot.workloads:
        root = top(obj)
        meta = _meta(root)
        roots[_key(str(root.get("kind")), str(meta.get("namespace", "")), str(meta.get("name", "")))] = root
    pods_of: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {k: [] for k in roots}
    for pod in snapshot.pods:
        root = top(pod)
        meta = _meta(root)
        key = _key(str(root.get("kind") or "Pod"), str(meta.get("namespace", "")), str(meta.get("name", "")))
        roots.setdefault(key, root)
        pods_of.setdefault(key, []).append(pod)

    out = []
    for key, root in roots.items():
        out.append(_summary(root, pods_of.get(key, []), snapshot.prefix))
    return sorted(out, key=lambda s: (s.namespace, _KIND_ORDER.get(s.kind, 9), s.kind, s.name))


def _summary(root: Mapping[str, Any], pods: Sequence[Mapping[str, Any]], prefix: str) -> WorkloadSummary:
    kind = str(root.get("kind") or "Pod")
    meta = _meta(root)
    status = _dict(root.get("status"))
    live = [p for p in pods if not _meta(p).get("deletionTimestamp")]
    ready_pods = sum(1 for p in live if pod_is_ready(p))
    if kind == "Pod":
        desired = 1
    elif kind == "CronJob":
        desired = len(_list(status.get("active")))
    else:
        desired = _desired(root)
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        ready = int(status.get("readyReplicas") or 0)
        available = int(status.get("availableReplicas") or 0)
        if kind == "StatefulSet":
            available = int(status.get("availableReplicas", status.get("readyReplicas")) or 0)
        updated = (
            int(status.get("updatedReplicas") or 0)
            if kind != "ReplicaSet"
            else int(status.get("replicas") or 0)
        )
    else:
        ready = available = ready_pods
        updated = len(live)
    conditions = tuple(dict(c) for c in _list(status.get("conditions")) if isinstance(c, dict))
    pending = running = crash_looping = oom_killed = restarts = 0
    for p in pods:  # one pass: this runs on every episode step
        phase = _dict(p.get("status")).get("phase")
        pending += phase == "Pending"
        running += phase == "Running"
        crash_looping += pod_crash_looping(p)
        oom_killed += pod_oom_killed(p)
        restarts += pod_restarts(p)
    return WorkloadSummary(
        kind=kind,
        namespace=original_namespace(root, prefix),
        name=str(meta.get("name", "")),
        desired=desired,
        ready=ready,
        available=available,
        updated=updated,
        pending=pending,
        running=running,
        crash_looping=crash_looping,
        oom_killed=oom_killed,
        restarts=restarts,
        total=len(pods),
        conditions=conditions,
    )


# --------------------------------------------------------------------------------------------------
# events


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


# --------------------------------------------------------------------------------------------------
# tables


def format_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Columns padded as kubectl's tabwriter does (three spaces between columns, last column unpadded)."""
    table = [list(header)] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for row in table:
        cells = [cell.ljust(widths[i] + 3) if i < len(row) - 1 else cell for i, cell in enumerate(row)]
        lines.append("".join(cells).rstrip())
    return "\n".join(lines)


def _age(obj: Mapping[str, Any], now: float | None) -> str:
    created = parse_time(_meta(obj).get("creationTimestamp"))
    if now is None or created is None:
        return "<unknown>"
    return human_duration(now - created)


def _restarts_cell(pod: Mapping[str, Any], now: float | None) -> str:
    cols = _print_pod(pod)
    if cols.restarts and cols.last_restart is not None and now is not None:
        return f"{cols.restarts} ({human_duration(now - cols.last_restart)} ago)"  # recent kubectl (§5.3)
    return str(cols.restarts)


def _namespaces(objs: Iterable[Mapping[str, Any]], prefix: str | None) -> set[str]:
    return {original_namespace(o, prefix) for o in objs}


def render_workloads(snapshot: ClusterSnapshot, *, now: float | None = None) -> str:
    """``kubectl get deploy,sts,rs,job,cronjob,pods``: one block per kind, ``kind.group/name`` rows.

    ``now`` is the snapshot's wall time in epoch seconds (for AGE); without it ages show ``<unknown>``.
    A NAMESPACE column (original namespaces) appears when the run spans several namespaces.
    """
    prefix = snapshot.prefix
    multi = len(_namespaces([*snapshot.workloads, *snapshot.pods], prefix)) > 1
    blocks: list[str] = []

    def ns_cell(obj: Mapping[str, Any]) -> list[str]:
        return [original_namespace(obj, prefix)] if multi else []

    ns_head = ["NAMESPACE"] if multi else []

    def by_name(objs: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        return sorted(objs, key=lambda o: (original_namespace(o, prefix), str(_meta(o).get("name", ""))))

    kinds: dict[str, list[Mapping[str, Any]]] = {}
    for obj in snapshot.workloads:
        kinds.setdefault(str(obj.get("kind")), []).append(obj)

    deploys = by_name(kinds.get("Deployment", []))
    if deploys:
        rows = []
        for d in deploys:
            st = _dict(d.get("status"))
            rows.append(
                [
                    *ns_cell(d),
                    f"deployment.apps/{_meta(d).get('name')}",
                    f"{int(st.get('readyReplicas') or 0)}/{_desired(d)}",
                    int(st.get("updatedReplicas") or 0),
                    int(st.get("availableReplicas") or 0),
                    _age(d, now),
                ]
            )
        blocks.append(format_table([*ns_head, "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], rows))
    sts = by_name(kinds.get("StatefulSet", []))
    if sts:
        rows = [
            [
                *ns_cell(s),
                f"statefulset.apps/{_meta(s).get('name')}",
                f"{int(_dict(s.get('status')).get('readyReplicas') or 0)}/{_desired(s)}",
                _age(s, now),
            ]
            for s in sts
        ]
        blocks.append(format_table([*ns_head, "NAME", "READY", "AGE"], rows))
    # ReplicaSets a Deployment owns are left out, as in ``kubectl get deploy,pods``
    rsets = by_name(r for r in kinds.get("ReplicaSet", []) if not _list(_meta(r).get("ownerReferences")))
    if rsets:
        rows = []
        for r in rsets:
            st = _dict(r.get("status"))
            rows.append(
                [
                    *ns_cell(r),
                    f"replicaset.apps/{_meta(r).get('name')}",
                    _desired(r),
                    int(st.get("replicas") or 0),
                    int(st.get("readyReplicas") or 0),
                    _age(r, now),
                ]
            )
        blocks.append(format_table([*ns_head, "NAME", "DESIRED", "CURRENT", "READY", "AGE"], rows))
    cronjobs = by_name(kinds.get("CronJob", []))
    if cronjobs:
        rows = []
        for c in cronjobs:
            spec, st = _dict(c.get("spec")), _dict(c.get("status"))
            last = parse_time(st.get("lastScheduleTime"))
            rows.append(
                [
                    *ns_cell(c),
                    f"cronjob.batch/{_meta(c).get('name')}",
                    spec.get("schedule", ""),
                    "True" if spec.get("suspend") else "False",
                    len(_list(st.get("active"))),
                    human_duration(now - last) if now is not None and last is not None else "<none>",
                    _age(c, now),
                ]
            )
        blocks.append(
            format_table([*ns_head, "NAME", "SCHEDULE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"], rows)
        )
    jobs = by_name(kinds.get("Job", []))
    if jobs:
        rows = []
        for j in jobs:
            st = _dict(j.get("status"))
            done = _condition(j, "Complete")
            failed = _condition(j, "Failed")
            if done is not None and done.get("status") == "True":
                state = "Complete"
            elif failed is not None and failed.get("status") == "True":
                state = "Failed"
            else:
                state = "Running"
            rows.append(
                [
                    *ns_cell(j),
                    f"job.batch/{_meta(j).get('name')}",
                    state,
                    f"{int(st.get('succeeded') or 0)}/{_desired(j)}",
                    _age(j, now),
                ]
            )
        blocks.append(format_table([*ns_head, "NAME", "STATUS", "COMPLETIONS", "AGE"], rows))
    pods = by_name(snapshot.pods)
    if pods:
        rows = []
        for p in pods:
            cols = _print_pod(p)
            rows.append(
                [
                    *ns_cell(p),
                    f"pod/{_meta(p).get('name')}",
                    f"{cols.ready}/{cols.total}",
                    cols.status,
                    _restarts_cell(p, now),
                    _age(p, now),
                    _dict(p.get("spec")).get("nodeName") or "<none>",
                ]
            )
        blocks.append(format_table([*ns_head, "NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE"], rows))
    return "\n\n".join(blocks) if blocks else "No resources found."


def render_events(snapshot: ClusterSnapshot, *, now: float | None = None) -> str:
    """``kubectl get events``: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE, oldest first.

    The OBJECT column is ``kind/name`` in lower case (printEvent); repeats merged into one event show
    ``(xN)`` after the age, as ``kubectl describe`` does, so merged FailedScheduling counts stay visible.
    """
    events = sorted_events(snapshot.events)
    if not events:
        return "No events found."
    multi = (
        len(
            {
                _strip_prefix(str(_dict(e.get("involvedObject")).get("namespace", "")), snapshot.prefix)
                for e in events
            }
        )
        > 1
    )
    rows = []
    for e in events:
        view = event_view(e, prefix=snapshot.prefix)
        last = _event_last_seen(e)
        seen = human_duration(now - last) if now is not None and last is not None else "<unknown>"
        if view["count"] > 1:
            seen += f" (x{view['count']})"
        involved = view["involvedObject"]
        target = (
            f"{str(involved['kind']).lower()}/{involved['name']}"
            if involved["name"]
            else str(involved["kind"]).lower()
        )
        rows.append(
            [
                *([involved["namespace"]] if multi else []),
                seen,
                view["type"],
                view["reason"],
                target,
                view["message"],
            ]
        )
    head = [*(["NAMESPACE"] if multi else []), "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    return format_table(head, rows)


def render_nodes(snapshot: ClusterSnapshot) -> str:
    """Per node: requested / allocatable cpu, memory and pods, with percentages (describe node)."""
    usage = node_usage(snapshot)
    if not usage:
        return "No nodes."

    def pct(used: int, total: int) -> str:
        return f"{(100 * used // total) if total else 0}%"

    rows = [
        [
            n.name,
            f"{format_cpu(n.requested_cpu)}/{format_cpu(n.allocatable_cpu)} "
            f"({pct(n.requested_cpu, n.allocatable_cpu)})",
            f"{format_memory(n.requested_memory)}/{format_memory(n.allocatable_memory)} "
            f"({pct(n.requested_memory, n.allocatable_memory)})",
            f"{n.pods}/{n.allocatable_pods}",
        ]
        for n in usage
    ]
    return format_table(["NODE", "CPU REQUESTS", "MEMORY REQUESTS", "PODS"], rows)
