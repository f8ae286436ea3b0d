"""Read-only views of a live pod: its (synthetic) container logs and its metrics from the usage annotation.

Logs are SYNTHETIC: the embedded cluster runs no processes, so a container's log is the lines its
simulated life implies, one per lifecycle moment, e.g.::

    2024-10-31T16:00:02Z simarena: container "web" started (image ghcr.io/example/web:1.0)
    2024-10-31T16:00:32Z simarena: container "web" terminated: OOMKilled (exit code 137)

Metrics (metrics.k8s.io/v1beta1 PodMetrics/NodeMetrics) report each running container's declared usage
(the ``simarena.io/usage`` annotation, trace/usage.py), 0 when none is declared; a node's usage is the sum
over the running pods bound to it. Only running pods have metrics, as with metrics-server.
"""

from __future__ import annotations

from typing import Any

from pytest_simarena.errors import SimArenaError
from pytest_simarena.quantities import format_cpu, format_memory
from pytest_simarena.trace.usage import read_usage

from .errors import bad_request

Obj = dict[str, Any]
METRICS_API = "metrics.k8s.io/v1beta1"
METRICS_WINDOW = "30s"


def _container_names(pod: Obj) -> list[str]:
    return [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or []]


def _pick_status(pod: Obj, container: str | None) -> Obj:
    meta = pod.get("metadata") or {}
    name = meta.get("name", "")
    names = _container_names(pod)
    if container is None:
        if len(names) != 1:
            raise bad_request(
                f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]"
            )
        container = names[0]
    elif container not in names:
        raise bad_request(f"container {container} is not valid for pod {name}")
    if not (pod.get("spec") or {}).get("nodeName"):
        raise bad_request(f"pod {name} does not have a host assigned")
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") == container:
            return dict(status)
    raise bad_request(f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating')


def _instance_lines(name: str, image: str, state: Obj) -> list[str]:
    """The lines of one container instance from its ``running`` or ``terminated`` state."""
    lines = []
    started = state.get("startedAt")
    if started:
        lines.append(f'{started} simarena: container "{name}" started (image {image})')
    finished = state.get("finishedAt")
    if finished:
        reason = state.get("reason") or "Completed"
        code = state.get("exitCode", 0)
        lines.append(f'{finished} simarena: container "{name}" terminated: {reason} (exit code {code})')
    return lines


def pod_logs(pod: Obj, container: str | None = None, *, previous: bool = False) -> str:
    """The synthetic log of ``container`` (the only one when None) of ``pod``; 400 Status as kubelet does."""
    status = _pick_status(pod, container)
    name = str(status.get("name"))
    image = str(status.get("image", ""))
    pod_name = (pod.get("metadata") or {}).get("name", "")
    state = status.get("state") or {}
    last = (status.get("lastState") or {}).get("terminated")
    if previous:
        if not last:
            raise bad_request(f'previous terminated container "{name}" in pod "{pod_name}" not found')
        lines = _instance_lines(name, image, last)
    elif "running" in state:
        lines = _instance_lines(name, image, state["running"])
    elif "terminated" in state:
        lines = _instance_lines(name, image, state["terminated"])
    elif last:  # waiting to restart (CrashLoopBackOff): the runtime still has the last instance's log
        lines = _instance_lines(name, image, last)
    else:
        reason = (state.get("waiting") or {}).get("reason", "ContainerCreating")
        raise bad_request(f'container "{name}" in pod "{pod_name}" is waiting to start: {reason}')
    return "".join(line + "\n" for line in lines)


def _usage(pod: Obj) -> dict[str, dict[str, int]]:
    try:
        return read_usage({"metadata": pod.get("metadata") or {}})
    except SimArenaError:
        return {}  # a malformed annotation was already reported when the template was applied


def _running(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running"


def pod_metrics(pod: Obj, timestamp: str) -> Obj | None:
    """The PodMetrics of a running pod (None otherwise)."""
    if not _running(pod):
        return None
    meta = pod.get("metadata") or {}
    usage = _usage(pod)
    containers = []
    for name in _container_names(pod):
        used = usage.get(name, {})
        containers.append(
            {
                "name": name,
                "usage": {
                    "cpu": format_cpu(used.get("cpu", 0)),
                    "memory": format_memory(used.get("memory", 0)),
                },
            }
        )
    return {
        "kind": "PodMetrics",
        "apiVersion": METRICS_API,
        "metadata": {
            "name": meta.get("name"),
            "namespace": meta.get("namespace"),
            "creationTimestamp": timestamp,
            "labels": dict(meta.get("labels") or {}),
        },
        "timestamp": timestamp,
        "window": METRICS_WINDOW,
        "containers": containers,
    }


def node_metrics(node: Obj, pods: list[Obj], timestamp: str) -> Obj:
    """The NodeMetrics of ``node``: the usage of the running pods bound to it."""
    name = (node.get("metadata") or {}).get("name")
    cpu = memory = 0
    for pod in pods:
        if (pod.get("spec") or {}).get("nodeName") != name or not _running(pod):
            continue
        for used in _usage(pod).values():
            cpu += used.get("cpu", 0)
            memory += used.get("memory", 0)
    return {
        "kind": "NodeMetrics",
        "apiVersion": METRICS_API,
        "metadata": {
            "name": name,
            "creationTimestamp": timestamp,
            "labels": dict((node.get("metadata") or {}).get("labels") or {}),
        },
        "timestamp": timestamp,
        "window": METRICS_WINDOW,
        "usage": {"cpu": format_cpu(cpu), "memory": format_memory(memory)},
    }
