"""The agent tools: one definition (name, description, JSON schema) and one implementation per tool.

The MCP server (:mod:`pytest_simarena.agents.mcp_server`) lists these tools and the LLM policy
(:mod:`pytest_simarena.agents.llm`) offers them to a chat model; both call :func:`call_tool`, so a tool
behaves the same whoever calls it. Tools work on a :class:`ToolHost`: a running cluster that can show a
snapshot, logs and metrics, take an :class:`~pytest_simarena.actions.Action` (through the safeguards) and
let simulated time pass. Results are text, as kubectl prints them, because that is what models read best.

Tools (``kind`` says what they do to the cluster):

=====================  ======  ================================================================
name                   kind    does
=====================  ======  ================================================================
get_pods               read    ``kubectl get pods``: NAME READY STATUS RESTARTS AGE NODE
get_workloads          read    ``kubectl get deploy,sts,rs,pods``
describe               read    ``kubectl describe pod|deployment|statefulset|node`` with its events
get_events             read    ``kubectl get events`` (optionally of one object)
get_logs               read    ``kubectl logs`` (synthetic lines: start, OOM kill)
top                    read    ``kubectl top pods|nodes`` (from the declared usage)
set_resources          act     ``kubectl set resources`` (requests and/or limits, one container or all)
scale                  act     ``kubectl scale --replicas``
apply_action           act     one of the project's actions (bump_cpu, reduce_memory, set_replicas...)
advance_time           time    let simulated time pass (the clock stands still otherwise)
wait_available         time    ``kubectl wait --for=condition=Available``: run the clock until it holds
=====================  ======  ================================================================

A tool never raises for the caller's mistakes or a denied write: it returns a :class:`ToolResult` with
``is_error`` set and a one-line message (an LLM can read it and try again).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pytest_simarena.action_model import ACTION_TYPES, Action
from pytest_simarena.errors import SimArenaError
from pytest_simarena.kubeview import (
    format_table,
    human_duration,
    node_usage,
    original_namespace,
    parse_time,
    pod_ready,
    pod_restarts,
    pod_status,
    render_events,
    render_workloads,
    sorted_events,
)
from pytest_simarena.live.selectors import label_matcher
from pytest_simarena.quantities import format_cpu, format_memory

Obj = dict[str, Any]

# advance_time/wait_available take at most this much simulated time per call, so one tool call cannot
# run a trace for days; an agent that needs more calls again.
MAX_ADVANCE_SECONDS = 3600.0


class ToolError(SimArenaError):
    """A tool call was malformed or could not be carried out; the message is what the caller sees."""


@dataclass(frozen=True, slots=True)
class ActOutcome:
    """What an allowed write did: its status (``applied``/``unchanged``/``not_found``) and a message."""

    status: str
    message: str = ""


@runtime_checkable
class ToolHost(Protocol):
    """What the tools need from a running cluster (the live session provides it).

    ``snapshot`` shows every namespace, objects in their trace namespaces; ``wall_time`` is the simulated
    now in epoch seconds (for AGE columns). ``act`` raises :class:`SimArenaError` (the admission
    denial, with the safeguard's message) when the write is refused.
    """

    def snapshot(self) -> Any: ...

    def wall_time(self) -> float: ...

    def logs(self, namespace: str, pod: str, container: str | None = None) -> str: ...

    def pod_metrics(self, namespace: str | None = None) -> list[Obj]: ...

    def node_metrics(self) -> list[Obj]: ...

    def act(self, action: Action) -> ActOutcome: ...

    def advance(self, seconds: float) -> None: ...

    def wait_available(self, kind: str, namespace: str, name: str, timeout: float) -> bool: ...


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool's answer: text for the model, and whether it is an error."""

    text: str
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class Tool:
    """One tool: its wire definition and its implementation."""

    name: str
    kind: str  # read | act | time
    description: str
    parameters: Obj  # JSON Schema of the arguments object
    run: Callable[[ToolHost, Mapping[str, Any]], str]

    def openai(self) -> Obj:
        """The chat-completions ``tools`` entry (``{"type": "function", "function": {...}}``)."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


# ----------------------------------------------------------------------------------------------------
# helpers


def _str(args: Mapping[str, Any], key: str, default: str | None = None, *, required: bool = False) -> Any:
    value = args.get(key)
    if value is None:  # absent, or JSON null: not given
        if required:
            raise ToolError(f"missing argument {key!r}")
        return default
    if not isinstance(value, str) or not value.strip():
        raise ToolError(f"argument {key}={value!r}: expected a non-empty string")
    return value.strip()


def _number(args: Mapping[str, Any], key: str, *, low: float, high: float) -> float:
    value = args.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ToolError(f"argument {key}={value!r}: expected a number of seconds")
    if not low <= float(value) <= high:
        raise ToolError(f"argument {key}={value!r}: expected between {low:g} and {high:g}")
    return float(value)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _in_namespace(obj: Mapping[str, Any], namespace: str | None, prefix: str | None) -> bool:
    return namespace is None or original_namespace(obj, prefix) == namespace


def _age(obj: Mapping[str, Any], now: float) -> str:
    created = parse_time(_meta(obj).get("creationTimestamp"))
    return "<unknown>" if created is None else human_duration(now - created)


def _resources_text(container: Mapping[str, Any], indent: str) -> list[str]:
    res = container.get("resources") or {}
    lines = []
    for which in ("limits", "requests"):
        values = res.get(which) or {}
        if values:
            lines.append(f"{indent}{which.capitalize()}:")
            lines += [f"{indent}  {k}:{' ' * max(1, 8 - len(k))}{v}" for k, v in sorted(values.items())]
    return lines


def _events_for(snapshot: Any, kind: str, name: str, namespace: str | None, now: float) -> list[str]:
    rows = []
    for event in sorted_events(snapshot.events):
        involved = event.get("involvedObject") or {}
        if involved.get("kind") != kind or involved.get("name") != name:
            continue
        if namespace is not None and original_namespace({"metadata": involved}, snapshot.prefix) != namespace:
            continue
        last = parse_time(event.get("lastTimestamp") or event.get("firstTimestamp") or event.get("eventTime"))
        age = human_duration(now - last) if last is not None else "<unknown>"
        count = int(event.get("count") or 1)
        rows.append(
            [
                event.get("type", ""),
                event.get("reason", ""),
                f"{age} (x{count})" if count > 1 else age,
                (event.get("source") or {}).get("component", ""),
                str(event.get("message", "")).strip(),
            ]
        )
    if not rows:
        return ["Events:  <none>"]
    table = format_table(["Type", "Reason", "Age", "From", "Message"], rows)
    return ["Events:", *("  " + line for line in table.splitlines())]


def _find(objs: Sequence[Mapping[str, Any]], kind: str, name: str, namespace: str | None, prefix: str) -> Obj:
    for obj in objs:
        if (
            obj.get("kind") == kind
            and _meta(obj).get("name") == name
            and _in_namespace(obj, namespace, prefix)
        ):
            return dict(obj)
    where = f" in namespace {namespace!r}" if namespace else ""
    raise ToolError(f'{kind.lower()}s "{name}" not found{where}')


# ----------------------------------------------------------------------------------------------------
# read tools


def get_pods(host: ToolHost, args: Mapping[str, Any]) -> str:
    namespace = _str(args, "namespace", "default")
    selector = _str(args, "label_selector")
    snap = host.snapshot()
    now = host.wall_time()
    matches = label_matcher(selector)  # the API server's own parser: sets, !=, existence; 400 on bad input
    pods = [p for p in snap.pods if _in_namespace(p, namespace, snap.prefix) and matches(p)]
    if not pods:
        return f"No resources found in {namespace} namespace."
    pods.sort(key=lambda p: str(_meta(p).get("name", "")))
    rows = [
        [
            _meta(p).get("name", ""),
            pod_ready(p),
            pod_status(p),
            pod_restarts(p),
            _age(p, now),
            (p.get("spec") or {}).get("nodeName") or "<none>",
        ]
        for p in pods
    ]
    return format_table(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE"], rows)


def get_workloads(host: ToolHost, args: Mapping[str, Any]) -> str:
    namespace = _str(args, "namespace", "default")
    snap = host.snapshot()
    from dataclasses import replace

    kept = replace(
        snap,
        pods=[p for p in snap.pods if _in_namespace(p, namespace, snap.prefix)],
        workloads=[w for w in snap.workloads if _in_namespace(w, namespace, snap.prefix)],
    )
    if not kept.pods and not kept.workloads:
        return f"No resources found in {namespace} namespace."
    return render_workloads(kept, now=host.wall_time())


_DESCRIBE_KINDS = {
    "pod": "Pod",
    "pods": "Pod",
    "po": "Pod",
    "deployment": "Deployment",
    "deployments": "Deployment",
    "deploy": "Deployment",
    "statefulset": "StatefulSet",
    "statefulsets": "StatefulSet",
    "sts": "StatefulSet",
    "node": "Node",
    "nodes": "Node",
    "no": "Node",
}


def describe(host: ToolHost, args: Mapping[str, Any]) -> str:
    raw_kind = _str(args, "kind", required=True)
    kind = _DESCRIBE_KINDS.get(raw_kind.lower())
    if kind is None:
        raise ToolError(f"kind={raw_kind!r}: expected pod, deployment, statefulset or node")
    name = _str(args, "name", required=True)
    namespace = None if kind == "Node" else _str(args, "namespace", "default")
    snap = host.snapshot()
    now = host.wall_time()
    if kind == "Pod":
        return _describe_pod(_find(snap.pods, kind, name, namespace, snap.prefix), snap, now)
    if kind == "Node":
        return _describe_node(_find(snap.nodes, kind, name, None, snap.prefix), snap, now)
    return _describe_workload(_find(snap.workloads, kind, name, namespace, snap.prefix), snap, now)


def _labels_text(meta: Mapping[str, Any]) -> str:
    labels = meta.get("labels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>"


def _describe_pod(pod: Obj, snap: Any, now: float) -> str:
    meta, spec, status = _meta(pod), pod.get("spec") or {}, pod.get("status") or {}
    namespace = original_namespace(pod, snap.prefix)
    lines = [
        f"Name:         {meta.get('name')}",
        f"Namespace:    {namespace}",
        f"Node:         {spec.get('nodeName') or '<none>'}",
        f"Labels:       {_labels_text(meta)}",
        f"Status:       {pod_status(pod)}",
    ]
    owners = meta.get("ownerReferences") or []
    if owners:
        lines.append(f"Controlled By:  {owners[0].get('kind')}/{owners[0].get('name')}")
    lines.append("Containers:")
    states = {c.get("name"): c for c in status.get("containerStatuses") or []}
    for container in spec.get("containers") or []:
        lines.append(f"  {container.get('name')}:")
        lines.append(f"    Image:          {container.get('image', '')}")
        state = states.get(container.get("name")) or {}
        for key, value in (state.get("state") or {}).items():
            reason = (value or {}).get("reason")
            lines.append(f"    State:          {key.capitalize()}{f' ({reason})' if reason else ''}")
        last = (state.get("lastState") or {}).get("terminated")
        if last:
            lines.append(
                f"    Last State:     Terminated ({last.get('reason')}, exit code {last.get('exitCode')})"
            )
        lines.append(f"    Ready:          {str(bool(state.get('ready'))).lower()}")
        lines.append(f"    Restart Count:  {state.get('restartCount', 0)}")
        lines += _resources_text(container, "    ")
    conditions = status.get("conditions") or []
    if conditions:
        lines.append("Conditions:")
        lines += [
            f"  {c.get('type')}: {c.get('status')} {c.get('reason') or ''}".rstrip() for c in conditions
        ]
    lines += _events_for(snap, "Pod", str(meta.get("name")), namespace, now)
    return "\n".join(lines)


def _describe_workload(obj: Obj, snap: Any, now: float) -> str:
    meta, spec, status = _meta(obj), obj.get("spec") or {}, obj.get("status") or {}
    namespace = original_namespace(obj, snap.prefix)
    desired = spec.get("replicas", 1)
    lines = [
        f"Name:               {meta.get('name')}",
        f"Namespace:          {namespace}",
        "Selector:           "
        + ",".join(
            f"{k}={v}" for k, v in sorted(((spec.get("selector") or {}).get("matchLabels") or {}).items())
        ),
        f"Replicas:           {desired} desired | {status.get('updatedReplicas', 0)} updated | "
        f"{status.get('replicas', 0)} total | {status.get('availableReplicas', 0)} available | "
        f"{status.get('unavailableReplicas', 0)} unavailable",
        "Pod Template:",
        "  Containers:",
    ]
    for container in ((spec.get("template") or {}).get("spec") or {}).get("containers") or []:
        lines.append(f"   {container.get('name')}:")
        lines.append(f"    Image:      {container.get('image', '')}")
        lines += _resources_text(container, "    ")
    conditions = status.get("conditions") or []
    if conditions:
        lines.append("Conditions:")
        rows = [[c.get("type"), c.get("status"), c.get("reason") or ""] for c in conditions]
        lines += ["  " + line for line in format_table(["Type", "Status", "Reason"], rows).splitlines()]
    lines += _events_for(snap, str(obj.get("kind")), str(meta.get("name")), namespace, now)
    return "\n".join(lines)


def _describe_node(node: Obj, snap: Any, now: float) -> str:
    name = str(_meta(node).get("name"))
    status = node.get("status") or {}
    lines = [f"Name:               {name}", "Capacity:"]
    lines += [
        f"  {k}:{' ' * max(1, 18 - len(k))}{v}" for k, v in sorted((status.get("capacity") or {}).items())
    ]
    lines.append("Allocatable:")
    lines += [
        f"  {k}:{' ' * max(1, 18 - len(k))}{v}" for k, v in sorted((status.get("allocatable") or {}).items())
    ]
    for usage in node_usage(snap):
        if usage.name != name:
            continue

        def pct(used: int, total: int) -> str:
            return f"{(100 * used // total) if total else 0}%"

        lines += [
            "Allocated resources:",
            f"  cpu:     {format_cpu(usage.requested_cpu)} "
            f"({pct(usage.requested_cpu, usage.allocatable_cpu)})",
            f"  memory:  {format_memory(usage.requested_memory)} "
            f"({pct(usage.requested_memory, usage.allocatable_memory)})",
            f"  pods:    {usage.pods}/{usage.allocatable_pods}",
        ]
    lines += _events_for(snap, "Node", name, None, now)
    return "\n".join(lines)


def get_events(host: ToolHost, args: Mapping[str, Any]) -> str:
    namespace = _str(args, "namespace", "default")
    name = _str(args, "object_name")
    snap = host.snapshot()
    from dataclasses import replace

    events = []
    for event in snap.events:
        involved = event.get("involvedObject") or {}
        if name is not None and involved.get("name") != name:
            continue
        if involved.get("namespace") and not _in_namespace({"metadata": involved}, namespace, snap.prefix):
            continue
        events.append(event)
    if not events:
        return f"No events found in {namespace} namespace."
    return render_events(replace(snap, events=events), now=host.wall_time())


def get_logs(host: ToolHost, args: Mapping[str, Any]) -> str:
    pod = _str(args, "pod", required=True)
    return host.logs(_str(args, "namespace", "default"), pod, _str(args, "container"))


def top(host: ToolHost, args: Mapping[str, Any]) -> str:
    what = _str(args, "kind", "pods").lower()
    if what in ("pod", "pods", "po"):
        namespace = _str(args, "namespace", "default")
        rows = []
        for item in sorted(host.pod_metrics(namespace), key=lambda m: str(_meta(m).get("name", ""))):
            cpu = mem = 0
            for container in item.get("containers") or []:
                usage = container.get("usage") or {}
                from pytest_simarena.kubeview import cpu_of, memory_of

                cpu += cpu_of(usage.get("cpu", 0))
                mem += memory_of(usage.get("memory", 0))
            rows.append([_meta(item).get("name", ""), f"{cpu}m", f"{mem // (1024 * 1024)}Mi"])
        if not rows:
            return f"No resources found in {namespace} namespace."
        return format_table(["NAME", "CPU(cores)", "MEMORY(bytes)"], rows)
    if what in ("node", "nodes", "no"):
        from pytest_simarena.kubeview import cpu_of, memory_of

        rows = []
        for item in sorted(host.node_metrics(), key=lambda m: str(_meta(m).get("name", ""))):
            usage = item.get("usage") or {}
            rows.append(
                [
                    _meta(item).get("name", ""),
                    f"{cpu_of(usage.get('cpu', 0))}m",
                    f"{memory_of(usage.get('memory', 0)) // (1024 * 1024)}Mi",
                ]
            )
        return format_table(["NAME", "CPU(cores)", "MEMORY(bytes)"], rows) if rows else "No nodes."
    raise ToolError(f"kind={what!r}: expected pods or nodes")


# ----------------------------------------------------------------------------------------------------
# act and time tools


def _workload_args(args: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "workload": _str(args, "workload", required=True),
        "namespace": _str(args, "namespace", "default"),
        "kind": _str(args, "kind", "Deployment"),
    }


def _act(host: ToolHost, action: Action) -> str:
    outcome = host.act(action)  # a denial raises: call_tool turns it into an error result
    return f"{outcome.status}: {action}" + (f" ({outcome.message})" if outcome.message else "")


def set_resources(host: ToolHost, args: Mapping[str, Any]) -> str:
    requests: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    for key, (target, resource) in {
        "requests_cpu": (requests, "cpu"),
        "requests_memory": (requests, "memory"),
        "limits_cpu": (limits, "cpu"),
        "limits_memory": (limits, "memory"),
    }.items():
        if args.get(key) is not None:
            target[resource] = _str(args, key)
    if not requests and not limits:
        raise ToolError(
            "set_resources needs at least one of requests_cpu, requests_memory, limits_cpu, limits_memory"
        )
    action = Action(
        "set_resources",
        container=_str(args, "container"),
        requests=requests or None,
        limits=limits or None,
        **_workload_args(args),
    )
    return _act(host, action)


def scale(host: ToolHost, args: Mapping[str, Any]) -> str:
    replicas = args.get("replicas")
    if isinstance(replicas, bool) or not isinstance(replicas, int):
        raise ToolError(f"argument replicas={replicas!r}: expected a whole number")
    return _act(host, Action("set_replicas", replicas=replicas, **_workload_args(args)))


def apply_action(host: ToolHost, args: Mapping[str, Any]) -> str:
    raw = args.get("action")
    if not isinstance(raw, Mapping):
        raise ToolError(
            f"argument action={raw!r}: expected an object like {{'type': 'reduce_cpu', 'workload': 'web'}}"
        )
    data = dict(raw)
    data.setdefault("namespace", "default")
    return _act(host, Action.from_dict(data))


def advance_time(host: ToolHost, args: Mapping[str, Any]) -> str:
    seconds = _number(args, "seconds", low=0.0, high=MAX_ADVANCE_SECONDS)
    host.advance(seconds)
    return f"advanced {seconds:g} s of simulated time"


def wait_available(host: ToolHost, args: Mapping[str, Any]) -> str:
    where = _workload_args(args)
    timeout = _number(
        {"timeout_seconds": args.get("timeout_seconds", 300)},
        "timeout_seconds",
        low=0.0,
        high=MAX_ADVANCE_SECONDS,
    )
    ok = host.wait_available(where["kind"], where["namespace"], where["workload"], timeout)
    name = f"{where['kind'].lower()}/{where['workload']}"
    if ok:
        return f"{name} condition met"
    raise ToolError(f"timed out waiting for the condition on {name} (Available) after {timeout:g} s")


# ----------------------------------------------------------------------------------------------------
# the table

_NS = {"type": "string", "description": "Namespace (default: default)"}
_WORKLOAD = {
    "workload": {"type": "string", "description": "Name of the workload (e.g. the Deployment)"},
    "namespace": _NS,
    "kind": {"type": "string", "description": "Deployment (default) or StatefulSet"},
}
_QTY = {"type": "string", "description": "A Kubernetes quantity"}


def _schema(properties: Obj, required: Sequence[str] = ()) -> Obj:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


TOOLS: tuple[Tool, ...] = (
    Tool(
        "get_pods",
        "read",
        "List pods like `kubectl get pods`: NAME READY STATUS RESTARTS AGE NODE.",
        _schema({"namespace": _NS, "label_selector": {"type": "string", "description": "e.g. app=web"}}),
        get_pods,
    ),
    Tool(
        "get_workloads",
        "read",
        "List deployments, statefulsets, replicasets and pods like `kubectl get deploy,sts,rs,pods`.",
        _schema({"namespace": _NS}),
        get_workloads,
    ),
    Tool(
        "describe",
        "read",
        "Describe a pod, deployment, statefulset or node like `kubectl describe`, with its events "
        "(FailedScheduling says why a pod stays Pending).",
        _schema(
            {
                "kind": {"type": "string", "enum": ["pod", "deployment", "statefulset", "node"]},
                "name": {"type": "string"},
                "namespace": _NS,
            },
            ["kind", "name"],
        ),
        describe,
    ),
    Tool(
        "get_events",
        "read",
        "List events like `kubectl get events`, oldest first; optionally only those of one object.",
        _schema({"namespace": _NS, "object_name": {"type": "string"}}),
        get_events,
    ),
    Tool(
        "get_logs",
        "read",
        "A pod's container log like `kubectl logs` (synthetic lines: container start, OOM kill).",
        _schema({"pod": {"type": "string"}, "namespace": _NS, "container": {"type": "string"}}, ["pod"]),
        get_logs,
    ),
    Tool(
        "top",
        "read",
        "Resource usage like `kubectl top pods|nodes` (from the workload's declared usage).",
        _schema({"kind": {"type": "string", "enum": ["pods", "nodes"]}, "namespace": _NS}),
        top,
    ),
    Tool(
        "set_resources",
        "act",
        "Set requests and/or limits of a workload's containers like `kubectl set resources` (rolls out new "
        "pods). Checked by the safeguards: a value over a cap is denied.",
        _schema(
            {
                **_WORKLOAD,
                "container": {"type": "string", "description": "Only this container (default: all)"},
                "requests_cpu": _QTY,
                "requests_memory": _QTY,
                "limits_cpu": _QTY,
                "limits_memory": _QTY,
            },
            ["workload"],
        ),
        set_resources,
    ),
    Tool(
        "scale",
        "act",
        "Set a workload's replicas like `kubectl scale --replicas=N`. Checked by the safeguards.",
        _schema({**_WORKLOAD, "replicas": {"type": "integer", "minimum": 0}}, ["workload", "replicas"]),
        scale,
    ),
    Tool(
        "apply_action",
        "act",
        "Apply one of the project's actions: "
        + ", ".join(t for t in ACTION_TYPES if t != "noop")
        + " (amount = the step; set_resources takes requests/limits maps; set_replicas takes replicas).",
        _schema(
            {
                "action": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string", "enum": list(ACTION_TYPES)},
                        "workload": {"type": "string"},
                        "namespace": {"type": "string"},
                        "kind": {"type": "string"},
                        "container": {"type": "string"},
                        "amount": {"type": ["string", "integer", "number"]},
                        "requests": {"type": "object"},
                        "limits": {"type": "object"},
                        "replicas": {"type": "integer"},
                    },
                    "required": ["type", "workload"],
                }
            },
            ["action"],
        ),
        apply_action,
    ),
    Tool(
        "advance_time",
        "time",
        f"Let simulated cluster time pass (at most {MAX_ADVANCE_SECONDS:g} s per call). The clock stands "
        "still while you think; scheduling, rollouts and the trace's own events happen as time passes.",
        _schema({"seconds": {"type": "number", "minimum": 0, "maximum": MAX_ADVANCE_SECONDS}}, ["seconds"]),
        advance_time,
    ),
    Tool(
        "wait_available",
        "time",
        "Run simulated time until the workload's Available condition is True, like "
        "`kubectl wait --for=condition=Available`, or until the timeout.",
        _schema(
            {
                **_WORKLOAD,
                "timeout_seconds": {"type": "number", "minimum": 0, "maximum": MAX_ADVANCE_SECONDS},
            },
            ["workload"],
        ),
        wait_available,
    ),
)
TOOLS_BY_NAME: dict[str, Tool] = {t.name: t for t in TOOLS}


def openai_tools(tools: Sequence[Tool] = TOOLS) -> list[Obj]:
    """The ``tools`` array of a chat-completions request."""
    return [t.openai() for t in tools]


def call_tool(host: ToolHost, name: str, arguments: Mapping[str, Any] | str | None) -> ToolResult:
    """Run tool ``name`` with ``arguments`` (a mapping, or JSON text as chat models send it).

    Never raises for the caller's mistakes: an unknown tool, bad JSON, bad arguments, a denied or invalid
    write all come back as an error result with one line saying what was wrong.
    """
    tool = TOOLS_BY_NAME.get(name)
    if tool is None:
        import difflib

        close = difflib.get_close_matches(name, TOOLS_BY_NAME, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return ToolResult(f"unknown tool {name!r}.{hint} Tools: {', '.join(TOOLS_BY_NAME)}", True)
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            return ToolResult(f"{name}: arguments are not JSON ({exc.msg} at {exc.pos})", True)
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, Mapping):
        return ToolResult(f"{name}: arguments must be a JSON object, got {type(arguments).__name__}", True)
    known = set(tool.parameters["properties"])
    unknown = sorted(set(arguments) - known)
    if unknown:
        # A name that is no identifier is quoted, so a newline in it cannot break the one-line message.
        names = ", ".join(u if u.isidentifier() else repr(u) for u in unknown)
        return ToolResult(f"{name}: unknown argument(s) {names}; takes {', '.join(sorted(known))}", True)
    try:
        return ToolResult(tool.run(host, arguments))
    except SimArenaError as exc:  # ToolError, ActionError, an admission denial: the caller's to fix
        return ToolResult(f"{name}: {exc}", True)
