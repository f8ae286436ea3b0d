"""SimKube's driver rewrite of a traced object before it is applied (simkube.md §3.4 ``build_virtual_obj``).

A pure function shared by both backends, so an embedded run and a real SimKube run see the same objects:

- namespace becomes ``<prefix>-<original namespace>``;
- labels ``simkube.io/simulation: <sim name>`` (cut to 63 characters), ``app.kubernetes.io/name: <name>``
  and ``simkube.io/virtual: "true"`` are added; optionally an ownerReference to the simulation root;
- ``status`` is removed;
- in every pod template (the trace config's ``podSpecTemplatePaths``, built-in paths otherwise): annotation
  ``static.simkube.io/original-namespace``, ``nodeSelector.type: virtual``, the toleration
  ``{key: kwok-provider, operator: Exists, effect: NoSchedule}`` appended, container ``ports`` removed.
"""

from __future__ import annotations

from typing import Any

from pytest_simarena.backends.protocol import virtual_namespace

from .model import gvk_of, template_path

Obj = dict[str, Any]

SIMULATION_LABEL = "simkube.io/simulation"
VIRTUAL_LABEL = "simkube.io/virtual"
APP_NAME_LABEL = "app.kubernetes.io/name"
ORIGINAL_NS_ANNOTATION = "static.simkube.io/original-namespace"
VIRTUAL_NODE_SELECTOR = {"type": "virtual"}
KWOK_TOLERATION = {"key": "kwok-provider", "operator": "Exists", "effect": "NoSchedule"}
DEFAULT_SIM_NAME = "simarena"
_LABEL_VALUE_MAX = 63


def clone(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists, tuples become lists); much faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: clone(v) if isinstance(v, dict | list | tuple) else v for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clone(v) if isinstance(v, dict | list | tuple) else v for v in value]
    return value


def _template_paths(gvk: str, config: Obj | None) -> list[str]:
    tracked = ((config or {}).get("trackedObjects") or {}).get(gvk) or {}
    paths = tracked.get("podSpecTemplatePaths")
    if paths is None and tracked.get("podSpecTemplatePath") is not None:
        paths = [tracked["podSpecTemplatePath"]]
    builtin = template_path(gvk)
    if builtin is not None:
        # SimKube's normalize() insists a built-in kind uses its built-in path (simkube.md §1.5); ReplicaSet's
        # upstream "/spec" is a known bug, model.template_path corrects it to /spec/template.
        return [builtin]
    return [p for p in (paths or []) if isinstance(p, str) and "*" not in p]


def _at_pointer(obj: Obj, pointer: str) -> Obj | None:
    if pointer == "":
        return obj
    cur: Any = obj
    for part in pointer.lstrip("/").split("/"):
        if not isinstance(cur, dict) or not isinstance(cur.get(part), dict):
            return None
        cur = cur[part]
    return cur if isinstance(cur, dict) else None


def _path_copy(obj: Obj, paths: list[str]) -> Obj:
    """Copy ``obj`` only where the rewrite writes: metadata, the template paths, their spec and containers."""
    new = dict(obj)
    meta = new.get("metadata")
    new["metadata"] = dict(meta) if isinstance(meta, dict) else {}
    labels = new["metadata"].get("labels")
    if isinstance(labels, dict):
        new["metadata"]["labels"] = dict(labels)
    refs = new["metadata"].get("ownerReferences")
    if isinstance(refs, list | tuple):
        new["metadata"]["ownerReferences"] = list(refs)
    for pointer in paths:
        if pointer == "":
            template: Any = new
        else:
            parent: Any = new
            parts = pointer.lstrip("/").split("/")
            for part in parts:
                child = parent.get(part) if isinstance(parent, dict) else None
                if not isinstance(child, dict):
                    parent = None
                    break
                child = dict(child)
                parent[part] = child
                parent = child
            template = parent
            if template is None:
                continue
        tmeta = template.get("metadata")
        if isinstance(tmeta, dict) and template is not new:
            template["metadata"] = tmeta = dict(tmeta)
        if isinstance(tmeta, dict) and isinstance(tmeta.get("annotations"), dict):
            tmeta["annotations"] = dict(tmeta["annotations"])
        spec = template.get("spec")
        if isinstance(spec, dict):
            spec = template["spec"] = dict(spec)
            if isinstance(spec.get("nodeSelector"), dict):
                spec["nodeSelector"] = dict(spec["nodeSelector"])
            if isinstance(spec.get("tolerations"), list | tuple):
                spec["tolerations"] = list(spec["tolerations"])
            for key in ("containers", "initContainers"):
                found = spec.get(key)
                if isinstance(found, list | tuple):
                    spec[key] = [dict(c) if isinstance(c, dict) and "ports" in c else c for c in found]
    return new


def virtualize_template(template: Obj, original_namespace: str) -> None:
    """Apply the pod-template part of the rewrite to ``template`` in place (simkube.md §3.4)."""
    meta = template.get("metadata")
    if not isinstance(meta, dict):
        meta = template["metadata"] = {}
    annotations = meta.get("annotations")
    if not isinstance(annotations, dict):
        annotations = meta["annotations"] = {}
    annotations[ORIGINAL_NS_ANNOTATION] = original_namespace
    spec = template.get("spec")
    if not isinstance(spec, dict):
        return
    selector = spec.get("nodeSelector")
    if not isinstance(selector, dict):
        selector = spec["nodeSelector"] = {}
    selector.update(VIRTUAL_NODE_SELECTOR)
    tolerations = spec.get("tolerations")
    if not isinstance(tolerations, list):
        tolerations = spec["tolerations"] = []
    tolerations.append(dict(KWOK_TOLERATION))
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                container.pop("ports", None)


def build_virtual_obj(
    obj: Obj,
    prefix: str = "virtual",
    *,
    sim_name: str = DEFAULT_SIM_NAME,
    config: Obj | None = None,
    root: Obj | None = None,
    share: bool = False,
) -> Obj:
    """A rewritten deep copy of traced ``obj`` as SimKube's driver applies it; ``obj`` is never modified.

    ``root`` (``{"apiVersion", "kind", "name", "uid"}``) adds the driver's ownerReference to its
    SimulationRoot with ``blockOwnerDeletion`` (simkube.md §3.4), which garbage-collects the run.
    With ``share=True`` only the dicts and lists on the rewritten paths are copied and the rest is
    shared with ``obj`` (much cheaper; for callers that never mutate the result, like the embedded cluster).
    """
    # Computed once: the shared copy keeps apiVersion and kind as they are (clone may turn tuples to lists).
    paths = _template_paths(gvk_of(obj), config)
    new: Obj = _path_copy(obj, paths) if share else clone(obj)
    if not share:
        paths = _template_paths(gvk_of(new), config)
    new.pop("status", None)
    meta = new.get("metadata")
    if not isinstance(meta, dict):
        meta = new["metadata"] = {}
    original_ns = str(meta.get("namespace") or "default")
    name = str(meta.get("name") or "")
    meta["namespace"] = virtual_namespace(prefix, original_ns)
    labels = meta.get("labels")
    if not isinstance(labels, dict):
        labels = meta["labels"] = {}
    labels[SIMULATION_LABEL] = sim_name[:_LABEL_VALUE_MAX]
    labels[APP_NAME_LABEL] = name
    labels[VIRTUAL_LABEL] = "true"
    if root is not None:
        refs = meta.get("ownerReferences")
        if not isinstance(refs, list):
            refs = meta["ownerReferences"] = []
        refs.append(
            {
                "apiVersion": root.get("apiVersion", "simkube.io/v1"),
                "kind": root.get("kind", "SimulationRoot"),
                "name": root["name"],
                "uid": root.get("uid", ""),
                "blockOwnerDeletion": True,
            }
        )
    for pointer in paths:
        template = _at_pointer(new, pointer)
        if template is not None:
            virtualize_template(template, original_ns)
    return new


def original_namespace(obj: Obj, prefix: str) -> str:
    """The traced namespace of a virtual object (its annotation, else the namespace minus ``<prefix>-``)."""
    meta = obj.get("metadata") or {}
    ns = str(meta.get("namespace") or "")
    start = f"{prefix}-"
    return ns[len(start) :] if ns.startswith(start) else ns
