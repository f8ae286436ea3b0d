"""``simarena simulate TRACE``: replay a trace on the embedded cluster and show what kubectl would show.

The trace is replayed as SimKube's driver does (objects land in ``virtual-<namespace>``) for ``--duration``
simulated seconds (default: until its last event at ``--speed``, plus 120 s; a leading ts-0 placeholder
event, as in sim-arena's exports, does not count).
Output is ``kubectl get deploy,pods``, ``kubectl get events`` and per-node requests as text tables, or JSON
with the keys ``time``, ``workloads``, ``pods``, ``events`` and ``nodes``; ``--timeline`` adds the pod
STATUS counts over simulated time. A user's mistake (unreadable trace or cluster file, bad quantity) is one
line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import SimArenaError
from pytest_simarena.kubeview import (
    event_view,
    format_table,
    node_usage,
    pod_status,
    pod_view,
    render_events,
    render_nodes,
    render_workloads,
    sorted_events,
    summarize,
)

from .common import EXIT_OK, add_command
from .options import add_settings, cluster_settings, setting_values

if TYPE_CHECKING:
    from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
    from pytest_simarena.backends.protocol import ClusterSnapshot
    from pytest_simarena.settings import ClusterSettings
    from pytest_simarena.trace.model import Trace


PREFIX = "virtual"  # SimKube's default virtualNsPrefix (simkube notes §3.4)
TAIL_SECONDS = 120.0  # default duration: the trace's last event plus this (issue 4 "What users see")
# kubectl STATUS values in the order the timeline shows them; others follow alphabetically.
STATUS_ORDER = (
    "Pending",
    "ContainerCreating",
    "Running",
    "NotReady",
    "OOMKilled",
    "CrashLoopBackOff",
    "Error",
    "Completed",
    "Terminating",
)
_NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
MAX_TIMELINE_ROWS = 40


def register(subparsers: Any) -> None:
    """Add ``simarena simulate``."""
    p = add_command(
        subparsers,
        "simulate",
        help="replay a trace on the embedded cluster and print what kubectl would show",
        exit_codes="0 done, 2 bad input (unreadable trace or cluster file, bad flag or quantity)",
        handler=cmd_simulate,
        description="Replay a SimKube trace on the embedded cluster (objects land in virtual-<namespace>) "
        "and print what kubectl get deploy,pods and kubectl get events would show, or JSON.",
    )
    p.add_argument(
        "trace", metavar="TRACE", help="a SimKube trace file (.sktrace msgpack or JSON) or a trace name"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--timeline", action="store_true", help="also print pod STATUS counts over simulated time")
    add_settings(p, "simulate")


# --------------------------------------------------------------------------------------------------
# the cluster (flags are checked while parsing, from the settings table; a missing file is a SimArenaError)


def build_spec(cluster: ClusterSettings) -> ClusterSpec:
    """The embedded cluster ``cluster`` describes: a spec file, uniform nodes, or the default nodes.

    ``cluster.kubernetes_version``, when set, is over the file's own kubernetesVersion.
    """
    from pytest_simarena.backends.embedded import ClusterSpec

    if cluster.file is not None:
        path = Path(cluster.file)
        if not path.is_file():
            raise SimArenaError(f"{cluster.file}: cluster file not found")
        spec = ClusterSpec.from_file(path)
    elif (uniform := cluster.uniform()) is not None:
        spec = ClusterSpec.uniform(uniform["nodes"], uniform["cpu"], uniform["memory"], uniform["pods"])
    else:
        spec = ClusterSpec.default()
    return spec.with_version(cluster.kubernetes_version)


def _load(path_text: str) -> Trace:
    from pytest_simarena.trace import load_trace
    from pytest_simarena.trace.catalog import find_trace

    return load_trace(find_trace(path_text))


# --------------------------------------------------------------------------------------------------
# the command


def _timeline_step(duration: float) -> float:
    """A round step giving at most MAX_TIMELINE_ROWS rows over ``duration``."""
    for step in _NICE_STEPS:
        if duration / step <= MAX_TIMELINE_ROWS:
            return float(step)
    return float(math.ceil(duration / MAX_TIMELINE_ROWS))


def status_counts(snapshot: ClusterSnapshot) -> dict[str, int]:
    """How many pods show each kubectl STATUS right now."""
    return dict(Counter(pod_status(p) for p in snapshot.pods))


def _status_columns(rows: Sequence[tuple[float, dict[str, int]]]) -> list[str]:
    seen = {s for _, counts in rows for s in counts}
    return [s for s in STATUS_ORDER if s in seen] + sorted(seen - set(STATUS_ORDER))


def render_timeline(rows: Sequence[tuple[float, dict[str, int]]]) -> str:
    """Pod STATUS counts per sampled time; a row is printed when the counts change (and the last one)."""
    columns = _status_columns(rows)
    out: list[list[object]] = []
    previous: dict[str, int] | None = None
    for i, (t, counts) in enumerate(rows):
        if counts == previous and i != len(rows) - 1:
            continue
        previous = counts
        out.append([f"{t:g}s", *(counts.get(c, 0) for c in columns), sum(counts.values())])
    return format_table(["TIME", *columns, "TOTAL"], out)


def simulate(
    trace: Trace,
    spec: ClusterSpec,
    *,
    duration: float,
    speed: float = 1.0,
    seed: int = 0,
    timeline: bool = False,
) -> tuple[EmbeddedCluster, ClusterSnapshot, list[tuple[float, dict[str, int]]]]:
    """Replay ``trace`` for ``duration`` simulated seconds: the cluster, final snapshot and timeline."""
    from pytest_simarena.backends.embedded import EmbeddedCluster

    cluster = EmbeddedCluster(spec, seed=seed)
    cluster.start(trace, PREFIX, speed=speed)
    rows: list[tuple[float, dict[str, int]]] = []
    if timeline:
        step = _timeline_step(duration)
        cluster.run(0)  # apply what is due at t=0 (the trace's first event) before the first sample
        rows.append((0.0, status_counts(cluster.observe(PREFIX))))
        t = 0.0
        while t < duration:
            advance = min(step, duration - t)
            cluster.run(advance)
            t += advance
            rows.append((t, status_counts(cluster.observe(PREFIX))))
    else:
        cluster.run(duration)
    return cluster, cluster.observe(PREFIX), rows


def snapshot_json(snapshot: ClusterSnapshot) -> dict[str, Any]:
    """The ``--json`` document: ``time``, ``workloads``, ``pods``, ``events``, ``nodes`` (camelCase)."""
    prefix = snapshot.prefix
    pods = sorted(
        snapshot.pods, key=lambda p: (p["metadata"].get("namespace", ""), p["metadata"].get("name", ""))
    )
    return {
        "time": snapshot.time,
        "workloads": [s.to_dict() for s in summarize(snapshot)],
        "pods": [pod_view(p, prefix=prefix) for p in pods],
        "events": [event_view(e, prefix=prefix) for e in sorted_events(snapshot.events)],
        "nodes": [n.to_dict() for n in node_usage(snapshot)],
    }


def _summary_table(snapshot: ClusterSnapshot) -> str:
    rows = [
        [
            s.namespace,
            f"{s.kind}/{s.name}",
            s.desired,
            s.ready,
            s.available,
            s.pending,
            s.running,
            s.crash_looping,
            s.oom_killed,
            s.restarts,
        ]
        for s in summarize(snapshot)
    ]
    head = [
        "NAMESPACE",
        "WORKLOAD",
        "DESIRED",
        "READY",
        "AVAILABLE",
        "PENDING",
        "RUNNING",
        "CRASHLOOP",
        "OOMKILLED",
        "RESTARTS",
    ]
    return format_table(head, rows) if rows else "No workloads."


def cmd_simulate(args: argparse.Namespace) -> int:
    """Handler of ``simarena simulate``."""
    values = setting_values(args)
    speed, seed, wanted = float(values["speed"]), int(values["seed"]), values["duration"]
    spec = build_spec(cluster_settings(args))
    trace = _load(args.trace)
    if wanted is None:
        from pytest_simarena.backends.embedded import replay_span

        # replay_span, not trace.duration: a leading ts-0 placeholder event (sim-arena's trace-v2) would
        # otherwise make the default ~56 years of simulated time.
        duration = replay_span(trace) / speed + TAIL_SECONDS
    else:
        duration = wanted
    cluster, snapshot, rows = simulate(
        trace, spec, duration=duration, speed=speed, seed=seed, timeline=args.timeline
    )
    del cluster
    if args.json:
        doc = snapshot_json(snapshot)
        if args.timeline:
            doc["timeline"] = [{"time": t, "counts": counts} for t, counts in rows]
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    # Object timestamps are RFC3339 on a simulated epoch = the trace's first event (so ages are real ones).
    now = float(trace.start_ts) + snapshot.time
    nodes = len(snapshot.nodes)
    print(
        f"# {Path(args.trace).name}: {snapshot.time:g} simulated seconds on {nodes} "
        f"node{'s' * (nodes != 1)}, speed {speed:g}, seed {seed}"
    )
    print()
    print(render_workloads(snapshot, now=now))
    print()
    print(render_events(snapshot, now=now))
    print()
    print(render_nodes(snapshot))
    print()
    print(_summary_table(snapshot))
    if args.timeline:
        print()
        print(render_timeline(rows))
    return EXIT_OK
