"""The text tables of ``kubectl get deploy,pods``, ``kubectl get events`` and a per-node request table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_simarena.quantities import format_cpu, format_memory

from .access import _dict, _list, _meta, _strip_prefix, original_namespace
from .columns import age, cells, human_duration, restarts_cell
from .events import _event_last_seen, event_view, sorted_events
from .resources import node_usage

if TYPE_CHECKING:
    from pytest_simarena.backends.protocol import ClusterSnapshot

Obj = dict[str, Any]


# --------------------------------------------------------------------------------------------------
# tables


def format_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Columns padded as kubectl's tabwriter does (three spaces between columns, last column unpadded)."""
    table = [list(header)] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for row in table:
        cells = [cell.ljust(widths[i] + 3) if i < len(row) - 1 else cell for i, cell in enumerate(row)]
        lines.append("".join(cells).rstrip())
    return "\n".join(lines)


_age = age
_restarts_cell = restarts_cell


def _namespaces(objs: Iterable[Mapping[str, Any]], prefix: str | None) -> set[str]:
    return {original_namespace(o, prefix) for o in objs}


def render_workloads(snapshot: ClusterSnapshot, *, now: float | None = None) -> str:
    """``kubectl get deploy,sts,rs,job,cronjob,pods``: one block per kind, ``kind.group/name`` rows.

    ``now`` is the snapshot's wall time in epoch seconds (for AGE); without it ages show ``<unknown>``.
    A NAMESPACE column (original namespaces) appears when the run spans several namespaces.
    """
    prefix = snapshot.prefix
    multi = len(_namespaces([*snapshot.workloads, *snapshot.pods], prefix)) > 1
    blocks: list[str] = []

    def ns_cell(obj: Mapping[str, Any]) -> list[str]:
        return [original_namespace(obj, prefix)] if multi else []

    ns_head = ["NAMESPACE"] if multi else []

    def by_name(objs: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        return sorted(objs, key=lambda o: (original_namespace(o, prefix), str(_meta(o).get("name", ""))))

    kinds: dict[str, list[Mapping[str, Any]]] = {}
    for obj in snapshot.workloads:
        kinds.setdefault(str(obj.get("kind")), []).append(obj)

    # Per kind: the columns of kubectl's printer (kubeview.columns) that ``kubectl get kind,...`` shows
    # without -o wide, by index into cells(), and the ``kind.group/`` name prefix.
    shown: tuple[tuple[str, str, list[Mapping[str, Any]], tuple[int, ...], list[str]], ...] = (
        (
            "Deployment",
            "deployment.apps/",
            by_name(kinds.get("Deployment", [])),
            (1, 2, 3, 4),
            ["READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
        ),
        ("StatefulSet", "statefulset.apps/", by_name(kinds.get("StatefulSet", [])), (1, 2), ["READY", "AGE"]),
        (
            "ReplicaSet",
            "replicaset.apps/",
            # ReplicaSets a Deployment owns are left out, as in ``kubectl get deploy,pods``
            by_name(r for r in kinds.get("ReplicaSet", []) if not _list(_meta(r).get("ownerReferences"))),
            (1, 2, 3, 4),
            ["DESIRED", "CURRENT", "READY", "AGE"],
        ),
        (
            "CronJob",
            "cronjob.batch/",
            by_name(kinds.get("CronJob", [])),
            (1, 3, 4, 5, 6),
            ["SCHEDULE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"],
        ),
        ("Job", "job.batch/", by_name(kinds.get("Job", [])), (1, 2, 4), ["STATUS", "COMPLETIONS", "AGE"]),
        (
            "Pod",
            "pod/",
            by_name(snapshot.pods),
            (1, 2, 3, 4, 6),
            ["READY", "STATUS", "RESTARTS", "AGE", "NODE"],
        ),
    )
    for _kind, prefix_text, objs, picks, header in shown:
        if not objs:
            continue
        rows = []
        for item in objs:
            row = cells(item, now)
            rows.append([*ns_cell(item), f"{prefix_text}{row[0]}", *(row[i] for i in picks)])
        blocks.append(format_table([*ns_head, "NAME", *header], rows))
    return "\n\n".join(blocks) if blocks else "No resources found."


def render_events(snapshot: ClusterSnapshot, *, now: float | None = None) -> str:
    """``kubectl get events``: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE, oldest first.

    The OBJECT column is ``kind/name`` in lower case (printEvent); repeats merged into one event show
    ``(xN)`` after the age, as ``kubectl describe`` does, so merged FailedScheduling counts stay visible.
    """
    events = sorted_events(snapshot.events)
    if not events:
        return "No events found."
    multi = (
        len(
            {
                _strip_prefix(str(_dict(e.get("involvedObject")).get("namespace", "")), snapshot.prefix)
                for e in events
            }
        )
        > 1
    )
    rows = []
    for e in events:
        view = event_view(e, prefix=snapshot.prefix)
        last = _event_last_seen(e)
        seen = human_duration(now - last) if now is not None and last is not None else "<unknown>"
        if view["count"] > 1:
            seen += f" (x{view['count']})"
        involved = view["involvedObject"]
        target = (
            f"{str(involved['kind']).lower()}/{involved['name']}"
            if involved["name"]
            else str(involved["kind"]).lower()
        )
        rows.append(
            [
                *([involved["namespace"]] if multi else []),
                seen,
                view["type"],
                view["reason"],
                target,
                view["message"],
            ]
        )
    head = [*(["NAMESPACE"] if multi else []), "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    return format_table(head, rows)


def render_nodes(snapshot: ClusterSnapshot) -> str:
    """Per node: requested / allocatable cpu, memory and pods, with percentages (describe node)."""
    usage = node_usage(snapshot)
    if not usage:
        return "No nodes."

    def pct(used: int, total: int) -> str:
        return f"{(100 * used // total) if total else 0}%"

    rows = [
        [
            n.name,
            f"{format_cpu(n.requested_cpu)}/{format_cpu(n.allocatable_cpu)} "
            f"({pct(n.requested_cpu, n.allocatable_cpu)})",
            f"{format_memory(n.requested_memory)}/{format_memory(n.allocatable_memory)} "
            f"({pct(n.requested_memory, n.allocatable_memory)})",
            f"{n.pods}/{n.allocatable_pods}",
        ]
        for n in usage
    ]
    return format_table(["NODE", "CPU REQUESTS", "MEMORY REQUESTS", "PODS"], rows)
