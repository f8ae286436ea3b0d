"""Container probes as the kubelet runs them: startup, readiness and liveness workers on the simulated clock.

The simulated app has no endpoint. It answers its probes once its startup work is done: the usage
annotation's ``startupCpuSeconds`` divided by the container's cpu limit (a CPU-throttled start; without a
limit, by its node's allocatable cpu), counted from each container start. Before that every probe fails
as an HTTP or TCP probe against a closed port does (``connect: connection refused``).

Timing follows pkg/kubelet/prober (worker.go ``run``/``doProbe``, prober_manager.go ``AddPod`` and
``UpdatePodStatus``, results_manager.go):

- one worker per container and probe type starts when the kubelet takes the pod (``AddPod`` in
  ``SyncPod``, before the containers exist) and probes every ``periodSeconds`` from then on; the first
  run finds no container, so a container started with the pod is first probed one period later;
- a probe is skipped while ``int(now - startedAt) < initialDelaySeconds``; readiness and liveness are
  skipped until the container has started (startup probe succeeded, or there is none), the startup
  probe once it has;
- results change only after ``failureThreshold`` failures or ``successThreshold`` successes in a row
  (the run counter survives restarts; a liveness/startup failure resets it and puts the worker on hold
  until the next container);
- initial results: readiness Failure, liveness Success, startup Unknown (not started);
- a status update (the pod sync after a container starts, seen at the next PLEG relist; or after the
  startup probe succeeds) triggers a readiness probe at once when the container is started and not ready
  (``UpdatePodStatus``'s manual trigger); the kubelet's periodic resync triggers are not simulated;
- every failed probe records a Warning ``Unhealthy`` event ``"<Type> probe failed: <output>"``
  (prober.go ``runProbe``); a liveness/startup Failure result kills the container with a Normal
  ``Killing`` event ``"Container <c> failed <type> probe, will be restarted"``
  (kuberuntime_manager.go ``computePodActions``).

``timeoutSeconds`` is read and kept, but the simulated app answers at once or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

Obj = dict[str, Any]

# The order probe workers are created in (prober_manager.go AddPod) and results checked in.
PROBE_TYPES = ("startup", "readiness", "liveness")
TYPE_NAMES = {"startup": "Startup", "readiness": "Readiness", "liveness": "Liveness"}  # probeType.String()
FIELDS = {"startup": "startupProbe", "readiness": "readinessProbe", "liveness": "livenessProbe"}
# pkg/apis/core/v1/defaults.go SetDefaults_Probe.
DEFAULTS = {
    "initialDelaySeconds": 0,
    "timeoutSeconds": 1,
    "periodSeconds": 10,
    "successThreshold": 1,
    "failureThreshold": 3,
}
# The kubelet relists containers every second (kubelet.go genericPlegRelistPeriod): a started container is
# seen, and the pod's status regenerated, at most this long after it starts.
PLEG_RELIST = 1.0
SUCCESS, FAILURE, UNKNOWN = "Success", "Failure", "Unknown"
INITIAL = {"startup": UNKNOWN, "readiness": FAILURE, "liveness": SUCCESS}  # worker.go newWorker


class ContainerState(Protocol):
    """What a worker reads of a container (pods.py ContainerState)."""

    state: str
    started: float
    restarts: int
    startup_done: bool
    app_ready_at: float


@dataclass(frozen=True, slots=True)
class ProbeSpec:
    """One probe of a container, defaulted; ``target`` describes what the kubelet connects to."""

    kind: str
    initial_delay: int
    timeout: int
    period: int
    success: int
    failure: int
    handler: str  # httpGet, tcpSocket, grpc, exec
    port: str
    path: str
    scheme: str

    def output(self, pod_ip: str) -> str:
        """What a probe against a container that does not listen yet reports (the event's ``%s``).

        pkg/probe/http/http.go and pkg/probe/tcp/tcp.go return Go's error text; an exec probe's output
        is the command's, which we take to print nothing.
        """
        host = f"{pod_ip}:{self.port}"
        if self.handler == "httpGet":
            refused = f"dial tcp {host}: connect: connection refused"
            return f'Get "{self.scheme.lower()}://{host}{self.path}": {refused}'
        if self.handler in ("tcpSocket", "grpc"):
            return f"dial tcp {host}: connect: connection refused"
        return ""


def container_probes(container: Obj, where: str, errors: list[str]) -> dict[str, ProbeSpec]:
    """The container's probes by type, defaulted; problems go to ``errors`` as the API words them."""
    found: dict[str, ProbeSpec] = {}
    for kind in PROBE_TYPES:
        raw = container.get(FIELDS[kind])
        if raw is None:
            continue
        field = f"{where}.{FIELDS[kind]}"
        if not isinstance(raw, dict):
            errors.append(f"{field}: Invalid value: {raw!r}: must be an object")
            continue
        values: dict[str, int] = {}
        for key, default in DEFAULTS.items():
            value = raw.get(key)
            if value is None or (value == 0 and key != "initialDelaySeconds"):
                value = default  # SetDefaults_Probe fills zero values
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                errors.append(f"{field}.{key}: Invalid value: {value!r}: must be greater than or equal to 0")
                value = default
            values[key] = value
        if kind != "readiness" and values["successThreshold"] != 1:
            # pkg/apis/core/validation/validation.go validateLivenessProbe / validateStartupProbe.
            errors.append(f"{field}.successThreshold: Invalid value: {values['successThreshold']}: must be 1")
        handler = next((h for h in ("httpGet", "tcpSocket", "grpc", "exec") if h in raw), "")
        if not handler:
            errors.append(f"{field}: Required value: must specify a handler type")
        found_target = raw.get(handler)
        target: Obj = found_target if isinstance(found_target, dict) else {}
        found[kind] = ProbeSpec(
            kind=kind,
            initial_delay=values["initialDelaySeconds"],
            timeout=values["timeoutSeconds"],
            period=values["periodSeconds"],
            success=values["successThreshold"],
            failure=values["failureThreshold"],
            handler=handler,
            port=_port(target.get("port"), container),
            path=str(target.get("path") or "") if handler == "httpGet" else "",
            scheme=str(target.get("scheme") or "HTTP"),
        )
    return found


def startup_budget(probes: dict[str, ProbeSpec]) -> int | None:
    """Seconds after a container start by which the app must answer, or the kubelet kills it.

    The startup probe's (else the liveness probe's) last probe before the kill: the first probe one
    period after the start, none before ``initialDelaySeconds``, ``failureThreshold`` of them (worker.go).
    None when neither probe is set: nothing kills a slow start.
    """
    spec = probes.get("startup") or probes.get("liveness")
    if spec is None:
        return None
    first = max(1, -(-spec.initial_delay // spec.period))
    return spec.period * (first + spec.failure - 1)


def _port(port: Any, container: Obj) -> str:
    """A named port resolves through the container's ports (prober.go ``findPortByName``)."""
    if isinstance(port, str) and not port.isdigit():
        for p in container.get("ports") or []:
            if isinstance(p, dict) and p.get("name") == port:
                return str(p.get("containerPort"))
    return str(port)


class Worker:
    """One probe worker's memory (worker.go): last result, how many in a row, hold, container seen."""

    __slots__ = ("container", "hold", "last", "origin", "result", "run", "seen", "spec", "ticking")

    def __init__(self, spec: ProbeSpec, container: str, origin: float) -> None:
        self.spec = spec
        self.container = container
        self.origin = origin  # when the worker started: it ticks at origin + k * period
        self.ticking = False
        self.result = INITIAL[spec.kind]  # what the results manager holds for the current container
        self.last = ""  # the last probe outcome (lastResult), kept across containers
        self.run = 0  # resultRun
        self.hold = False
        self.seen = -1  # restart count of the container instance the worker last saw (its container ID)

    def observe(self, c: ContainerState) -> None:
        """A new container instance resets the result to the initial value and lifts the hold."""
        if c.restarts != self.seen:
            self.seen = c.restarts
            self.result = INITIAL[self.spec.kind]
            self.hold = False

    def record(self, outcome: str) -> str | None:
        """Count ``outcome``; the new result when a threshold is reached, else None (doProbe)."""
        if self.last == outcome:
            self.run += 1
        else:
            self.last = outcome
            self.run = 1
        spec = self.spec
        if self.run < (spec.failure if outcome == FAILURE else spec.success):
            return None
        self.result = outcome
        if spec.kind != "readiness" and outcome == FAILURE:
            self.hold = True
            self.run = 0
        return outcome


def settled(worker: Worker, c: ContainerState, now: float) -> bool:
    """Nothing a further probe could change until the next container (the app stays up once up).

    The worker then stops ticking and resumes on the same grid when a new container starts: the
    simulation stays finite over long traces, and the probe times are those of the real ticker.
    """
    if c.restarts != worker.seen:
        return False  # a new container already runs (restarted in this very sync)
    if worker.hold or c.state != "running":
        return True  # on hold, or between containers: the next container resumes the worker
    kind = worker.spec.kind
    if kind == "startup":
        return c.startup_done
    return c.startup_done and now >= c.app_ready_at and worker.result == SUCCESS


def next_tick(worker: Worker, now: float) -> float:
    """The worker's first tick strictly after ``now``."""
    period = worker.spec.period
    k = int((now - worker.origin) // period) + 1
    return worker.origin + k * period


def eligible(worker: Worker, c: ContainerState, now: float) -> bool:
    """doProbe's gates for a running container: initial delay, then startup before the others."""
    if int(now - c.started) < worker.spec.initial_delay:
        return False
    if c.startup_done:
        return worker.spec.kind != "startup"
    return worker.spec.kind == "startup"


def pod_ip(uid: str) -> str:
    """A stable pod IP (from the pod's uid) for probe messages and ``status.podIP``: 10.244.x.y."""
    n = int(uid.replace("-", "")[:6], 16) % 62500
    return f"10.244.{n // 250}.{n % 250 + 2}"
