"""The analytic fast path of isolated replays: one Deployment on a uniform cluster, computed, not simulated.

Most episode steps replay the same shape of trace: one Deployment applied at the start, plain containers
with cpu/memory requests and limits, on nodes of one shape with the default lifecycle. For that shape the
outcome of a replay of up to :data:`MAX_SECONDS` simulated seconds is decided at ``t = 0`` and nothing
happens afterwards: the Deployment creates one ReplicaSet, the ReplicaSet its pods, the scheduler binds
each pod in creation order or records one FailedScheduling (the next retry, the 5-minute flush, lies
beyond the window), and a bound pod runs and is ready at once (no probes, no OOM kill, no delays).

:func:`fast_replay` computes exactly what an episode step reads from that (the workload's pod counts,
the last FailedScheduling message, each node's requests) with the same random draws as the engine (pod
names, uids and the scheduler's tie-breaks come from the cluster's seeded generator in the same order),
and returns a :class:`FastSnapshot`: its API-shaped lists, and the cluster's event log, are produced by
the full engine on first read (byte-identical by construction, and memoized like any isolated replay).

A strict whitelist decides: any kind, field, value or setting not listed here (probes, init containers,
affinity, priority, a quota, a second object, a lifecycle, hooks ...) returns None and the engine runs.
``tests/properties/test_fastpath.py`` drives generated traces and random actions through both paths.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import operator
import random
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from pytest_simarena.backends.protocol import ClusterSnapshot
from pytest_simarena.bounded import BoundedDict
from pytest_simarena.errors import QuantityError, SimArenaError
from pytest_simarena.trace.model import Trace
from pytest_simarena.trace.usage import USAGE_ANNOTATION
from pytest_simarena.trace.virtualize import DEFAULT_SIM_NAME, build_virtual_obj

from .admission import POLICY_KINDS
from .controllers import (
    _HASH_ENCODER,
    SAFE_ALPHABET,
    hash_text,
    resolve_int_or_percent,
    spec_count,
    template_hash,
)
from .memo import LRU, REPLAYS, LazySnapshot, Parts
from .pods import InvalidObject, shared_template
from .replay import trace_origin
from .scheduler import _verdict, fit_error, preemption_tally, static_filter

# The cluster (backends/embedded/cluster.py, which imports this module) is typed by what is read from it.
EmbeddedCluster = Any

Obj = dict[str, Any]

# The first event after t = 0 is the 5-minute flush of unschedulable pods (sweep at 330 s): a replay
# shorter than that sees only what t = 0 decided. (Progress deadlines are >= 600 s by the whitelist.)
MAX_SECONDS = 300.0
MAX_REPLICAS = 1000

# Fields the fast path knows to change nothing it computes (beyond what it reads itself).
_DEPLOYMENT_KEYS = frozenset({"apiVersion", "kind", "metadata", "spec"})
_SPEC_KEYS = frozenset(
    {"replicas", "selector", "template", "strategy", "progressDeadlineSeconds", "revisionHistoryLimit"}
)
_POD_SPEC_KEYS = frozenset(
    {
        "containers",
        "dnsPolicy",
        "restartPolicy",
        "schedulerName",
        "securityContext",
        "terminationGracePeriodSeconds",
        # Added by the driver's virtualization (build_virtual_obj); checked by the static filter below.
        "nodeSelector",
        "tolerations",
    }
)
_CONTAINER_KEYS = frozenset(
    {
        "name",
        "image",
        "imagePullPolicy",
        "ports",
        "resources",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "command",
        "args",
        "env",
    }
)
_RESOURCE_NAMES = frozenset({"cpu", "memory"})


class FastNode(NamedTuple):
    """One node's allocatable and what the replay's pods request on it (all of them are the workload's);
    the first fields of the episode's NodeView, in its order."""

    name: str
    cpu: int
    memory: int
    pods: int
    cpu_requested: int
    memory_requested: int
    pods_placed: int


class FastOutcome(NamedTuple):
    """What a step reads from a fast replay: the one workload's pods and the nodes. (A NamedTuple: one is
    built per step, and a tuple is built in C; a frozen dataclass sets its eight fields one call each.)"""

    kind: str
    namespace: str  # as in the trace
    name: str
    total: int
    bound: int
    failed_scheduling: str | None
    nodes: tuple[FastNode, ...]  # in name order
    pods: tuple[tuple[str, bool], ...] = ()  # (name, bound) in creation order: what a timeline draws


class FastSnapshot(LazySnapshot):
    """A fast replay's snapshot: ``fast`` holds the computed outcome; the API-shaped lists come from the
    full engine on first access (the same replay, memoized under ``memo_key``)."""

    __slots__ = ("_full", "fast")
    _full: Any  # FullReplay | ShadowReplay | None
    fast: FastOutcome | None

    def __init__(
        self,
        *snapshot: Any,
        memo_key: Any = None,
        fast: FastOutcome | None = None,
        full: Any = None,
        **lists: Any,
    ) -> None:
        # ``snapshot``/``lists``: LazySnapshot's (time, prefix, nodes, pods, workloads, events).
        super().__init__(*snapshot, memo_key=memo_key, lazy=full is not None, **lists)
        object.__setattr__(self, "fast", fast)
        object.__setattr__(self, "_full", full)

    @classmethod
    def of_step(cls, seconds: float, prefix: str, fast: FastOutcome, full: Any) -> FastSnapshot:
        """``cls(seconds, prefix, fast=fast, full=full)`` for a ``full`` replay (not None: the lists are
        lazy) without the generic constructor's argument handling (half its cost; a fast step makes one
        per step). test_fastpath checks they agree."""
        self = object.__new__(cls)
        setter = object.__setattr__
        setter(self, "memo_key", None)
        setter(self, "_parts", None)
        setter(self, "time", seconds)
        setter(self, "prefix", prefix)
        setter(self, "fast", fast)
        setter(self, "_full", full)
        return self

    def _load(self) -> Parts:
        assert self._full is not None
        snap: ClusterSnapshot = self._full.snapshot()
        return (snap.nodes, snap.pods, snap.workloads, snap.events)


class FullReplay:
    """The same replay by the full engine, run once when a fast replay's objects or log are read."""

    __slots__ = (
        "_done",
        "engine",
        "key",
        "lifecycle",
        "prefix",
        "seconds",
        "seed",
        "spec",
        "trace",
        "trace_key",
    )

    def __init__(self, cluster: EmbeddedCluster, trace: Trace, prefix: str, seconds: float, key: Any) -> None:
        self.engine = type(cluster)  # (not imported: the cluster module imports this one)
        self.spec = cluster.spec
        self.seed = cluster.seed
        self.lifecycle = cluster._lifecycle
        self.trace = trace
        self.prefix = prefix
        self.seconds = seconds
        self.key = key
        self.trace_key = key[1]
        self._done: tuple[ClusterSnapshot, tuple[str, ...]] | None = None

    def run(self) -> tuple[ClusterSnapshot, tuple[str, ...]]:
        done = self._done
        if done is None:
            done = REPLAYS.get(self.key)
            if done is None:
                engine = self.engine(self.spec, seed=self.seed, lifecycle=self.lifecycle, isolated=True)
                engine.fast = False
                snap = engine.run_trace(self.trace, self.prefix, self.seconds, key=self.trace_key)
                done = (snap, tuple(engine.event_log))
            self._done = done
        return done

    def snapshot(self) -> ClusterSnapshot:
        return self.run()[0]

    def log(self) -> list[str]:
        return list(self.run()[1])


# Fast outcomes by memo key (they are tiny): repeats skip even the whitelist checks. (A plain bounded
# dict: a hit is one C lookup, where the LRU moved the entry on every read.)
_OUTCOMES: BoundedDict[Any, FastOutcome] = BoundedDict(4096)


def clear() -> None:
    _OUTCOMES.clear()
    _PLANS.clear()
    _SIZED.clear()
    _SITUATIONS.clear()
    _VIEWS.clear()
    _INDEXES.clear()
    _VERDICTS.clear()


def fast_replay(
    cluster: EmbeddedCluster, trace: Trace, prefix: str, seconds: float, memo_key: Any
) -> FastSnapshot | None:
    """The outcome of replaying ``trace`` on the pristine isolated ``cluster``, or None (not covered)."""
    outcome = _OUTCOMES.get(memo_key)
    if outcome is None:
        try:
            outcome = _compute(cluster, trace, prefix, seconds, memo_key[1])
        except (SimArenaError, QuantityError, TypeError, ValueError, AttributeError, KeyError):
            outcome = None  # the engine reports it as it always did
        if outcome is None:
            return None
        _OUTCOMES[memo_key] = outcome
    full = FullReplay(cluster, trace, prefix, seconds, memo_key)
    cluster.recorder.defer_log(full.log)
    return FastSnapshot(float(seconds), prefix, fast=outcome, memo_key=memo_key, full=full)


class ShadowReplay:
    """A reused cluster's fast step, kept for its snapshot if it is read later (a step makes one): the
    full engine's replay on a fresh cluster of the same spec and seed put in the state the live one had
    before the step (clock, epoch, generator, event count, node order, pod sequence numbers); nothing else
    of earlier runs is left. (Its event-log lines go to the recorder as plain values: add_step_lines.)"""

    __slots__ = (
        "_done",
        "epoch",
        "facts",
        "keys",
        "nodes",
        "now",
        "prefix",
        "rng",
        "seconds",
        "seq",
        "start",
        "trace",
        "used",
    )

    def __init__(
        self,
        cluster: EmbeddedCluster,
        trace: Trace,
        prefix: str,
        seconds: float,
        rng: tuple[tuple[Any, ...], int],
        start: tuple[tuple[Any, tuple[int, ...]], ...],
        nodes: list[Any],
    ) -> None:
        self.facts = cluster.facts  # (its class, spec, seed, lifecycle): what a fresh cluster is built from
        self.trace, self.prefix, self.seconds = trace, prefix, seconds
        clock = cluster.clock
        self.now, self.epoch, self.used = clock.now, clock.epoch, cluster._used
        self.rng = rng  # the generator's state before the step: a noted state and the words drawn since
        self.keys = len(cluster.recorder._by_key)
        self.start = start  # the buckets before the step, as node indices into ``nodes`` (the scheduler's)
        self.nodes = nodes
        self.seq = dict(cluster._seq)
        self._done: ClusterSnapshot | None = None

    def snapshot(self) -> ClusterSnapshot:
        if self._done is None:
            engine, spec, seed, lifecycle = self.facts
            shadow = engine(spec, seed=seed, lifecycle=lifecycle)
            shadow.fast = False
            clock = shadow.clock
            clock.set_epoch(self.epoch)
            clock.now = self.now
            state, words = self.rng
            clock.rng.setstate(state)
            if words:
                clock.rng.getrandbits(32 * words)  # exactly ``words`` 32-bit draws (see RngMark)
            shadow._used = self.used
            shadow._seq = dict(self.seq)
            by_key = shadow.recorder._by_key
            for i in range(self.keys):  # event names count the recorder's events (other namespaces')
                by_key[("fast path: an earlier event", str(i))] = _EARLIER
            # One bucket (every node empty), in the live scheduler's order.
            shape = next(iter(shadow.scheduler.shapes.values()))
            (state,) = shape.buckets
            nodes = self.nodes
            order = [nodes[i].name for _, indices in self.start for i in indices]
            bucket = [shadow.scheduler.nodes[name] for name in order]
            shape.buckets[state] = bucket
            for pos, node in enumerate(bucket):
                node.bucket, node.bucket_pos = bucket, pos
            self._done = shadow.run_trace(self.trace, self.prefix, self.seconds)
        return self._done


class RngMark:
    """The clock's generator between two fast steps of a reused cluster, in its place on the clock.

    A step's shadow replay (run only when its snapshot is read) needs the generator's state before the
    step, and ``Random.getstate`` copies 625 words (~19 us, the largest single cost of a fast step). So
    the state is noted once and each fast step counts the 32-bit words it draws: the state before a step
    is the noted one advanced by the words drawn since (``getrandbits(32 * words)`` draws exactly that
    many). Anything else that reaches for the generator between fast steps finds this stand-in first: it
    puts the real generator back on the clock and hands over what was asked for, and the next fast step
    notes a new state. (Only the fast path draws while the mark stands, so the count is exact.)

    The mark refers to its clock weakly: the clock holds the mark, and a strong edge back would make every
    clock (so every cluster built per episode) cyclic garbage. Copies and pickles carry the clock
    (``__reduce__``): a copied mark is a mark on the copied clock and generator.
    """

    __slots__ = ("clock", "real", "state", "words")

    def __init__(self, clock: Any, real: random.Random, state: tuple[Any, ...], words: int) -> None:
        self.clock = weakref.ref(clock)
        self.real = real
        self.state = state
        self.words = words

    def __reduce__(self) -> tuple[Any, ...]:
        return (RngMark, (self.clock(), self.real, self.state, self.words))

    def __getattr__(self, name: str) -> Any:
        # Reached only for what the slots do not hold. A special name (copy and pickle ask for
        # __deepcopy__, __setstate__...) or a slot not set yet (a copy being built) is no draw: an
        # AttributeError as for any object.
        if name.startswith("__") or name in RngMark.__slots__:
            raise AttributeError(name)
        real = self.real
        clock = self.clock()
        if clock is not None:
            clock.rng = real
        return getattr(real, name)


# A mark is renewed after this many words (advancing a state by them costs one getrandbits call).
MARK_WORDS = 1 << 16


def _below(bits: Any, n: int) -> tuple[int, int]:
    """``Random.randrange(n)`` for n > 1 as CPython draws it (``_randbelow_with_getrandbits``), and the
    32-bit words it drew."""
    k = n.bit_length()
    r = bits(k)
    words = 1
    while r >= n:
        r = bits(k)
        words += 1
    return r, words


def _counting_agrees() -> bool:
    """Whether this Python draws as the word count assumes (random(): 2 words, getrandbits(128): 4,
    randrange(n) as :func:`_below`); otherwise every fast step notes the state itself."""
    ours, theirs = random.Random(13), random.Random(13)
    words = 0
    for n in range(2, 300):
        pick, used = _below(ours.getrandbits, n)
        ours.random()
        ours.getrandbits(128)
        words += used + 6
        if pick != theirs.randrange(n):
            return False
        theirs.random()
        theirs.getrandbits(128)
    start = random.Random(13)
    start.getrandbits(32 * words)
    return start.getstate() == ours.getstate() == theirs.getstate()


COUNTING = _counting_agrees()


_EARLIER: Any = object()
# Callbacks an earlier (cleaned up) run leaves on the clock: each does nothing once its objects are gone.
_STALE = frozenset(
    {
        "dirty",
        "_reconcile",
        "_flush",
        "_backoff_done",
        "_tick",
        "_create_later",
        "_start_later",
        "_sync_later",
        "_retry",
        "_complete",
        "_apply_event",
    }
)


def _quiet(cluster: EmbeddedCluster) -> bool:
    """Nothing of earlier runs is left on the reused ``cluster`` but callbacks that do nothing."""
    if cluster.pods or cluster.workloads or cluster.replays or cluster._dirty:
        return False
    scheduler = cluster.scheduler
    if scheduler.unschedulable or scheduler.bound_priorities or scheduler.nominated_on:
        return False
    for entry in scheduler.active:
        if not (entry[-1] if isinstance(entry, tuple) else entry).deleted:
            return False
    # Admission state a covered trace would meet: namespace policies and PriorityClasses (a globalDefault
    # class would give every pod a priority) are the engine's to apply.
    if cluster.priorities.classes:
        return False
    admission = cluster.admission
    if admission.limit_ranges or admission.quotas:  # (no store at all: no object; the usual case)
        for kind in POLICY_KINDS:
            if admission.objects(kind):
                return False
    for node in scheduler.nodes.values():
        if node.npods or node.pods:
            return False
    heap = cluster.clock._heap
    if not heap:
        return True
    for _, _, fn, args in heap:
        if getattr(fn, "__name__", "") not in _STALE or getattr(
            getattr(fn, "__self__", None), "active", False
        ):
            return False
        for arg in args:
            if not getattr(arg, "deleted", True):
                return False
    return True


def fast_step(
    cluster: EmbeddedCluster, trace: Trace, prefix: str, seconds: float, key: str | None = None
) -> FastSnapshot | None:
    """A replay on the reused ``cluster`` that its caller cleans up right away, computed: the generator,
    clock, event log, node order and pod sequence numbers end as the engine's replay and cleanup leave
    them; the snapshot is the engine's (:class:`ShadowReplay`) when read. None: not covered."""
    if cluster.isolated or not _quiet(cluster):
        return None
    try:
        plan = _plan(cluster, trace, prefix, seconds, key)
    except (SimArenaError, QuantityError, TypeError, ValueError, AttributeError, KeyError):
        return None
    if plan is None:
        return None
    clock = cluster.clock
    rng = clock.rng
    standing: RngMark | None = None  # the mark on the clock, kept on it with its count moved on
    if type(rng) is RngMark:
        real = rng.real
        if rng.words < MARK_WORDS:
            mark = (rng.state, rng.words)
            standing = rng
        else:
            mark = (real.getstate(), 0)
    else:
        real = rng
        mark = (real.getstate(), 0)
    scheduler = cluster.scheduler
    nodes = list(scheduler.nodes.values())
    index, shown, names = _node_index(scheduler, nodes)
    start = _start(plan.shape, index)
    shadow = ShadowReplay(cluster, trace, prefix, seconds, mark, start, nodes)
    cluster.adopt_epoch(trace)
    cluster._pristine = False
    clock.rng = real
    pods, placed, words = _run(plan, real, scheduler, nodes, index, start)
    if COUNTING:
        if standing is not None:
            standing.words = mark[1] + words
            clock.rng = standing
        else:
            clock.rng = RngMark(clock, real, mark[0], mark[1] + words)
    # What the replay leaves behind once cleaned up: its log lines, the scheduler's node order (pods
    # bound in creation order, released in the same order by the cleanup), the pod sequence numbers.
    # (The lines as plain values, not the shadow: see EventRecorder.add_step_lines.)
    cluster.recorder.add_step_lines(
        (
            shadow.now,
            plan.namespace,
            plan.name,
            plan.rs_name,
            plan.replicas,
            tuple(pods),
            placed.nodes,
            placed.messages,
            names,
        )
    )
    # The buckets as Scheduler._place leaves them after binding the pods and releasing them again.
    buckets = plan.shape.buckets
    buckets.clear()
    for state, indices in placed.released:
        bucket = [nodes[i] for i in indices]
        buckets[state] = bucket
        for pos, node in enumerate(bucket):
            node.bucket, node.bucket_pos = bucket, pos
    scheduler.attempts += plan.replicas
    root = (prefix, "apps/v1.Deployment", f"{plan.original_namespace}/{plan.name}")
    cluster._seq[root] = cluster._seq.get(root, 0) + plan.replicas
    heap, target = clock._heap, clock.now + seconds
    if heap and heap[0][0] <= target:
        cluster.run(seconds)  # the earlier runs' callbacks due meanwhile (all do nothing)
    elif target > clock.now:  # nothing due: what cluster.run would do (_pristine is already False)
        clock.now = target
    return FastSnapshot.of_step(float(seconds), prefix, _outcome(plan, pods, placed, nodes, shown), shadow)


def _plain(obj: Any, keys: frozenset[str]) -> bool:
    return isinstance(obj, dict) and obj.keys() <= keys


def _usage_ok(annotations: Any) -> bool:
    """Template annotations: none, or only declared usage as plain cpu/memory quantities per container
    (a richer usage, a ramp say, is the engine's to interpret)."""
    if not annotations:
        return True
    if not isinstance(annotations, dict) or annotations.keys() != {USAGE_ANNOTATION}:
        return False
    text = annotations[USAGE_ANNOTATION]
    return isinstance(text, str) and _usage_text_ok(text)


@functools.lru_cache(maxsize=1024)
def _usage_text_ok(text: str) -> bool:
    """The usage annotation's text (every new trace of an episode carries the same one): parsed once."""
    try:
        usage = json.loads(text)
    except ValueError:
        return False
    return isinstance(usage, dict) and all(
        _plain(v, _RESOURCE_NAMES) and all(isinstance(q, str | int) for q in v.values())
        for v in usage.values()
    )


def _resources_ok(container: Obj) -> bool:
    resources = container.get("resources")
    if resources is None:
        return True
    if not _plain(resources, frozenset({"requests", "limits"})):
        return False
    return all(
        part is None or (isinstance(part, dict) and part.keys() <= _RESOURCE_NAMES)
        for part in (resources.get("requests"), resources.get("limits"))
    )


def _deployment(trace: Trace, seconds: float) -> Obj | None:
    """The trace's one Deployment when the trace has the covered shape, else None."""
    if not 0 <= seconds <= MAX_SECONDS or trace.pod_lifecycles:
        return None
    events = trace.events
    if len(events) != 1:
        return None
    event = events[0]
    if event.get("deleted_objs") or int(event.get("ts") or 0) != trace_origin(trace):
        return None
    applied = event.get("applied_objs") or []
    if len(applied) != 1:
        return None
    obj = applied[0]
    if not _plain(obj, _DEPLOYMENT_KEYS) or obj.get("kind") != "Deployment":
        return None
    if obj.get("apiVersion") != "apps/v1":
        return None
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or meta.get("ownerReferences") or not meta.get("name"):
        return None
    spec = obj.get("spec")
    if not _plain(spec, _SPEC_KEYS):
        return None
    deadline = spec.get("progressDeadlineSeconds", 600)
    if not isinstance(deadline, int) or isinstance(deadline, bool) or deadline < MAX_SECONDS + 1:
        return None
    history = spec.get("revisionHistoryLimit", 10)
    if not isinstance(history, int) or isinstance(history, bool) or history < 0:
        return None
    selector = spec.get("selector")
    if selector is not None:
        if not _plain(selector, frozenset({"matchLabels"})):
            return None
        labels = selector.get("matchLabels")
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            return None
    strategy = spec.get("strategy")
    if strategy is not None:
        if not _plain(strategy, frozenset({"type", "rollingUpdate"})):
            return None
        if strategy.get("type") not in ("RollingUpdate", None):
            return None
        rolling = strategy.get("rollingUpdate")
        if rolling is not None and not _plain(rolling, frozenset({"maxSurge", "maxUnavailable"})):
            return None
    template = spec.get("template")
    if not _plain(template, frozenset({"metadata", "spec"})):
        return None
    tmeta = template.get("metadata") or {}
    if not _plain(tmeta, frozenset({"labels", "annotations", "creationTimestamp"})):
        return None
    if not _usage_ok(tmeta.get("annotations")):
        return None
    pod_spec = template.get("spec")
    if not _plain(pod_spec, _POD_SPEC_KEYS) or pod_spec.get("restartPolicy", "Always") != "Always":
        return None
    if pod_spec.get("schedulerName", "default-scheduler") != "default-scheduler":
        return None
    containers = pod_spec.get("containers")
    if not isinstance(containers, list) or not containers:
        return None
    for container in containers:
        if not _plain(container, _CONTAINER_KEYS) or not _resources_ok(container):
            return None
    return dict(obj)


@dataclass(slots=True)
class _Plan:
    """A covered trace, checked and parsed: what the draws and the scheduling below need."""

    obj: Obj
    name: str  # the Deployment's
    namespace: str  # virtual
    replicas: int
    tmpl: Any  # the engine's PodTemplate
    rs_name: str
    requests: tuple[int, int]  # a pod's, as kubeview.pod_requests counts them from its API object
    shape: Any  # the nodes' one scheduler Shape (set for the cluster at hand)
    original_namespace: str = "default"  # the Deployment's namespace as the trace names it
    template: Any = None  # the virtual pod template tmpl was parsed from (derive builds its successors')
    # The template's canonical JSON (template_hash's) around each container's resources, once derived.
    pieces: tuple[str, ...] | None = None


# Plans by (trace sha256, prefix, seconds): the trace's part of the checks and parsing (a reused cluster
# meets the same traces again and again). None: the trace is not covered.
_PLANS: LRU[tuple[_Plan | None]] = LRU(4096)


def _plan(
    cluster: EmbeddedCluster, trace: Trace, prefix: str, seconds: float, key: str | None = None
) -> _Plan | None:
    """The covered trace's plan on ``cluster``, or None."""
    if not cluster._lifecycle.immediate or not _known_spec(cluster.spec):
        return None
    for hooks in cluster._hooks.values():
        if hooks:
            return None
    scheduler = cluster.scheduler
    if len(scheduler.shapes) != 1 or len(scheduler.nodes) != len(cluster.spec.prototypes()):
        return None
    found = _PLANS.get((key, prefix, seconds)) if key is not None else None
    if found is None:
        found = (_trace_plan(trace, prefix, seconds),)
        if key is not None:
            _PLANS.put((key, prefix, seconds), found)
    plan = found[0]
    if plan is None:
        return None
    shape = next(iter(scheduler.shapes.values()))
    # The scheduler's own cache of the node-only filters (schedule_one fills and reads it the same way).
    tmpl, cache = plan.tmpl, shape.static_cache
    static = cache.get(tmpl.static_key, _EARLIER)
    if static is _EARLIER:
        static = cache[tmpl.static_key] = static_filter(tmpl, shape.sample, scheduler.version)
    if static is not None:
        return None
    plan.shape = shape
    return plan


def derive(
    parent: Trace,
    parent_key: str,
    trace: Trace,
    key: str,
    prefix: str,
    seconds: float,
    *,
    edit: tuple[str, tuple[Any, ...], tuple[Any, ...]] | None = None,
) -> bool:
    """Plan ``trace`` (sha256 ``key``) from the memoized plan of ``parent`` (sha256 ``parent_key``) when
    the two differ only in the Deployment's spec.replicas and its containers' resources (a scale or a
    resources action): names stand, the count is checked again, and a resources edit swaps the new
    resources into the parent's virtual template (virtualization does not read them) instead of
    checking, virtualizing and copying the whole trace again. Exact: the traces are compared field by
    field and the objects byte for byte (``marshal``, order kept) with those values left out; anything
    else is left to :func:`_trace_plan`. Like every memo keyed by sha256 here, it trusts that a key names
    its trace's bytes (traces are values; the parent plan's template shares parts with its trace). True
    when a plan was noted.

    ``edit``: (the root's sha256, the parent's values, the trace's values) at the places
    ``actions.edit_values`` reads, when the two keys name one root's content with those values
    (trace/keys.py, the direct action route): then the traces differ only there by construction and the
    walk is skipped, and a plan of the same root with the same resources (another replicas) lends its
    template (``tests/properties/test_fastpath.py`` checks such plans against ``_trace_plan``)."""
    found = _PLANS.get((parent_key, prefix, seconds))
    if found is None or found[0] is None or _PLANS.get((key, prefix, seconds)) is not None:
        return False
    base = found[0]
    if trace.events is parent.events or len(trace.events) != 1 or len(parent.events) != 1:
        return False
    resized: bool | None
    sized: tuple[str, str, float, tuple[Any, ...]] | None = None
    if edit is not None:
        obj = trace.events[0]["applied_objs"][0]
        resized = edit[1][1:] != edit[2][1:]  # (the values after spec.replicas are the resources)
        sized = (edit[0], prefix, seconds, edit[2][1:])
        if (edit[0], prefix, seconds, edit[1][1:]) not in _SIZED:  # (the parent's resources: its plan's)
            _SIZED[(edit[0], prefix, seconds, edit[1][1:])] = base
        if resized:
            lent = _SIZED.get(sized)
            if lent is not None:  # the template of the root with these resources, planned before
                base, resized = lent, False
    else:
        for name in _TRACE_FIELDS:
            if getattr(trace, name) != getattr(parent, name):
                return False
        event, parent_event = trace.events[0], parent.events[0]
        if {**event, "applied_objs": None} != {**parent_event, "applied_objs": None}:
            return False
        applied, parent_applied = event.get("applied_objs"), parent_event.get("applied_objs")
        if not isinstance(applied, list) or not isinstance(parent_applied, list):
            return False
        if len(applied) != 1 or len(parent_applied) != 1:
            return False
        obj = applied[0]
        resized = _same_but_edits(obj, parent_applied[0])
        if resized is None:
            return False
    try:
        replicas = _replicas(obj)
    except (SimArenaError, TypeError, ValueError, AttributeError, KeyError):
        return False
    if replicas is None:
        return False
    if not resized:
        plan: _Plan | None = dataclasses.replace(base, obj=dict(obj), replicas=replicas, shape=None)
    else:
        template = _resized_template(base.template, obj)
        if template is None:
            return False
        if base.pieces is None:  # once per plan ((): the template cannot be split)
            base.pieces = _pieces(base.template) or ()
        plan = _template_plan(
            dict(obj),
            base.name,
            base.namespace,
            replicas,
            template,
            base.original_namespace,
            (base.tmpl, base.pieces or None),
        )
    if sized is not None and plan is not None:
        _SIZED[sized] = plan
    _PLANS.put((key, prefix, seconds), (plan,))
    return True


# A plan by (root sha256, prefix, seconds, the resources values): its template, parse, pod-template hash
# and requests are those of every trace of that root with those resources (trace/keys.py), whatever its
# spec.replicas (random episodes meet ~3 traces per resources: 273 resized plans, 88 resources).
_SIZED: BoundedDict[tuple[str, str, float, tuple[Any, ...]], _Plan] = BoundedDict(4096)


# Trace fields a plan reads besides its events (notes and action_added are the action path's own).
_TRACE_FIELDS = tuple(
    f.name for f in dataclasses.fields(Trace) if f.name not in ("events", "notes", "action_added", "path")
)


def _same(a: Any, b: Any) -> bool:
    """Equal plain data, key order and types included (as marshal would see it; shared parts at once)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return list(a) == list(b) and all(_same(v, b[k]) for k, v in a.items())
    if type(a) is list:
        return len(a) == len(b) and all(map(_same, a, b))
    return type(a) in _SCALARS and bool(a == b)


_SCALARS = frozenset({str, int, float, bool, type(None)})


# Where a derived trace's Deployment may differ from its parent's: spec.replicas (set or not, any value)
# and the value (not the presence) of each container's resources. Everything else, key order included,
# must be the same.
_ANY: Any = object()
_UNSET_OK = frozenset({"replicas"})
_EDITS: dict[str, Any] = {
    "spec": {"replicas": _ANY, "template": {"spec": {"containers": [{"resources": _ANY}]}}}
}


def _same_but_edits(obj: Any, parent: Any) -> bool | None:
    """None when the Deployment ``obj`` differs from ``parent`` beyond :data:`_EDITS`, else whether a
    container's resources differ."""
    resized: list[bool] = []
    return any(resized) if _alike(obj, parent, _EDITS, resized) else None


def _alike(a: Any, b: Any, rule: Any, resized: list[bool]) -> bool:
    if type(a) is not type(b):
        return False
    if type(rule) is list:
        if type(a) is not list or len(a) != len(b):
            return False
        return all(_alike(x, y, rule[0], resized) for x, y in zip(a, b, strict=True))
    if type(a) is not dict:
        return False
    if list(a) != list(b):  # the same keys in the same order, but a replicas may be set in one only
        unset = _UNSET_OK.intersection(rule)
        if not unset or [k for k in a if k not in unset] != [k for k in b if k not in unset]:
            return False
    for k, v in a.items():
        sub = rule.get(k)
        if sub is None:
            w = b[k]
            if v is not w and not _same(v, w):  # (a part the edit did not touch is shared: at once)
                return False
        elif sub is _ANY:
            if k not in _UNSET_OK:
                resized.append(not _same(v, b[k]))
        elif not _alike(v, b[k], sub, resized):
            return False
    return True


_MARK = "\x00simarena-resources-{}\x00"


def _pieces(template: Any) -> tuple[str, ...] | None:
    """The template's canonical JSON (as template_hash encodes it) split around each container's
    resources, so a template with other resources is hashed from the pieces and their new JSON."""
    if not isinstance(template, dict):
        return None
    containers = template["spec"]["containers"]
    marks = [_MARK.format(i) if "resources" in c else None for i, c in enumerate(containers)]
    marked = [c if m is None else {**c, "resources": m} for c, m in zip(containers, marks, strict=True)]
    encoded = _HASH_ENCODER.encode({**template, "spec": {**template["spec"], "containers": marked}})
    texts = [_HASH_ENCODER.encode(m) for m in marks if m is not None]
    if encoded.count("simarena-resources-") != len(texts):  # the template spells the mark itself
        return None
    pieces: list[str] = []
    for text in texts:
        head, _, encoded = encoded.partition(text)
        pieces.append(head)
    pieces.append(encoded)
    return tuple(pieces)


def _pieces_hash(pieces: tuple[str, ...], template: Obj) -> str:
    """template_hash(template) from the pieces of a template that differs from it only in resources."""
    containers = template["spec"]["containers"]
    parts = [pieces[0]]
    texts = [_HASH_ENCODER.encode(c["resources"]) for c in containers if "resources" in c]
    for text, piece in zip(texts, pieces[1:], strict=True):
        parts.append(text)
        parts.append(piece)
    return hash_text("".join(parts))


def _resized_template(template: Any, obj: Obj) -> Obj | None:
    """The virtual pod template of ``obj``, whose only difference from the object ``template`` was
    built from lies in its containers' resources (each present in both or in neither): ``template`` with
    the new resources in place. None when a container's resources leave the covered shape."""
    if not isinstance(template, dict):
        return None
    containers = obj["spec"]["template"]["spec"]["containers"]
    virtual = template["spec"]["containers"]
    if len(virtual) != len(containers):
        return None
    resized = []
    for container, was in zip(containers, virtual, strict=True):
        if not _resources_ok(container):
            return None
        if "resources" in container:
            was = {k: container["resources"] if k == "resources" else v for k, v in was.items()}
        resized.append(was)
    return {**template, "spec": {**template["spec"], "containers": resized}}


# The cluster spec's fields the fast path knows (nodes, and the version through the scheduler): a field
# added later (cluster-wide admission, say) takes the engine unless it has its default value.
_SPEC_FIELDS = frozenset({"node_groups", "kubernetes_version"})
_KNOWN_SPECS: dict[type, tuple[tuple[str, Any], ...]] = {}


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    factory: Any = f.default_factory
    return None if factory is dataclasses.MISSING else factory()


# Specs found known, by identity (kept alive here; a ClusterSpec is frozen): checked once per cluster spec.
_KNOWN: BoundedDict[int, tuple[Any, bool]] = BoundedDict(64)


def _known_spec(spec: Any) -> bool:
    found = _KNOWN.get(id(spec))
    if found is not None and found[0] is spec:
        return found[1]
    known = _spec_fields_default(spec)
    _KNOWN[id(spec)] = (spec, known)
    return known


def _spec_fields_default(spec: Any) -> bool:
    cls = type(spec)
    others = _KNOWN_SPECS.get(cls)
    if others is None:
        others = _KNOWN_SPECS[cls] = tuple(
            (f.name, _default(f)) for f in dataclasses.fields(spec) if f.name not in _SPEC_FIELDS
        )
    return all(getattr(spec, name) == default for name, default in others)


def _replicas(obj: Obj) -> int | None:
    """The Deployment's replicas, None above MAX_REPLICAS; raises on a bad count or rolling update."""
    replicas = spec_count(obj, "replicas", 1)
    if replicas > MAX_REPLICAS:
        return None
    rolling = (obj["spec"].get("strategy") or {}).get("rollingUpdate") or {}
    for key, up in (("maxSurge", True), ("maxUnavailable", False)):
        # Validated as the Deployment does (a bad value rejects the object: the engine reports that).
        resolve_int_or_percent(rolling.get(key, "25%"), replicas, round_up=up, field=key)
    return replicas


def _trace_plan(trace: Trace, prefix: str, seconds: float) -> _Plan | None:
    obj = _deployment(trace, seconds)
    if obj is None:
        return None
    virtual = build_virtual_obj(obj, prefix, sim_name=DEFAULT_SIM_NAME, config=trace.config, share=True)
    name = str(virtual["metadata"]["name"])
    replicas = _replicas(virtual)
    if replicas is None:
        return None
    namespace = str(virtual["metadata"]["namespace"])
    original = str((obj.get("metadata") or {}).get("namespace") or "default")
    return _template_plan(obj, name, namespace, replicas, virtual["spec"]["template"], original)


_POD_SPEC = "spec.template.spec"


def _template_plan(
    obj: Obj,
    name: str,
    namespace: str,
    replicas: int,
    template: Obj,
    original: str,
    parent: tuple[Any, tuple[str, ...] | None] | None = None,
) -> _Plan | None:
    """The plan of a checked Deployment from its virtual pod template (None: the engine's to run).
    ``parent``: the parse and hash pieces of a template that differs from this one only in its
    containers' resources (derive), so only what depends on resources is computed again."""
    try:
        if parent is None:
            tmpl = shared_template(template, field_prefix=_POD_SPEC, kind="Deployment", name=name)
        else:
            tmpl = parent[0].resized(template, field_prefix=_POD_SPEC, kind="Deployment", name=name)
    except InvalidObject:
        return None
    if (
        tmpl.admission_error is not None
        or tmpl.oom
        or tmpl.ramp_oom  # a memory ramp kills later (lifecycle.py): not decided at t = 0
        or tmpl.init_names
        or tmpl.per_node
        or tmpl.affinity_terms
        or tmpl.preempt_never
        or tmpl.priority
    ):
        return None
    pieces = parent[1] if parent is not None else None
    if pieces is not None:
        pod_hash = _pieces_hash(pieces, template)
    else:
        pod_hash = template_hash(template, key=tmpl.content_key)
    rs_name = f"{name}-{pod_hash}"
    requests = _pod_requests(tmpl.spec)
    return _Plan(obj, name, namespace, replicas, tmpl, rs_name, requests, None, original, template, pieces)


# FailedScheduling texts by what they say (nodes, reasons and counts, the version): a pure function.
_FAILURES: BoundedDict[tuple[Any, ...], str] = BoundedDict(4096)


def _run(
    plan: _Plan,
    rng: random.Random,
    scheduler: Any,
    nodes: list[Any],
    index: dict[Any, int],
    start: tuple[tuple[Any, tuple[int, ...]], ...] | None = None,
) -> tuple[list[str], _Placed, int]:
    """The engine's draws in its order (the replay's root, the Deployment, the ReplicaSet, then per pod
    its generated name, redrawn on a clash, and its uid), then the scheduler's cycles in creation order
    with its picks among tied nodes (:func:`_schedule`): the pod names in creation order, what was
    decided, and the 32-bit words drawn from the generator."""
    draw = rng.random
    bits = rng.getrandbits
    bits(128)
    bits(128)
    bits(128)
    n = len(SAFE_ALPHABET)
    a = SAFE_ALPHABET
    taken: set[str] = set()
    pods: list[str] = []
    prefix = plan.rs_name + "-"
    # 4 words per uid (three here, one per pod), 10 per name (five random() of 2 words), 1 per pick try.
    words = 12 + 14 * plan.replicas
    # The engine's int(random() * n) (Clock.token): floor is the same for these non-negative floats, and
    # a builtin function's call costs half of int()'s type call (15 per 3-pod step).
    floor = math.floor
    for _ in range(plan.replicas):
        while True:
            # Five draws, left to right (an f-string evaluates in order; no comprehension per name).
            pod_name = (
                f"{prefix}{a[floor(draw() * n)]}{a[floor(draw() * n)]}{a[floor(draw() * n)]}"
                f"{a[floor(draw() * n)]}{a[floor(draw() * n)]}"
            )
            if pod_name not in taken:
                break
            words += 10
        taken.add(pod_name)
        bits(128)  # its uid (Clock.uid), which nothing computed here shows
        pods.append(pod_name)
    placed, used = _schedule(plan, bits, scheduler, nodes, index, start)
    return pods, placed, words + used


class _Placed(NamedTuple):
    """What a step's scheduling decided: per pod (creation order) the node index it was bound to, or None
    with its FailedScheduling text; pods per node; and the shape's buckets once the cleanup has released
    every pod again, as (state, node indices) in the scheduler's order. (A NamedTuple, built in C by
    ``tuple.__new__``: a frozen dataclass sets its seven fields one call each, per new situation.)"""

    nodes: tuple[int | None, ...]
    messages: tuple[str | None, ...]
    placed: tuple[int, ...]
    released: tuple[tuple[tuple[int, int, int, int, int], tuple[int, ...]], ...]
    bound: tuple[bool, ...]  # per pod
    failure: str | None  # the last FailedScheduling text
    total_bound: int  # sum(placed)


class _Situation:
    """The scheduling of one kind of pod from one starting situation (the nodes' buckets): by the picks
    made so far, how many tied nodes the next pick chooses among (0: no pick left) and, for a complete
    sequence of picks, what was decided. A situation recurs on every step of a reused cluster (its nodes
    are empty between steps; only their order moves), so a step makes its draws and looks the rest up."""

    __slots__ = ("ranges", "results")

    def __init__(self) -> None:
        self.ranges: dict[tuple[int, ...], int] = {}
        self.results: dict[tuple[int, ...], _Placed] = {}


_SITUATIONS: BoundedDict[tuple[Any, ...], _Situation] = BoundedDict(4096)
# Per scheduler (by its node map, kept alive here): the node objects in order, their positions and what
# the node views read of them (names and allocatable).
_INDEXES: BoundedDict[int, tuple[Any, list[Any], dict[Any, int], str, tuple[str, ...]]] = BoundedDict(64)


def _node_index(scheduler: Any, nodes: list[Any]) -> tuple[dict[Any, int], str, tuple[str, ...]]:
    """``{node: position}`` of ``nodes`` (the scheduler's, in its order; a Node hashes by identity),
    their (name, cpu, memory, pods) allocatable as text and their names, remembered per scheduler."""
    found = _INDEXES.get(id(scheduler.nodes))
    if (
        found is not None
        and found[0] is scheduler.nodes
        and len(found[1]) == len(nodes)
        and all(map(operator.is_, found[1], nodes))
    ):
        return found[2], found[3], found[4]
    index = {node: i for i, node in enumerate(nodes)}
    # As a string: it keys the node views (_outcome), and a str keeps its hash (a tuple of tuples is
    # hashed again on every step).
    shown = repr([(node.name, node.alloc_cpu, node.alloc_mem, node.alloc_pods) for node in nodes])
    names = tuple([node.name for node in nodes])
    _INDEXES[id(scheduler.nodes)] = (scheduler.nodes, list(nodes), index, shown, names)
    return index, shown, names


def _start(shape: Any, index: dict[Any, int]) -> tuple[tuple[Any, tuple[int, ...]], ...]:
    """The shape's buckets as (state, node indices) in the scheduler's order: the step's situation."""
    return tuple(
        [(state, tuple([index[node] for node in bucket])) for state, bucket in shape.buckets.items()]
    )


def _schedule(
    plan: _Plan,
    bits: Any,
    scheduler: Any,
    nodes: list[Any],
    index: dict[Any, int] | None = None,
    start: tuple[tuple[Any, tuple[int, ...]], ...] | None = None,
) -> tuple[_Placed, int]:
    """The scheduler's cycles for the plan's pods, with its picks drawn through ``bits``; and the 32-bit
    words drawn. Looked up by situation and picks (:class:`_Situation`), decided by :func:`_decide` the
    first time."""
    tmpl, shape = plan.tmpl, plan.shape
    beyond_node = scheduler.beyond_node(tmpl, shape)
    if start is None:  # (the caller's, when it has it: ``_start(shape, index)``)
        if index is None:  # (likewise: ``_node_index(scheduler, nodes)[0]``)
            index = _node_index(scheduler, nodes)[0]
        start = _start(shape, index)
    key = (
        tmpl.cpu,
        tmpl.mem,
        tmpl.nz_cpu,
        tmpl.nz_mem,
        plan.replicas,
        shape.alloc_cpu,
        shape.alloc_mem,
        shape.alloc_pods,
        beyond_node,
        scheduler.version,
        len(nodes),
        start,
    )
    situation = _SITUATIONS.get(key)
    if situation is None:
        situation = _SITUATIONS[key] = _Situation()
    ranges = situation.ranges
    picks: tuple[int, ...] = ()
    words = 0
    while True:
        among = ranges.get(picks)
        if among is None:
            break
        if among == 0:
            return situation.results[picks], words
        # _below(bits, among), inlined (a step makes a pick per tie; the call cost as much as the draw).
        k = among.bit_length()
        pick = bits(k)
        words += 1
        while pick >= among:
            pick = bits(k)
            words += 1
        picks += (pick,)
    # Not seen past these picks: decide from the start, the picks drawn so far first, then new ones.
    made: list[tuple[int, int]] = []

    def choose(among: int) -> int:
        nonlocal words
        if len(made) < len(picks):
            pick = picks[len(made)]
        else:
            pick, used = _below(bits, among)
            words += used
        made.append((among, pick))
        return pick

    placed = _decide(tmpl, shape, beyond_node, scheduler.version, len(nodes), plan.replicas, start, choose)
    prefix: tuple[int, ...] = ()
    for among, pick in made:
        ranges[prefix] = among
        prefix += (pick,)
    ranges[prefix] = 0
    situation.results[prefix] = placed
    return placed, words


def _decide(
    tmpl: Any,
    shape: Any,
    beyond_node: bool,
    version: Any,
    n_nodes: int,
    replicas: int,
    start: tuple[tuple[tuple[int, int, int, int, int], tuple[int, ...]], ...],
    choose: Any,
) -> _Placed:
    """The scheduler's cycles in creation order over buckets kept as Scheduler._bucket_add/_bucket_remove
    keep them (node indices for nodes); ``choose(n)`` picks among n > 1 tied nodes as the scheduler's
    ``randrange`` does. Then the cleanup's releases of the bound pods, in the same order."""
    buckets = {state: list(indices) for state, indices in start}
    state_of: list[Any] = [None] * n_nodes
    for state, indices in start:
        for i in indices:
            state_of[i] = state
    verdicts: dict[tuple[int, int, int, int, int], Any] = {}
    sized = (shape.alloc_cpu, shape.alloc_mem, shape.alloc_pods, tmpl.cpu, tmpl.mem, tmpl.nz_cpu, tmpl.nz_mem)
    chosen: list[int | None] = []
    messages: list[str | None] = []
    failure: str | None = None

    def move(index: int, new: tuple[int, int, int, int, int]) -> None:
        # Scheduler._place: out of its bucket (the last one takes its place), into the new state's.
        old = state_of[index]
        bucket = buckets[old]
        last = bucket.pop()
        if last != index:
            bucket[bucket.index(index)] = last
        if not bucket:
            del buckets[old]
        state_of[index] = new
        buckets.setdefault(new, []).append(index)

    for _ in range(replicas):
        if failure is not None:  # nothing changed since the last pod failed: it fails the same way
            chosen.append(None)
            messages.append(failure)
            continue
        best = -1
        best_buckets: list[list[int]] = []
        best_total = 0
        reasons: dict[str, int] = {}
        resource_nodes = 0
        for state, bucket in buckets.items():
            verdict = verdicts.get(state)
            if verdict is None:
                known = (sized, state)
                verdict = _VERDICTS.get(known)
                if verdict is None:
                    verdict = _VERDICTS[known] = _verdict(shape, state, tmpl)
                verdicts[state] = verdict
            if isinstance(verdict, tuple):
                for reason in verdict:
                    reasons[reason] = reasons.get(reason, 0) + len(bucket)
                resource_nodes += len(bucket)
                continue
            if verdict > best:
                best, best_buckets, best_total = verdict, [bucket], len(bucket)
            elif verdict == best:
                best_buckets.append(bucket)
                best_total += len(bucket)
        if best < 0:
            # As Scheduler._post_filter with no bound pod of a lower priority (every pod here has 0).
            said = (n_nodes, tuple(reasons.items()), resource_nodes, beyond_node, version)
            failure = _FAILURES.get(said)
            if failure is None:
                preemption = (
                    preemption_tally(0, resource_nodes)
                    if beyond_node
                    else preemption_tally(resource_nodes, 0)
                )
                failure = fit_error(n_nodes, reasons, preemption, version)
                _FAILURES[said] = failure
            chosen.append(None)
            messages.append(failure)
            continue
        pick = choose(best_total) if best_total > 1 else 0
        for bucket in best_buckets:
            if pick < len(bucket):
                index = bucket[pick]
                break
            pick -= len(bucket)
        old = state_of[index]
        move(
            index,
            (old[0] + tmpl.cpu, old[1] + tmpl.mem, old[2] + tmpl.nz_cpu, old[3] + tmpl.nz_mem, old[4] + 1),
        )
        chosen.append(index)
        messages.append(None)
    placed = [0] * n_nodes
    for bound in chosen:
        if bound is not None:
            placed[bound] += 1
    for bound in chosen:  # the cleanup releases the bound pods in creation order
        if bound is not None:
            old = state_of[bound]
            move(
                bound,
                (
                    old[0] - tmpl.cpu,
                    old[1] - tmpl.mem,
                    old[2] - tmpl.nz_cpu,
                    old[3] - tmpl.nz_mem,
                    old[4] - 1,
                ),
            )
    released = tuple((state, tuple(indices)) for state, indices in buckets.items())
    flags = tuple(index is not None for index in chosen)
    return _NEW_PLACED(
        _Placed, (tuple(chosen), tuple(messages), tuple(placed), released, flags, failure, sum(placed))
    )


_NEW_PLACED: Callable[[type[_Placed], tuple[Any, ...]], _Placed] = tuple.__new__
# Verdicts by (the shape's allocatable, a pod's requests, a node state): _verdict is a pure function of
# them, and a pod's requests meet the same few states in situation after situation (one per replicas
# count and node order).
_VERDICTS: BoundedDict[tuple[Any, ...], int | tuple[str, ...]] = BoundedDict(4096)


# Node views by (the nodes, a pod's requests, pods per node): the same few placements recur.
_VIEWS: BoundedDict[tuple[Any, ...], tuple[FastNode, ...]] = BoundedDict(4096)


def _outcome(plan: _Plan, pods: list[str], placed: _Placed, nodes: list[Any], shown: str) -> FastOutcome:
    key = (shown, plan.requests, placed.placed)
    views = _VIEWS.get(key)
    if views is None:
        cpu, memory = plan.requests
        # By name: node names are unique (the scheduler's keys), so the tuples' own order is the names'.
        views = tuple(
            sorted(
                [
                    FastNode(
                        node.name, node.alloc_cpu, node.alloc_mem, node.alloc_pods, cpu * k, memory * k, k
                    )
                    for node, k in zip(nodes, placed.placed, strict=True)
                ]
            )
        )
        _VIEWS[key] = views
    # tuple.__new__ directly: a NamedTuple's own __new__ is a Python function around it.
    return _NEW_OUTCOME(
        FastOutcome,
        (
            "Deployment",
            plan.original_namespace,
            plan.name,
            plan.replicas,
            placed.total_bound,
            placed.failure,
            views,
            # One flag per pod drawn, so as long as each other (strict=, a keyword call, costs more).
            tuple(zip(pods, placed.bound)),  # noqa: B905
        ),
    )


_NEW_OUTCOME: Callable[[type[FastOutcome], tuple[Any, ...]], FastOutcome] = tuple.__new__


def _compute(
    cluster: EmbeddedCluster, trace: Trace, prefix: str, seconds: float, key: str
) -> FastOutcome | None:
    """An isolated replay: draws from the pristine cluster's generator state."""
    if not cluster._pristine:
        return None
    plan = _plan(cluster, trace, prefix, seconds, key)
    if plan is None:
        return None
    rng = random.Random()
    rng.setstate(cluster.pristine_rng)
    scheduler = cluster.scheduler
    nodes = list(scheduler.nodes.values())
    index, shown, _ = _node_index(scheduler, nodes)
    pods, placed, _ = _run(plan, rng, scheduler, nodes, index)
    return _outcome(plan, pods, placed, nodes, shown)


def _pod_requests(spec: Obj) -> tuple[int, int]:
    from pytest_simarena.kubeview.resources import pod_requests

    return pod_requests({"spec": spec})
