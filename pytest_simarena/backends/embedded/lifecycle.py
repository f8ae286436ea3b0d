"""The kubelet: what happens to a pod once it is bound to a node.

Without declared usage a pod behaves as on KWOK (kubernetes.md §8 fast ``pod-ready`` stage): bound ->
Running and Ready at once, or after SimKube ``lifecycleParams``-style delays with seeded jitter.

With the usage annotation (trace/usage.py) a container whose memory usage is above its memory limit is
OOM-killed as on a real node (kubernetes.md §4.1, §4.3):

- ``OOM_RUN_SECONDS = 0``: the container is killed the instant it starts (its usage is already above the
  limit), so every restart happens exactly at a back-off boundary;
- the first exit restarts at once, then CrashLoopBackOff waits 10 s doubling to 5 min, measured from the
  exit (``doBackOff`` uses FinishedAt); the back-off resets when the last restart is over 10 min old.
  Restarts (restartCount 1, 2, 3 ...) therefore come at 0, 10, 30, 70, 150, 310, 610, 910 ... s;
- after each later kill the container shows ``terminated`` OOMKilled (kubectl STATUS ``OOMKilled``) for
  ``EXIT_SYNC_DELAY`` = 1 s, until the kubelet's next sync puts it in back-off (``CrashLoopBackOff``);
- ``lastState.terminated`` = OOMKilled / 137; waiting ``CrashLoopBackOff`` with
  ``back-off 10s restarting failed container=NAME pod=NAME_NS(UID)``; a Warning ``BackOff`` event
  ``Back-off restarting failed container NAME in pod NAME_NS(UID)`` each time a crash enters back-off;
- the phase stays Running (restartPolicy Always), Ready is False.
CPU usage above the limit only throttles (kubernetes.md §4.2): nothing visible happens, except that a
declared ``startupCpuSeconds`` takes ``work / cpu limit`` seconds, which probes see (probes.py).

A memory ramp (``memoryPerMinute``, trace/usage.py) OOM-kills the container when its usage reaches the
limit, that many seconds after each start; the restart timeline above follows.

Probes (probes.py) keep a container unready or unstarted until they pass; a liveness or startup probe
that fails ``failureThreshold`` times kills the container (exit 143, reason Error: the simulated app
ends on SIGTERM) and restarts it in the same sync. The back-off check then looks at the previous exited
instance (doBackOff takes the latest *exited* container, and the killed one still shows running in the
sync's pod status), so a probe-killed container restarts at once until the gap between kills is
shorter than the back-off, then waits in CrashLoopBackOff (kubernetes issues 22240 and 99697).

Recorded pod lifecycles (SimKube ``pod_lifecycles``, simkube.md §1.7, §3.4): a pod whose owner has a
Finished run moves to Succeeded (containers terminated, reason Completed, exit 0) after that run's
duration / speed, counted from when it started running.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import SimArenaError

from .pods import ContainerState
from .probes import FAILURE, PLEG_RELIST, SUCCESS, TYPE_NAMES, Worker, eligible, next_tick, pod_ip, settled

if TYPE_CHECKING:
    from .clock import Clock
    from .events import EventRecorder
    from .pods import Pod

COMPONENT = "kubelet"
OOM_RUN_SECONDS = 0.0
OOM_EXIT_CODE = 137  # 128 + SIGKILL (kubernetes.md §4.1)
PROBE_KILL_EXIT_CODE = 143  # 128 + SIGTERM: the simulated app ends on the kubelet's stop signal
INITIAL_CRASH_BACKOFF = 10.0  # kubelet backOffPeriod (§4.3)
MAX_CRASH_BACKOFF = 300.0  # MaxContainerBackOff
BACKOFF_RESET = 2 * MAX_CRASH_BACKOFF  # "stable if it's ok for twice the maxDuration"
# After a crash the kubelet sees the exited container at its next PLEG relist (every 1 s [mem]); in between
# the container shows terminated/OOMKilled, which kubectl prints as the pod's STATUS (§5.3).
EXIT_SYNC_DELAY = 1.0
TERMINAL = ("Succeeded", "Failed")

_PARAM_NAMES = {
    "imagePullDelay": "image_pull_delay_ms",
    "imagePullJitter": "image_pull_jitter_ms",
    "podStartupDelay": "pod_startup_delay_ms",
    "podStartupJitter": "pod_startup_jitter_ms",
}


def go_duration(seconds: float) -> str:
    """Go's time.Duration String() for whole seconds: 10s, 1m20s, 5m0s."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


@dataclass(frozen=True)
class LifecycleParams:
    """SimKube's ``lifecycleParams`` (milliseconds, simkube.md §3.2): KWOK stage delays with jitter.

    The pod-create stage (ContainerCreating) comes after the image-pull delay + jitter, the ready stage
    after a further pod-startup delay + jitter; each jitter is drawn uniformly from the run's RNG.
    """

    image_pull_delay_ms: int = 0
    image_pull_jitter_ms: int = 0
    pod_startup_delay_ms: int = 0
    pod_startup_jitter_ms: int = 0

    @classmethod
    def of(cls, value: LifecycleParams | Mapping[str, Any] | None) -> LifecycleParams:
        """From None, an instance, or a SimKube-style mapping (``{"podStartupDelay": 2000}``)."""
        if value is None:
            return _DEFAULT_PARAMS if cls is LifecycleParams else cls()
        if isinstance(value, LifecycleParams):
            return value
        if not isinstance(value, Mapping):
            raise SimArenaError(f"lifecycle: expected a mapping of {', '.join(_PARAM_NAMES)}, got {value!r}")
        kwargs: dict[str, int] = {}
        for key, raw in value.items():
            name = _PARAM_NAMES.get(key, key if key in _PARAM_NAMES.values() else None)
            if name is None:
                raise SimArenaError(f"lifecycle.{key}: unknown parameter (known: {', '.join(_PARAM_NAMES)})")
            if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
                raise SimArenaError(
                    f"lifecycle.{key}: must be a non-negative integer of milliseconds, got {raw!r}"
                )
            kwargs[name] = raw
        return cls(**kwargs)

    @property
    def immediate(self) -> bool:
        return not (
            self.image_pull_delay_ms
            or self.image_pull_jitter_ms
            or self.pod_startup_delay_ms
            or self.pod_startup_jitter_ms
        )


_DEFAULT_PARAMS = LifecycleParams()  # frozen: one shared instance for every cluster without delays


class Kubelet:
    """Drives bound pods through their phases on the simulated clock."""

    def __init__(
        self,
        clock: Clock,
        recorder: EventRecorder,
        params: LifecycleParams,
        *,
        on_change: Callable[[Pod], None],
        on_terminal: Callable[[Pod], None],
        run_duration: Callable[[Pod], float | None],
    ) -> None:
        self.clock = clock
        self.recorder = recorder
        self.params = params
        self.on_change = on_change
        self.on_terminal = on_terminal
        self.run_duration = run_duration

    def _delay(self, base_ms: int, jitter_ms: int) -> float:
        jitter = self.clock.rng.uniform(0, jitter_ms) if jitter_ms else 0.0
        return (base_ms + jitter) / 1000.0

    def pod_bound(self, pod: Pod) -> None:
        """The node accepted ``pod``: create its containers and start them (now or after the delays)."""
        if pod.tmpl.probes:
            self._add_probers(pod)
        params = self.params
        if params.immediate:
            self._create(pod)
            self._start(pod)
            return
        self.clock.after(
            self._delay(params.image_pull_delay_ms, params.image_pull_jitter_ms), self._create_later, pod
        )

    def _create_later(self, pod: Pod) -> None:
        if pod.deleted:
            return
        self._create(pod)
        self.on_change(pod)
        p = self.params
        self.clock.after(self._delay(p.pod_startup_delay_ms, p.pod_startup_jitter_ms), self._start_later, pod)

    def _start_later(self, pod: Pod) -> None:
        if not pod.deleted and pod.phase == "Pending":
            self._start(pod)

    def _create(self, pod: Pod) -> None:
        pod.containers = [ContainerState(name) for name in pod.tmpl.container_names]
        pod.init_containers = [ContainerState(name) for name in pod.tmpl.init_names]
        if pod.init_containers:
            for c in pod.containers:
                c.reason = "PodInitializing"
        else:
            pod.initialized = True
        pod.start_time = self.clock.now

    def _run_init_containers(self, pod: Pod) -> bool:
        """Run init containers in order (KWOK: Completed/exit 0 at once, sidecars keep running, §8).

        Returns False when one of them is OOM-killed: the app containers wait (PodInitializing) and the
        phase stays Pending (kubernetes.md §5.1).
        """
        now = self.clock.now
        tmpl = pod.tmpl
        for c in pod.init_containers:
            if (c.state == "terminated" and c.exit_code == 0) or c.state == "running":
                continue
            c.state = "running"
            c.reason = ""
            c.message = ""
            c.started = now
            if c.name in tmpl.sidecars:
                c.ready = True
                continue
            if c.name in tmpl.oom:
                self._oom_kill(pod, c)
                return False
            c.state = "terminated"
            c.reason = "Completed"
            c.exit_code = 0
            c.finished = now
        pod.initialized = True
        return True

    def _start(self, pod: Pod) -> None:
        now = self.clock.now
        assert pod.containers is not None
        if not pod.initialized and not self._run_init_containers(pod):
            self._update_ready(pod)
            self.on_change(pod)
            return
        pod.phase = "Running"
        oom = pod.tmpl.oom
        for c in pod.containers:
            c.state = "running"
            c.reason = ""
            c.message = ""
            c.started = now
            self._running(pod, c)
        for c in pod.containers:
            if c.name in oom:
                self._oom_kill(pod, c)
        self._update_ready(pod)
        self.on_change(pod)
        duration = self.run_duration(pod)
        if duration is not None:
            self.clock.after(duration, self._complete, pod)

    def _update_ready(self, pod: Pod) -> None:
        containers = pod.containers or []
        ready = pod.phase == "Running" and all(c.ready for c in containers)
        if ready != pod.ready:
            pod.ready = ready
            pod.ready_time = self.clock.now
            pod.ready_since = self.clock.now if ready else None

    # -- OOM and CrashLoopBackOff (kubernetes.md §4.3) --------------------------------------------------
    def _oom_kill(self, pod: Pod, c: ContainerState) -> None:
        now = self.clock.now
        c.state = "terminated"
        c.reason = "OOMKilled"
        c.exit_code = OOM_EXIT_CODE
        c.finished = now + OOM_RUN_SECONDS
        c.ready = False
        if c.backoff_update is None or pod.tmpl.restart_policy == "Never":
            # No back-off entry yet: the same sync restarts the container at once (§4.3 "1st exit").
            self._sync_container(pod, c)
        else:
            # The kubelet notices the exit at its next relist; until then kubectl shows OOMKilled.
            self.clock.after(EXIT_SYNC_DELAY, self._sync_later, pod, c, c.restarts)

    def _sync_later(self, pod: Pod, c: ContainerState, restarts: int) -> None:
        if pod.deleted or c.restarts != restarts or c.state != "terminated" or pod.phase in TERMINAL:
            return
        self._sync_container(pod, c)
        self._update_ready(pod)
        self.on_change(pod)

    def _sync_container(self, pod: Pod, c: ContainerState, since: float | None = None) -> None:
        """The kubelet's pod sync for an exited container: restart, back off, or leave it (restartPolicy).

        ``since`` is the FinishedAt the back-off is measured from: the latest exited instance, which is
        ``c`` itself except right after a probe kill (then the one before it).
        """
        policy = pod.tmpl.restart_policy
        is_init = any(c is x for x in pod.init_containers)
        if is_init and policy == "Never":
            self._finish(pod, "Failed")  # a failed init container fails a pod that never restarts
            return
        if policy == "Never" or (policy == "OnFailure" and c.exit_code == 0):
            if pod.containers is not None and all(x.state == "terminated" for x in pod.containers):
                failed = any(x.exit_code != 0 for x in pod.containers)
                self._finish(pod, "Failed" if failed else "Succeeded")
            return
        now = self.clock.now
        finished = c.finished
        since = finished if since is None else since
        expired = c.backoff_update is not None and since - c.backoff_update > BACKOFF_RESET
        # ``now < finished + backoff``, not ``now - finished < backoff``: the retry is scheduled at exactly
        # ``finished + backoff`` and the subtraction can round below the back-off (e.g. 33.67 - 13.67 =
        # 19.999...), which re-entered back-off at the same instant forever with jittered lifecycle delays.
        if c.backoff_update is not None and not expired and now < since + c.backoff:
            pod_ref = f"{pod.name}_{pod.namespace}({pod.uid})"
            c.last = (c.reason, c.exit_code, c.started, c.finished)
            c.state = "waiting"
            c.reason = "CrashLoopBackOff"
            c.message = (
                f"back-off {go_duration(c.backoff)} restarting failed container={c.name} pod={pod_ref}"
            )
            self.recorder.record(
                pod.involved,
                "Warning",
                "BackOff",
                f"Back-off restarting failed container {c.name} in pod {pod_ref}",
                COMPONENT,
                field_path=f"spec.{'initContainers' if is_init else 'containers'}{{{c.name}}}",
            )
            self.clock.at(finished + c.backoff, self._retry, pod, c, c.restarts)
            return
        # Backoff.Next: a fresh (or expired) entry starts at 10 s, otherwise the delay doubles up to 5 min.
        if c.backoff_update is None or expired:
            c.backoff = INITIAL_CRASH_BACKOFF
        else:
            c.backoff = min(c.backoff * 2, MAX_CRASH_BACKOFF)
        c.backoff_update = now
        self._restart(pod, c)

    def _retry(self, pod: Pod, c: ContainerState, restarts: int) -> None:
        if pod.deleted or c.restarts != restarts or c.state != "waiting" or pod.phase in TERMINAL:
            return
        # Restore the exited state for the sync decision (the waiting state only hides it).
        assert c.last is not None
        c.reason, c.exit_code, c.started, c.finished = c.last
        self._sync_container(pod, c)
        self._update_ready(pod)
        self.on_change(pod)

    def _restart(self, pod: Pod, c: ContainerState) -> None:
        c.last = (c.reason, c.exit_code, c.started, c.finished)
        c.restarts += 1
        c.state = "running"
        c.reason = ""
        c.message = ""
        c.started = self.clock.now
        self._running(pod, c)
        if c.name in pod.tmpl.oom:
            self._oom_kill(pod, c)
        elif not pod.initialized and any(c is x for x in pod.init_containers):
            self._start(pod)  # the init container ran to completion this time: carry on

    # -- running containers: startup work, memory ramps, probes (probes.py) ------------------------------
    def _running(self, pod: Pod, c: ContainerState) -> None:
        """A container (re)started: when its app answers, whether it is ready yet, when its ramp OOMs."""
        tmpl = pod.tmpl
        now = self.clock.now
        work = tmpl.startup_work.get(c.name)
        c.app_ready_at = now
        if work is not None:
            amount, limit = work
            cores = limit if limit else (pod.node.alloc_cpu if pod.node is not None else 1000)
            c.app_ready_at = now + amount / max(cores, 1)
        probes = tmpl.probes.get(c.name)
        if probes:
            for w in pod.probers.get(c.name, ()):
                if not w.ticking:  # a settled worker resumes on its grid for the new container
                    w.ticking = True
                    self.clock.at(next_tick(w, now), self._probe_tick, pod, w)
            c.startup_done = "startup" not in probes
            c.ready = c.startup_done and "readiness" not in probes
            if c.startup_done and "readiness" in probes:
                # The PLEG relist sees the new container; that sync's status update probes readiness.
                self.clock.after(PLEG_RELIST, self._status_sync, pod, c, c.restarts)
        else:
            c.ready = True
        after = tmpl.ramp_oom.get(c.name)
        if after is not None:
            self.clock.after(after, self._ramp_oom, pod, c, c.restarts)

    def _ramp_oom(self, pod: Pod, c: ContainerState, restarts: int) -> None:
        if pod.deleted or c.restarts != restarts or c.state != "running" or pod.phase in TERMINAL:
            return
        self._oom_kill(pod, c)
        self._update_ready(pod)
        self.on_change(pod)

    def _add_probers(self, pod: Pod) -> None:
        """prober_manager.go AddPod: one worker per probe, ticking every period from now."""
        now = self.clock.now
        pod.probers = {}
        for name, probes in pod.tmpl.probes.items():
            workers = [Worker(spec, name, now) for spec in probes.values()]
            pod.probers[name] = workers
            for w in workers:
                w.ticking = True
                self.clock.after(w.spec.period, self._probe_tick, pod, w)

    def _probe_tick(self, pod: Pod, worker: Worker) -> None:
        if pod.deleted or pod.phase in TERMINAL:
            worker.ticking = False
            return  # the worker exits with its pod
        self._probe(pod, worker)
        c = next((x for x in pod.containers or () if x.name == worker.container), None)
        if c is not None and settled(worker, c, self.clock.now):
            worker.ticking = False
            return
        self.clock.after(worker.spec.period, self._probe_tick, pod, worker)

    def _status_sync(self, pod: Pod, c: ContainerState, restarts: int) -> None:
        """UpdatePodStatus: a started, unready container gets a readiness probe at once."""
        if pod.deleted or c.restarts != restarts or c.state != "running" or c.ready or not c.startup_done:
            return
        for w in pod.probers.get(c.name, ()):
            if w.spec.kind == "readiness":
                self._probe(pod, w)

    def _probe(self, pod: Pod, worker: Worker) -> None:
        """worker.go doProbe for one worker, and what the kubelet does with a changed result."""
        c = next((x for x in pod.containers or () if x.name == worker.container), None)
        if c is None or (c.state == "waiting" and c.reason in ("ContainerCreating", "PodInitializing")):
            return  # no container yet
        worker.observe(c)
        if worker.hold:
            return
        now = self.clock.now
        if c.state != "running":
            worker.result = FAILURE
            return
        if not eligible(worker, c, now):
            return
        outcome = SUCCESS if now >= c.app_ready_at else FAILURE
        kind = worker.spec.kind
        field_path = f"spec.containers{{{c.name}}}"
        if outcome == FAILURE:
            self.recorder.record(
                pod.involved,
                "Warning",
                "Unhealthy",
                f"{TYPE_NAMES[kind]} probe failed: {worker.spec.output(pod_ip(pod.uid))}",
                COMPONENT,
                field_path=field_path,
            )
        result = worker.record(outcome)
        if result is None:
            return
        if kind == "readiness":
            c.ready = result == SUCCESS
        elif result == FAILURE:
            self._probe_kill(pod, c, kind)
        elif kind == "startup" and not c.startup_done:
            c.startup_done = True
            readiness = [w for w in pod.probers.get(c.name, ()) if w.spec.kind == "readiness"]
            c.ready = not readiness
            for w in readiness:
                self._probe(pod, w)  # the status update's manual trigger
        else:
            return
        self._update_ready(pod)
        self.on_change(pod)

    def _probe_kill(self, pod: Pod, c: ContainerState, kind: str) -> None:
        """computePodActions + SyncPod: kill a container that failed its liveness/startup probe."""
        previous = c.last[3] if c.last is not None else None  # FinishedAt of the last exited instance
        restart = pod.tmpl.restart_policy != "Never"  # shouldRestartOnFailure
        message = f"Container {c.name} failed {kind} probe"
        if restart:
            message += ", will be restarted"
        self.recorder.record(
            pod.involved, "Normal", "Killing", message, COMPONENT, field_path=f"spec.containers{{{c.name}}}"
        )
        c.state = "terminated"
        c.reason = "Error"
        c.exit_code = PROBE_KILL_EXIT_CODE
        c.finished = self.clock.now
        c.ready = False
        if not restart or previous is None:
            # Never: the container stays down; otherwise no exited instance yet: doBackOff lets it start.
            if restart:
                self._restart(pod, c)
            else:
                self._sync_container(pod, c)
            return
        self._sync_container(pod, c, since=previous)

    # -- completion --------------------------------------------------------------------------------
    def _complete(self, pod: Pod) -> None:
        """A recorded Finished run ended: containers exit 0, the pod Succeeds (SimKube pod-complete)."""
        if pod.deleted or pod.phase != "Running":
            return
        now = self.clock.now
        for c in pod.containers or []:
            c.state = "terminated"
            c.reason = "Completed"
            c.exit_code = 0
            c.finished = now
            c.ready = False
            c.message = ""
        self._finish(pod, "Succeeded")

    def _finish(self, pod: Pod, phase: str) -> None:
        pod.phase = phase
        self._update_ready(pod)
        self.on_terminal(pod)
