"""Writes judged as admission does: the project's safeguards on every value a write would change.

:func:`proposals` compares the stored object with the one a write would store and lists, as the
safeguards' :class:`~pytest_simarena.safeguards.Proposal`, each container request/limit (cpu, memory) and
``spec.replicas`` that differ; :func:`admit` asks the safeguards and raises a 403 Forbidden Status whose
message is theirs (``admission webhook "safeguards.simarena.io" denied the request: scale blocked:
default/web replicas would be 200, cap is 100``, the wording of a real webhook denial).
:func:`equivalent_actions` expresses the same change as project Actions (``set_replicas``,
``set_resources``), so a live session's writes can be replayed on a trace and exported.
"""

from __future__ import annotations

from typing import Any

from pytest_simarena.actions import Action
from pytest_simarena.errors import QuantityError
from pytest_simarena.quantities import parse_cpu, parse_memory
from pytest_simarena.safeguards import Proposal, Safeguards, Verdict
from pytest_simarena.trace.model import pod_template, template_path
from pytest_simarena.trace.virtualize import KWOK_TOLERATION, VIRTUAL_NODE_SELECTOR

from .errors import ApiError, invalid

Obj = dict[str, Any]

WEBHOOK = "safeguards.simarena.io"
# Admission without bounds: validation only (a harness replaying traces that start over the caps).
NO_SAFEGUARDS = Safeguards(
    max_cpu=None, max_memory=None, max_replicas=None, min_cpu=None, min_memory=None, min_replicas=None
)
_PARSE = {"cpu": parse_cpu, "memory": parse_memory}
REPLICA_KINDS = ("Deployment", "ReplicaSet", "StatefulSet")


def _spec_prefix(obj: Obj) -> str:
    pointer = template_path(f"{obj.get('apiVersion', '')}.{obj.get('kind', '')}") or ""
    prefix = pointer.strip("/").replace("/", ".")
    return f"{prefix}.spec" if prefix else "spec"


def _containers(obj: Obj | None) -> dict[str, tuple[str, Obj]]:
    """``name -> (field path, container)`` of the app and init containers of ``obj``'s pod spec."""
    if obj is None:
        return {}
    if obj.get("kind") == "Pod":
        spec, prefix = obj.get("spec"), "spec"
    else:
        template = pod_template(obj)
        spec, prefix = (template or {}).get("spec"), _spec_prefix(obj)
    found: dict[str, tuple[str, Obj]] = {}
    if not isinstance(spec, dict):
        return found
    for group in ("containers", "initContainers"):
        items = spec.get(group)
        if not isinstance(items, list):
            continue
        for i, container in enumerate(items):
            if isinstance(container, dict) and container.get("name"):
                found.setdefault(str(container["name"]), (f"{prefix}.{group}[{i}]", container))
    return found


def _amount(kind: str, name: str, path: str, resource: str, raw: Any) -> int | None:
    if raw is None:
        return None
    try:
        return int(_PARSE[resource](raw))
    except (QuantityError, TypeError, ValueError):
        raise invalid(
            kind,
            "",
            name,
            [(path, f'Invalid value: "{raw}": must be a valid quantity (e.g. 500m, 2, 1Gi)')],
        ) from None


def _replicas(obj: Obj | None) -> int | None:
    if obj is None or obj.get("kind") not in REPLICA_KINDS:
        return None
    raw = (obj.get("spec") or {}).get("replicas", 1)
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None


def proposals(old: Obj | None, new: Obj) -> list[Proposal]:
    """The judged values ``new`` changes relative to ``old`` (None: a create, every value is new)."""
    meta = new.get("metadata") or {}
    kind, name = str(new.get("kind", "")), str(meta.get("name", ""))
    key = f"{meta.get('namespace') or 'default'}/{name}"
    out: list[Proposal] = []
    before_containers = _containers(old)
    for cname, (path, container) in _containers(new).items():
        resources = container.get("resources") or {}
        old_resources = (before_containers.get(cname, ("", {}))[1]).get("resources") or {}
        for which in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                field = f"{path}.resources.{which}.{resource}"
                after = _amount(kind, name, field, resource, (resources.get(which) or {}).get(resource))
                before = _amount(kind, name, field, resource, (old_resources.get(which) or {}).get(resource))
                if after != before:
                    out.append(Proposal(key, cname, resource, field, before, after))
    replicas = _replicas(new)
    before_replicas = _replicas(old)
    if replicas is not None and replicas != before_replicas:
        out.append(Proposal(key, None, "replicas", "spec.replicas", before_replicas, replicas))
    return out


def validate(obj: Obj) -> None:
    """The embedded API validation of ``obj``'s replicas and pod template, without applying it.

    Raises InvalidObject with the apiserver's message (``The Deployment "web" is invalid: ...``).
    """
    from pytest_simarena.backends.embedded.controllers import spec_count
    from pytest_simarena.backends.embedded.pods import PodTemplate

    kind = str(obj.get("kind", ""))
    name = str((obj.get("metadata") or {}).get("name", ""))
    if kind in REPLICA_KINDS:
        spec_count(obj, "replicas", 1)
    if kind == "Pod":
        PodTemplate(
            {"metadata": obj.get("metadata"), "spec": obj.get("spec")},
            field_prefix="spec",
            kind=kind,
            name=name,
        )
        return
    template = pod_template(obj)
    if template is not None:
        PodTemplate(template, field_prefix=_spec_prefix(obj), kind=kind, name=name)


def admit(safeguards: Safeguards, verb: str, old: Obj | None, new: Obj) -> Verdict:
    """Judge a write; raises the 403 Forbidden ApiError when a safeguard would be crossed."""
    verdict = safeguards.judge(verb, proposals(old, new))
    if verdict.blocked:
        raise ApiError(
            403,
            f'admission webhook "{WEBHOOK}" denied the request: {verdict.message}',
            details={"name": str((new.get("metadata") or {}).get("name", "")), "kind": new.get("kind")},
        )
    return verdict


def equivalent_actions(old: Obj | None, new: Obj) -> list[Action]:
    """The write as project Actions (set_replicas, one set_resources per container); [] for a create."""
    if old is None:
        return []
    meta = new.get("metadata") or {}
    name, namespace, kind = str(meta.get("name")), str(meta.get("namespace") or "default"), str(new["kind"])
    actions: list[Action] = []
    before_containers = _containers(old)
    for cname, (_, container) in _containers(new).items():
        resources = container.get("resources") or {}
        old_resources = (before_containers.get(cname, ("", {}))[1]).get("resources") or {}
        changed: dict[str, dict[str, Any]] = {}
        for which in ("requests", "limits"):
            now, was = resources.get(which) or {}, old_resources.get(which) or {}
            for resource in ("cpu", "memory"):
                if now.get(resource) != was.get(resource):
                    changed.setdefault(which, {})[resource] = now.get(resource)
        if changed:
            actions.append(
                Action(
                    "set_resources",
                    name,
                    namespace=namespace,
                    kind=kind,
                    container=cname,
                    requests=changed.get("requests"),
                    limits=changed.get("limits"),
                )
            )
    replicas, before = _replicas(new), _replicas(old)
    if replicas is not None and replicas != before:
        actions.append(Action("set_replicas", name, namespace=namespace, kind=kind, replicas=replicas))
    return actions


def schedulable_on_virtual_nodes(obj: Obj) -> Obj:
    """Give ``obj``'s pod spec the virtual-node selector and toleration if missing (idempotent, in place).

    The embedded nodes are SimKube's KWOK nodes (tainted ``kwok-provider``); SimKube's driver rewrites
    every traced object this way, and an object written through the API gets the same, once.
    """
    if obj.get("kind") == "Pod":
        spec = obj.get("spec")
    else:
        spec = (pod_template(obj) or {}).get("spec")
    if not isinstance(spec, dict):
        return obj
    selector = spec.get("nodeSelector")
    if not isinstance(selector, dict):
        selector = spec["nodeSelector"] = {}
    for key, value in VIRTUAL_NODE_SELECTOR.items():
        selector.setdefault(key, value)
    tolerations = spec.get("tolerations")
    if not isinstance(tolerations, list):
        tolerations = spec["tolerations"] = []
    if KWOK_TOLERATION not in tolerations:
        tolerations.append(dict(KWOK_TOLERATION))
    return obj
