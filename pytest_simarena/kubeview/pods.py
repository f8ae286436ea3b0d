"""One pod as kubectl prints it (``printPod``, kubernetes notes §5.3) and as an observation shows it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from .access import (
    NODE_LOST_REASON,
    TERMINAL_PHASES,
    _condition,
    _dict,
    _is_restartable_init,
    _list,
    _meta,
    original_namespace,
    parse_time,
)

Obj = dict[str, Any]


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
