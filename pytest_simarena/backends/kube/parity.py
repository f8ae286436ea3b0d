"""Parity: the same trace replayed on the embedded simulator and on a real cluster, verdict by verdict.

A *verdict* is what a person reading ``kubectl get pods`` would conclude about a workload after a step:
``healthy``, ``degraded`` (fewer ready than desired, nothing pending), ``pending`` with the scheduler's
reasons (``Insufficient cpu``), ``crash-looping`` or ``oom-killed``. Counts are shown but not compared
(a real cluster's timing differs by seconds); statuses and scheduling reasons are.

Known, documented differences: KWOK does not run containers, so it never OOM-kills nor crash-loops
(kubernetes.md §8); a real cluster's FailedScheduling message also counts the control-plane node, so
only the ``Insufficient <resource>`` / ``Too many pods`` reasons are compared, not the node counts.

The embedded side runs on a cluster built from the real cluster's ``type=virtual`` nodes
(:func:`spec_from_nodes`), so both sides schedule onto the same capacities, and plays the server's
Kubernetes version when it is a supported one (:func:`embedded_version`), so both sides follow the same
version's rules; a server outside the supported range is said in one line and the newest is played.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_simarena.backends.protocol import ClusterBackend, ClusterSnapshot
from pytest_simarena.kubeview import WorkloadSummary, original_namespace, summarize

if TYPE_CHECKING:
    from pytest_simarena.backends.embedded import ClusterSpec
    from pytest_simarena.trace.model import Trace

# "0/4 nodes are available: 1 node(s) had untolerated taint ..., 3 Insufficient cpu." (kubernetes.md §1.2)
_REASON = re.compile(r"\d+ (Insufficient [\w./-]*\w|Too many pods)")
KWOK_NOTE = "KWOK does not run containers: no OOM kills or crash loops on a real KWOK node (kubernetes.md §8)"


@dataclass(frozen=True)
class Verdict:
    workload: str  # "Deployment default/web" (original namespace)
    status: str
    reasons: tuple[str, ...] = ()
    ready: int = 0
    desired: int = 0

    def label(self) -> str:
        why = f" ({', '.join(self.reasons)})" if self.reasons else ""
        return f"{self.status}{why} {self.ready}/{self.desired}"

    def key(self) -> tuple[str, tuple[str, ...]]:
        """What parity compares: the status and the scheduling reasons."""
        return (self.status, self.reasons)


def scheduling_reasons(pods: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The distinct ``Insufficient X`` / ``Too many pods`` reasons of pods the scheduler rejected, sorted."""
    found: set[str] = set()
    for pod in pods:
        for cond in (pod.get("status") or {}).get("conditions") or []:
            if (
                isinstance(cond, Mapping)
                and cond.get("type") == "PodScheduled"
                and cond.get("status") == "False"
            ):
                found.update(_REASON.findall(str(cond.get("message") or "")))
    return tuple(sorted(found))


def _status(s: WorkloadSummary) -> str:
    if s.oom_killed:
        return "oom-killed"
    if s.crash_looping:
        return "crash-looping"
    if s.pending:
        return "pending"
    if s.ready < s.desired:
        return "degraded"
    return "healthy"


def _root(
    obj: Mapping[str, Any], by_key: Mapping[tuple[str, str, str], Mapping[str, Any]]
) -> tuple[str, str]:
    """(kind, name) of the top-level owner of ``obj``, following ownerReferences (pod -> RS -> Deployment)."""
    for _ in range(8):  # pod -> Job -> CronJob is the longest chain; guard against cycles
        meta = obj.get("metadata") or {}
        refs = [r for r in meta.get("ownerReferences") or [] if isinstance(r, Mapping)]
        owner = None
        for ref in refs:
            owner = by_key.get((str(meta.get("namespace", "")), str(ref.get("kind")), str(ref.get("name"))))
            if owner is not None:
                break
        if owner is None:
            break
        obj = owner
    meta = obj.get("metadata") or {}
    return str(obj.get("kind") or "Pod"), str(meta.get("name", ""))


def verdicts(snapshot: ClusterSnapshot) -> dict[str, Verdict]:
    """One verdict per top-level workload of ``snapshot``, keyed ``Kind namespace/name``."""
    by_key = {
        (
            str((w.get("metadata") or {}).get("namespace", "")),
            str(w.get("kind")),
            str((w.get("metadata") or {}).get("name")),
        ): w
        for w in snapshot.workloads
    }
    pods_of: dict[str, list[Mapping[str, Any]]] = {}
    for pod in snapshot.pods:
        kind, name = _root(pod, by_key)
        pods_of.setdefault(f"{kind} {original_namespace(pod, snapshot.prefix)}/{name}", []).append(pod)
    out: dict[str, Verdict] = {}
    for s in summarize(snapshot):
        workload = f"{s.kind} {s.namespace}/{s.name}"
        status = _status(s)
        reasons = scheduling_reasons(pods_of.get(workload, [])) if status == "pending" else ()
        out[workload] = Verdict(workload, status, reasons, s.ready, s.desired)
    return out


@dataclass(frozen=True)
class ParityRow:
    trace: str
    workload: str
    embedded: Verdict | None
    real: Verdict | None
    note: str = ""

    @property
    def same(self) -> bool:
        if self.embedded is None or self.real is None:
            return self.embedded is self.real
        return self.embedded.key() == self.real.key()


def compare(trace: str, embedded: Mapping[str, Verdict], real: Mapping[str, Verdict]) -> list[ParityRow]:
    """One row per workload seen on either side, sorted; a known KWOK difference carries a note."""
    rows = []
    for workload in sorted({*embedded, *real}):
        e, r = embedded.get(workload), real.get(workload)
        note = ""
        if (
            e is not None
            and r is not None
            and e.status in ("oom-killed", "crash-looping")
            and r.status
            in (
                "healthy",
                "degraded",
            )
        ):
            note = KWOK_NOTE
        rows.append(ParityRow(trace, workload, e, r, note))
    return rows


def replay(backend: ClusterBackend, trace: Trace, prefix: str, seconds: float) -> ClusterSnapshot:
    """Prepare, start, wait ``seconds``, observe, clean up (always): one step without a policy."""
    backend.prepare(prefix)
    try:
        backend.start(trace, prefix)
        backend.advance(seconds)
        return backend.observe(prefix)
    finally:
        with contextlib.suppress(Exception):  # the observation (or the original error) matters more
            backend.cleanup(prefix)


@dataclass(frozen=True)
class VersionMatch:
    """The real server's version, the version the embedded side plays, and the line that says so."""

    server: str  # the server's gitVersion ("v1.34.2"), or "unknown"
    embedded: str  # a supported version, with the server's patch release ("1.34.2")
    same: bool  # the embedded side plays the server's own minor version
    line: str


def embedded_version(server_version: Mapping[str, Any] | None) -> VersionMatch:
    """Which version the embedded side plays against a server that answered ``server_version`` (/version)."""
    from pytest_simarena.backends.embedded import versions

    info = server_version or {}
    git = str(info.get("gitVersion") or "")
    parsed = versions.parse(git) if git else None
    if parsed is None and info.get("major") and info.get("minor"):
        # Some providers answer minor "34+": keep the digits.
        parsed = versions.parse(f"{info['major']}.{str(info['minor']).rstrip('+')}")
    server = git or "unknown"
    if parsed is not None and f"{parsed[0]}.{parsed[1]}" in versions.SUPPORTED:
        # The patch release too: a fix backported into a patch release changes its texts (versions.py).
        name = ".".join(str(n) for n in parsed if n is not None)
        return VersionMatch(server, name, True, f"versions: real {server}, embedded {name} (the same rules)")
    said = f"{parsed[0]}.{parsed[1]}" if parsed is not None else server
    line = (
        f"versions: real {server} (Kubernetes {said}) is outside the supported "
        f"{versions.SUPPORTED[0]}..{versions.SUPPORTED[-1]}; the embedded side plays {versions.DEFAULT}, "
        "so version-dependent texts may differ"
    )
    return VersionMatch(server, versions.DEFAULT, False, line)


def spec_from_nodes(nodes: Sequence[Mapping[str, Any]]) -> ClusterSpec | None:
    """An embedded ClusterSpec with the same capacities, labels and taints as ``nodes`` (None if empty)."""
    from pytest_simarena.backends.embedded import ClusterSpec, NodeGroup

    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for node in nodes:
        status = node.get("status") or {}
        alloc = status.get("allocatable") or status.get("capacity") or {}
        meta = node.get("metadata") or {}
        labels = {k: v for k, v in (meta.get("labels") or {}).items() if k == "type" or k.startswith("kwok")}
        taints = tuple(
            (t.get("key", ""), t.get("value", ""), t.get("effect", ""))
            for t in (node.get("spec") or {}).get("taints") or []
            if isinstance(t, Mapping)
        )
        key = (
            str(alloc.get("cpu", "0")),
            str(alloc.get("memory", "0")),
            int(alloc.get("pods", 110)),
            tuple(sorted(labels.items())),
            taints,
        )
        groups.setdefault(key, []).append(node)
    if not groups:
        return None
    out = []
    for index, ((cpu, memory, pods, labels, taints), members) in enumerate(sorted(groups.items())):
        taint_list: list[Any] = [{"key": k, "value": v, "effect": e} for k, v, e in taints]
        out.append(NodeGroup(f"node-{index}", len(members), cpu, memory, pods, dict(labels), taint_list))
    return ClusterSpec(out)
