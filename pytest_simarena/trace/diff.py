"""What changed between two traces, per workload and field: :func:`diff_traces` and :func:`render_diff`.

Used by ``simarena trace diff``, ``simarena trace apply`` and the pytest plugin's failure output. Compared:
replicas, each container's requests, limits and declared usage (``simarena.io/usage``), containers added
or removed, workloads added or removed, and the trace's event count and time span. A workload applied
several times is compared version by version (the n-th applied version of A against the n-th of B); a
change is reported once with the number of versions it touches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_simarena.errors import SimArenaError
from pytest_simarena.quantities import parse_quantity

from .model import Obj, Trace, WorkloadRef, containers, pod_template
from .usage import format_usage, read_usage


@dataclass(frozen=True, slots=True)
class Change:
    """One difference. ``workload`` is None for trace-level fields (``events``, ``time span``).

    ``field``: ``replicas``, ``requests.cpu``, ``limits.memory``, ``usage.cpu``, ``container`` (added or
    removed), ``workload`` (added or removed), ``events``, ``time span``. ``versions``/``of`` say in how many
    of the workload's applied versions the change appears (both 1 for single-version workloads).
    """

    workload: WorkloadRef | None
    field: str
    before: Any
    after: Any
    container: str | None = None
    versions: int = 1
    of: int = 1

    def render(self) -> str:
        """One line, e.g. ``Deployment default/web container web: requests.cpu 17 -> 16500m``."""
        if self.field == "workload":
            return f"{'+' if self.after else '-'} {self.workload} ({'added' if self.after else 'removed'})"
        subject = str(self.workload) if self.workload is not None else "trace"
        if self.field == "container":
            return f"{subject}: container {self.container} {'added' if self.after else 'removed'}"
        if self.container is not None:
            subject += f" container {self.container}"
        scope = ""
        if self.of > 1:
            scope = (
                f" (all {self.of} versions)"
                if self.versions == self.of
                else f" (in {self.versions} of {self.of} versions)"
            )
        return f"{subject}: {self.field} {_show(self.before)} -> {_show(self.after)}{scope}"


def _show(value: Any) -> str:
    return "(none)" if value is None else str(value)


def render_diff(changes: list[Change]) -> list[str]:
    """Text lines for ``changes``; ``["no differences"]`` when there are none."""
    return [c.render() for c in changes] or ["no differences"]


def _same_quantity(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return parse_quantity(a) == parse_quantity(b)
    except SimArenaError:
        return bool(a == b)


def _fields(obj: Obj, config: Obj) -> dict[tuple[str | None, str], Any]:
    """``{(container or None, field): value}`` for the compared fields of one object version."""
    out: dict[tuple[str | None, str], Any] = {}
    spec = obj.get("spec")
    if obj.get("kind") != "Pod" and isinstance(spec, dict) and "replicas" in spec:
        out[(None, "replicas")] = spec["replicas"]
    try:
        usage = read_usage(pod_template(obj, config))
    except SimArenaError:
        usage = {}
    for init in (True, False):
        for c in containers(obj, config, init=init):
            name = str(c.get("name"))
            out[(name, "container")] = True
            resources = c.get("resources") or {}
            for which in ("requests", "limits"):
                for resource, value in (resources.get(which) or {}).items():
                    out[(name, f"{which}.{resource}")] = value
            for resource, amount in usage.get(name, {}).items():
                out[(name, f"usage.{resource}")] = format_usage(resource, amount)
    return out


def _differs(field: str, a: Any, b: Any) -> bool:
    if field.startswith(("requests.", "limits.", "usage.")):
        return not _same_quantity(a, b)
    return bool(a != b)


def _diff_versions(ref: WorkloadRef, old: list[Obj], new: list[Obj], a: Trace, b: Trace) -> list[Change]:
    # key -> (first before, first after, versions touched); dict order = first-seen order.
    found: dict[tuple[str | None, str], list[Any]] = {}
    pairs = max(len(old), len(new))
    for n in range(min(len(old), len(new))):
        before, after = _fields(old[n], a.config), _fields(new[n], b.config)
        for key in {**before, **after}:
            x, y = before.get(key), after.get(key)
            if _differs(key[1], x, y):
                if key in found:
                    found[key][2] += 1
                else:
                    found[key] = [x, y, 1]
    changes = []
    for (container, field), (x, y, count) in found.items():
        if field == "container":
            changes.append(Change(ref, "container", x, y, container=container, versions=count, of=pairs))
            continue
        if (container, "container") in found:
            continue  # the whole container was added or removed: its fields are implied
        changes.append(Change(ref, field, x, y, container=container, versions=count, of=pairs))
    if len(old) != len(new):
        changes.append(Change(ref, "applied versions", len(old), len(new), of=1))
    return changes


def diff_traces(a: Trace, b: Trace) -> list[Change]:
    """Changes from ``a`` to ``b``: per workload (in order of first appearance), then trace-level fields."""
    old = {ref: a.versions_of(ref) for ref in a.workloads()}
    new = {ref: b.versions_of(ref) for ref in b.workloads()}
    changes: list[Change] = []
    for ref, versions in old.items():
        if ref not in new:
            changes.append(Change(ref, "workload", True, False))
            continue
        changes += _diff_versions(ref, versions, new[ref], a, b)
    for ref in new:
        if ref not in old:
            changes.append(Change(ref, "workload", False, True))
    if len(a.events) != len(b.events):
        changes.append(Change(None, "events", len(a.events), len(b.events)))
    if a.duration != b.duration:
        changes.append(Change(None, "time span", f"{a.duration}s", f"{b.duration}s"))
    return changes
