"""kubectl's columns per kind, as the apiserver's table printers define them (printers.go, v1.32).

:func:`columns` gives a kind's column definitions (name, type, format, priority: 0 = always, 1 = ``-o
wide``), :func:`cells` one object's row. The API server answers ``kubectl get`` Table requests with them,
and the text tables of :mod:`pytest_simarena.kubeview.tables` print the same cells. Ages are relative to
``now`` (epoch seconds), computed by the server as a real apiserver does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .access import _condition, _dict, _list, _meta, parse_time
from .events import _event_last_seen, event_view
from .pods import _print_pod
from .workloads import _desired

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Column:
    """One TableColumnDefinition."""

    name: str
    type: str = "string"
    format: str = ""
    priority: int = 0
    description: str = ""

    def to_api(self) -> Obj:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


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


def age(obj: Mapping[str, Any], now: float | None) -> str:
    """The AGE cell: ``now`` minus creationTimestamp, ``<unknown>`` without either."""
    created = parse_time(_meta(obj).get("creationTimestamp"))
    if now is None or created is None:
        return "<unknown>"
    return human_duration(now - created)


def restarts_cell(pod: Mapping[str, Any], now: float | None) -> str:
    cols = _print_pod(pod)
    if cols.restarts and cols.last_restart is not None and now is not None:
        return f"{cols.restarts} ({human_duration(now - cols.last_restart)} ago)"  # recent kubectl (§5.3)
    return str(cols.restarts)


def _template_containers(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = _dict(obj.get("spec"))
    if obj.get("kind") == "CronJob":
        spec = _dict(_dict(_dict(spec.get("jobTemplate")).get("spec")).get("template"))
    else:
        spec = _dict(spec.get("template"))
    return [c for c in _list(_dict(spec.get("spec")).get("containers")) if isinstance(c, dict)]


def _names_images(obj: Mapping[str, Any]) -> list[str]:
    containers = _template_containers(obj)
    return [
        ",".join(str(c.get("name", "")) for c in containers),
        ",".join(str(c.get("image", "")) for c in containers),
    ]


def _selector(obj: Mapping[str, Any]) -> str:
    selector = _dict(_dict(obj.get("spec")).get("selector"))
    labels = _dict(selector.get("matchLabels")) if "matchLabels" in selector else selector
    return ",".join(f"{k}={v}" for k, v in labels.items()) or "<none>"


def _pod(pod: Mapping[str, Any], now: float | None) -> list[Any]:
    cols = _print_pod(pod)
    status = _dict(pod.get("status"))
    gates = _list(_dict(pod.get("spec")).get("readinessGates"))
    return [
        _meta(pod).get("name", ""),
        f"{cols.ready}/{cols.total}",
        cols.status,
        restarts_cell(pod, now),
        age(pod, now),
        status.get("podIP") or "<none>",
        _dict(pod.get("spec")).get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        f"{len(gates)}/{len(gates)}" if gates else "<none>",
    ]


def _deployment(d: Mapping[str, Any], now: float | None) -> list[Any]:
    st = _dict(d.get("status"))
    return [
        _meta(d).get("name", ""),
        f"{int(st.get('readyReplicas') or 0)}/{_desired(d)}",
        int(st.get("updatedReplicas") or 0),
        int(st.get("availableReplicas") or 0),
        age(d, now),
        *_names_images(d),
        _selector(d),
    ]


def _replicaset(r: Mapping[str, Any], now: float | None) -> list[Any]:
    st = _dict(r.get("status"))
    return [
        _meta(r).get("name", ""),
        _desired(r),
        int(st.get("replicas") or 0),
        int(st.get("readyReplicas") or 0),
        age(r, now),
        *_names_images(r),
        _selector(r),
    ]


def _statefulset(s: Mapping[str, Any], now: float | None) -> list[Any]:
    st = _dict(s.get("status"))
    return [
        _meta(s).get("name", ""),
        f"{int(st.get('readyReplicas') or 0)}/{_desired(s)}",
        age(s, now),
        *_names_images(s),
    ]


def job_state(j: Mapping[str, Any]) -> str:
    done, failed = _condition(j, "Complete"), _condition(j, "Failed")
    if done is not None and done.get("status") == "True":
        return "Complete"
    if failed is not None and failed.get("status") == "True":
        return "Failed"
    return "Running"


def _job(j: Mapping[str, Any], now: float | None) -> list[Any]:
    st = _dict(j.get("status"))
    start, end = parse_time(st.get("startTime")), parse_time(st.get("completionTime"))
    if start is None:
        duration = ""
    else:
        duration = human_duration((end if end is not None else (now or start)) - start)
    return [
        _meta(j).get("name", ""),
        job_state(j),
        f"{int(st.get('succeeded') or 0)}/{_desired(j)}",
        duration,
        age(j, now),
        *_names_images(j),
        _selector(j),
    ]


def _cronjob(c: Mapping[str, Any], now: float | None) -> list[Any]:
    spec, st = _dict(c.get("spec")), _dict(c.get("status"))
    last = parse_time(st.get("lastScheduleTime"))
    return [
        _meta(c).get("name", ""),
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        "True" if spec.get("suspend") else "False",
        len(_list(st.get("active"))),
        human_duration(now - last) if now is not None and last is not None else "<none>",
        age(c, now),
        *_names_images(c),
        _selector(c),
    ]


def _node(n: Mapping[str, Any], now: float | None) -> list[Any]:
    ready = _condition(n, "Ready")
    status = "Ready" if ready is not None and ready.get("status") == "True" else "NotReady"
    if _dict(n.get("spec")).get("unschedulable"):
        status += ",SchedulingDisabled"
    labels = _dict(_meta(n).get("labels"))
    roles = sorted(
        k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/") and "/" in k
    )
    info = _dict(_dict(n.get("status")).get("nodeInfo"))
    addresses = {
        str(a.get("type")): str(a.get("address")) for a in _list(_dict(n.get("status")).get("addresses"))
    }
    return [
        _meta(n).get("name", ""),
        status,
        ",".join(roles) or "<none>",
        age(n, now),
        info.get("kubeletVersion", ""),
        addresses.get("InternalIP", "<none>"),
        addresses.get("ExternalIP", "<none>"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _namespace(ns: Mapping[str, Any], now: float | None) -> list[Any]:
    return [_meta(ns).get("name", ""), _dict(ns.get("status")).get("phase", "Active"), age(ns, now)]


def event_object(event: Mapping[str, Any]) -> str:
    involved = event_view(event)["involvedObject"]
    kind = str(involved["kind"]).lower()
    return f"{kind}/{involved['name']}" if involved["name"] else kind


def _event(e: Mapping[str, Any], now: float | None) -> list[Any]:
    view = event_view(e)
    last = _event_last_seen(e)
    first = parse_time(view["firstTimestamp"])
    source = _dict(e.get("source")).get("component") or e.get("reportingComponent") or ""
    return [
        human_duration(now - last) if now is not None and last is not None else "<unknown>",
        view["type"],
        view["reason"],
        event_object(e),
        _dict(e.get("involvedObject")).get("fieldPath", ""),
        source,
        view["message"],
        human_duration(now - first) if now is not None and first is not None else "<unknown>",
        view["count"],
        _meta(e).get("name", ""),
    ]


_NAME = Column("Name", format="name", description="Name must be unique within a namespace.")
_AGE = Column(
    "Age",
    description="CreationTimestamp is a timestamp representing the server time when this object was created.",
)
_CONTAINERS = Column("Containers", priority=1, description="Names of each container in the template.")
_IMAGES = Column("Images", priority=1, description="Images referenced by each container in the template.")
_SELECTOR = Column("Selector", priority=1, description="Label selector for pods.")

_COLUMNS: dict[str, tuple[tuple[Column, ...], Callable[[Mapping[str, Any], float | None], list[Any]]]] = {
    "Pod": (
        (
            _NAME,
            Column("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
            Column("Status", description="The aggregate status of the containers in this pod."),
            Column(
                "Restarts", description="The number of times the containers in this pod have been restarted."
            ),
            _AGE,
            Column("IP", priority=1, description="IP address allocated to the pod."),
            Column("Node", priority=1, description="Name of the node the pod is assigned to."),
            Column("Nominated Node", priority=1, description="Name of the node the pod is nominated to."),
            Column("Readiness Gates", priority=1, description="Pod readiness gates."),
        ),
        _pod,
    ),
    "Deployment": (
        (
            _NAME,
            Column("Ready", description="Number of the pod with ready state."),
            Column(
                "Up-to-date",
                type="integer",
                description="Total number of non-terminated pods targeted by this deployment that have the "
                "desired template spec.",
            ),
            Column(
                "Available",
                type="integer",
                description="Total number of available pods (ready for at least minReadySeconds) targeted "
                "by this deployment.",
            ),
            _AGE,
            _CONTAINERS,
            _IMAGES,
            _SELECTOR,
        ),
        _deployment,
    ),
    "ReplicaSet": (
        (
            _NAME,
            Column("Desired", type="integer", description="Number of desired pods."),
            Column("Current", type="integer", description="Number of actual replicas."),
            Column("Ready", type="integer", description="The number of ready replicas for this replica set."),
            _AGE,
            _CONTAINERS,
            _IMAGES,
            _SELECTOR,
        ),
        _replicaset,
    ),
    "StatefulSet": (
        (
            _NAME,
            Column("Ready", description="Number of the pod with ready state."),
            _AGE,
            _CONTAINERS,
            _IMAGES,
        ),
        _statefulset,
    ),
    "Job": (
        (
            _NAME,
            Column("Status", description="Status of the job."),
            Column("Completions", description="The completion status of the job."),
            Column("Duration", description="Time required to complete the job."),
            _AGE,
            _CONTAINERS,
            _IMAGES,
            _SELECTOR,
        ),
        _job,
    ),
    "CronJob": (
        (
            _NAME,
            Column("Schedule", description="The schedule in Cron format."),
            Column("Timezone", description="The time zone for the given schedule."),
            Column(
                "Suspend",
                type="boolean",
                description="This flag tells the controller to suspend subsequent executions.",
            ),
            Column("Active", type="integer", description="A list of pointers to currently running jobs."),
            Column(
                "Last Schedule",
                description="Information when was the last time the job was successfully scheduled.",
            ),
            _AGE,
            _CONTAINERS,
            _IMAGES,
            _SELECTOR,
        ),
        _cronjob,
    ),
    "Node": (
        (
            _NAME,
            Column("Status", description="The status of the node."),
            Column("Roles", description="The roles of the node."),
            _AGE,
            Column("Version", description="Kubelet Version reported by the node."),
            Column("Internal-IP", priority=1, description="List of addresses reachable to the node."),
            Column("External-IP", priority=1, description="List of addresses reachable to the node."),
            Column("OS-Image", priority=1, description="OS Image reported by the node."),
            Column("Kernel-Version", priority=1, description="Kernel Version reported by the node."),
            Column(
                "Container-Runtime", priority=1, description="Container Runtime Version reported by the node."
            ),
        ),
        _node,
    ),
    "Namespace": (
        (_NAME, Column("Status", description="The status of the namespace."), _AGE),
        _namespace,
    ),
    "Event": (
        (
            Column("Last Seen", description="Time when this Event was last observed."),
            Column(
                "Type",
                description="Type of this event (Normal, Warning), new types could be added in the future.",
            ),
            Column(
                "Reason",
                description="This should be a short, machine understandable string that gives the reason "
                "for this event being generated.",
            ),
            Column("Object", description="The object that this event is about."),
            Column("Subobject", priority=1, description="The field of the object that this event is about."),
            Column("Source", priority=1, description="The component reporting this event."),
            Column("Message", description="A human-readable description of the status of this operation."),
            Column("First Seen", priority=1, description="The time at which the event was first recorded."),
            Column("Count", priority=1, description="The number of times this event has occurred."),
            _NAME,
        ),
        _event,
    ),
}


def _resource_quota(q: Mapping[str, Any], now: float | None) -> list[Any]:
    """printers.go printResourceQuota: ``<resource>: <used>/<hard>`` sorted, limits.* in the Limit column."""
    status = _dict(q.get("status"))
    used, hard = _dict(status.get("used")), _dict(status.get("hard"))
    request: list[str] = []
    limit: list[str] = []
    for res in sorted(hard):
        column = limit if res.split(".")[0] == "limits" and "." in res else request
        column.append(f"{res}: {used.get(res, '0')}/{hard[res]}")
    return [_meta(q).get("name", ""), age(q, now), ", ".join(request), ", ".join(limit)]


def _limit_range(lr: Mapping[str, Any], now: float | None) -> list[Any]:
    """printers.go printLimitRange: the name and creationTimestamp as RFC 3339."""
    return [_meta(lr).get("name", ""), _meta(lr).get("creationTimestamp", "")]


_COLUMNS["ResourceQuota"] = (
    (
        _NAME,
        _AGE,
        Column(
            "Request",
            description="Request represents a minimum amount of cpu/memory that a container may consume.",
        ),
        Column(
            "Limit",
            description="Limits control the maximum amount of cpu/memory that a container can use "
            "independent of contention on the node.",
        ),
    ),
    _resource_quota,
)
_COLUMNS["LimitRange"] = (
    (_NAME, Column("Created At", type="date", description="Date of creation of this limit range.")),
    _limit_range,
)
# The events printer puts Name last with priority 1 (printers.go).
_COLUMNS["Event"] = (
    (*_COLUMNS["Event"][0][:-1], Column("Name", format="name", priority=1, description=_NAME.description)),
    _event,
)


def _priority_class(obj: Mapping[str, Any], now: float | None) -> list[Any]:
    return [
        _meta(obj).get("name", ""),
        obj.get("value", 0),
        bool(obj.get("globalDefault")),
        age(obj, now),
        str(obj.get("preemptionPolicy") or ""),
    ]


# printers.go priorityClassColumnDefinitions (PreemptionPolicy last, after Age).
_COLUMNS["PriorityClass"] = (
    (
        _NAME,
        Column("Value", type="integer", description="The value of this priority class."),
        Column("Global-Default", type="boolean", description="Whether this class is the default priority."),
        _AGE,
        Column("PreemptionPolicy", description="The policy for preempting pods with lower priority."),
    ),
    _priority_class,
)


def columns(kind: str) -> tuple[Column, ...]:
    """The columns of ``kind``; a kind without a printer gets Name and Age (the default table)."""
    found = _COLUMNS.get(kind)
    return found[0] if found else (_NAME, _AGE)


def cells(obj: Mapping[str, Any], now: float | None) -> list[Any]:
    """The row of ``obj`` for its kind's :func:`columns`."""
    found = _COLUMNS.get(str(obj.get("kind", "")))
    if found is None:
        return [_meta(obj).get("name", ""), age(obj, now)]
    return found[1](obj, now)
