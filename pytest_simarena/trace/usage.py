"""Declared container usage: one pod-template annotation that the embedded cluster and right-sizers read.

SimKube and Kubernetes ignore unknown annotations, so a trace carrying it still replays on a real cluster.
The value is JSON: ``{"<container name>": {"cpu": "<quantity>", "memory": "<quantity>"}}``; either
resource may be left out. Example::

    metadata:
      annotations:
        simarena.io/usage: '{"web": {"cpu": "250m", "memory": "600Mi"}}'
"""

from __future__ import annotations

import json
from typing import Any

from pytest_simarena.errors import QuantityError, TraceError
from pytest_simarena.quantities import parse_cpu, parse_memory

from .values import preview, type_name

USAGE_ANNOTATION = "simarena.io/usage"
_PARSERS = {"cpu": parse_cpu, "memory": parse_memory}


def read_usage(template: dict[str, Any] | None) -> dict[str, dict[str, int]]:
    """Per-container usage from a pod template: ``{"web": {"cpu": millicores, "memory": bytes}}``.

    Raises TraceError naming the field (``metadata``, ``metadata.annotations`` or
    ``metadata.annotations["simarena.io/usage"]``) when any of them has the wrong shape.
    """
    if not template:
        return {}
    if not isinstance(template, dict):
        raise TraceError(f"expected a pod template (a map), got {_kind(template)}")
    metadata = template.get("metadata")
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise TraceError(f"expected a map, got {_kind(metadata)}", field="metadata")
    annotations = metadata.get("annotations")
    if annotations is None:
        return {}
    if not isinstance(annotations, dict):
        raise TraceError(f"expected a map of strings, got {_kind(annotations)}", field="metadata.annotations")
    raw = annotations.get(USAGE_ANNOTATION)
    if raw is None:
        return {}
    field = f'metadata.annotations["{USAGE_ANNOTATION}"]'
    if not isinstance(raw, str):
        raise TraceError(f"expected a string holding JSON, got {_kind(raw)}", field=field)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise TraceError(f"not JSON ({exc.msg})", field=field) from None
    except RecursionError:
        raise TraceError("not usable: JSON nested too deeply", field=field) from None
    if not isinstance(data, dict):
        raise TraceError('must be a JSON object {"<container>": {"cpu": ..., "memory": ...}}', field=field)
    usage: dict[str, dict[str, int]] = {}
    for name, resources in data.items():
        if not isinstance(resources, dict):
            raise TraceError(f"container {name!r}: must be an object with cpu and/or memory", field=field)
        entry: dict[str, int] = {}
        for resource, value in resources.items():
            parser = _PARSERS.get(resource)
            if parser is None:
                raise TraceError(
                    f"container {name!r}: unknown resource {resource!r} (cpu, memory)", field=field
                )
            try:
                entry[resource] = parser(value)
            except QuantityError as exc:  # name the container and resource, not only the value
                raise TraceError(f"container {name!r} {resource}: {exc}", field=field) from None
        usage[name] = entry
    return usage


def _kind(value: Any) -> str:
    return f"{type_name(value)} {preview(value)}"


def write_usage(template: dict[str, Any], usage: dict[str, dict[str, str]]) -> None:
    """Set the usage annotation on a pod template (quantities as strings, keys sorted as SimKube does)."""
    metadata = template.setdefault("metadata", {})
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict):
        annotations = {}
    annotations[USAGE_ANNOTATION] = json.dumps(usage, sort_keys=True, separators=(",", ":"))
    metadata["annotations"] = dict(sorted(annotations.items()))
    template["metadata"] = dict(sorted(metadata.items()))
