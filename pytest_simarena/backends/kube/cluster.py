"""``KubeCluster``: the :class:`~pytest_simarena.backends.protocol.ClusterBackend` on a real cluster.

Modes (``mode=`` or ``$SIMARENA_KUBE_MODE``; default ``simkube``):

- ``simkube``: ``start`` takes the SimKube lock (one simulation at a time per cluster, across xdist
  workers), delivers the trace where the driver reads it, creates a Simulation with
  ``virtualNsPrefix=<prefix>``, waits for state Running and for the driver to have created the trace's
  namespaces (that moment is time 0); ``cleanup`` deletes the Simulation (SimKube's garbage collection
  removes the simulated objects) and waits for the virtual namespaces to go.
- ``direct``: ``start`` creates the ``<prefix>-<ns>`` namespaces (labelled, marked as ours) and applies
  the first event's rewritten objects; ``advance`` applies later events on time; ``cleanup`` deletes this
  run's labelled objects and its namespaces when they hold nothing else (cleanup.py, issue 10).

Both modes refuse a prefix that another live run holds (its objects carry another run id): ``prepare``
removes only the leftovers of runs proven gone (this host, process ended), and says how to clean up after
any other. A target namespace that exists and is not this run's is refused before anything is written.

Time is wall time: ``advance(120)`` takes two minutes, by design (that is what a real cluster costs; the
embedded backend exists to avoid it). Constructing a KubeCluster runs the preflight checks (``check=True``,
the start of a test session): an unreachable or unready cluster is a :class:`BackendUnavailable` at once,
naming the first failed check and its fix (the pytest plugin skips with that reason).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_simarena.backends.protocol import ClusterSnapshot, HookStage, PreflightCheck
from pytest_simarena.errors import BackendError, BackendUnavailable

from . import simulation as sim
from .api import KubeApi
from .cleanup import cleanup_run, other_runs, select_for_cleanup, with_owned
from .config import connect
from .direct import (
    DirectReplay,
    claim_namespace,
    namespaces_of,
    plan,
    prefix_in_use,
    refuse_cluster_scoped,
    split_api_version,
)
from .labels import check_prefix, new_run_id, our_labels, run_is_gone, run_labels, selector, simulation_name
from .preflight import MODES, run_checks
from .waits import FileLock, lock_path, poll_until, sleep_until

if TYPE_CHECKING:
    from pytest_simarena.trace.model import Trace

Obj = dict[str, Any]
Hook = Callable[[Any, HookStage], None]

OBSERVED_KINDS: tuple[tuple[str, str], ...] = (
    ("apps/v1", "Deployment"),
    ("apps/v1", "ReplicaSet"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
)


def _name_key(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace", "")), str(meta.get("name", "")))


def delivery_from_env(environ: Mapping[str, str]) -> sim.TraceDelivery:
    """Trace delivery configured by ``SIMARENA_TRACE_DIR``, ``SIMARENA_NODE_TRACE_DIR``,
    ``SIMARENA_TRACE_URL`` and ``SIMARENA_TRACE_UPLOAD`` (defaults match scripts/kind-up.sh)."""
    default = sim.TraceDelivery()
    return sim.TraceDelivery(
        host_dir=Path(environ.get("SIMARENA_TRACE_DIR") or default.host_dir),
        node_dir=environ.get("SIMARENA_NODE_TRACE_DIR") or default.node_dir,
        base_url=environ.get("SIMARENA_TRACE_URL") or None,
        upload=environ.get("SIMARENA_TRACE_UPLOAD") or None,
    )


def settings_from_env(environ: Mapping[str, str]) -> sim.SimulationSettings:
    """Simulation settings from ``SIMARENA_SK_DRIVER_IMAGE``, ``SIMARENA_SK_DRIVER_NAMESPACE`` and
    ``SIMARENA_SK_DRIVER_SECRETS`` (comma-separated), for users who select the backend by name."""
    base = sim.SimulationSettings()
    secrets = tuple(s.strip() for s in environ.get("SIMARENA_SK_DRIVER_SECRETS", "").split(",") if s.strip())
    return replace(
        base,
        driver_image=environ.get("SIMARENA_SK_DRIVER_IMAGE") or base.driver_image,
        driver_namespace=environ.get("SIMARENA_SK_DRIVER_NAMESPACE") or base.driver_namespace,
        driver_secrets=secrets or base.driver_secrets,
    )


@dataclass
class _Run:
    """What one started trace left us to track."""

    prefix: str
    namespaces: list[str]
    t0: float
    replay: DirectReplay | None = None
    simulation: str | None = None
    trace_file: Path | None = None
    kinds: set[tuple[str, str]] = field(default_factory=set)


class KubeCluster:
    """A real cluster driven through the official Kubernetes client (see the module docstring)."""

    name = "kube"

    def __init__(
        self,
        *,
        kubeconfig: str | os.PathLike[str] | None = None,
        context: str | None = None,
        mode: str | None = None,
        seed: int = 0,  # accepted for parity with the embedded backend; a real cluster has no seed
        hooks: Mapping[HookStage, Sequence[Hook]] | None = None,
        run_id: str | None = None,
        timeout: tuple[float, float] = (3.0, 30.0),
        ready_timeout: float = 300.0,
        cleanup_timeout: float = 180.0,
        settings: sim.SimulationSettings | None = None,
        delivery: sim.TraceDelivery | None = None,
        lock_dir: str | os.PathLike[str] | None = None,
        lock_timeout: float = 3600.0,
        node_selector: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> None:
        env = os.environ if environ is None else environ
        chosen = mode or env.get("SIMARENA_KUBE_MODE") or "simkube"
        if chosen not in MODES:
            raise BackendError(f"kube mode {chosen!r}: expected one of {', '.join(MODES)}")
        self.mode = chosen
        self.seed = seed
        self.hooks = {stage: list(fns) for stage, fns in (hooks or {}).items()}
        self.run_id = run_id or new_run_id()
        self.ready_timeout = ready_timeout
        self.cleanup_timeout = cleanup_timeout
        self.settings = settings or settings_from_env(env)
        self.delivery = delivery or delivery_from_env(env)
        self.node_selector = dict(node_selector or {"type": "virtual"})
        self._runs: dict[str, _Run] = {}
        conn = connect(kubeconfig, context, environ=env)
        self.api = KubeApi(conn, timeout=timeout)
        try:
            self.version = self.api.request("GET", "/version", "get /version") or {}
            if check:
                self._require_ready()
        except BackendError:
            self.api.close()
            raise
        self._lock = FileLock(lock_path(conn.server, lock_dir), timeout=lock_timeout)

    def _require_ready(self) -> None:
        """Preflight at construction (the start of a test session): BackendUnavailable naming what fails."""
        failed = [c for c in self.preflight() if not c.ok]
        if failed:
            first = failed[0]
            more = f" (and {len(failed) - 1} more failed checks)" if len(failed) > 1 else ""
            fix = f"; fix: {first.fix}" if first.fix else ""
            raise BackendUnavailable(
                f"cluster {self.api.server} is not ready for {self.mode} mode: "
                f"{first.name}: {first.message}{fix}{more} (see: simarena preflight --mode {self.mode})"
            )

    # ------------------------------------------------------------------------------------ protocol

    def preflight(self) -> list[PreflightCheck]:
        return run_checks(self.api, self.mode, self.settings).checks

    def run_hooks(self, stage: HookStage) -> None:
        for hook in self.hooks.get(stage, []):
            hook(self, stage)

    def prepare(self, prefix: str) -> None:
        """Remove what an earlier run of ``prefix`` left, if it is this run's or a run proven gone.

        Another run's objects of the prefix that cannot be proven stale make this a BackendError naming
        that run (two sessions with one prefix must not clean up each other).
        """
        check_prefix(prefix)
        self._clear_stale_runs(prefix)
        if self.mode == "simkube":
            self._delete_simulations(prefix, self.run_id, wait=True)
        else:
            cleanup_run(self.api, prefix, self.run_id, delete_namespaces=False, timeout=self.cleanup_timeout)

    def _clear_stale_runs(self, prefix: str) -> None:
        kinds = [(sim.API_VERSION, sim.KIND)] if self.mode == "simkube" else []
        for run, example in sorted(other_runs(self.api, prefix, self.run_id, kinds).items()):
            if not run_is_gone(run):
                raise prefix_in_use(prefix, run, f"it has {example}", self.mode)
            if self.mode == "simkube":
                self._delete_simulations(prefix, run, wait=True)
            cleanup_run(self.api, prefix, run, timeout=self.cleanup_timeout)

    def start(self, trace: Trace, prefix: str, *, speed: float = 1.0) -> None:
        check_prefix(prefix)
        if prefix in self._runs:
            raise BackendError(f"prefix {prefix!r} is already running; clean it up before starting again")
        labels = our_labels(self.run_id, prefix)
        events = plan(trace, prefix, labels, speed=speed)
        namespaces = namespaces_of(events)
        kinds = {split_api_version(f"{o['apiVersion']}.{o['kind']}") for e in events for o in e.applied}
        self._clear_stale_runs(prefix)
        if self.mode == "direct":
            refuse_cluster_scoped(self.api, events, f"trace {trace.path}" if trace.path else "the trace")
            for ns in namespaces:
                claim_namespace(self.api, ns, labels, timeout=self.cleanup_timeout)
            replay = DirectReplay(self.api, events, labels)
            run = _Run(prefix, namespaces, time.monotonic(), replay=replay, kinds=kinds)
            self._runs[prefix] = run
            replay.run_due(0.0)
            return
        self._refuse_existing_namespaces(namespaces)
        self._start_simulation(trace, prefix, labels, speed, namespaces, events[0].applied if events else ())

    def _refuse_existing_namespaces(self, namespaces: Sequence[str]) -> None:
        """simkube mode: SimKube's driver applies into ``<prefix>-<ns>`` and its garbage collection deletes
        those namespaces with everything in them, so none may exist before the Simulation starts."""
        for ns in namespaces:
            if self.api.get("v1", "Namespace", ns) is not None:
                raise BackendError(
                    f"namespace {ns} already exists: SimKube's driver would apply the trace into it and its "
                    "garbage collection would delete it with everything in it when the Simulation ends; use "
                    f"another prefix, or if nothing in it is needed: kubectl delete namespace {ns}"
                )

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise BackendError(f"advance({seconds!r}): time only moves forward")
        deadline = time.monotonic() + seconds
        for run in self._runs.values():
            if run.replay is None:
                continue
            while True:
                run.replay.run_due(time.monotonic() - run.t0)
                nxt = run.replay.next_offset()
                if nxt is None or run.t0 + nxt > deadline:
                    break
                sleep_until(run.t0 + nxt)
        sleep_until(deadline)
        for run in self._runs.values():
            if run.simulation is not None:
                state = sim.simulation_state(self.api.get(sim.API_VERSION, sim.KIND, run.simulation))
                if state.terminal:  # Failed, or Finished (its objects are gone), or deleted under us
                    raise BackendError(
                        f"Simulation {run.simulation} ended during the step: {state.describe()}"
                    )

    def observe(self, prefix: str) -> ClusterSnapshot:
        run = self._runs.get(prefix)
        namespaces = run.namespaces if run is not None else self._namespaces_named(prefix)
        pods: list[Obj] = []
        workloads: list[Obj] = []
        events: list[Obj] = []
        for ns in namespaces:
            found = self.api.list("v1", "Pod", ns)
            for api_version, kind in OBSERVED_KINDS:
                found.extend(self.api.list_if_served(api_version, kind, ns))
            if self.mode == "direct":
                # Only what this run made (and what it owns, like a CronJob's Jobs): a user's objects in
                # our namespaces are not part of the replay.
                found = [dict(o) for o in with_owned(found, prefix, self.run_id)]
            pods.extend(o for o in found if o.get("kind") == "Pod")
            workloads.extend(o for o in found if o.get("kind") != "Pod")
            events.extend(self.api.list("v1", "Event", ns))
        nodes = self.virtual_nodes()
        now = time.monotonic() - run.t0 if run is not None else 0.0
        return ClusterSnapshot(
            time=round(now, 3),
            prefix=prefix,
            nodes=nodes,
            pods=sorted(pods, key=_name_key),
            workloads=sorted(workloads, key=lambda o: (str(o.get("kind")), *_name_key(o))),
            events=events,
        )

    def cleanup(self, prefix: str) -> None:
        run = self._runs.pop(prefix, None)
        try:
            if self.mode == "simkube":
                self._delete_simulations(prefix, self.run_id, wait=True)
                gone = run.namespaces if run is not None else self._namespaces_named(prefix)
                self._wait_namespaces_gone(
                    gone, "SimKube's garbage collection after the Simulation's deletion"
                )
                if run is not None and run.trace_file is not None:
                    with contextlib.suppress(OSError):
                        run.trace_file.unlink()
            else:
                extra = sorted(run.kinds) if run is not None else []
                cleanup_run(self.api, prefix, self.run_id, extra_kinds=extra, timeout=self.cleanup_timeout)
        finally:
            if self.mode == "simkube" and not any(r.simulation for r in self._runs.values()):
                self._lock.release()

    def close(self) -> None:
        self._lock.release()
        self.api.close()

    def virtual_nodes(self) -> list[Obj]:
        """The nodes simulated pods may use (``node_selector``, default ``type=virtual``), sorted by name."""
        return sorted(self.api.list("v1", "Node", label_selector=selector(self.node_selector)), key=_name_key)

    # ------------------------------------------------------------------------------------- simkube

    def _start_simulation(
        self,
        trace: Trace,
        prefix: str,
        labels: Mapping[str, str],
        speed: float,
        namespaces: list[str],
        first_objects: Sequence[Obj],
    ) -> None:
        from pytest_simarena.trace import dumps

        name = simulation_name(prefix, self.run_id)
        span = 0.0
        if trace.events:
            span = (float(trace.events[-1].get("ts", 0)) - float(trace.events[0].get("ts", 0))) / speed
        # The driver deletes every simulated object when the replay ends: keep it going past any step.
        settings = replace(
            self.settings, speed=speed, duration_seconds=max(self.settings.duration_seconds, span + 300.0)
        )
        self._lock.acquire()
        run = _Run(prefix, namespaces, 0.0, simulation=name)
        self._runs[prefix] = run
        try:
            file_name = f"{name}.sktrace"
            url = self.delivery.deliver(dumps(trace), file_name)
            run.trace_file = self.delivery.host_dir / file_name
            self.api.create(sim.simulation_body(name, url, prefix, labels, settings))
            poll_until(
                lambda: sim.simulation_state(self.api.get(sim.API_VERSION, sim.KIND, name)),
                lambda s: s.running or s.terminal,
                awaited=f"Simulation {name} to reach state Running",
                timeout=self.ready_timeout,
                interval=2.0,
                describe=lambda s: s.describe(),
            )
            state = sim.simulation_state(self.api.get(sim.API_VERSION, sim.KIND, name))
            if not state.running:
                raise BackendError(f"Simulation {name} did not start: {state.describe()}")
            expected = sorted({str(o["metadata"]["namespace"]) for o in first_objects})
            # The driver sleeps 5 s after its webhook starts, then applies the first event (simkube.md §3.4).
            poll_until(
                lambda: [ns for ns in expected if self.api.get("v1", "Namespace", ns) is None],
                lambda missing: not missing,
                awaited=f"the driver of {name} to create namespaces {', '.join(expected)}",
                timeout=self.ready_timeout,
                describe=lambda missing: f"missing: {', '.join(missing)}",
            )
            run.t0 = time.monotonic()
        except BaseException:
            self._runs.pop(prefix, None)
            with contextlib.suppress(BackendError):
                self._delete_simulations(prefix, self.run_id, wait=False)
            self._lock.release()
            raise

    def _delete_simulations(self, prefix: str, run_id: str, *, wait: bool) -> None:
        """Delete the Simulations of run ``run_id`` of ``prefix`` (labels re-checked, uid preconditions)."""
        sel = selector(run_labels(run_id, prefix))
        mine = select_for_cleanup(
            self.api.list(sim.API_VERSION, sim.KIND, label_selector=sel), prefix, run_id
        )
        names = []
        for found in mine:
            meta = found.get("metadata") or {}
            name, uid = str(meta.get("name") or ""), str(meta.get("uid") or "")
            if (
                self.api.delete(sim.API_VERSION, sim.KIND, name, uid=uid, propagation="Foreground")
                != "replaced"
            ):
                names.append(name)
        if wait and names:
            poll_until(
                lambda: [n for n in names if self.api.get(sim.API_VERSION, sim.KIND, n) is not None],
                lambda left: not left,
                awaited=f"Simulation(s) {', '.join(names)} to be deleted",
                timeout=self.cleanup_timeout,
                describe=lambda left: f"still present: {', '.join(left)}",
            )

    def _namespaces_named(self, prefix: str) -> list[str]:
        start = f"{prefix}-"
        names = [str((n.get("metadata") or {}).get("name")) for n in self.api.list("v1", "Namespace")]
        return sorted(n for n in names if n.startswith(start))

    def _wait_namespaces_gone(self, namespaces: Sequence[str], why: str) -> None:
        if not namespaces:
            return
        poll_until(
            lambda: [n for n in namespaces if self.api.get("v1", "Namespace", n) is not None],
            lambda left: not left,
            awaited=f"namespaces {', '.join(namespaces)} to disappear ({why})",
            timeout=self.cleanup_timeout,
            interval=2.0,
            describe=lambda left: f"still present: {', '.join(left)}",
        )
