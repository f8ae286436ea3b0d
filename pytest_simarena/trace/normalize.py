"""Bring older or hand-made traces to SimKube's v2 shape, and SimKube's key order for new objects.

Two jobs, both about the *shape* of trace data (the checks live in ``validate.py``):

* the seed project's files (``../shared/traces/sim-arena/``): version 1 maps without ``config``,
  ``index`` or ``pod_lifecycles``, the deprecated singular ``podSpecTemplatePath`` and an extra top-level
  ``metadata`` key. SimKube 2.x accepts the singular path and ignores extra top-level keys
  (notes/simkube.md §1.2, §1.5) but rejects version 1, so those are rewritten; every change is
  returned as a note for the one warning the loader emits;
* :func:`simkube_order`: the key order SimKube writes objects in (§1.3, §1.9), for traces built in memory.
"""

from __future__ import annotations

from typing import Any

from pytest_simarena.errors import TraceError

from .hashing import compute_index
from .model import BUILTIN_TEMPLATE_PATHS, CURRENT_VERSION, Obj, Trace, describe, gvk_of

TOP_LEVEL_KEYS = ("version", "config", "events", "index", "pod_lifecycles")
EVENT_KEYS = ("ts", "applied_objs", "deleted_objs")
# TrackedObjectConfig fields in the order rmp-serde writes them (struct order, sk-core trace/config.rs).
TRACKED_CONFIG_KEYS = ("podSpecTemplatePaths", "trackLifecycle", "skipOwned")
LEGACY_VERSION = 1


def split_extra(raw: dict[Any, Any]) -> tuple[Obj, Obj]:
    """``(the five SimKube keys, every other top-level key)``; SimKube ignores the others (§1.2)."""
    core = {k: raw[k] for k in TOP_LEVEL_KEYS if k in raw}
    extra = {k: v for k, v in raw.items() if k not in TOP_LEVEL_KEYS}
    return core, extra


def normalize_before_checks(core: Obj) -> list[str]:
    """Rewrite legacy shapes in place before the structural checks; returns what was changed.

    Handles version 1 (the seed's generator), missing ``config``/``index``/``pod_lifecycles``/event lists
    in version-1 files, and the singular ``podSpecTemplatePath`` in any version.
    """
    notes: list[str] = []
    if core.get("version") == LEGACY_VERSION:
        core["version"] = CURRENT_VERSION
        notes.append("version 1 -> 2")
        # config and index are built by normalize_after_checks, once the objects are known to be sound.
        core.setdefault("config", {"trackedObjects": {}})
        core.setdefault("index", {})
        if "pod_lifecycles" not in core:
            core["pod_lifecycles"] = {}
            notes.append("empty pod_lifecycles added")
        events = core.get("events")
        if isinstance(events, list | tuple):
            filled = 0
            for event in events:
                if isinstance(event, dict):
                    for key in ("applied_objs", "deleted_objs"):
                        if key not in event:
                            event[key] = []
                            filled += 1
            if filled:
                notes.append(f"{filled} missing event object lists filled in")
    config = core.get("config")
    tracked = config.get("trackedObjects") if isinstance(config, dict) else None
    if isinstance(tracked, dict):
        renamed = []
        for gvk, cfg in tracked.items():
            if isinstance(cfg, dict) and "podSpecTemplatePath" in cfg:
                if "podSpecTemplatePaths" in cfg:
                    raise TraceError(
                        "has both podSpecTemplatePath and podSpecTemplatePaths (SimKube rejects duplicates)",
                        field=f'config.trackedObjects["{gvk}"]',
                    )
                singular = cfg.pop("podSpecTemplatePath")
                cfg["podSpecTemplatePaths"] = [singular] if isinstance(singular, str) else singular
                tracked[gvk] = order_tracked_config(cfg)
                renamed.append(str(gvk))
        if renamed:
            notes.append(f"podSpecTemplatePath -> podSpecTemplatePaths ({', '.join(renamed)})")
    return notes


def order_tracked_config(cfg: Obj) -> Obj:
    """A TrackedObjectConfig in rmp-serde's field order, false flags omitted as SimKube omits them (§1.5)."""
    out: Obj = {}
    for key in TRACKED_CONFIG_KEYS:
        if key in cfg and not (key != "podSpecTemplatePaths" and cfg[key] is False):
            out[key] = cfg[key]
    for key, value in cfg.items():
        if key not in out and key not in TRACKED_CONFIG_KEYS:
            out[key] = value  # unknown keys are left for the checks to reject by name
    return out


def normalize_after_checks(trace: Trace, *, infer_config: bool, fill_index: bool) -> list[str]:
    """Finish a legacy trace whose objects passed the checks: build config and index; returns notes."""
    notes: list[str] = []
    if infer_config:
        tracked: Obj = {}
        for i, event in enumerate(trace.events):
            for list_key in ("applied_objs", "deleted_objs"):
                for j, obj in enumerate(event[list_key]):
                    gvk = gvk_of(obj)
                    if gvk in tracked:
                        continue
                    if gvk not in BUILTIN_TEMPLATE_PATHS:
                        raise TraceError(
                            f"cannot infer config.trackedObjects for custom kind {gvk} in a version-1 trace "
                            "(SimKube needs its podSpecTemplatePaths); add a config section",
                            location=f"events[{i}].{list_key}[{j}]",
                            obj=describe(obj),
                        )
                    tracked[gvk] = {"podSpecTemplatePaths": [BUILTIN_TEMPLATE_PATHS[gvk]]}
        trace.config = {"trackedObjects": tracked}
        notes.append(f"config built from the kinds present ({', '.join(tracked) or 'none'})")
    if fill_index and any(e["applied_objs"] or e["deleted_objs"] for e in trace.events):
        trace.index = compute_index(trace)
        notes.append(
            f"index computed with SimKube's hash ({sum(len(v) for v in trace.index.values())} objects)"
        )
    return notes


def _sorted_deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_deep(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [_sorted_deep(v) for v in value]
    return value


def simkube_order(obj: Obj) -> Obj:
    """``obj`` with SimKube's key order: apiVersion, kind, metadata, then sorted keys, nested dicts sorted.

    That is what SimKube writes (kube DynamicObject + serde_json BTreeMap, notes §1.3); returns a new dict.
    """
    out: Obj = {}
    for key in ("apiVersion", "kind", "metadata"):
        if key in obj:
            out[key] = _sorted_deep(obj[key])
    for key in sorted(k for k in obj if k not in out):
        out[key] = _sorted_deep(obj[key])
    return out


def simkube_event(event: Obj, *, order_objects: bool) -> Obj:
    """An event with keys ts, applied_objs, deleted_objs first; objects reordered when ``order_objects``."""
    if not order_objects and tuple(event) == EVENT_KEYS:
        return event  # the common case: already in SimKube order, write the dict as it is
    out: Obj = {}
    for key in EVENT_KEYS:
        if key in event:
            value = event[key]
            if order_objects and key != "ts" and isinstance(value, list | tuple):
                value = [simkube_order(o) if isinstance(o, dict) else o for o in value]
            out[key] = value
    for key, value in event.items():
        if key not in out:
            out[key] = value
    return out
