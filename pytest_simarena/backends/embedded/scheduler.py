"""kube-scheduler's decisions: filters, default scoring, FitError messages, the retry queue.

Filters run per node in the default profile order and a node reports only the first failing plugin
(kubernetes.md §1.1 "Filter order"): NodeUnschedulable, TaintToleration, NodeAffinity (nodeSelector and
required node affinity), NodeResourcesFit. Scoring is LeastAllocated + BalancedAllocation, weights 1:1,
and the best-scored node is drawn from the run's seeded RNG (selectHost picks at random among ties).

Cost stays linear in pods: nodes with the same shape (allocatable, labels, taints) are grouped, and within
a shape nodes with the same placed requests share one bucket, so a pod is filtered and scored once per
distinct (shape, usage) state, never once per node. The result is the same as checking every node,
because filters and scores depend on nothing else. (Unlike a large real cluster we score every feasible
node, i.e. percentageOfNodesToScore = 100, which is what kube-scheduler does below 100 nodes.)
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import preemption, versions
from .events import scheduled_message

if TYPE_CHECKING:
    from .clock import Clock
    from .events import EventRecorder
    from .pods import Pod, PodTemplate
    from .spec import Node

COMPONENT = "default-scheduler"

# Queue timing (kubernetes.md §1.4): backoff 1s doubling to 10s; unschedulable pods flushed after 5 min by
# a sweep that runs every 30 s.
INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 10.0
MAX_IN_UNSCHEDULABLE = 300.0
SWEEP_PERIOD = 30.0

# Reason strings (kubernetes.md §1.1, §1.2).
TOO_MANY_PODS = "Too many pods"
INSUFFICIENT_CPU = "Insufficient cpu"
INSUFFICIENT_MEMORY = "Insufficient memory"
NODE_UNSCHEDULABLE = "node(s) were unschedulable"
AFFINITY_MISMATCH = "node(s) didn't match Pod's node affinity/selector"
NO_VICTIMS = preemption.NO_VICTIMS
NOT_HELPFUL = preemption.NOT_HELPFUL
PREEMPT_NEVER = "not eligible due to preemptionPolicy=Never."
DISRUPTION_MESSAGE = f"{COMPONENT}: preempting to accommodate a higher priority pod"
NO_NODES = "no nodes available to schedule pods"
HOSTNAME = "kubernetes.io/hostname"
RESOURCE_REASONS = frozenset({TOO_MANY_PODS, INSUFFICIENT_CPU, INSUFFICIENT_MEMORY})


def backoff_for(attempts: int) -> float:
    """Backoff after ``attempts`` failed attempts: 1, 2, 4, 8, 10, 10 ... seconds (§1.4)."""
    return min(INITIAL_BACKOFF * float(2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def fit_error(
    total_nodes: int,
    reasons: dict[str, int],
    preemption: dict[str, int] | str,
    version: str = versions.DEFAULT,
) -> str:
    """kube-scheduler's FitError text (kubernetes.md §1.2): sorted "count reason" strings, then PostFilter.

    ``preemption`` is DefaultPreemption's per-node histogram, or its whole message when it has no nodes
    to speak of (``not eligible due to preemptionPolicy=Never.``).
    """
    message = fit_error_head(total_nodes, reasons)
    if isinstance(preemption, str):
        said = f"preemption: {preemption}"
    else:
        nested = ", ".join(sorted(f"{count} {reason}" for reason, count in preemption.items()))
        said = f"preemption: 0/{total_nodes} nodes are available: {nested}."
    # The PostFilter message (DefaultPreemption's nested FitError, with its own ".") follows after a
    # space without a further period since 1.30 (types.go FitError.Error; kubernetes issue 123301).
    return f"{message} {versions.post_filter_message(version, said)}"


def preemption_tally(candidates: int, unresolvable: int) -> dict[str, int]:
    """DefaultPreemption's per-node texts: nodes rejected only as Unschedulable are candidates (no victim
    has a lower priority), UnschedulableAndUnresolvable ones are skipped (kubernetes.md §1.2)."""
    tally: dict[str, int] = {}
    if candidates:
        tally[NO_VICTIMS] = candidates
    if unresolvable:
        tally[NOT_HELPFUL] = unresolvable
    return tally


def fit_error_head(total_nodes: int, reasons: dict[str, int]) -> str:
    """The filter part of the FitError: ``0/N nodes are available: <sorted "count reason">.``"""
    parts = ", ".join(sorted(f"{count} {reason}" for reason, count in reasons.items()))
    return f"0/{total_nodes} nodes are available: {parts}."


def preempted_message(preemptor: Pod, node_name: str) -> str:
    """The victim's Preempted event (preemption.go NewEvaluator PreemptPod: the preemptor's UID)."""
    return f"Preempted by pod {preemptor.uid} on node {node_name}"


def _tolerates(tolerations: list[dict[str, Any]], taint: dict[str, str]) -> bool:
    """ToleratesTaint: matching key (or empty key with Exists), operator Exists/Equal, matching effect."""
    for tol in tolerations:
        effect = tol.get("effect") or ""
        if effect and effect != taint["effect"]:
            continue
        key = tol.get("key") or ""
        op = tol.get("operator") or "Equal"
        if key and key != taint["key"]:
            continue
        if op == "Exists":
            if key or not tol.get("key"):
                return True
        elif op == "Equal" and key and (tol.get("value") or "") == taint.get("value", ""):
            return True
    return False


def _match_expression(labels: dict[str, str], expr: dict[str, Any]) -> bool:
    key = expr.get("key", "")
    op = expr.get("operator", "")
    values = [str(v) for v in expr.get("values") or []]
    present = key in labels
    if op == "In":
        return present and labels[key] in values
    if op == "NotIn":
        return not present or labels[key] not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present and values:
        try:
            have, want = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def static_filter(tmpl: PodTemplate, node: Node, version: str = versions.DEFAULT) -> str | None:
    """The first failing node-only filter's reason (all UnschedulableAndUnresolvable), or None."""
    if node.unschedulable and not _tolerates(
        tmpl.tolerations, {"key": "node.kubernetes.io/unschedulable", "value": "", "effect": "NoSchedule"}
    ):
        return NODE_UNSCHEDULABLE
    for taint in node.taints:
        if taint["effect"] in ("NoSchedule", "NoExecute") and not _tolerates(tmpl.tolerations, taint):
            return versions.taint_reason(version, taint["key"], taint.get("value", ""))
    labels = node.labels
    for key, value in tmpl.node_selector:
        if labels.get(key) != value:
            return AFFINITY_MISMATCH
    if tmpl.affinity_terms:
        # Terms are ORed, expressions within a term ANDed.
        ok = any(
            all(_match_expression(labels, e) for e in (term.get("matchExpressions") or []))
            and all(
                e.get("key") != "metadata.name" or _match_expression({"metadata.name": node.name}, e)
                for e in (term.get("matchFields") or [])
            )
            for term in tmpl.affinity_terms
        )
        if not ok:
            return AFFINITY_MISMATCH
    return None


class Shape:
    """Nodes that differ only in what is placed on them, bucketed by usage state."""

    __slots__ = (
        "alloc_cpu",
        "alloc_mem",
        "alloc_pods",
        "buckets",
        "count",
        "sample",
        "static_cache",
        "verdicts",
    )

    def __init__(self, node: Node) -> None:
        self.alloc_cpu = node.alloc_cpu
        self.alloc_mem = node.alloc_mem
        self.alloc_pods = node.alloc_pods
        self.sample = node
        self.count = 0
        self.buckets: dict[tuple[int, int, int, int, int], list[Node]] = {}
        self.static_cache: dict[Any, str | None] = {}
        self.verdicts: dict[Any, int | tuple[str, ...]] = {}


def _shape_key(node: Node) -> tuple[Any, ...]:
    return (
        node.alloc_cpu,
        node.alloc_mem,
        node.alloc_pods,
        # The hostname label is unique per node: pods selecting on it are filtered node by node instead.
        tuple(sorted((k, v) for k, v in node.labels.items() if k != HOSTNAME)),
        repr(node.taints),
        node.unschedulable,
    )


class Scheduler:
    """Scheduling queue + one scheduling cycle per pod, on the simulated clock."""

    def __init__(
        self,
        clock: Clock,
        recorder: EventRecorder,
        on_bound: Callable[[Pod], None],
        version: str = versions.DEFAULT,
    ) -> None:
        self.clock = clock
        self.version = version
        self.larger_than_node_unresolvable = versions.larger_than_node_unresolvable(version)
        self.clears_nominated = versions.clears_nominated_at_binding(version)
        self.recorder = recorder
        self.on_bound = on_bound
        self.nodes: dict[str, Node] = {}
        self.shapes: dict[tuple[Any, ...], Shape] = {}
        # activeQ ordered by queuesort PrioritySort: higher priority first, then the time it was queued.
        self.active: list[tuple[int, float, int, Pod]] = []
        self._pushes = 0
        self.unschedulable: dict[str, Pod] = {}
        self._tick_queued = False
        self.attempts = 0
        # Bound pods per priority (a pod can preempt only when some bound pod has a lower one) and the
        # pods nominated to each node by preemption (status.nominatedNodeName).
        self.bound_priorities: dict[int, int] = {}
        self.nominated_on: dict[str, dict[str, Pod]] = {}
        # Set by the cluster: evict a preemption victim (DisruptionTarget, then delete).
        self.evict: Callable[[Pod], None] = lambda pod: None

    # -- nodes -------------------------------------------------------------------------------------
    def add_node(self, node: Node) -> None:
        key = node.shape_key
        if key is None:
            key = node.shape_key = _shape_key(node)
        shape = self.shapes.get(key)
        if shape is None:
            shape = self.shapes[key] = Shape(node)
        node.shape = shape
        shape.count += 1
        self.nodes[node.name] = node
        self._bucket_add(node)
        # Node add requeues unschedulable pods the node could take (kubernetes.md §1.4 queueing hints).
        if self.unschedulable:
            self._requeue(
                lambda pod: (
                    static_filter(pod.tmpl, node, self.version) is None
                    and not self._fit_reasons(pod.tmpl, node)
                )
            )

    def _bucket_add(self, node: Node) -> None:
        state = (node.req_cpu, node.req_mem, node.nz_cpu, node.nz_mem, node.npods)
        bucket = node.shape.buckets.get(state)
        if bucket is None:
            bucket = node.shape.buckets[state] = []
        node.bucket = bucket
        node.bucket_pos = len(bucket)
        bucket.append(node)

    def _bucket_remove(self, node: Node) -> None:
        bucket: list[Node] = node.bucket
        last = bucket.pop()
        if last is not node:
            bucket[node.bucket_pos] = last
            last.bucket_pos = node.bucket_pos
        if not bucket:
            del node.shape.buckets[(node.req_cpu, node.req_mem, node.nz_cpu, node.nz_mem, node.npods)]
        node.bucket = None

    def _place(self, node: Node, tmpl: PodTemplate, sign: int) -> None:
        self._bucket_remove(node)
        node.req_cpu += sign * tmpl.cpu
        node.req_mem += sign * tmpl.mem
        node.nz_cpu += sign * tmpl.nz_cpu
        node.nz_mem += sign * tmpl.nz_mem
        node.npods += sign
        self._bucket_add(node)

    # -- queue -------------------------------------------------------------------------------------
    def enqueue(self, pod: Pod) -> None:
        """A new pod without a node enters the active queue."""
        self._push(pod)

    def _push(self, pod: Pod) -> None:
        self._pushes += 1
        heapq.heappush(self.active, (-pod.priority, self.clock.now, self._pushes, pod))
        self._queue_tick()

    def _queue_tick(self) -> None:
        if not self._tick_queued:
            self._tick_queued = True
            self.clock.soon(self._tick)

    def _tick(self) -> None:
        self._tick_queued = False
        active = self.active
        while active:
            pod = heapq.heappop(active)[3]
            if pod.deleted or pod.node is not None or pod.phase != "Pending":
                continue
            self.schedule_one(pod)

    def pod_released(self, pod: Pod) -> None:
        """An assigned pod was deleted or finished: free its node and requeue pods waiting on resources."""
        node = pod.node
        if node is None or pod.uid not in node.pods:
            return
        del node.pods[pod.uid]
        self._place(node, pod.tmpl, -1)
        left = self.bound_priorities[pod.priority] - 1
        if left:
            self.bound_priorities[pod.priority] = left
        else:
            del self.bound_priorities[pod.priority]
        self._requeue(lambda waiting: bool(waiting.unsched_reasons & RESOURCE_REASONS))

    def forget(self, pod: Pod) -> None:
        """A pending pod was deleted."""
        self.unschedulable.pop(pod.uid, None)
        self._unnominate(pod)

    def _unnominate(self, pod: Pod) -> None:
        if pod.nominated is None:
            return
        on = self.nominated_on.get(pod.nominated)
        if on is not None:
            on.pop(pod.uid, None)
            if not on:
                del self.nominated_on[pod.nominated]
        pod.nominated = None

    def _requeue(self, wants: Callable[[Pod], bool]) -> None:
        if not self.unschedulable:
            return
        now = self.clock.now
        for uid, pod in list(self.unschedulable.items()):
            if pod.deleted or pod.node is not None:
                del self.unschedulable[uid]
                continue
            if not wants(pod):
                continue
            del self.unschedulable[uid]
            ready_at = pod.last_attempt + backoff_for(pod.attempts)
            if ready_at <= now:
                self._push(pod)
            else:
                self.clock.at(ready_at, self._backoff_done, pod, pod.attempts)

    def _backoff_done(self, pod: Pod, attempt: int) -> None:
        if pod.deleted or pod.node is not None or pod.attempts != attempt:
            return
        self._push(pod)

    def _flush(self, pod: Pod, attempt: int) -> None:
        """The 30 s sweep moves pods left unschedulable for over 5 minutes back to the queue (§1.4)."""
        if pod.attempts != attempt or self.unschedulable.get(pod.uid) is not pod:
            return
        del self.unschedulable[pod.uid]
        if not pod.deleted and pod.node is None:
            self._push(pod)

    # -- one scheduling cycle ----------------------------------------------------------------------
    def beyond_node(self, tmpl: PodTemplate, shape: Shape) -> bool:
        """Whether NodeResourcesFit rejects ``shape``'s nodes as UnschedulableAndUnresolvable: from 1.34 a
        request above the node's whole allocatable, which no preemption could make room for (versions.py)."""
        return self.larger_than_node_unresolvable and (
            tmpl.cpu > shape.alloc_cpu or tmpl.mem > shape.alloc_mem
        )

    @staticmethod
    def _fit_reasons(tmpl: PodTemplate, node: Node) -> list[str]:
        return _fits(
            tmpl, node.alloc_cpu, node.alloc_mem, node.alloc_pods, node.req_cpu, node.req_mem, node.npods
        )

    def _nominated_extra(self, pod: Pod) -> dict[str, preemption.Extra]:
        """Per node, the requests of pods nominated there with priority >= ``pod``'s (addGENominatedPods)."""
        out: dict[str, preemption.Extra] = {}
        for name, on in self.nominated_on.items():
            cpu = mem = count = 0
            for other in on.values():
                if other is not pod and other.priority >= pod.priority:
                    cpu += other.tmpl.cpu
                    mem += other.tmpl.mem
                    count += 1
            if count:
                out[name] = (cpu, mem, count)
        return out

    def schedule_one(self, pod: Pod) -> bool:
        """Filter, score and bind ``pod``, or record why it cannot run; True when bound."""
        self.attempts += 1
        tmpl = pod.tmpl
        if not self.nodes:
            self._fail(pod, NO_NODES, frozenset())
            return False
        extras = self._nominated_extra(pod) if self.nominated_on else {}
        if pod.nominated is not None:
            # evaluateNominatedNode: a preemptor tries its nominated node first, without scoring.
            nominee = self.nodes.get(pod.nominated)
            if nominee is not None and static_filter(tmpl, nominee) is None:
                extra = extras.get(nominee.name, (0, 0, 0))
                if not _fits(
                    tmpl,
                    nominee.alloc_cpu,
                    nominee.alloc_mem,
                    nominee.alloc_pods,
                    nominee.req_cpu + extra[0],
                    nominee.req_mem + extra[1],
                    nominee.npods + extra[2],
                ):
                    self.bind(pod, nominee)
                    return True
        reasons: dict[str, int] = {}
        resource_failed: list[list[Node]] = []
        resource_nodes = 0
        unresolvable_nodes = 0
        best = -1
        best_buckets: list[list[Node]] = []
        best_total = 0
        sig = (tmpl.cpu, tmpl.mem, tmpl.nz_cpu, tmpl.nz_mem)
        for shape in self.shapes.values():
            if shape.count == 0:
                continue
            per_node = tmpl.per_node
            key = tmpl.static_key
            if per_node:
                static = None
            elif key in shape.static_cache:
                static = shape.static_cache[key]
            else:
                static = shape.static_cache[key] = static_filter(tmpl, shape.sample, self.version)
            if static is not None:
                reasons[static] = reasons.get(static, 0) + shape.count
                unresolvable_nodes += shape.count
                continue
            verdicts = shape.verdicts
            if len(verdicts) > 100_000:
                verdicts.clear()
            for state, bucket in shape.buckets.items():
                if per_node:
                    kept = []
                    for node in bucket:
                        why = static_filter(tmpl, node, self.version)
                        if why is None:
                            kept.append(node)
                        else:
                            reasons[why] = reasons.get(why, 0) + 1
                            unresolvable_nodes += 1
                    if not kept:
                        continue
                    bucket = kept
                # A node's verdict depends only on its shape, its usage state and the pod's requests.
                verdict = verdicts.get((state, sig))
                if verdict is None:
                    verdict = verdicts[(state, sig)] = _verdict(shape, state, tmpl)
                # From 1.34 a request above the node's whole allocatable is UnschedulableAndUnresolvable:
                # no preemption could make room (versions.py).
                larger = self.beyond_node(tmpl, shape)
                if extras and any(node.name in extras for node in bucket):
                    # Nodes with nominated pods are judged one by one with those pods counted.
                    for node in [n for n in bucket if n.name in extras]:
                        extra = extras[node.name]
                        why_not = _fits(
                            tmpl,
                            shape.alloc_cpu,
                            shape.alloc_mem,
                            shape.alloc_pods,
                            state[0] + extra[0],
                            state[1] + extra[1],
                            state[4] + extra[2],
                        )
                        if why_not:
                            for reason in why_not:
                                reasons[reason] = reasons.get(reason, 0) + 1
                            if larger:
                                unresolvable_nodes += 1
                            else:
                                resource_nodes += 1
                                resource_failed.append([node])
                        elif isinstance(verdict, int):
                            if verdict > best:
                                best, best_buckets, best_total = verdict, [[node]], 1
                            elif verdict == best:
                                best_buckets.append([node])
                                best_total += 1
                    bucket = [n for n in bucket if n.name not in extras]
                    if not bucket:
                        continue
                n = len(bucket)
                if isinstance(verdict, tuple):
                    for reason in verdict:
                        reasons[reason] = reasons.get(reason, 0) + n
                    if larger:
                        unresolvable_nodes += n
                    else:
                        resource_nodes += n
                        resource_failed.append(bucket)
                    continue
                if verdict > best:
                    best = verdict
                    best_buckets = [bucket]
                    best_total = n
                elif verdict == best:
                    best_buckets.append(bucket)
                    best_total += n
        if best < 0:
            self._post_filter(pod, reasons, resource_failed, resource_nodes, unresolvable_nodes, extras)
            return False
        # selectHost: uniform among every node with the top score, drawn from the seeded RNG.
        pick = self.clock.rng.randrange(best_total) if best_total > 1 else 0
        for bucket in best_buckets:
            if pick < len(bucket):
                node = bucket[pick]
                break
            pick -= len(bucket)
        self.bind(pod, node)
        return True

    def _post_filter(
        self,
        pod: Pod,
        reasons: dict[str, int],
        resource_failed: list[list[Node]],
        resource_nodes: int,
        unresolvable_nodes: int,
        extras: dict[str, preemption.Extra],
    ) -> None:
        """DefaultPreemption after a failed filter pass: evict victims or say why not (kubernetes.md §1.2)."""
        total = len(self.nodes)
        if pod.preempt_never:
            self._fail(pod, fit_error(total, reasons, PREEMPT_NEVER, self.version), frozenset(reasons))
            return
        now = self.clock.now
        candidates: list[preemption.Candidate] = []
        statuses: dict[str, int] = {}
        if resource_nodes and any(p < pod.priority for p in self.bound_priorities):
            potential = [node for bucket in resource_failed for node in bucket]
            candidates, statuses = preemption.find_candidates(
                pod, potential, extras, _fits, self.clock.rng, now
            )
        elif resource_nodes:
            # No bound pod has a lower priority: every candidate node says so (SelectVictimsOnNode).
            statuses[NO_VICTIMS] = resource_nodes
        if not candidates:
            # Nodes rejected as UnschedulableAndUnresolvable are "not helpful" (SetAbsentNodesStatus).
            if unresolvable_nodes:
                statuses[NOT_HELPFUL] = unresolvable_nodes
            self._fail(pod, fit_error(total, reasons, statuses, self.version), frozenset(reasons))
            return
        chosen = preemption.pick_one(candidates, self.clock.rng, now)
        node_name = chosen.node.name
        # PostFilter succeeded: the FitError carries its message (none before 1.37, versions.py), the pod is
        # nominated to the node (handleSchedulingFailure), and the victims are evicted (async preemption:
        # after that update).
        self._unnominate(pod)
        pod.nominated = node_name
        self.nominated_on.setdefault(node_name, {})[pod.uid] = pod
        found = versions.preemption_found(self.version, node_name, len(chosen.victims))
        head = fit_error_head(total, reasons)
        self._fail(pod, head if found is None else f"{head} {found}", frozenset(reasons))
        for victim in chosen.victims:
            self.recorder.record_series(
                victim.involved, "Normal", "Preempted", preempted_message(pod, node_name), COMPONENT
            )
            self.evict(victim)
        # Lower-priority pods nominated to that node lose their nomination (getLowerPriorityNominatedPods).
        for other in list(self.nominated_on.get(node_name, {}).values()):
            if other.priority < pod.priority:
                self._unnominate(other)
                if self.unschedulable.pop(other.uid, None) is not None:
                    self._push(other)

    def bind(self, pod: Pod, node: Node) -> None:
        """Assume and bind ``pod`` to ``node``; emit Scheduled (kubernetes.md §1.3)."""
        self.unschedulable.pop(pod.uid, None)
        # The nominator forgets the pod; its status keeps the field before 1.35 (versions.py).
        shown = pod.nominated if not self.clears_nominated else None
        self._unnominate(pod)
        pod.nominated = shown
        node.pods[pod.uid] = pod
        self._place(node, pod.tmpl, +1)
        self.bound_priorities[pod.priority] = self.bound_priorities.get(pod.priority, 0) + 1
        pod.node = node
        pod.bound = self.clock.now
        pod.sched_message = None
        self.recorder.record_series(
            pod.involved,
            "Normal",
            "Scheduled",
            scheduled_message(pod.namespace, pod.name, node.name),
            COMPONENT,
        )
        self.on_bound(pod)

    def _fail(self, pod: Pod, message: str, reasons: frozenset[str]) -> None:
        now = self.clock.now
        if pod.sched_message != message:
            pod.sched_time = now  # condition lastTransitionTime; the patch is skipped when unchanged (§1.3)
        pod.sched_message = message
        pod.unsched_reasons = reasons
        pod.attempts += 1
        pod.last_attempt = now
        # kube-scheduler records through the events.k8s.io API: series counting, not the correlator's.
        self.recorder.record_series(pod.involved, "Warning", "FailedScheduling", message, COMPONENT)
        self.unschedulable[pod.uid] = pod
        # The sweep at the first 30 s boundary strictly more than 5 minutes later flushes it.
        sweep = (int((now + MAX_IN_UNSCHEDULABLE) // SWEEP_PERIOD) + 1) * SWEEP_PERIOD
        self.clock.at(sweep, self._flush, pod, pod.attempts)


def _verdict(shape: Shape, state: tuple[int, int, int, int, int], tmpl: PodTemplate) -> int | tuple[str, ...]:
    """NodeResourcesFit's reasons (a tuple) for a node in ``state``, or its score when the pod fits.

    kubernetes.md §1.1: pod count first, zero-request pods stop there, then cpu and memory; a request
    equal to what is free fits.
    """
    r_cpu, r_mem, nz_cpu, nz_mem, npods = state
    out: list[str] = []
    if npods + 1 > shape.alloc_pods:
        out.append(TOO_MANY_PODS)
    zero_request = tmpl.cpu == 0 and tmpl.mem == 0
    if not zero_request:
        if tmpl.cpu > 0 and tmpl.cpu > shape.alloc_cpu - r_cpu:
            out.append(INSUFFICIENT_CPU)
        if tmpl.mem > 0 and tmpl.mem > shape.alloc_mem - r_mem:
            out.append(INSUFFICIENT_MEMORY)
    if out:
        return tuple(out)
    return _score(
        shape.alloc_cpu,
        shape.alloc_mem,
        r_cpu + tmpl.cpu,
        r_mem + tmpl.mem,
        nz_cpu + tmpl.nz_cpu,
        nz_mem + tmpl.nz_mem,
        zero_request,
    )


def _fits(
    tmpl: PodTemplate, a_cpu: int, a_mem: int, a_pods: int, r_cpu: int, r_mem: int, npods: int
) -> list[str]:
    out = []
    if npods + 1 > a_pods:
        out.append(TOO_MANY_PODS)
    if tmpl.cpu == 0 and tmpl.mem == 0:
        return out
    if tmpl.cpu > 0 and tmpl.cpu > a_cpu - r_cpu:
        out.append(INSUFFICIENT_CPU)
    if tmpl.mem > 0 and tmpl.mem > a_mem - r_mem:
        out.append(INSUFFICIENT_MEMORY)
    return out


def _score(
    a_cpu: int, a_mem: int, req_cpu: int, req_mem: int, nz_cpu: int, nz_mem: int, best_effort: bool
) -> int:
    """LeastAllocated (non-zero requests) + BalancedAllocation (real requests), weight 1 each [mem]."""
    least = 0
    if a_cpu and nz_cpu <= a_cpu:
        least += (a_cpu - nz_cpu) * 100 // a_cpu
    if a_mem and nz_mem <= a_mem:
        least += (a_mem - nz_mem) * 100 // a_mem
    least //= 2
    if best_effort:
        # BalancedAllocation skips pods that request nothing (PreScore returns Skip).
        return least
    fc = min(req_cpu / a_cpu, 1.0) if a_cpu else None
    fm = min(req_mem / a_mem, 1.0) if a_mem else None
    std = abs(fc - fm) / 2 if fc is not None and fm is not None else 0.0
    return least + int((1 - std) * 100)
