"""A corpus of deliberately broken trace files, each with the text its error message must contain.

Used by tests/unit/test_trace_errors.py and by the CLI tests (``simarena trace validate`` on each file
must print one line naming the file and the field, and exit 1 or 2 without a traceback)::

    from broken_corpus import CASES, write_corpus
    for case, path in write_corpus(tmp_path):
        ...  # load_trace(path) raises TraceError whose message contains case.expected

Each case builds its bytes from a small valid trace (a Deployment ``default/web``), so a case breaks
exactly one thing. Nothing here reads the shared traces.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack

CPU = "spec.template.spec.containers[0].resources.requests.cpu"
OBJ = "events[0].applied_objs[0] (Deployment default/web)"


def valid_trace() -> dict[str, Any]:
    """A small valid SimKube v2 trace as plain data (keys in SimKube's order)."""
    web = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"annotations": {}, "name": "web", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "image": "nginx:1.27",
                            "name": "web",
                            "resources": {
                                "limits": {"memory": "1Gi"},
                                "requests": {"cpu": "500m", "memory": "512Mi"},
                            },
                        }
                    ]
                },
            },
        },
    }
    return {
        "version": 2,
        "config": {"trackedObjects": {"apps/v1.Deployment": {"podSpecTemplatePaths": ["/spec/template"]}}},
        "events": [
            {"ts": 1730390400, "applied_objs": [web], "deleted_objs": []},
            {"ts": 1730390460, "applied_objs": [], "deleted_objs": []},
        ],
        "index": {"apps/v1.Deployment": {"default/web": 1234567890123456789}},
        "pod_lifecycles": {},
    }


def _pack(data: Any) -> bytes:
    return bytes(msgpack.packb(data, use_bin_type=True))


def _edit(change: Callable[[dict[str, Any]], Any]) -> Callable[[], bytes]:
    """Bytes of the valid trace after ``change`` (which edits it in place)."""

    def build() -> bytes:
        trace = valid_trace()
        change(trace)
        return _pack(trace)

    return build


def _web(trace: dict[str, Any]) -> dict[str, Any]:
    obj: dict[str, Any] = trace["events"][0]["applied_objs"][0]
    return obj


def _container(trace: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = _web(trace)["spec"]["template"]["spec"]["containers"][0]
    return found


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


def _parts(path: str | tuple[str, ...]) -> list[str]:
    return list(path) if isinstance(path, tuple) else path.split(".")


def _set(path: str | tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    """Set a dotted path (``events.0.ts``, or a tuple of keys when keys contain dots) to ``value``."""

    def change(trace: dict[str, Any]) -> None:
        *parents, last = _parts(path)
        cur: Any = trace
        for part in parents:
            cur = cur[int(part)] if isinstance(cur, list) else cur[part]
        if isinstance(cur, list):
            cur[int(last)] = value
        else:
            cur[last] = value

    return change


def _delete(path: str | tuple[str, ...]) -> Callable[[dict[str, Any]], None]:
    def change(trace: dict[str, Any]) -> None:
        *parents, last = _parts(path)
        cur: Any = trace
        for part in parents:
            cur = cur[int(part)] if isinstance(cur, list) else cur[part]
        del cur[last]

    return change


def _truncated() -> bytes:
    data = _pack(valid_trace())
    return data[: len(data) // 2]


def _raw_object_bytes(replace: bytes) -> bytes:
    """The valid trace with the string value "nginx:1.27" swapped for raw msgpack bytes."""
    data = _pack(valid_trace())
    marker = _pack("nginx:1.27")
    assert marker in data
    return data.replace(marker, replace, 1)


def _json(data: Any) -> Callable[[], bytes]:
    return lambda: json.dumps(data).encode()


def _legacy_custom_kind() -> bytes:
    trace = valid_trace()
    obj = _web(trace)
    obj["apiVersion"], obj["kind"] = "example.com/v1", "WebApp"
    return _pack({"version": 1, "events": trace["events"]})


def _usage(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(trace: dict[str, Any]) -> None:
        _web(trace)["spec"]["template"]["metadata"]["annotations"] = {"simarena.io/usage": value}

    return change


@dataclass(frozen=True)
class Case:
    """One broken file: ``name`` (file name without suffix), how to build it, the expected message text."""

    name: str
    build: Callable[[], bytes]
    expected: str
    suffix: str = ".sktrace"

    @property
    def filename(self) -> str:
        return self.name + self.suffix


def _both_paths(trace: dict[str, Any]) -> None:
    trace["config"]["trackedObjects"]["apps/v1.Deployment"]["podSpecTemplatePath"] = "/spec/template"


CASES: list[Case] = [
    # -- not a trace at all
    Case("empty-file", lambda: b"", "empty file"),
    Case("whitespace-only", lambda: b"  \n\t\n", "empty file"),
    Case("plain-text", lambda: b"hello, this is not a trace\n", "not a SimKube trace"),
    Case("invalid-msgpack-type-byte", lambda: b"\x85\xa7version\x02\xc1", "not msgpack"),
    Case("truncated-msgpack", _truncated, "truncated"),
    Case("trailing-garbage", lambda: _pack(valid_trace()) + b"\x00\x01", "extra data after the trace"),
    Case("pre-v2-four-element-array", lambda: _pack([{}, [], {}, {}]), "SimKube <= 1.1.1"),
    Case("top-level-array", lambda: _pack([1, 2, 3]), "top level is an array of 3 elements"),
    Case("top-level-string", lambda: _pack("version 2"), "not a SimKube trace"),
    Case("msgpack-nested-too-deep", lambda: b"\x91" * 5000 + b"\x00", "nested too deeply"),
    # -- top level fields
    Case("version-missing", _edit(_delete("version")), "missing field version"),
    Case("version-unknown", _edit(_set("version", 3)), "unsupported trace version 3 (this reads version 2"),
    Case("version-is-string", _edit(_set("version", "2")), "version: expected an integer"),
    Case("config-missing", _edit(_delete("config")), "missing field config"),
    Case("config-not-a-map", _edit(_set("config", [])), "config: expected a map"),
    Case("tracked-objects-missing", _edit(_set("config", {})), "config: missing field trackedObjects"),
    Case(
        "tracked-config-unknown-key",
        _edit(
            _set(
                ("config", "trackedObjects", "apps/v1.Deployment"),
                {"podSpecTemplatePaths": [], "track": True},
            )
        ),
        "unknown field 'track'",
    ),
    Case(
        "tracked-config-builtin-path-differs",
        _edit(_set(("config", "trackedObjects", "apps/v1.Deployment"), {"podSpecTemplatePaths": ["/spec"]})),
        "InvalidPath",
    ),
    Case(
        "tracked-custom-kind-without-path",
        _edit(_set(("config", "trackedObjects", "example.com/v1.WebApp"), {})),
        "MissingPath",
    ),
    Case("tracked-config-both-path-spellings", _edit(_both_paths), "has both podSpecTemplatePath"),
    Case("events-missing", _edit(_delete("events")), "missing field events"),
    Case("events-not-an-array", _edit(_set("events", {"ts": 1})), "events: expected an array of events"),
    Case("event-not-a-map", _edit(_set("events.1", 42)), "events[1]: expected a map"),
    Case("event-missing-ts", _edit(_delete("events.1.ts")), "events[1]: missing field ts"),
    Case("ts-is-string", _edit(_set("events.1.ts", "1730390460")), "events[1]: ts: expected an integer"),
    Case("ts-is-float", _edit(_set("events.1.ts", 1730390460.5)), "events[1]: ts: expected an integer"),
    Case("ts-overflows-i64", _edit(_set("events.1.ts", 2**64 - 1)), "ts: 18446744073709551615 does not fit"),
    Case(
        "applied-objs-not-an-array",
        _edit(_set("events.1.applied_objs", "web")),
        "applied_objs: expected an array",
    ),
    Case(
        "object-not-a-map",
        _edit(_set("events.1.deleted_objs", ["web"])),
        "events[1].deleted_objs[0]: expected a",
    ),
    # -- object identity
    Case(
        "object-missing-kind",
        _edit(lambda t: _web(t).pop("kind")),
        "events[0].applied_objs[0] (? default/web): missing field kind",
    ),
    Case(
        "object-missing-api-version",
        _edit(lambda t: _web(t).pop("apiVersion")),
        f"{OBJ}: missing field apiVersion",
    ),
    Case(
        "object-missing-metadata",
        _edit(lambda t: _web(t).pop("metadata")),
        "(Deployment ?/?): missing field metadata",
    ),
    Case(
        "object-missing-name",
        _edit(lambda t: _web(t)["metadata"].pop("name")),
        "metadata.name: missing field name",
    ),
    Case(
        "object-missing-namespace",
        _edit(lambda t: _web(t)["metadata"].pop("namespace")),
        "(Deployment ?/web): metadata.namespace: missing field namespace",
    ),
    Case(
        "object-name-not-a-string",
        _edit(lambda t: _web(t)["metadata"].update(name=7)),
        "metadata.name: expected a non-empty string",
    ),
    Case(
        "deleted-object-missing-namespace",
        _edit(
            _set(
                "events.1.deleted_objs",
                [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}],
            )
        ),
        "events[1].deleted_objs[0] (Deployment ?/web): metadata.namespace",
    ),
    # -- pod template and quantities
    Case(
        "cpu-not-a-quantity",
        _edit(lambda t: _container(t)["resources"]["requests"].update(cpu="12 cores")),
        f'{OBJ}: {CPU}: "12 cores" is not a Kubernetes quantity',
    ),
    Case(
        "memory-suffix-gb",
        _edit(lambda t: _container(t)["resources"]["limits"].update(memory="1GB")),
        'resources.limits.memory: "1GB" is not a Kubernetes quantity',
    ),
    Case(
        "memory-suffix-capital-k",
        _edit(lambda t: _container(t)["resources"]["requests"].update(memory="100K")),
        "unable to parse quantity's suffix",
    ),
    Case(
        "cpu-is-boolean",
        _edit(lambda t: _container(t)["resources"]["requests"].update(cpu=True)),
        f"{CPU}: expected a quantity",
    ),
    Case(
        "resources-not-a-map",
        _edit(lambda t: _container(t).update(resources=["cpu"])),
        "containers[0].resources: expected a map",
    ),
    Case(
        "requests-not-a-map",
        _edit(lambda t: _container(t)["resources"].update(requests="500m")),
        "resources.requests: expected a map",
    ),
    Case(
        "containers-not-an-array",
        _edit(lambda t: _web(t)["spec"]["template"]["spec"].update(containers={"name": "web"})),
        "spec.template.spec.containers: expected an array",
    ),
    Case(
        "container-without-name",
        _edit(lambda t: _container(t).pop("name")),
        "spec.template.spec.containers[0].name: missing field name",
    ),
    Case(
        "template-not-a-map",
        _edit(lambda t: _web(t)["spec"].update(template="web")),
        "spec.template: expected a pod template",
    ),
    Case(
        "usage-annotation-not-json",
        _edit(_usage("{web: 1}")),
        'spec.template.metadata.annotations["simarena.io/usage"]: not JSON',
    ),
    Case(
        "usage-annotation-bad-quantity",
        _edit(_usage('{"web": {"cpu": "lots"}}')),
        '"lots" is not a Kubernetes quantity',
    ),
    # -- shapes a fuzzing run found escaping as AttributeError / RecursionError / TypeError (issue 11)
    Case(
        "template-metadata-not-a-map",
        _edit(_set("events.0.applied_objs.0.spec.template.metadata", "web")),
        'spec.template.metadata: expected a map, got string "web"',
    ),
    Case(
        "template-annotations-not-a-map",
        _edit(_set("events.0.applied_objs.0.spec.template.metadata", {"annotations": ["a"]})),
        'spec.template.metadata.annotations: expected a map of strings, got array ["a"]',
    ),
    Case(
        "template-label-not-a-string",
        _edit(_set("events.0.applied_objs.0.spec.template.metadata", {"labels": {"app": 7}})),
        "spec.template.metadata.labels.app: expected a string, got integer 7",
    ),
    Case(
        "object-annotations-not-a-map",
        _edit(_set("events.0.applied_objs.0.metadata.annotations", 5)),
        "(Deployment default/web): metadata.annotations: expected a map of strings, got integer 5",
    ),
    Case(
        "usage-annotation-not-a-string",
        _edit(_usage({"web": {"cpu": "1"}})),
        'annotations["simarena.io/usage"]: expected a string, got map {"web": {"cpu": "1"}}',
    ),
    Case(
        "usage-annotation-nested-too-deep",
        _edit(_usage("[" * 100_000 + "]" * 100_000)),
        'annotations["simarena.io/usage"]: not usable: JSON nested too deeply',
    ),
    Case(
        "array-map-key-in-pod-lifecycles-value",
        _edit(_set("pod_lifecycles", {"x": {(1, 2): 3}})),
        'pod_lifecycles: key "x" is not an [owner GVK, "ns/name"] pair',
    ),
    # -- values that are not JSON
    Case(
        "binary-value-in-object",
        lambda: _raw_object_bytes(b"\xc4\x03abc"),
        "containers[0].image: a binary value cannot appear",
    ),
    Case(
        "ext-type-value-in-object",
        lambda: _raw_object_bytes(b"\xd4\x05\x00"),
        "containers[0].image: a msgpack extension value cannot appear",
    ),
    Case(
        "integer-map-key-in-object",
        _edit(lambda t: _web(t)["spec"].update({1: "one"})),
        "spec: map key 1 is an integer",
    ),
    Case(
        "array-as-map-key-in-object",
        _edit(lambda t: _web(t)["spec"].update({("a", "b"): 1})),
        "an array is used as a map key",
    ),
    Case("invalid-utf8-string", lambda: _raw_object_bytes(b"\xa2\xff\xfe"), "not UTF-8"),
    Case(
        "object-nested-too-deep",
        _edit(lambda t: _web(t)["spec"].update(extra=_nested(150))),
        "nested more than 100 levels deep",
    ),
    Case(
        "extra-top-level-key-binary",
        _edit(_set("metadata", {"blob": b"\x00\x01"})),
        "metadata.blob: a binary value",
    ),
    Case(
        "config-nested-too-deep", _edit(lambda t: t["config"].update(extra=_nested(150))), "config.extra.a.a"
    ),
    # -- index and pod_lifecycles
    Case("index-not-a-map", _edit(_set("index", [])), "index: expected a map"),
    Case(
        "index-hash-negative",
        _edit(_set(("index", "apps/v1.Deployment", "default/web"), -1)),
        'index["apps/v1.Deployment"]["default/web"]: expected an unsigned 64-bit hash',
    ),
    Case(
        "pod-lifecycles-string-key",
        _edit(_set("pod_lifecycles", {"default/web": {}})),
        'pod_lifecycles: key "default/web" is not an [owner GVK',
    ),
    Case(
        "pod-lifecycles-bad-entry",
        _edit(_set("pod_lifecycles", {("apps/v1.Deployment", "default/web"): {5: [{"Started": 1}]}})),
        'pod_lifecycles[["apps/v1.Deployment", "default/web"]][5][0]: expected',
    ),
    # -- legacy files that cannot be normalized
    Case("legacy-v1-custom-kind", _legacy_custom_kind, "cannot infer config.trackedObjects for custom kind"),
    # -- SimKube's JSON form
    Case(
        "json-syntax-error",
        lambda: b'{"version": 2,\n  "config": {,}}',
        "not valid JSON: Expecting property name",
        ".json",
    ),
    Case("json-nan", lambda: b'{"version": NaN}', "NaN is not valid JSON", ".json"),
    Case("json-pre-v2-array", _json([{}, [], {}, {}]), "SimKube <= 1.1.1", ".json"),
    Case("json-nested-too-deep", lambda: b"[" * 100_000, "nested too deeply", ".json"),
    Case("json-invalid-utf8", lambda: b'{"version": "\xff"}', "not valid UTF-8", ".json"),
    Case(
        "json-missing-events",
        _json({k: v for k, v in valid_trace().items() if k != "events"}),
        "missing field events",
        ".json",
    ),
]


def write_corpus(directory: Path) -> list[tuple[Case, Path]]:
    """Write every case into ``directory`` (created if needed); returns ``(case, path)`` pairs."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for case in CASES:
        path = directory / case.filename
        path.write_bytes(case.build())
        written.append((case, path))
    return written


def valid_trace_copy() -> dict[str, Any]:
    """A fresh deep copy of :func:`valid_trace` (callers may edit it)."""
    return copy.deepcopy(valid_trace())
