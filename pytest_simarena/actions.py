"""Actions: the edits a policy makes to a trace (bump/reduce cpu or memory, scale, set explicitly).

An action names a workload (a Deployment unless ``kind`` says otherwise; any traced kind with a pod
template works) and is applied to *every* applied version of it in the trace, so a replay uses the
edited spec. Resource actions touch every container, or only the named one.

Semantics, chosen so that ``bump`` then ``reduce`` by the same step restores the trace:

* ``bump_*``/``reduce_*`` move a container's request *and* limit for the resource by the step, keeping
  their gap, so a request never ends above its limit. A container with only a limit has its limit moved:
  the API defaults the request to the limit (kubernetes notes 2.1), so the effective request moves with
  it. A container with neither starts from 0 on a bump; a reduce leaves it unchanged. A reduce that
  lands a request (with no limit) exactly on 0 removes it, since an absent request is 0 (notes 2.1).
* ``set_resources`` writes the given requests/limits (``None`` removes one). A request set above the
  existing limit raises the limit with it; a limit set below the existing request lowers the request
  (requests may not exceed limits, notes 2.3). The result says so.
* ``scale_up``/``scale_down``/``set_replicas`` edit ``spec.replicas`` (absent means 1, notes 6.1) of
  kinds that have replicas.
* Arithmetic is exact (``0.5m`` bumped and reduced is ``0.5m`` again); the safeguards judge the values
  the scheduler counts (rounded up). Written values are canonical Kubernetes quantities (``1500m``,
  ``1536Mi``); untouched values keep their spelling. Bump then reduce restores the trace byte for byte
  when its quantities were canonical, and to exactly equal quantities otherwise. A ``resources`` map or
  ``spec.replicas`` an action had to create is removed again when a later action brings it back to the
  API default (empty, 1): the trace remembers them in ``Trace.action_added`` (in memory only, so after a
  save and load the default is written explicitly instead).
* The safeguards (safeguards.py) judge every value an action would write; a blocked action leaves the
  trace unchanged. Blocking, not-found and unchanged are results, never exceptions; ActionError is only
  for a malformed action (unknown type, bad amount, ambiguous workload).

The input trace is never mutated. The result shares everything it did not edit with the input (the
events list, touched events and edited objects are new), so treat traces as values, or call
``result.trace.copy()`` before editing it in place. SimKube's ``index`` hashes are left as traced: the
driver only checks key membership (simkube notes 1.6), as after SimKube's own SKEL transforms.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .action_model import (
    _FORMATTERS,
    _UNSET,
    ACTION_TYPES,
    DEFAULT_STEPS,
    RESOURCE_ACTIONS,
    SCALABLE_KINDS,
    SCALE_ACTIONS,
    Action,
    QuantityLike,
    ResourceSpec,
    _counted,
    _fail,
    _unit_value,
)
from .bounded import BoundedDict
from .errors import QuantityError, TraceError
from .safeguards import DEFAULT_SAFEGUARDS, Proposal, Safeguards, Verdict
from .trace.model import Obj, Trace, WorkloadRef, describe, gvk_of, pod_template, template_path

# Action and its constants moved to action_model.py; re-exported here, where callers import them.
__all__ = [
    "ACTION_TYPES",
    "DEFAULT_STEPS",
    "NOOP_MESSAGE",
    "RESOURCE_ACTIONS",
    "SCALABLE_KINDS",
    "SCALE_ACTIONS",
    "STATUSES",
    "Action",
    "ActionResult",
    "FieldChange",
    "Plan",
    "QuantityLike",
    "ResourceSpec",
    "apply_action",
    "apply_action_known",
    "apply_action_routed",
    "check_action",
    "clear",
    "edit_values",
    "plan_action",
]

STATUSES = ("applied", "unchanged", "blocked", "not_found")


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field an action changed: ``before``/``after`` as written in the trace (None = absent)."""

    workload: str
    container: str | None
    field: str
    before: str | int | None
    after: str | int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "container": self.container,
            "field": self.field,
            "before": self.before,
            "after": self.after,
        }

    def __str__(self) -> str:
        who = f"container {self.container} " if self.container else ""
        return f"{who}{self.field} {_show(self.before)} -> {_show(self.after)}"


def _show(value: str | int | None) -> str:
    return "(absent)" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What applying an action did. ``trace`` is the input trace itself unless ``status == "applied"``."""

    status: str
    trace: Trace
    changes: list[FieldChange]
    message: str
    action: Action | None = None
    verdict: Verdict | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.status == "applied"

    @property
    def blocked(self) -> bool:
        return self.status == "blocked"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for logs (without the trace)."""
        return {
            "status": self.status,
            "changed": self.changed,
            "message": self.message,
            "action": self.action.to_dict() if self.action else None,
            "changes": [c.to_dict() for c in self.changes],
            "notes": list(self.notes),
            "verdict": self.verdict.to_dict() if self.verdict else None,
        }


@dataclass
class Plan:
    """What an action would do to a trace, computed without touching it (see :func:`plan_action`).

    ``status`` is ``"edit"`` when there is something to write, else ``"unchanged"`` or ``"not_found"``.
    ``edits`` maps ``(event index, object index)`` to the edited copy of that applied object.
    """

    status: str
    message: str = ""
    ref: WorkloadRef | None = None
    edits: dict[tuple[int, int], Obj] = field(default_factory=dict)
    changes: list[FieldChange] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Trace.action_added after the edits: fields an action created where the trace had none.
    added: set[tuple[int, int, str]] = field(default_factory=set)

    def change(self, item: FieldChange) -> None:
        if item not in self.changes:  # identical edits of several versions are reported once
            self.changes.append(item)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def _edit_copy(obj: Obj, pointer: str) -> Obj:
    """A copy of ``obj`` that is new wherever an action writes: the object, its spec, the dicts on the
    way to the pod template (``pointer``), the template's spec, its container lists and each container
    down to ``resources.requests``/``limits``. Everything else is shared with ``obj`` (never written).
    (Was a deep copy of the whole object: 3-5x the cost of an action on the canonical trace.)"""
    new: Obj = _fresh(obj)
    if isinstance(new.get("spec"), dict):
        new["spec"] = _fresh(new["spec"])
    template: Any = new
    for part in pointer.lstrip("/").split("/") if pointer else ():
        child = template.get(part)
        if not isinstance(child, dict):
            return new
        if template is not new or part != "spec":  # (the object's spec is a copy already)
            child = template[part] = _fresh(child)
        template = child
    spec = template.get("spec")
    if not isinstance(spec, dict):
        return new
    if template is not new:
        template["spec"] = spec = _fresh(spec)
    for group in ("containers", "initContainers"):
        items = spec.get(group)
        if isinstance(items, list):
            copied = [_container_copy(item) for item in items]
            spec[group] = copied if type(items) is list else copy.copy(items)
            if type(items) is not list:
                spec[group][:] = copied
    return new


def _fresh(d: Any) -> Any:
    """A shallow copy of a dict, of its own type (a dict subclass keeps its class)."""
    return dict(d) if type(d) is dict else copy.copy(d)


def _container_copy(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    item = _fresh(item)
    resources = item.get("resources")
    if isinstance(resources, dict):
        item["resources"] = resources = _fresh(resources)
        for which in ("requests", "limits"):
            group = resources.get(which)
            if isinstance(group, dict):
                resources[which] = _fresh(group)
    return item


class _Version:
    """One applied version of the target being edited: its copy and where errors should point."""

    def __init__(self, plan: Plan, trace: Trace, ref: WorkloadRef, event: int, index: int, obj: Obj) -> None:
        self.plan = plan
        self.trace = trace
        self.ref = ref
        self.position = (event, index)
        self.location = f"events[{event}].applied_objs[{index}]"
        self.original = obj
        pointer = template_path(ref.gvk, trace.config) or ""
        self.obj: Obj = _edit_copy(obj, pointer)
        prefix = pointer.strip("/").replace("/", ".")
        self.spec_prefix = f"{prefix}.spec" if prefix else "spec"

    def created(self, field_path: str) -> None:
        """Remember that an action wrote ``field_path`` where this version had none."""
        self.plan.added.add((*self.position, field_path))

    def drop_if_created(self, parent: Obj, key: str, field_path: str) -> bool:
        """Remove ``parent[key]`` when an action created it; True if removed (an exact restore)."""
        marker = (*self.position, field_path)
        if marker not in self.plan.added:
            return False
        del parent[key]
        self.plan.added.discard(marker)
        return True

    def error(self, field_path: str, problem: str) -> TraceError:
        return TraceError(
            problem,
            path=self.trace.path,
            location=self.location,
            obj=describe(self.original),
            field=field_path,
        )


NOOP_MESSAGE = "noop: nothing to do"


def plan_action(trace: Trace, action: Action) -> Plan:
    """What ``action`` would change in ``trace``: edited copies, field changes and values to judge.

    Pure: ``trace`` is not modified. Raises ActionError when the workload name is ambiguous and
    TraceError when a value it must read is malformed.
    """
    if action.type == "noop":
        return Plan("unchanged", NOOP_MESSAGE)
    # One pass over the applied objects for both the lookup (Trace.find) and the versions to edit.
    applied = [(i, j, obj, WorkloadRef.of(obj)) for i, j, obj in trace.applied()]
    name, kind, namespace = action.workload, action.kind, action.namespace
    matches = [
        ref
        for ref in dict.fromkeys(found for _, _, _, found in applied)
        if ref.name == name
        and (kind is None or ref.kind == kind)
        and (namespace is None or ref.namespace == namespace)
    ]
    if not matches:
        return Plan("not_found", _not_found(trace, action))
    if len(matches) > 1:
        names = ", ".join(str(m) for m in matches)
        raise _fail(action.type, f"{action.workload!r} is ambiguous ({names}); give namespace and kind")
    ref = matches[0]
    plan = Plan("edit", ref=ref, added=set(trace.action_added))
    positions = [(i, j) for i, j, _, found in applied if found == ref]
    versions = [_Version(plan, trace, ref, i, j, obj) for i, j, obj, found in applied if found == ref]
    scale = action.type in SCALE_ACTIONS or action.type == "set_replicas"
    missing: list[str] = []
    for version in versions:
        problem = _plan_replicas(plan, version, action) if scale else _plan_resources(plan, version, action)
        if problem:
            missing.append(problem)
    if len(missing) == len(versions):
        return Plan("not_found", missing[0], ref=ref, notes=plan.notes)
    if missing:
        plan.note(f"{len(missing)} of {len(versions)} versions of {ref} skipped: {missing[0]}")
    for version, position in zip(versions, positions, strict=True):
        if version.obj != version.original:
            plan.edits[position] = version.obj
    if not plan.edits:
        return Plan(
            "unchanged",
            f"{action.type}: nothing to change in {ref}" + _suffix(plan.notes),
            ref=ref,
            proposals=plan.proposals,
            notes=plan.notes,
        )
    return plan


def _suffix(notes: list[str]) -> str:
    return f" ({'; '.join(notes)})" if notes else ""


def _not_found(trace: Trace, action: Action) -> str:
    kind = action.kind or "workload"
    where = f"{action.namespace}/{action.workload}" if action.namespace else action.workload
    existing = trace.workloads()
    listed = ", ".join(str(w) for w in existing) or "none"
    message = f"{action.type}: {kind} {where} not found in the trace; workloads: {listed}"
    same_name = [w for w in existing if w.name == action.workload]
    if same_name:
        message += f". Same name: {', '.join(str(w) for w in same_name)} (set kind/namespace)"
    else:
        close = difflib.get_close_matches(action.workload, sorted({w.name for w in existing}), n=2)
        if close:
            message += f". Did you mean {' or '.join(repr(c) for c in close)}?"
    return message


def _plan_replicas(plan: Plan, version: _Version, action: Action) -> str | None:
    """Plan a replicas edit of one version; returns why not when the version has no replicas."""
    ref = version.ref
    spec = version.obj.get("spec")
    if not isinstance(spec, dict) or ("replicas" not in spec and ref.kind not in SCALABLE_KINDS):
        return f"{action.type}: {ref} has no spec.replicas (only {', '.join(SCALABLE_KINDS)} scale)"
    raw = spec.get("replicas")
    if raw is None:
        before = 1  # the API's default (kubernetes notes 6.1)
        plan.note(f"{ref} had no spec.replicas; the API defaults it to 1")
    elif isinstance(raw, bool) or not isinstance(raw, int):
        raise version.error("spec.replicas", f"{raw!r} is not a whole number")
    else:
        before = raw
    if action.type == "set_replicas":
        after = action.step
    else:
        after = before + SCALE_ACTIONS[action.type] * action.step
    plan.proposals.append(Proposal(ref.key, None, "replicas", "spec.replicas", before, after))
    if after == before:  # also when absent and asked for the default 1: nothing to write
        return None
    if after == 1 and version.drop_if_created(spec, "replicas", "spec.replicas"):
        # Back to the API's default where an earlier action wrote a replicas the trace did not have:
        # removing it again makes scale_up then scale_down restore the trace exactly.
        plan.note(f"{ref}: spec.replicas back to the default 1, removed as the trace had none")
        plan.change(FieldChange(ref.key, None, "spec.replicas", raw, None))
        return None
    if "replicas" not in spec:
        version.created("spec.replicas")
    _put(spec, "replicas", after)
    plan.change(FieldChange(ref.key, None, "spec.replicas", raw, after))
    return None


def _plan_resources(plan: Plan, version: _Version, action: Action) -> str | None:
    """Plan a resources edit of one version; returns why not when it has no (such) container."""
    ref = version.ref
    template = pod_template(version.obj, version.trace.config)
    if template is None or not isinstance(template.get("spec"), dict):
        return f"{action.type}: {ref} has no pod template"
    spec = template["spec"]
    targets: list[tuple[str, Obj]] = []
    # "All containers" means the app containers; a named container may also be an init container.
    groups = ("containers",) if action.container is None else ("containers", "initContainers")
    names: list[str] = []
    for group in groups:
        items = spec.get(group)
        if not isinstance(items, list):
            continue
        for k, container in enumerate(items):
            if not isinstance(container, dict):
                continue
            names.append(str(container.get("name")))
            if action.container is None or container.get("name") == action.container:
                targets.append((f"{version.spec_prefix}.{group}[{k}]", container))
    if not targets:
        want = f"container {action.container!r}" if action.container else "containers"
        return f"{action.type}: {ref} has no {want}; containers: {', '.join(names) or 'none'}"
    for path, container in targets:
        edit = _ContainerEdit(plan, version, path, container)
        if action.type in RESOURCE_ACTIONS:
            resource, sign = RESOURCE_ACTIONS[action.type]
            edit.shift(resource, sign * action._delta)
        else:
            for resource, (request, limit) in action._targets.items():
                edit.set(resource, request, limit)
    return None


def _put(d: Obj, key: str, value: Any) -> None:
    """``d[key] = value``; a new key keeps the dict sorted when it was (SimKube writes sorted keys)."""
    if key in d:  # an existing key keeps its place, so an unsorted dict keeps its order
        d[key] = value
        return
    keys = list(d)
    was_sorted = keys == sorted(keys)
    d[key] = value
    if was_sorted:
        items = sorted(d.items())
        d.clear()
        d.update(items)


class _ContainerEdit:
    """The edits of one container in one version of the workload, recorded into the plan."""

    def __init__(self, plan: Plan, version: _Version, path: str, container: Obj) -> None:
        self.plan = plan
        self.version = version
        self.path = path
        self.container = container
        self.name = str(container.get("name"))

    def read(self, which: str, resource: str) -> tuple[Any, Fraction | None]:
        """``(raw, exact value in its unit)`` of ``resources.<which>.<resource>``; None, None if absent."""
        resources = self.container.get("resources")
        group = resources.get(which) if isinstance(resources, dict) else None
        raw = group.get(resource) if isinstance(group, dict) else None
        if raw is None:
            return None, None
        try:
            return raw, _unit_value(resource, raw)
        except QuantityError as exc:
            raise self.version.error(f"{self.path}.resources.{which}.{resource}", str(exc)) from None

    def write(
        self, which: str, resource: str, raw: Any, before: Fraction | None, after: Fraction | None
    ) -> None:
        """Set (canonical) or remove (None) ``resources.<which>.<resource>`` and record the change."""
        resources = self.container.get("resources")
        if not isinstance(resources, dict):
            if "resources" not in self.container:
                self.version.created(f"{self.path}.resources")
            resources = {}
            _put(self.container, "resources", resources)
        group = resources.get(which)
        if not isinstance(group, dict):
            group = {}
            _put(resources, which, group)
        shown_after = None if after is None else _FORMATTERS[resource](after)
        if shown_after is None:
            group.pop(resource, None)
        else:
            _put(group, resource, shown_after)
        if not group:
            del resources[which]  # Kubernetes omits an empty ResourceList
        if not resources:
            # An emptied map an earlier action created goes too, so bump then reduce restores exactly.
            self.version.drop_if_created(self.container, "resources", f"{self.path}.resources")
        field_name = f"resources.{which}.{resource}"
        key = self.version.ref.key
        proposal = Proposal(key, self.name, resource, field_name, _counted(before), _counted(after))
        self.plan.proposals.append(proposal)
        self.plan.change(
            FieldChange(key, self.name, field_name, None if raw is None else str(raw), shown_after)
        )

    def shift(self, resource: str, delta: Fraction) -> None:
        """Move the request and limit of ``resource`` by ``delta`` (see the module docstring)."""
        plan, name = self.plan, self.name
        raw_req, request = self.read("requests", resource)
        raw_lim, limit = self.read("limits", resource)
        if request is None and limit is None:
            if delta < 0:
                plan.note(f"container {name} has no {resource} request or limit to reduce")
                return
            plan.note(f"container {name} had no {resource} request or limit; started from 0")
            self.write("requests", resource, None, None, delta)
            return
        if request is None:
            # The API defaults a missing request to the limit (kubernetes notes 2.1): moving the limit
            # moves both.
            plan.note(
                f"container {name} had no {resource} request; its limit {raw_lim} is the effective request"
            )
        elif limit is None and request + delta == 0:
            # An absent request is a request of 0 (kubernetes notes 2.1), so landing exactly on 0 removes it
            # instead of writing a value under the floor: this undoes a bump that started from nothing.
            plan.note(f"container {name}: {resource} request reduced to 0, so removed")
            self.write("requests", resource, raw_req, request, None)
            return
        else:
            self.write("requests", resource, raw_req, request, request + delta)
        if limit is not None:
            self.write("limits", resource, raw_lim, limit, limit + delta)

    def set(self, resource: str, want_request: Any, want_limit: Any) -> None:
        """Write the asked request/limit of ``resource``, keeping request <= limit (kubernetes notes 2.3)."""
        raw_req, request = self.read("requests", resource)
        raw_lim, limit = self.read("limits", resource)
        new_request = request if want_request is _UNSET else want_request
        new_limit = limit if want_limit is _UNSET else want_limit
        if new_request is not None and new_limit is not None and new_request > new_limit:
            fmt = _FORMATTERS[resource]
            # Only one side was given (both given and inverted is refused when the action is built).
            if want_limit is _UNSET:
                moved = f"raised the {resource} limit {fmt(new_limit)} to the request {fmt(new_request)}"
                new_limit = new_request
            else:
                moved = f"lowered the {resource} request {fmt(new_request)} to the limit {fmt(new_limit)}"
                new_request = new_limit
            self.plan.note(f"container {self.name}: {moved} (requests may not exceed limits)")
        if new_request != request:
            self.write("requests", resource, raw_req, request, new_request)
        if new_limit != limit:
            self.write("limits", resource, raw_lim, limit, new_limit)


def _rebuild(trace: Trace, edits: dict[tuple[int, int], Obj], added: Any) -> Trace:
    """A new Trace with the edits swapped in and ``added`` as its action_added; untouched events and
    objects are shared."""
    events = list(trace.events)
    touched: dict[int, list[Obj]] = {}
    for (i, j), obj in edits.items():
        if i not in touched:
            event = dict(events[i])
            touched[i] = list(event.get("applied_objs") or [])
            event["applied_objs"] = touched[i]
            events[i] = event
        touched[i][j] = obj
    # A shallow copy with three fields replaced (dataclasses.replace re-runs __init__: 3x the cost; what
    # copy.copy does for a plain instance, without its reduce protocol).
    if type(trace) is Trace:
        new = object.__new__(Trace)
        new.__dict__.update(trace.__dict__)
    else:  # a subclass may keep state copy.copy knows how to copy (slots, __copy__)
        new = copy.copy(trace)
    new.events, new.notes, new.action_added = events, list(trace.notes), frozenset(added)
    return new


def check_action(trace: Trace, action: Action, *, safeguards: Safeguards | None = None) -> Verdict:
    """Judge ``action`` against ``trace`` without applying it (pure; for the episode loop's log).

    An action with nothing to judge (``noop``, workload not found) is allowed: it cannot cross a bound.
    Here rather than in :mod:`pytest_simarena.safeguards`, which judges proposals and knows no actions.
    """
    guards = safeguards or DEFAULT_SAFEGUARDS
    return guards.judge(action.type, plan_action(trace, action).proposals)


def apply_action(trace: Trace, action: Action, *, safeguards: Safeguards | None = None) -> ActionResult:
    """Apply ``action`` to every applied version of its workload; ``trace`` itself is never modified.

    Returns ``applied`` (with a new trace), ``unchanged``, ``blocked`` (a safeguard would be crossed) or
    ``not_found`` (the message lists the workloads or containers that exist); in the last three cases
    ``result.trace is trace``.
    """
    return apply_action_routed(trace, action, safeguards=safeguards)[0]


def apply_action_routed(
    trace: Trace, action: Action, *, safeguards: Safeguards | None = None
) -> tuple[ActionResult, bool]:
    """:func:`apply_action`, and whether its answer came from the direct route (:func:`_single_edit`):
    then a new trace differs from ``trace`` only in values at the places :func:`edit_values` reads."""
    guards = safeguards or DEFAULT_SAFEGUARDS
    single = _single_edit(trace, action)
    if single is not None:
        return _applied(trace, action, guards, *single), True
    return _apply_planned(trace, action, guards), False


def apply_action_known(
    trace: Trace, action: Action, guards: Safeguards, root: str, values: tuple[Any, ...]
) -> tuple[ActionResult, bool, tuple[Any, ...] | None]:
    """:func:`apply_action_routed` for a trace known to be the trace ``root`` names with ``values`` at
    the places :func:`edit_values` reads (trace/keys.py), and the new trace's values when the direct
    route made one. The direct route's answer is a function of what it reads: the root's structure
    (names, template path, which values exist), the action, the safeguards and the values it edits;
    so it is remembered by those, and a repeat only writes the remembered values into a copy of the
    object along their paths (random episodes meet ~65 such answers in ~860 actions)."""
    at = -1  # where the values read sit in a container's four (-1: spec.replicas)
    if action.type in SCALE_ACTIONS:
        read: Any = (values[0], (0, 0, "spec.replicas") in trace.action_added)
    elif action.type in RESOURCE_ACTIONS:
        at = _PLACES_OF[RESOURCE_ACTIONS[action.type][0]]
        read = tuple(None if c is None else (c[at], c[at + 1]) for c in values[1:])
    else:
        result, direct = apply_action_routed(trace, action, safeguards=guards)
        return result, direct, None
    amount = action.amount
    key: tuple[Any, ...] = (root, action.type, action.workload, action.kind, action.namespace)
    key += (action.container, amount, type(amount), guards, read)
    found = _BY_VALUES.get(key, _UNSEEN)
    if found is _UNSEEN:
        single = _single_edit(trace, action)
        if single is None:
            _BY_VALUES[key] = None
            return _apply_planned(trace, action, guards), False, None
        result = _applied(trace, action, guards, *single)
        after = None if result.trace is trace else edit_values(result.trace)
        wrote = None  # only the values it read, written (the rest is this trace's, not the answer's)
        if after is not None:
            wrote = after[0] if at < 0 else tuple(None if c is None else c[at : at + 2] for c in after[1:])
        _BY_VALUES[key] = (result.status, result.message, tuple(result.changes), result.verdict, wrote)
        return result, True, after
    if found is None:
        return _apply_planned(trace, action, guards), False, None
    status, message, changes, verdict, wrote = found
    if wrote is None:
        return ActionResult(status, trace, [], message, action, verdict, []), True, None
    if at < 0:
        after = (wrote, *values[1:])
    else:
        moved = zip(values[1:], wrote, strict=True)
        after = (values[0], *(None if c is None else (*c[:at], *w, *c[at + 2 :]) for c, w in moved))
    written = _written(trace, values, after)
    new = _rebuild(trace, {(0, 0): written}, trace.action_added)
    return ActionResult(status, new, list(changes), message, action, verdict, []), True, after


# What the direct route answered, by what it read (apply_action_known): (status, message, changes,
# verdict, the new trace's values or None when it kept the trace), or None: not the direct route's.
_BY_VALUES: BoundedDict[tuple[Any, ...], tuple[str, str, tuple[FieldChange, ...], Any, Any] | None] = (
    BoundedDict(4096)
)
_UNSEEN: Any = object()


def clear() -> None:
    """Forget the direct route's remembered answers (benchmarks start each figure cold)."""
    _BY_VALUES.clear()


# Where a resource's request and limit sit in edit_values' four values of a container.
_PLACES_OF = {"cpu": 0, "memory": 2}
_PLACES = (("requests", "cpu"), ("limits", "cpu"), ("requests", "memory"), ("limits", "memory"))


def _written(trace: Trace, before: tuple[Any, ...], after: tuple[Any, ...]) -> Obj:
    """The trace's one object with the values ``after`` written where they differ from ``before`` (at
    the places :func:`edit_values` reads), copied along those paths only, as :func:`_single_edit`
    copies them: the same object, key order and sharing."""
    obj: Obj = trace.events[0]["applied_objs"][0]
    spec = obj["spec"]
    new: Obj = obj
    if after[0] != before[0]:
        new = {**obj, "spec": {**spec, "replicas": after[0]}}
    if after[1:] == before[1:]:
        return new
    pointer = template_path(gvk_of(obj), trace.config) or ""
    path = pointer.lstrip("/").split("/") if pointer else []
    template: Any = new
    for part in path:
        template = template[part]
    pod_spec = template["spec"]
    containers = pod_spec["containers"]
    edited = list(containers)
    for k, (was, now) in enumerate(zip(before[1:], after[1:], strict=True)):
        if was == now:
            continue
        container = containers[k]
        resources = dict(container["resources"])
        for (which, resource), old_value, new_value in zip(_PLACES, was, now, strict=True):
            if new_value != old_value:
                resources[which] = {**resources[which], resource: new_value}
        edited[k] = {**container, "resources": resources}
    out: Obj = {**template, "spec": {**pod_spec, "containers": edited}}
    for depth in range(len(path) - 1, -1, -1):
        parent: Any = new  # (its spec holds a replicas written above)
        for part in path[:depth]:
            parent = parent[part]
        out = {**parent, path[depth]: out}
    return out


def _apply_planned(trace: Trace, action: Action, guards: Safeguards) -> ActionResult:
    """apply_action through the general planner (:func:`plan_action`), whatever the trace."""
    plan = plan_action(trace, action)
    if plan.status != "edit":
        return ActionResult(plan.status, trace, [], plan.message, action, None, plan.notes)
    verdict = guards.judge(action.type, plan.proposals)
    if verdict.blocked:
        return ActionResult("blocked", trace, [], verdict.message, action, verdict, plan.notes)
    message = f"{action.type} applied to {plan.ref}: " + "; ".join(str(c) for c in plan.changes)
    return ActionResult(
        "applied",
        _rebuild(trace, plan.edits, plan.added),
        plan.changes,
        message + _suffix(plan.notes),
        action,
        verdict,
        plan.notes,
    )


# -- the common case, directly: one applied object, values present and moved (no notes, nothing created)


def _single_edit(
    trace: Trace, action: Action
) -> tuple[WorkloadRef, Obj, list[FieldChange], list[Proposal]] | None:
    """What :func:`plan_action` plans for a trace of one event with one applied object when the action
    is a scale of a set ``spec.replicas`` or a bump/reduce of containers that have the request (and
    maybe the limit) and keep a request above 0: ``(ref, edited object, changes, proposals)``, with no
    notes and no field created or removed. None for anything else (the general planner decides).
    ``tests/properties/test_action_copies.py`` checks it against the general planner."""
    kind = action.type
    if kind not in RESOURCE_ACTIONS and kind not in SCALE_ACTIONS:
        return None
    obj = _single_object(trace)
    if obj is None:
        return None
    meta, spec = obj.get("metadata"), obj.get("spec")
    if type(meta) is not dict or type(spec) is not dict:
        return None
    try:
        ref = WorkloadRef.of(obj)
    except (KeyError, TypeError):
        return None
    if (
        ref.name != action.workload
        or (action.kind is not None and ref.kind != action.kind)
        or (action.namespace is not None and ref.namespace != action.namespace)
    ):
        return None
    if kind in SCALE_ACTIONS:
        before = spec.get("replicas")
        if type(before) is not int:  # absent (defaults to 1, noted) or malformed: the planner's
            return None
        after = before + SCALE_ACTIONS[kind] * action.step
        if after == 1 and (0, 0, "spec.replicas") in trace.action_added:  # removed again: the planner's
            return None
        edited = {**obj, "spec": {**spec, "replicas": after}}
        change = FieldChange(ref.key, None, "spec.replicas", before, after)
        return ref, edited, [change], [Proposal(ref.key, None, "replicas", "spec.replicas", before, after)]
    return _single_resources(trace, action, ref, obj)


def _single_object(trace: Trace) -> Obj | None:
    """The applied object of a trace of one event with one applied object (plain dicts and lists)."""
    events = trace.events
    if len(events) != 1 or type(events[0]) is not dict:
        return None
    applied = events[0].get("applied_objs")
    if type(applied) is not list or len(applied) != 1 or type(applied[0]) is not dict:
        return None
    obj: Obj = applied[0]
    return obj


def _single_resources(
    trace: Trace, action: Action, ref: WorkloadRef, obj: Obj
) -> tuple[WorkloadRef, Obj, list[FieldChange], list[Proposal]] | None:
    pointer = template_path(ref.gvk, trace.config)
    if pointer is None:
        return None
    path = pointer.lstrip("/").split("/") if pointer else []  # as trace.model resolves it
    template: Any = obj
    for part in path:
        template = template.get(part)
        if type(template) is not dict:
            return None
    pod_spec = template.get("spec")
    if type(pod_spec) is not dict or "initContainers" in pod_spec:
        return None
    containers = pod_spec.get("containers")
    if type(containers) is not list:
        return None
    resource, sign = RESOURCE_ACTIONS[action.type]
    delta = _whole(sign * action._delta)
    fmt = _FORMATTERS[resource]
    changes: list[FieldChange] = []
    proposals: list[Proposal] = []
    edited = list(containers)
    for k, container in enumerate(containers):
        if type(container) is not dict:
            return None
        name = container.get("name")
        if action.container is not None and name != action.container:
            continue
        resources = container.get("resources")
        if type(resources) is not dict:
            return None
        requests, limits = resources.get("requests"), resources.get("limits")
        if type(requests) is not dict or (limits is not None and type(limits) is not dict):
            return None
        raw_req = requests.get(resource)
        raw_lim = None if limits is None else limits.get(resource)
        if raw_req is None:  # a limit alone, or neither: noted (and maybe created) by the planner
            return None
        try:
            request = _whole(_unit_value(resource, raw_req))
            limit = None if raw_lim is None else _whole(_unit_value(resource, raw_lim))
        except QuantityError:  # the planner names the field
            return None
        if limit is None and request + delta == 0:  # removed, noted: the planner's
            return None
        new_resources = dict(resources)
        moves = (("requests", requests, raw_req, request), ("limits", limits, raw_lim, limit))
        for which, group, raw, value in moves:
            if value is None or group is None:
                continue
            after = value + delta
            text = fmt(after)
            new_resources[which] = {**group, resource: text}  # (the key exists: its place is kept)
            field_name = f"resources.{which}.{resource}"
            proposals.append(
                Proposal(ref.key, str(name), resource, field_name, _counted(value), _counted(after))
            )
            item = FieldChange(ref.key, str(name), field_name, str(raw), text)
            if item not in changes:
                changes.append(item)
        edited[k] = {**container, "resources": new_resources}
    if not changes:  # no such container: the planner says which exist
        return None
    # New dicts from the containers up to the object, the rest shared (the input is never written).
    new: Obj = {**template, "spec": {**pod_spec, "containers": edited}}
    for depth in range(len(path) - 1, -1, -1):
        parent: Any = obj
        for part in path[:depth]:
            parent = parent[part]
        new = {**parent, path[depth]: new}
    return ref, new, changes, proposals


def edit_values(trace: Trace) -> tuple[Any, ...] | None:
    """Every value :func:`_single_edit` may write in ``trace``, in order: the one object's
    ``spec.replicas``, then per container of its pod template the cpu request and limit and the memory
    request and limit (None where absent: the direct route never writes an absent value, nor adds or
    removes a key). None when the trace is not of the shape the direct route edits. Two traces made from
    one by direct edits have the same bytes when their values are equal (trace/keys.py)."""
    obj = _single_object(trace)
    spec = obj.get("spec") if obj is not None else None
    if obj is None or type(spec) is not dict:
        return None
    out: list[Any] = [spec.get("replicas")]
    pointer = template_path(gvk_of(obj), trace.config)
    template: Any = obj
    for part in pointer.lstrip("/").split("/") if pointer else ():
        template = template.get(part) if type(template) is dict else None
    pod_spec = template.get("spec") if type(template) is dict and pointer is not None else None
    containers = pod_spec.get("containers") if type(pod_spec) is dict else None
    for container in containers if type(containers) is list else ():
        resources = container.get("resources") if type(container) is dict else None
        if type(resources) is not dict:
            out.append(None)
            continue
        requests, limits = resources.get("requests"), resources.get("limits")
        requests = requests if type(requests) is dict else _NONE
        limits = limits if type(limits) is dict else _NONE
        out.append((requests.get("cpu"), limits.get("cpu"), requests.get("memory"), limits.get("memory")))
    return tuple(out)


_NONE: dict[str, Any] = {}


def _whole(value: Fraction) -> int | Fraction:
    """An exact value as an int when it is whole: the same sums, comparisons, roundings and texts, without
    Fraction arithmetic (the usual case: millicores and bytes)."""
    return value.numerator if value.denominator == 1 else value


def _applied(
    trace: Trace,
    action: Action,
    guards: Safeguards,
    ref: WorkloadRef,
    edited: Obj,
    changes: list[FieldChange],
    proposals: list[Proposal],
) -> ActionResult:
    """apply_action's ending for :func:`_single_edit`'s plan (always an edit: every value moves)."""
    verdict = guards.judge(action.type, proposals)
    if verdict.blocked:
        return ActionResult("blocked", trace, [], verdict.message, action, verdict, [])
    message = f"{action.type} applied to {ref}: " + "; ".join(str(c) for c in changes)
    new = _rebuild(trace, {(0, 0): edited}, trace.action_added)
    return ActionResult("applied", new, changes, message, action, verdict, [])
