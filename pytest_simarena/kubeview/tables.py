"""The text tables of ``kubectl get deploy,pods``, ``kubectl get events`` and a per-node request table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_simarena.quantities import format_cpu, format_memory

from .access import _condition, _dict, _list, _meta, _strip_prefix, original_namespace, parse_time
from .columns import age, human_duration, restarts_cell
from .events import _event_last_seen, event_view, sorted_events
from .pods import _print_pod
from .resources import node_usage
from .workloads import _desired

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

    deploys = by_name(kinds.get("Deployment", []))
    if deploys:
        rows = []
        for d in deploys:
            st = _dict(d.get("status"))
            rows.append(
                [
                    *ns_cell(d),
                    f"deployment.apps/{_meta(d).get('name')}",
                    f"{int(st.get('readyReplicas') or 0)}/{_desired(d)}",
                    int(st.get("updatedReplicas") or 0),
                    int(st.get("availableReplicas") or 0),
                    _age(d, now),
                ]
            )
        blocks.append(format_table([*ns_head, "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], rows))
    sts = by_name(kinds.get("StatefulSet", []))
    if sts:
        rows = [
            [
                *ns_cell(s),
                f"statefulset.apps/{_meta(s).get('name')}",
                f"{int(_dict(s.get('status')).get('readyReplicas') or 0)}/{_desired(s)}",
                _age(s, now),
            ]
            for s in sts
        ]
        blocks.append(format_table([*ns_head, "NAME", "READY", "AGE"], rows))
    # ReplicaSets a Deployment owns are left out, as in ``kubectl get deploy,pods``
    rsets = by_name(r for r in kinds.get("ReplicaSet", []) if not _list(_meta(r).get("ownerReferences")))
    if rsets:
        rows = []
        for r in rsets:
            st = _dict(r.get("status"))
            rows.append(
                [
                    *ns_cell(r),
                    f"replicaset.apps/{_meta(r).get('name')}",
                    _desired(r),
                    int(st.get("replicas") or 0),
                    int(st.get("readyReplicas") or 0),
                    _age(r, now),
                ]
            )
        blocks.append(format_table([*ns_head, "NAME", "DESIRED", "CURRENT", "READY", "AGE"], rows))
    cronjobs = by_name(kinds.get("CronJob", []))
    if cronjobs:
        rows = []
        for c in cronjobs:
            spec, st = _dict(c.get("spec")), _dict(c.get("status"))
            last = parse_time(st.get("lastScheduleTime"))
            rows.append(
                [
                    *ns_cell(c),
                    f"cronjob.batch/{_meta(c).get('name')}",
                    spec.get("schedule", ""),
                    "True" if spec.get("suspend") else "False",
                    len(_list(st.get("active"))),
                    human_duration(now - last) if now is not None and last is not None else "<none>",
                    _age(c, now),
                ]
            )
        blocks.append(
            format_table([*ns_head, "NAME", "SCHEDULE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"], rows)
        )
    jobs = by_name(kinds.get("Job", []))
    if jobs:
        rows = []
        for j in jobs:
            st = _dict(j.get("status"))
            done = _condition(j, "Complete")
            failed = _condition(j, "Failed")
            if done is not None and done.get("status") == "True":
                state = "Complete"
            elif failed is not None and failed.get("status") == "True":
                state = "Failed"
            else:
                state = "Running"
            rows.append(
                [
                    *ns_cell(j),
                    f"job.batch/{_meta(j).get('name')}",
                    state,
                    f"{int(st.get('succeeded') or 0)}/{_desired(j)}",
                    _age(j, now),
                ]
            )
        blocks.append(format_table([*ns_head, "NAME", "STATUS", "COMPLETIONS", "AGE"], rows))
    pods = by_name(snapshot.pods)
    if pods:
        rows = []
        for p in pods:
            cols = _print_pod(p)
            rows.append(
                [
                    *ns_cell(p),
                    f"pod/{_meta(p).get('name')}",
                    f"{cols.ready}/{cols.total}",
                    cols.status,
                    _restarts_cell(p, now),
                    _age(p, now),
                    _dict(p.get("spec")).get("nodeName") or "<none>",
                ]
            )
        blocks.append(format_table([*ns_head, "NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE"], rows))
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
