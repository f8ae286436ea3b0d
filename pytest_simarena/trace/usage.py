"""Declared container usage: one pod-template annotation that the embedded cluster and right-sizers read.

SimKube and Kubernetes ignore unknown annotations, so a trace carrying it still replays on a real cluster.
The value is JSON: ``{"<container name>": {"cpu": "<quantity>", "memory": "<quantity>"}}``; either
resource may be left out. Example::

    metadata:
      annotations:
        simarena.io/usage: '{"web": {"cpu": "250m", "memory": "600Mi"}}'

Two optional extensions describe how a container starts and grows (docs/traces.md, "The usage annotation"):

- ``startupCpuSeconds``: cpu work (a cpu quantity: "30" = 30 cpu-seconds, "1500m" = 1.5) the app does
  before it answers its probes; it takes ``work / cpu limit`` seconds (a CPU-throttled start);
- ``memoryPerMinute`` and ``memoryPeak``: memory grows from ``memory`` by ``memoryPerMinute`` each minute
  of running until ``memoryPeak`` (no peak: it keeps growing); every restart starts the ramp again.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_simarena.errors import QuantityError, TraceError
from pytest_simarena.quantities import format_cpu, format_memory, parse_cpu, parse_memory

from .values import preview, type_name

USAGE_ANNOTATION = "simarena.io/usage"
_PARSERS = {
    "cpu": parse_cpu,
    "memory": parse_memory,
    "startupCpuSeconds": parse_cpu,  # millicore-seconds
    "memoryPerMinute": parse_memory,
    "memoryPeak": parse_memory,
}
CPU_KEYS = frozenset({"cpu", "startupCpuSeconds"})


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
                    f"container {name!r}: unknown resource {resource!r} ({', '.join(_PARSERS)})", field=field
                )
            try:
                entry[resource] = parser(value)
            except QuantityError as exc:  # name the container and resource, not only the value
                raise TraceError(f"container {name!r} {resource}: {exc}", field=field) from None
        _check_ramp(name, entry, field)
        usage[name] = entry
    return usage


def _check_ramp(name: str, entry: dict[str, int], field: str) -> None:
    if "memoryPeak" in entry and "memoryPerMinute" not in entry:
        raise TraceError(f"container {name!r}: memoryPeak needs memoryPerMinute (the ramp)", field=field)
    if "memoryPerMinute" in entry and "memory" not in entry:
        raise TraceError(
            f"container {name!r}: memoryPerMinute needs memory (where the ramp starts)", field=field
        )
    if entry.get("memoryPeak", entry.get("memory", 0)) < entry.get("memory", 0):
        raise TraceError(f"container {name!r}: memoryPeak is below memory (the ramp's start)", field=field)


def format_usage(resource: str, amount: int) -> str:
    """One declared amount as a quantity string (cpu keys in cpu units, the others in bytes)."""
    return format_cpu(amount) if resource in CPU_KEYS else format_memory(amount)


def ramp_oom_after(entry: dict[str, int], limit: int | None) -> float | None:
    """Seconds of running after which the ramp's memory exceeds ``limit`` (None: never, or at once).

    The container is OOM-killed when its usage reaches the limit (kubernetes.md §4.1): at
    ``(limit - memory) / memoryPerMinute`` minutes, if the peak (when given) is above the limit.
    """
    rate = entry.get("memoryPerMinute", 0)
    start = entry.get("memory")
    if limit is None or rate <= 0 or start is None or start > limit:
        return None
    peak = entry.get("memoryPeak")
    if peak is not None and peak <= limit:
        return None
    return (limit - start) * 60 / rate


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
