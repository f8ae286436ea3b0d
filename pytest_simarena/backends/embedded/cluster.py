"""EmbeddedCluster: the deterministic in-process Kubernetes, composing clock, scheduler, controllers, kubelet.

    from pytest_simarena.backends.embedded import EmbeddedCluster
    cluster = EmbeddedCluster(seed=1)          # 3 KWOK nodes of 16 cpu / 32Gi
    cluster.start(trace)                       # objects land in virtual-<ns>
    cluster.run(120)                           # simulated seconds, no sleeping
    snapshot = cluster.observe("virtual")      # API-shaped pods, workloads, events, nodes

Same seed, same trace, same spec -> the same ``event_log`` and the same observations.
"""

from __future__ import annotations

import gc
import hashlib
import inspect
import json
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_simarena.backends.protocol import (
    DEFAULT_PREFIX,
    HOOK_STAGES,
    ClusterSnapshot,
    Hook,
    HookStage,
    PreflightCheck,
)
from pytest_simarena.bounded import BoundedDict
from pytest_simarena.errors import BackendError, SimArenaError
from pytest_simarena.quantities import parse_cpu, parse_memory
from pytest_simarena.trace.model import gvk_of
from pytest_simarena.trace.virtualize import build_virtual_obj, clone

from .admission import ANNOTATION_KEY, POLICY_KINDS, Admission, Forbidden, forbidden_message
from .clock import Clock
from .controllers import ReplicaSet, Workload
from .deployment import Deployment
from .events import EventRecorder
from .fastpath import COUNTING, RngMark, fast_replay, fast_step
from .jobs import CronJob, Job
from .lifecycle import Kubelet, LifecycleParams
from .memo import REPLAYS
from .pods import InvalidObject, Pod, PodTemplate, UnsupportedKind, shared_template
from .priority import PriorityClass, PriorityClasses
from .replay import Replay, trace_origin
from .scheduler import DISRUPTION_MESSAGE, Scheduler, _shape_key
from .spec import KWOK_LABELS, KWOK_TAINT, ClusterSpec, Node, parse_taint
from .statefulset import StatefulSet

if TYPE_CHECKING:
    from pytest_simarena.trace.model import Trace

Obj = dict[str, Any]

WORKLOAD_KINDS: dict[str, type[Workload]] = {
    "Deployment": Deployment,
    "ReplicaSet": ReplicaSet,
    "StatefulSet": StatefulSet,
    "Job": Job,
    "CronJob": CronJob,
}
SUPPORTED_KINDS = (*WORKLOAD_KINDS, "Pod", "PriorityClass", *POLICY_KINDS)
MAX_EPOCH = 253_402_300_799 - 10 * 366 * 86_400  # 9999-12-31T23:59:59Z, less ten years of simulated time


class _cyclic_gc_paused:  # lower case: it replaced a @contextmanager function of that name
    """Pause CPython's cyclic garbage collector while the simulation loop runs.

    A big run allocates hundreds of thousands of long-lived objects (pods, events); each full collection
    walks all of them, which makes the run superlinear (100k pods took 1.8x the time per pod of 1k). The
    loop creates almost no reference cycles, so nothing piles up; reference counting still frees memory.
    (A class, not @contextmanager: entered twice per episode step, the generator machinery showed.)
    """

    __slots__ = ("_was_enabled",)

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        if self._was_enabled:
            gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._was_enabled:
            gc.enable()


def _trace_key(trace: Trace) -> str:
    from pytest_simarena.trace.io import dumps

    return hashlib.sha256(dumps(trace)).hexdigest()


_CUSTOMIZED: dict[type, bool] = {}
# The generator's state of a pristine cluster, by (type of the seed, seed, node count): see _build_state.
_PRISTINE_RNG: BoundedDict[tuple[type, Any, int], tuple[Any, ...]] = BoundedDict(256)
# ClusterSpec.default(), built once: a ClusterSpec is frozen, and its node prototypes are parsed once per
# spec (a cluster built per episode, as users do, no longer parses and validates the default each time).
_DEFAULT_SPEC: list[ClusterSpec] = []


def _default_spec() -> ClusterSpec:
    if not _DEFAULT_SPEC:
        _DEFAULT_SPEC.append(ClusterSpec.default())
    return _DEFAULT_SPEC[0]


def _customized(cls: type[EmbeddedCluster]) -> bool:
    """Whether a subclass changes how a replay runs (then it runs, never the fast path)."""
    found = _CUSTOMIZED.get(cls)
    if found is None:
        names = ("prepare", "start", "advance", "run", "observe", "cleanup", "apply_virtual", "new_pod")
        found = _CUSTOMIZED[cls] = any(getattr(cls, n) is not getattr(EmbeddedCluster, n) for n in names)
    return found


class _Wiring:
    """What the cluster's components call back (a pod bound, changed or terminal, a preemption victim,
    a namespace's pods), through a weak reference to the cluster.

    Components holding bound methods of the cluster made every cluster cyclic garbage: one built per
    episode, as users do, was freed only by the cyclic collector, with everything it held (a reused
    cluster keeps each fast step's shadow replay). With this one weak edge a cluster is freed by reference
    counting when its last user lets go. Copies and pickles carry the cluster (``__reduce__``): a copied
    cluster's components call back the copy.
    """

    __slots__ = ("__weakref__", "_cluster")

    def __init__(self, cluster: EmbeddedCluster) -> None:
        self._cluster: Callable[[], EmbeddedCluster | None] = weakref.ref(cluster)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Wiring, (self._cluster(),))

    def _live(self) -> EmbeddedCluster:
        cluster = self._cluster()
        if cluster is None:  # a component outlived its cluster (kept by a caller) and was driven on
            raise SimArenaError("this EmbeddedCluster is gone (a component of it was used after it)")
        return cluster

    def on_bound(self, pod: Pod) -> None:
        self._live()._on_bound(pod)

    def preempted(self, victim: Pod) -> None:
        self._live()._preempted(victim)

    def on_pod_change(self, pod: Pod) -> None:
        self._live()._on_pod_change(pod)

    def on_pod_terminal(self, pod: Pod) -> None:
        self._live()._on_pod_terminal(pod)

    def run_duration(self, pod: Pod) -> float | None:
        return self._live()._run_duration(pod)

    def pods_in(self, namespace: str) -> Any:
        return self._live().pods.get(namespace, {}).values()


def _untie(scheduler: Scheduler) -> None:
    """Drop a discarded scheduler's back-references from its nodes to their bucket and shape.

    A node sits in a list of its shape's buckets and refers to that list and to the shape, which refers
    to a node: cycles. Untied when the scheduler is discarded (the cluster freed, or an isolated
    cluster's state rebuilt), the nodes and the rest are freed by reference counting with it instead of
    waiting for the cyclic collector. (A node is only read for its name afterwards: a fast step's shadow
    replay and the fast path's per-scheduler index keep some.)
    """
    for node in scheduler.nodes.values():
        node.bucket = None
        node.shape = None


# Guard against a controller bug turning into an endless loop within one simulated instant.
MAX_RECONCILE_ROUNDS = 10_000


class EmbeddedCluster:
    """A simulated cluster implementing :class:`~pytest_simarena.backends.protocol.ClusterBackend`.

    Args:
        spec: the nodes (default :meth:`ClusterSpec.default`: 3 KWOK nodes, 16 cpu / 32Gi / 110 pods).
        seed: seeds the one RNG behind every random choice (names, uids, tie-breaks, jitter).
        lifecycle: SimKube ``lifecycleParams`` (a mapping in milliseconds or a LifecycleParams).
        isolated: every :meth:`run_trace` replays on the pristine seeded cluster (clock, RNG and nodes as
            built), so its outcome depends on the trace alone and repeats are served from a memo. The
            default reuses the cluster: a later run continues its clock and RNG (other pod names).
    """

    name = "embedded"
    # Isolated replays of the shapes backends/embedded/fastpath.py covers are computed, not simulated.
    fast = True

    def __init__(
        self,
        spec: ClusterSpec | None = None,
        *,
        seed: int = 0,
        lifecycle: LifecycleParams | Mapping[str, Any] | None = None,
        isolated: bool = False,
    ) -> None:
        self.spec = spec if spec is not None else _default_spec()
        if not isinstance(self.spec, ClusterSpec):
            raise SimArenaError(f"spec: expected a ClusterSpec, got {type(self.spec).__name__}")
        self.seed = seed
        self.isolated = isolated
        self._lifecycle = LifecycleParams.of(lifecycle)
        # What a fresh cluster like this one is built from (a fast step's shadow replay builds one).
        self.facts = (type(self), self.spec, seed, self._lifecycle)
        self._hooks: dict[str, list[Hook]] = {stage: [] for stage in HOOK_STAGES}
        self._closed = False
        self._wiring = _Wiring(self)
        self._build_state()
        self._state_key: tuple[str, int, str] | None = None  # see _memo_state

    def _build_state(self) -> None:
        """The pristine seeded cluster: clock, RNG, nodes, empty object store (hooks are kept)."""
        old = self.__dict__.get("scheduler")
        if old is not None:
            _untie(old)
        self.clock = Clock(seed=self.seed)
        self.recorder = EventRecorder(self.clock)
        # The components call back through a mediator with a weak edge to this cluster (see _Wiring).
        wiring = self._wiring
        self.scheduler = Scheduler(self.clock, self.recorder, wiring.on_bound, self.spec.kubernetes_version)
        self.scheduler.evict = wiring.preempted
        self.priorities = PriorityClasses()
        self.kubelet = Kubelet(
            self.clock,
            self.recorder,
            self._lifecycle,
            on_change=wiring.on_pod_change,
            on_terminal=wiring.on_pod_terminal,
            run_duration=wiring.run_duration,
        )
        self.pods: dict[str, dict[str, Pod]] = {}
        self.admission = Admission(self.clock, wiring.pods_in)
        self.workloads: dict[tuple[str, str, str], Workload] = {}
        self.replays: dict[str, Replay] = {}
        self._replay_of_root: dict[tuple[str, ...], Replay] = {}
        self._seq: dict[tuple[str, ...], int] = {}
        self._dirty: dict[int, Workload] = {}
        self._reconcile_queued = False
        self._used = False
        for proto in self.spec.prototypes():
            if proto.shape_key is None:
                proto.shape_key = _shape_key(proto)  # computed once per spec, shared by every cluster
            self.scheduler.add_node(proto.fresh_copy(self.clock.uid()))
        self._pristine = True
        clock = self.clock
        rng = clock.rng
        seed = self.seed
        # Where a fast replay's draws start: a pure function of the seed and the node count (Random(seed),
        # then one uid per node), so noted once per (seed, nodes) and not copied per cluster (~15 us).
        key = (type(seed), seed, len(self.scheduler.nodes)) if type(seed) in (int, str) else None
        state = _PRISTINE_RNG.get(key) if key is not None else None
        if state is None:
            state = rng.getstate()
            if key is not None:
                _PRISTINE_RNG[key] = state
        self.pristine_rng = state
        if COUNTING:
            # The first fast step of a reused cluster starts from this noted state without copying the
            # generator's; anything else that reaches for the generator puts the real one back (RngMark).
            mark: Any = RngMark(clock, rng, state, 0)  # (stands in for the Random)
            clock.rng = mark

    def __del__(self) -> None:
        scheduler = self.__dict__.get("scheduler")
        if scheduler is not None:
            _untie(scheduler)

    # -- ClusterBackend ------------------------------------------------------------------------------
    def preflight(self) -> list[PreflightCheck]:
        """Nothing external is needed; the check reports the simulated capacity."""
        nodes = list(self.scheduler.nodes.values())
        cpu = sum(n.alloc_cpu for n in nodes) // 1000
        mem = sum(n.alloc_mem for n in nodes) // 2**30
        return [
            PreflightCheck(
                "embedded cluster",
                True,
                f"in-process simulator with {len(nodes)} node(s), {cpu} cpu, {mem}Gi",
            )
        ]

    def add_hook(self, stage: HookStage, fn: Hook) -> None:
        """Register ``fn(cluster, stage)`` to run at ``stage`` (pre_start, pre_run, post_run, post_stop)."""
        if stage not in self._hooks:
            raise SimArenaError(f"unknown hook stage {stage!r} (known: {', '.join(HOOK_STAGES)})")
        self._hooks[stage].append(fn)

    def run_hooks(self, stage: HookStage) -> None:
        if stage not in self._hooks:
            raise SimArenaError(f"unknown hook stage {stage!r} (known: {', '.join(HOOK_STAGES)})")
        for fn in self._hooks[stage]:
            fn(self, stage)

    def prepare(self, prefix: str) -> None:
        """Remove what an earlier run under ``prefix`` created (idempotent)."""
        self.cleanup(prefix)

    def start(self, trace: Trace | str | Path, prefix: str = DEFAULT_PREFIX, *, speed: float = 1.0) -> None:
        """Schedule ``trace``'s events at ``(ts - first ts) / speed`` from now, into ``<prefix>-<ns>``."""
        self._pristine = False
        self._check_open()
        if isinstance(trace, str | Path):
            from pytest_simarena.trace.io import load_trace

            trace = load_trace(trace)
        if prefix in self.replays and self.replays[prefix].active:
            raise SimArenaError(
                f"prefix {prefix!r} is already replaying a trace; call cleanup({prefix!r}) first"
            )
        self.adopt_epoch(trace)
        replay = Replay(self, trace, prefix, speed)
        self.replays[prefix] = replay

    def adopt_epoch(self, trace: Trace) -> None:
        """The first replay on a fresh cluster sets the simulated epoch; the cluster is then in use."""
        if not self._used and self.clock.now == 0:
            # The simulated epoch is the trace's first timestamp, so event times read like the recording.
            origin = trace_origin(trace)
            if origin > MAX_EPOCH:
                # Found by fuzzing: RFC 3339 (metav1.Time) has four-digit years, so no object could carry it.
                raise SimArenaError(
                    f"{trace.path or 'trace'}: events[0]: ts: {origin} is after the year 9999; Kubernetes "
                    "timestamps cannot express it"
                )
            if origin > 0:
                self.clock.set_epoch(origin)
        self._used = True

    def advance(self, seconds: float) -> None:
        self.run(seconds)

    def observe(self, prefix: str | None = DEFAULT_PREFIX) -> ClusterSnapshot:
        """API-shaped nodes, pods, workloads and events of the run under ``prefix`` (None: everything).

        The dicts are built fresh for each call but may share read-only parts (pod specs) between pods.
        """
        namespaces = self._namespaces(prefix)
        clock = self.clock
        nsset = set(namespaces)
        with _cyclic_gc_paused():  # a big snapshot is many long-lived dicts (see _cyclic_gc_paused)
            pods = [p.to_api(clock) for ns in namespaces for p in self.pods.get(ns, {}).values()]
            workloads = [w.to_api() for w in self.workloads.values() if w.namespace in nsset]
            events = [e.to_api(clock) for e in self.recorder.events_in(namespaces)]
            nodes = [n.to_api(clock) for n in self.scheduler.nodes.values()]
        replay = self.replays.get(prefix) if prefix is not None else None
        time = clock.now - replay.start if replay is not None else clock.now
        return ClusterSnapshot(
            time=time, prefix=prefix or "", nodes=nodes, pods=pods, workloads=workloads, events=events
        )

    def run_trace(
        self,
        trace: Trace,
        prefix: str = DEFAULT_PREFIX,
        seconds: float = 120.0,
        *,
        key: str | None = None,
        cleanup: bool = False,
    ) -> ClusterSnapshot:
        """One replay as an episode step does it: prepare, pre_start/pre_run hooks, start, run, observe.

        ``cleanup=True`` promises that the caller calls :meth:`cleanup` (``prefix``) right after reading
        the snapshot, as an episode step does: a covered replay on a reused cluster is then computed by
        the fast path (backends/embedded/fastpath.py), leaving the cluster as that cleanup would.

        On an isolated cluster the replay starts from the pristine seeded state and, when no hook is
        registered, repeats are served from the replay memo keyed by the trace's bytes (``key``: their
        sha256, computed when not given); afterwards the cluster is pristine again with the run's lines in
        :attr:`event_log`. Otherwise the objects stay until :meth:`cleanup`, as after :meth:`start`.
        """
        self._check_open()
        if not self.isolated:
            if cleanup and self.fast and not _customized(type(self)):
                stepped = fast_step(self, trace, prefix, seconds, key)
                if stepped is not None:
                    return stepped
            self.prepare(prefix)
            self.run_hooks("pre_start")
            self.run_hooks("pre_run")
            self.start(trace, prefix)
            self.advance(seconds)
            return self.observe(prefix)
        memo_key = None
        if not any(self._hooks.values()):
            memo_key = (self._memo_state(), key or _trace_key(trace), prefix, float(seconds))
            found = REPLAYS.get(memo_key)
            if found is not None:
                memo_snapshot, log = found
                self._to_pristine()
                self.recorder.restore_log(log)
                return memo_snapshot
            if self.fast and not _customized(type(self)):
                self._to_pristine()
                fast = fast_replay(self, trace, prefix, seconds, memo_key)
                if fast is not None:
                    return fast
        self._to_pristine()
        self.recorder.restore_log(())
        self._pristine = False  # hooks may change the cluster too
        self.run_hooks("pre_start")
        self.run_hooks("pre_run")
        self.start(trace, prefix)
        self.advance(seconds)
        snapshot: ClusterSnapshot = self.observe(prefix)
        log = tuple(self.recorder.log)
        if memo_key is not None:
            # The caller gets the memo's view, so the first replay and its repeats are alike.
            snapshot = REPLAYS.put(memo_key, snapshot, log) or snapshot
        self._to_pristine()
        self.recorder.restore_log(log)
        return snapshot

    def _memo_state(self) -> tuple[str, int, str]:
        """What an isolated run's outcome is a function of, besides the trace, prefix and duration."""
        if self._state_key is None:
            spec = json.dumps(self.spec.to_dict(), sort_keys=True, default=repr)
            self._state_key = (spec, self.seed, repr(self._lifecycle))
        return self._state_key

    def _to_pristine(self) -> None:
        if not self._pristine:
            self._build_state()

    def cleanup(self, prefix: str) -> None:
        """Delete every object under ``prefix`` (and its events); stop its replay. Idempotent."""
        if (
            not self.pods
            and not self.workloads
            and prefix not in self.replays
            and not self._replay_of_root
            and not self.priorities.classes
            and not self.recorder._by_namespace  # (namespaces(), without its list copy)
            # (namespaces() builds its lists: asked only when a store exists at all)
            and not ((self.admission.limit_ranges or self.admission.quotas) and self.admission.namespaces())
        ):
            return  # nothing anywhere (after a fast step, say): the steps below would change nothing
        replay = self.replays.pop(prefix, None)
        if replay is not None:
            replay.active = False
        namespaces = self._namespaces(prefix)
        nsset = set(namespaces)
        for workload in [w for w in self.workloads.values() if w.namespace in nsset and w.owner is None]:
            self.delete_workload(workload)
        for workload in [w for w in self.workloads.values() if w.namespace in nsset]:
            self.delete_workload(workload)
        for ns in namespaces:
            for pod in list(self.pods.get(ns, {}).values()):
                self.delete_pod(pod)
            self.pods.pop(ns, None)
            self.admission.drop_namespace(ns)
            self.recorder.drop_namespace(ns)
        self.priorities.drop_prefix(prefix)
        self._replay_of_root = {k: r for k, r in self._replay_of_root.items() if r.active}

    def close(self) -> None:
        self._closed = True
        for replay in self.replays.values():
            replay.active = False

    # -- time ---------------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """Simulated seconds since the cluster was created."""
        return self.clock.now

    @property
    def event_log(self) -> list[str]:
        """Every recorded event occurrence and rejection, one deterministic line each."""
        return self.recorder.log

    def run(self, for_seconds: float) -> None:
        """Let ``for_seconds`` of simulated time pass, running everything due."""
        self._pristine = False
        self._check_open()
        if for_seconds < 0:
            raise SimArenaError(f"run: for_seconds must not be negative, got {for_seconds!r}")
        with _cyclic_gc_paused():
            self.clock.run_until_time(self.clock.now + for_seconds)

    def run_until(self, predicate: Callable[..., bool], timeout: float) -> bool:
        """Run until ``predicate()`` (or ``predicate(cluster)``) is true, at most ``timeout`` seconds."""
        self._pristine = False
        self._check_open()
        try:
            # Only a required positional parameter receives the cluster (``lambda k=k: ...`` gets nothing).
            takes_cluster = any(
                p.default is inspect.Parameter.empty
                and p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                for p in inspect.signature(predicate).parameters.values()
            )
        except (TypeError, ValueError):
            takes_cluster = False

        def stop() -> bool:
            return bool(predicate(self) if takes_cluster else predicate())

        with _cyclic_gc_paused():
            return self.clock.run_until_time(self.clock.now + timeout, stop)

    # -- building situations directly -----------------------------------------------------------------
    def add_node(
        self,
        name: str,
        cpu: str | int | float,
        memory: str | int | float,
        pods: int = 110,
        labels: Mapping[str, str] | None = None,
        taints: list[Any] | None = None,
    ) -> None:
        """Add a node now (labels/taints default to SimKube's virtual-node ones); pending pods are retried."""
        self._pristine = False
        if name in self.scheduler.nodes:
            raise SimArenaError(f"add_node: a node named {name!r} already exists")
        node = Node(
            name,
            cpu=parse_cpu(cpu),
            memory=parse_memory(memory),
            pods=pods,
            labels=dict(KWOK_LABELS if labels is None else labels),
            taints=[parse_taint(t) for t in ([KWOK_TAINT] if taints is None else taints)],
            uid=self.clock.uid(),
            created=self.clock.now,
        )
        self.scheduler.add_node(node)

    def apply(self, obj: Obj, *, prefix: str | None = None) -> None:
        """Create or update ``obj`` as ``kubectl apply`` would.

        With ``prefix`` the object is first rewritten as SimKube's driver does (namespace ``<prefix>-<ns>``,
        node selector and toleration for the virtual nodes). Raises InvalidObject with the API server's
        message when the API would reject it (e.g. a request above its limit).
        """
        self._pristine = False
        self._check_open()
        if (
            not isinstance(obj, dict)
            or not isinstance(obj.get("metadata"), dict)
            or not obj["metadata"].get("name")
        ):
            raise SimArenaError("apply: expected a Kubernetes object with metadata.name")
        meta = obj["metadata"]
        root = ("", gvk_of(obj), f"{meta.get('namespace') or 'default'}/{meta['name']}")
        if prefix is not None:
            root = (prefix, *root[1:])
            obj = build_virtual_obj(obj, prefix)
        else:
            obj = clone(obj)  # never keep (or mutate) the caller's dict
            obj.pop("status", None)
        self._used = True
        try:
            self.apply_virtual(obj, root=root, replay=None)
        except SimArenaError as exc:
            self.record_rejection(obj, str(exc), "apply")
            raise
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            message = f"cannot be decoded: {type(exc).__name__}: {exc}"
            self.record_rejection(obj, message, "apply")
            raise InvalidObject(f"{obj.get('kind', 'object')} {meta.get('name')}: {message}") from None

    def delete(self, gvk: str, namespace: str, name: str, *, missing_ok: bool = False) -> None:
        """Delete an object and what it owns; ``gvk`` is ``apps/v1.Deployment`` or just ``Deployment``."""
        self._pristine = False
        kind = gvk.rsplit(".", 1)[-1]
        if kind == "PriorityClass" and self.priorities.delete(name):
            return
        if kind == "Pod":
            pod = self.pods.get(namespace, {}).get(name)
            if pod is not None:
                self.delete_pod(pod)
                return
        elif kind in POLICY_KINDS:
            if self.admission.delete(kind, namespace, name):
                return
        else:
            workload = self.workloads.get((kind, namespace, name))
            if workload is not None:
                self.delete_workload(workload)
                return
        if not missing_ok:
            raise SimArenaError(f'{kind.lower()}s "{name}" not found in namespace {namespace!r}')

    # -- object store (used by replay and controllers) ------------------------------------------------
    def apply_virtual(self, obj: Obj, *, root: tuple[str, ...], replay: Replay | None) -> None:
        """Create or update an already-rewritten object."""
        kind = str(obj.get("kind", ""))
        meta = obj["metadata"]
        namespace = str(meta.get("namespace") or "default")
        meta["namespace"] = namespace
        name = str(meta.get("name", ""))
        if replay is not None:
            self._replay_of_root[root] = replay
        if kind == "Pod":
            self._apply_pod(obj, namespace, name, root)
            return
        if kind == "PriorityClass":
            # Cluster-scoped: the virtual namespace the driver wrote is ignored.
            pc = PriorityClass(obj, uid=self.clock.uid(), created=self.clock.now, prefix=root[0])
            self.priorities.apply(pc)
            return
        if kind in POLICY_KINDS:
            self.admission.apply(obj)
            return
        cls = WORKLOAD_KINDS.get(kind)
        if cls is None:
            raise UnsupportedKind(
                f"{kind or 'object'} {namespace}/{name}: kind not simulated "
                f"(supported: {', '.join(SUPPORTED_KINDS)})"
            )
        existing = self.workloads.get((kind, namespace, name))
        if existing is not None and not existing.deleted:
            saved = dict(existing.__dict__)
            try:
                existing.set_object(obj)
            except SimArenaError:
                existing.__dict__.update(saved)  # a rejected update leaves the object as it was
                raise
            self.dirty(existing)
            return
        workload = cls(self, obj, root=root)
        self._register(workload)
        self.dirty(workload)

    def priority_class_objects(self) -> list[Obj]:
        """Every PriorityClass as the API lists it: the two system classes, then the cluster's own."""
        ts = self.clock.timestamp
        own = [pc.to_api(ts) for pc in self.priorities.classes.values()]
        return [*self.priorities.system_objects(ts), *own]

    def record_rejection(self, obj: Obj, message: str, where: str) -> None:
        """Show a rejected object: a Warning event and an event-log line (the apply would have failed)."""
        meta = obj.get("metadata") or {}
        from .events import Involved

        involved = Involved(
            str(obj.get("apiVersion", "")),
            str(obj.get("kind", "")),
            str(meta.get("namespace") or "default"),
            str(meta.get("name", "")),
            "",
        )
        self.recorder.note(f"error {where}: {message}")
        self.recorder.record(involved, "Warning", "FailedApply", message, "simkube-driver")

    def _apply_pod(self, obj: Obj, namespace: str, name: str, root: tuple[str, ...]) -> None:
        existing = self.pods.get(namespace, {}).get(name)
        meta = obj["metadata"]
        if existing is not None:
            # Pod specs are immutable; labels and annotations may change.
            existing.labels = dict(meta.get("labels") or {})
            existing.annotations = dict(meta.get("annotations") or {})
            return
        tmpl = PodTemplate(
            {"metadata": meta, "spec": obj.get("spec")}, field_prefix="spec", kind="Pod", name=name
        )
        # The Priority plugin's admit (mutating) runs before the validating plugins (LimitRanger,
        # RuntimeClass, ResourceQuota: admission.py).
        error = self.admission_error(None, tmpl)
        if error is not None:
            raise Forbidden(forbidden_message(name, error))
        tmpl, note = self.admission.admit(namespace, name, tmpl)
        annotations = dict(meta.get("annotations") or {})
        if note is not None:
            annotations[ANNOTATION_KEY] = note
        pod = Pod(
            name,
            namespace,
            self.clock.uid(),
            tmpl,
            created=self.clock.now,
            labels=dict(meta.get("labels") or {}),
            annotations=annotations,
            owner_refs=[dict(r) for r in meta.get("ownerReferences") or [] if isinstance(r, dict)],
            root=root,
        )
        self._add_pod(pod)

    def _register(self, workload: Workload) -> None:
        self.workloads[(workload.kind, workload.namespace, workload.name)] = workload

    def _namespaces(self, prefix: str | None) -> list[str]:
        known: dict[str, None] = {}
        for ns in self.pods:
            known[ns] = None
        for _, ns, _ in self.workloads:
            known[ns] = None
        for ns in self.recorder.namespaces():
            known[ns] = None
        for ns in self.admission.namespaces():
            known[ns] = None
        if prefix is None:
            return list(known)
        replay = self.replays.get(prefix)
        if replay is not None:
            return [ns for ns in known if ns in replay.namespaces or ns.startswith(f"{prefix}-")]
        return [ns for ns in known if ns == prefix or ns.startswith(f"{prefix}-")]

    # Context protocol for controllers -----------------------------------------------------------------
    def admission_error(self, owner: Workload | None, tmpl: PodTemplate) -> str | None:
        """Why admission plugins that read cluster state refuse a pod of ``tmpl`` now (None: admitted).

        The Priority plugin (priority.py): an unknown priorityClassName, or a stated priority or
        preemptionPolicy other than the class's. The controllers report it as FailedCreate.
        """
        resolved = self.priorities.resolve(tmpl.spec)
        return resolved if isinstance(resolved, str) else None

    def template(self, owner: Workload, template: Obj, field_prefix: str) -> PodTemplate:
        return shared_template(template, field_prefix=field_prefix, kind=owner.kind, name=owner.name)

    def new_pod(
        self,
        owner: Workload,
        name: str,
        tmpl: PodTemplate,
        labels: dict[str, str],
        annotations: dict[str, str],
    ) -> Pod:
        """Create a pod of ``owner`` through admission (raises Forbidden/InvalidObject when refused)."""
        error = self.admission_error(owner, tmpl)  # Priority, before the validating plugins (as above)
        if error is not None:
            # A mutating plugin runs before the registry generates the name, so NewForbidden names the
            # generateName prefix (apiserver admission/errors.go extractResourceName); a StatefulSet names
            # its pods itself. The validating plugins (admission.py) see the generated name.
            shown = name if owner.kind == "StatefulSet" else f"{owner.name}-"
            raise Forbidden(forbidden_message(shown, error))
        tmpl, note = self.admission.admit(owner.namespace, name, tmpl)
        if note is not None:
            annotations = {**annotations, ANNOTATION_KEY: note}
        pod = Pod(
            name,
            owner.namespace,
            self.clock.uid(),
            tmpl,
            created=self.clock.now,
            labels=labels,
            annotations=annotations,
            owner=owner,
            owner_refs=[owner.owner_ref()],
            root=owner.root,
        )
        self._add_pod(pod)
        return pod

    def _add_pod(self, pod: Pod) -> None:
        resolved = self.priorities.resolve(pod.tmpl.spec)
        if not isinstance(resolved, str):
            # admitPod writes priority (and preemptionPolicy) into the new pod's spec.
            pod.admitted = resolved
            pod.priority = resolved.priority
            pod.preempt_never = resolved.policy == "Never"
        root = pod.root
        if root is not None and root in self._replay_of_root:
            # SimKube's webhook numbers pods per owner (static.simkube.io/pod-sequence-number).
            pod.seq = self._seq.get(root, 0)
            self._seq[root] = pod.seq + 1
        self.pods.setdefault(pod.namespace, {})[pod.name] = pod
        node_name = pod.tmpl.spec.get("nodeName")
        if node_name and node_name in self.scheduler.nodes:
            self.scheduler.bind(pod, self.scheduler.nodes[node_name])
        else:
            self.scheduler.enqueue(pod)

    def pod_name_taken(self, namespace: str, name: str) -> bool:
        return name in self.pods.get(namespace, {})

    def delete_pod(self, pod: Pod) -> None:
        if pod.deleted:
            return
        pod.deleted = True
        by_name = self.pods.get(pod.namespace)
        if by_name is not None and by_name.get(pod.name) is pod:
            del by_name[pod.name]
        self.scheduler.pod_released(pod)
        self.scheduler.forget(pod)
        self.admission.pod_released(pod.namespace)
        owner = pod.owner
        if owner is not None:
            pods = getattr(owner, "pods", None)
            if isinstance(pods, dict) and pods.get(pod.uid) is pod and not isinstance(owner, Job):
                del pods[pod.uid]
            self.dirty(owner)

    def add_child(self, child: Workload) -> None:
        self._register(child)

    def delete_workload(self, workload: Workload) -> None:
        if workload.deleted:
            return
        workload.deleted = True
        for child in workload.children():
            if isinstance(child, Pod):
                self.delete_pod(child)
            else:
                self.delete_workload(child)
        key = (workload.kind, workload.namespace, workload.name)
        if self.workloads.get(key) is workload:
            del self.workloads[key]
        if workload.owner is not None:
            self.dirty(workload.owner)

    def dirty(self, workload: Workload) -> None:
        if workload.deleted:
            return
        self._dirty[id(workload)] = workload
        if not self._reconcile_queued:
            self._reconcile_queued = True
            self.clock.soon(self._reconcile)

    def _reconcile(self) -> None:
        rounds = 0
        try:
            while self._dirty:
                rounds += 1
                if rounds > MAX_RECONCILE_ROUNDS:
                    raise BackendError(
                        f"controllers did not settle at t={self.clock.now:.3f}s (a simulator bug)"
                    )
                batch = list(self._dirty.values())
                self._dirty.clear()
                for workload in batch:
                    try:
                        workload.reconcile()
                    except InvalidObject as exc:
                        self.record_rejection(workload.obj, str(exc), "reconcile")
        finally:
            # Marked dirty while this pass ran: already handled by the loop, no new pass needed.
            self._reconcile_queued = False

    def _preempted(self, victim: Pod) -> None:
        """kube-scheduler preempts ``victim``: a DisruptionTarget condition, then a delete, which KWOK's
        pod-delete stage completes at once (kubernetes.md §8), so the condition shows in the log only."""
        self.recorder.note(
            f"preempt pod {victim.namespace}/{victim.name}: DisruptionTarget=True "
            f"PreemptionByScheduler: {DISRUPTION_MESSAGE}"
        )
        self.delete_pod(victim)

    # Kubelet callbacks --------------------------------------------------------------------------------
    def _on_bound(self, pod: Pod) -> None:
        self.kubelet.pod_bound(pod)

    def _on_pod_change(self, pod: Pod) -> None:
        if pod.owner is not None:
            self.dirty(pod.owner)

    def _on_pod_terminal(self, pod: Pod) -> None:
        # Terminal pods leave the scheduler's cache, freeing their requests (kubernetes.md §10 belief).
        self.scheduler.pod_released(pod)
        self.admission.pod_released(pod.namespace)
        if pod.owner is not None:
            self.dirty(pod.owner)

    def _run_duration(self, pod: Pod) -> float | None:
        root = pod.root
        if root is None:
            return None
        replay = self._replay_of_root.get(root)
        if replay is None or not replay.active:
            return None
        return replay.run_duration(root, pod.seq)

    def _check_open(self) -> None:
        if self._closed:
            raise SimArenaError("this EmbeddedCluster was closed")
