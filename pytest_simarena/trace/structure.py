"""Structural checks run at load: the first problem raises TraceError naming event, object and field.

They reject what SimKube itself could not import (notes/simkube.md §1.2-§1.7: wrong types, missing fields,
unknown TrackedObjectConfig keys, a path differing from the built-in one) and what the rest of this project
cannot work on: objects without kind/apiVersion/name/namespace, bad quantities in pod templates, values
that are not JSON, nesting deeper than MAX_DEPTH. Semantic problems are ``validate.py``'s job.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pytest_simarena.errors import SimArenaError, TraceError
from pytest_simarena.quantities import parse_quantity

from .model import BUILTIN_TEMPLATE_PATHS, Obj, describe, gvk_of, template_path
from .usage import USAGE_ANNOTATION, read_usage
from .values import article, preview, type_name

MAX_DEPTH = 100  # Kubernetes objects nest ~20 deep; deeper input is hostile and would recurse elsewhere
_U64 = 1 << 64
_I64 = 1 << 63
_TRACKED_KEYS = frozenset(("podSpecTemplatePaths", "trackLifecycle", "skipOwned"))
_RESOURCE_FIELDS = ("requests", "limits")
_valid_quantities: set[Any] = set()  # strings already parsed: traces repeat the same few quantities


def _expected(what: str, value: Any) -> str:
    if value is None:
        return f"expected {what}, got null"
    return f"expected {what}, got {type_name(value)} {preview(value)}"


def join_field(prefix: str, part: str) -> str:
    if part.startswith("["):
        return prefix + part
    return f"{prefix}.{part}" if prefix else part


def _key_part(key: Any) -> str:
    if isinstance(key, str) and key.replace("_", "").replace("-", "").isalnum():
        return key
    return f"[{preview(key)}]"


# -- generic value walk


def _scan_value(root: Any) -> bool:
    """True when ``root`` holds only JSON types with string keys, at most MAX_DEPTH deep (fast path).

    Walks level by level (no per-node tuples) with the common types tested first: this runs over every
    value of every object at load, so it is most of the cost of the checks.
    """
    level = [root]
    depth = 0
    while level:
        if depth > MAX_DEPTH:
            return False
        nested: list[Any] = []
        add = nested.append
        for value in level:
            if type(value) is dict:
                for k in value:
                    if type(k) is not str:
                        return False
                items = value.values()
            else:
                items = value
            for x in items:
                t = type(x)
                if t is str or t is dict or t is list:
                    if t is not str:
                        add(x)
                elif not (t is int or t is bool or x is None or (t is float and x == x) or t is tuple):
                    return False
                elif t is tuple:
                    add(x)
        level = nested
        depth += 1
    return True


def _find_bad_value(root: Any) -> tuple[str, str]:
    """Slow path of :func:`_scan_value`: ``(field path, problem)`` of the first offending value."""
    stack: list[tuple[Any, str, int]] = [(root, "", 0)]
    while stack:
        value, where, depth = stack.pop(0)
        if depth > MAX_DEPTH:
            return where, f"nested more than {MAX_DEPTH} levels deep"
        items: Any = value.items() if isinstance(value, dict) else enumerate(value)
        for k, x in items:
            sub = join_field(where, _key_part(k)) if isinstance(value, dict) else f"{where}[{k}]"
            if isinstance(value, dict) and not isinstance(k, str):
                return where, f"map key {preview(k)} is {article(type_name(k))} (keys must be strings)"
            if type(x) in (dict, list, tuple):
                stack.append((x, sub, depth + 1))
            elif isinstance(x, float) and x != x:
                return sub, "NaN is not a JSON number"
            elif not (x is None or type(x) in (str, int, float, bool)):
                return sub, f"{article(type_name(x))} value cannot appear in a Kubernetes object"
    return "", "malformed value"


# -- structure


def check_structure(core: Obj, extra: Obj | None = None) -> None:
    """Raise TraceError (without the file name) for the first structural problem of a decoded v2 trace.

    ``extra`` (unknown top-level keys, kept and written back) must be plain JSON data too.
    """
    for key, value in (extra or {}).items():
        if not isinstance(key, str):
            raise TraceError(
                f"top-level key {preview(key)} is {article(type_name(key))} (keys must be strings)"
            )
        _check_plain(value, key)
    _check_config(core["config"])
    _check_plain(core["config"], "config")
    events = core["events"]
    if not isinstance(events, list | tuple):
        raise TraceError(_expected("an array of events", events), field="events")
    config = core["config"]
    for i, event in enumerate(events):
        _check_event(i, event, config)
    _check_index(core["index"])
    _check_lifecycles(core["pod_lifecycles"])


def _check_plain(value: Any, field: str) -> None:
    if isinstance(value, dict | list | tuple) and not _scan_value(value):
        where, problem = _find_bad_value(value)
        raise TraceError(problem, field=join_field(field, where) if where else field)
    if not (value is None or isinstance(value, dict | list | tuple | str | int | float)):
        raise TraceError(f"{article(type_name(value))} value is not JSON data", field=field)


def _check_config(config: Any) -> None:
    if not isinstance(config, dict):
        raise TraceError(_expected("a map with trackedObjects", config), field="config")
    if "trackedObjects" not in config:
        raise TraceError("missing field trackedObjects", field="config")
    tracked = config["trackedObjects"]
    if not isinstance(tracked, dict):
        raise TraceError(_expected("a map of GVK to tracking config", tracked), field="config.trackedObjects")
    for gvk, cfg in tracked.items():
        field = f"config.trackedObjects[{preview(gvk)}]"
        if not isinstance(gvk, str) or "." not in gvk or gvk.endswith(".") or gvk.startswith("."):
            raise TraceError(
                f'{preview(gvk)} is not a GVK string like "apps/v1.Deployment" or "v1.Pod"',
                field="config.trackedObjects",
            )
        if not isinstance(cfg, dict):
            raise TraceError(_expected("a map", cfg), field=field)
        unknown = sorted(str(k) for k in cfg if k not in _TRACKED_KEYS)
        if unknown:
            raise TraceError(
                f"unknown field {unknown[0]!r} (SimKube accepts {', '.join(sorted(_TRACKED_KEYS))})",
                field=field,
            )
        for flag in ("trackLifecycle", "skipOwned"):
            if flag in cfg and not isinstance(cfg[flag], bool):
                raise TraceError(_expected("true or false", cfg[flag]), field=f"{field}.{flag}")
        paths = cfg.get("podSpecTemplatePaths")
        if paths is not None:
            if not isinstance(paths, list | tuple) or not all(isinstance(p, str) for p in paths):
                raise TraceError(
                    _expected("an array of JSON pointers", paths), field=f"{field}.podSpecTemplatePaths"
                )
            for p in paths:
                if p and not p.startswith("/"):
                    raise TraceError(
                        f"{preview(p)} is not a JSON pointer (it must be empty or start with /)",
                        field=f"{field}.podSpecTemplatePaths",
                    )
        # SimKube's TracerConfig::normalize (sk-core trace/config.rs, notes §1.5) fails the import here.
        normalized = gvk[1:] if gvk.startswith("/") else gvk
        builtin = BUILTIN_TEMPLATE_PATHS.get(normalized)
        if builtin is not None and paths and list(paths) != [builtin]:
            raise TraceError(
                f"{preview(list(paths))} differs from the built-in path {preview(builtin)} "
                "(SimKube rejects this: InvalidPath)",
                field=f"{field}.podSpecTemplatePaths",
            )
        if builtin is None and not paths:
            raise TraceError(
                "a custom kind needs a non-empty podSpecTemplatePaths (SimKube rejects this: MissingPath)",
                field=field,
            )


def _check_event(i: int, event: Any, config: Obj) -> None:
    location = f"events[{i}]"
    if not isinstance(event, dict):
        raise TraceError(_expected("a map with ts, applied_objs, deleted_objs", event), location=location)
    for key in ("ts", "applied_objs", "deleted_objs"):
        if key not in event:
            raise TraceError(f"missing field {key}", location=location)
    ts = event["ts"]
    if type(ts) is not int:
        raise TraceError(_expected("an integer (Unix seconds)", ts), location=location, field="ts")
    if not -_I64 <= ts < _I64:
        raise TraceError(f"{ts} does not fit in a signed 64-bit integer", location=location, field="ts")
    for key in ("applied_objs", "deleted_objs"):
        objs = event[key]
        if not isinstance(objs, list | tuple):
            raise TraceError(_expected("an array of objects", objs), location=location, field=key)
        for j, obj in enumerate(objs):
            _check_object(obj, f"{location}.{key}[{j}]", config, applied=key == "applied_objs")


def _check_object(obj: Any, location: str, config: Obj, *, applied: bool) -> None:
    if not isinstance(obj, dict):
        raise TraceError(_expected("a Kubernetes object (a map)", obj), location=location)
    who = describe(obj)
    if not _scan_value(obj):
        field, problem = _find_bad_value(obj)
        raise TraceError(problem, location=location, obj=who, field=field or None)
    for key in ("apiVersion", "kind"):
        value = obj.get(key)
        if not isinstance(value, str) or not value:
            problem = f"missing field {key}" if key not in obj else _expected("a non-empty string", value)
            raise TraceError(problem, location=location, obj=who, field=None if key not in obj else key)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        if meta is None:
            raise TraceError("missing field metadata", location=location, obj=who)
        raise TraceError(_expected("a map", meta), location=location, obj=who, field="metadata")
    for key in ("name", "namespace"):
        value = meta.get(key)
        if not isinstance(value, str) or not value:
            # SimKube's driver unwraps metadata.namespace: cluster-scoped objects cannot be replayed (§1.3).
            problem = f"missing field {key}" if value is None else _expected("a non-empty string", value)
            raise TraceError(problem, location=location, obj=who, field=f"metadata.{key}")
    bad = _bad_string_maps(meta)
    if bad:
        raise TraceError(bad[1], location=location, obj=who, field=f"metadata.{bad[0]}")
    if applied:
        for prefix, template in templates_of(obj, config):
            _check_template(template, prefix, location, who)


def templates_of(obj: Obj, config: Obj) -> Iterator[tuple[str, Any]]:
    """``(field path, value)`` of each pod template of ``obj`` (``*`` in custom paths walks arrays)."""
    gvk = gvk_of(obj)
    if gvk in BUILTIN_TEMPLATE_PATHS:
        pointer = template_path(gvk, config)
        pointers = [pointer] if pointer is not None else []
    else:
        cfg = (config.get("trackedObjects") or {}).get(gvk) or {}
        pointers = list(cfg.get("podSpecTemplatePaths") or [])
    for pointer in pointers:
        parts = [p for p in pointer.split("/") if p]
        level: list[tuple[str, Any]] = [("", obj)]
        for part in parts:
            nxt: list[tuple[str, Any]] = []
            for where, cur in level:
                if part == "*" and isinstance(cur, list | tuple):
                    nxt.extend((f"{where}[{n}]", item) for n, item in enumerate(cur))
                elif isinstance(cur, dict) and part in cur:
                    nxt.append((join_field(where, part), cur[part]))
            level = nxt
        yield from level


def _check_template(template: Any, prefix: str, location: str, who: str) -> None:
    def fail(problem: str, field: str) -> TraceError:
        full = join_field(prefix, field) if prefix and field else prefix or field
        return TraceError(problem, location=location, obj=who, field=full or None)

    if template is None:
        return
    if not isinstance(template, dict):
        raise fail(_expected("a pod template (a map)", template), "")
    meta = template.get("metadata")
    if meta is not None:
        if not isinstance(meta, dict):
            raise fail(_expected("a map", meta), "metadata")
        bad = _bad_string_maps(meta)
        if bad:
            raise fail(bad[1], f"metadata.{bad[0]}")
        _check_usage_annotation(template, fail)
    spec = template.get("spec")
    if spec is None:
        return
    if not isinstance(spec, dict):
        raise fail(_expected("a pod spec (a map)", spec), "spec")
    for list_key in ("initContainers", "containers"):
        found = spec.get(list_key)
        if found is None:
            continue
        if not isinstance(found, list | tuple):
            raise fail(_expected("an array of containers", found), f"spec.{list_key}")
        for n, container in enumerate(found):
            where = f"spec.{list_key}[{n}]"
            if not isinstance(container, dict):
                raise fail(_expected("a container (a map)", container), where)
            name = container.get("name")
            if not isinstance(name, str) or not name:
                problem = "missing field name" if name is None else _expected("a non-empty string", name)
                raise fail(problem, f"{where}.name")
            resources = container.get("resources")
            if resources is None:
                continue
            if not isinstance(resources, dict):
                raise fail(_expected("a map with requests and/or limits", resources), f"{where}.resources")
            for kind in _RESOURCE_FIELDS:
                values = resources.get(kind)
                if values is None:
                    continue
                if not isinstance(values, dict):
                    raise fail(
                        _expected("a map of resource name to quantity", values), f"{where}.resources.{kind}"
                    )
                for resource, quantity in values.items():
                    if type(quantity) is str and quantity in _valid_quantities:
                        continue
                    field = join_field(f"{where}.resources.{kind}", _key_part(resource))
                    if not isinstance(quantity, str | int | float) or isinstance(quantity, bool):
                        raise fail(_expected('a quantity such as "500m" or "1Gi"', quantity), field)
                    try:
                        parse_quantity(quantity)
                    except SimArenaError as exc:
                        raise fail(str(exc), field) from None
                    if type(quantity) is str and len(_valid_quantities) < 10_000:
                        _valid_quantities.add(quantity)


def _bad_string_maps(meta: Obj) -> tuple[str, str] | None:
    """``(field, problem)`` when ``meta``'s labels or annotations are not a map of strings, else None.

    ObjectMeta types both as ``map[string]string``: the API server and SimKube's typed ObjectMeta refuse
    anything else, and the usage annotation is read from them.
    """
    for key in ("labels", "annotations"):
        values = meta.get(key)
        if values is None:
            continue
        if not isinstance(values, dict):
            return key, _expected("a map of strings", values)
        for name, value in values.items():
            if not isinstance(value, str):
                return join_field(key, _key_part(name)), _expected("a string", value)
    return None


def _check_usage_annotation(template: Obj, fail: Any) -> None:
    """The usage annotation parses (metadata and annotations are known to be maps here)."""
    if USAGE_ANNOTATION not in (template["metadata"].get("annotations") or {}):
        return
    try:
        read_usage(template)
    except TraceError as exc:
        raise fail(exc.problem, exc.field or f'metadata.annotations["{USAGE_ANNOTATION}"]') from None


def _check_index(index: Any) -> None:
    if not isinstance(index, dict):
        raise TraceError(_expected('a map of GVK to {"ns/name": hash}', index), field="index")
    for gvk, entries in index.items():
        field = f"index[{preview(gvk)}]"
        if not isinstance(gvk, str):
            raise TraceError(
                f"key {preview(gvk)} is a {type_name(gvk)} (expected a GVK string)", field="index"
            )
        if not isinstance(entries, dict):
            raise TraceError(_expected('a map of "ns/name" to hash', entries), field=field)
        for key, value in entries.items():
            if not isinstance(key, str):
                raise TraceError(
                    f'key {preview(key)} is a {type_name(key)} (expected "ns/name")', field=field
                )
            if type(value) is not int or not 0 <= value < _U64:
                raise TraceError(
                    _expected("an unsigned 64-bit hash", value), field=f"{field}[{preview(key)}]"
                )


def _check_lifecycles(lifecycles: Any) -> None:
    if not isinstance(lifecycles, dict):
        raise TraceError(_expected("a map", lifecycles), field="pod_lifecycles")
    for owner, by_hash in lifecycles.items():
        if not (isinstance(owner, tuple) and len(owner) == 2 and all(isinstance(p, str) for p in owner)):
            raise TraceError(
                f'key {preview(owner)} is not an [owner GVK, "ns/name"] pair (notes §1.7)',
                field="pod_lifecycles",
            )
        field = f"pod_lifecycles[{preview(list(owner))}]"
        if not isinstance(by_hash, dict):
            raise TraceError(_expected("a map of pod-spec hash to lifecycles", by_hash), field=field)
        for spec_hash, entries in by_hash.items():
            where = f"{field}[{preview(spec_hash)}]"
            if type(spec_hash) is not int or not 0 <= spec_hash < _U64:
                raise TraceError(f"key {preview(spec_hash)} is not an unsigned 64-bit hash", field=field)
            if not isinstance(entries, list | tuple):
                raise TraceError(_expected("an array of lifecycles", entries), field=where)
            for n, entry in enumerate(entries):
                if not _is_lifecycle(entry):
                    raise TraceError(
                        _expected('"Empty", {"Running": start} or {"Finished": [start, end]}', entry),
                        field=f"{where}[{n}]",
                    )


def _is_lifecycle(entry: Any) -> bool:
    if entry == "Empty":
        return True
    if not isinstance(entry, dict) or len(entry) != 1:
        return False
    ((tag, value),) = entry.items()
    if tag == "Running":
        return type(value) is int
    if tag == "Finished":
        return isinstance(value, list | tuple) and len(value) == 2 and all(type(v) is int for v in value)
    return False
