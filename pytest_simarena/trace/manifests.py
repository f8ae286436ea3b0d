"""Your own workload as a trace: a SimKube v2 trace built from Kubernetes YAML manifests.

What ``simarena trace from-manifests`` does. The manifests (files, folders of ``*.yaml``/``*.yml``/
``*.json``, or ``-`` for standard input; multi-document files and ``kind: List`` as kubectl reads them)
become the trace's first event, as SimKube's tracer would have recorded them on a cluster where they were
just applied; each ``later`` file becomes an event ``seconds`` after it (a scale, an image or resources
update). Objects are stored the way the tracer stores them (``../shared/notes/simkube.md`` §1.3):
``status`` and the server-set metadata removed, an ``annotations`` map present, quantities canonical.
The kinds with pod templates (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod) are
tracked in ``config.trackedObjects``; the objects they reference (PriorityClass, ConfigMap, Secret,
ServiceAccount, Service, PersistentVolumeClaim) are applied before them, in Helm's install order.
Namespaces are skipped (SimKube's driver creates the namespaces it replays into); other kinds are refused.

Every problem is a :class:`~pytest_simarena.errors.TraceError` naming the file and line of the document,
the document's number, the object and the field, for example ``deploy.yaml:1: document 1
(Deployment default/web): spec.template.spec.containers[0].image: Required value``.
The built trace then goes through the same structural checks and :func:`~pytest_simarena.trace.validate`
as a loaded trace; their errors are reported against the manifest, their warnings (SimKube's validator
rules, e.g. a ConfigMap a pod mounts but no manifest defines) are emitted as SimArenaWarning.
"""

from __future__ import annotations

import contextlib
import copy
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from pytest_simarena.errors import SimArenaError, SimArenaWarning, TraceError
from pytest_simarena.quantities import canonical

from .builders import EPOCH
from .hashing import rebuild_index
from .model import BUILTIN_TEMPLATE_PATHS, Obj, Trace, describe, gvk_of, pod_templates
from .validate import Problem, validate
from .values import preview, type_name

GENERATOR_ID = "pytest-simarena from-manifests 1"
STDIN = "<stdin>"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

# kind -> the apiVersion that serves it (the only one since Kubernetes 1.25 for all of these)
WORKLOAD_KINDS = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "ReplicaSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "Pod": "v1",
}
REFERENCED_KINDS = {
    # Cluster-scoped; stored with a namespace as every trace object (the API server clears it on create).
    "PriorityClass": "scheduling.k8s.io/v1",
    "ServiceAccount": "v1",
    "Secret": "v1",
    "ConfigMap": "v1",
    "PersistentVolumeClaim": "v1",
    "Service": "v1",
}
# Namespace policy the embedded cluster's admission enforces on pod creation (issue 15).
POLICY_KINDS = {"ResourceQuota": "v1", "LimitRange": "v1"}
_KINDS = {**REFERENCED_KINDS, **WORKLOAD_KINDS, **POLICY_KINDS}
# Helm's install order (pkg/release/util/kind_sorter.go): what a pod references exists before the pod.
_INSTALL_ORDER = {
    kind: n
    for n, kind in enumerate(
        (
            *POLICY_KINDS,  # Helm installs ResourceQuota and LimitRange first, before what they govern
            *REFERENCED_KINDS,
            "DaemonSet",
            "Pod",
            "ReplicaSet",
            "Deployment",
            "StatefulSet",
            "Job",
            "CronJob",
        )
    )
}
_SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
# sanitize_obj (sk-core k8s/util.rs, notes §1.3): what the tracer removes from every object it stores.
_SERVER_SET_METADATA = (
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "managedFields",
    "resourceVersion",
    "uid",
)
_STRIPPED_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
)
# apimachinery validation: IsDNS1123Subdomain (object names) and IsDNS1123Label (namespaces).
_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = re.compile(rf"{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*\Z")
_LABEL = re.compile(rf"{_DNS1123_LABEL}\Z")


try:  # libyaml's parser is ~10x faster; the pure-Python one gives the same data and marks
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class _Loader(_BaseLoader):
    """YAML as Kubernetes reads it (sigs.k8s.io/yaml): timestamps stay strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True, slots=True)
class Manifest:
    """One object read from a manifest file: where it came from and the object itself."""

    file: str
    document: int  # 1-based, as an editor counts the ``---``-separated documents
    line: int  # 1-based line where the document starts
    obj: Obj
    item: int | None = None  # index in a ``kind: List`` document's ``items``
    namespace: str = "default"  # for an object that names none

    def error(self, problem: str, field: str | None = None) -> TraceError:
        """A TraceError naming file:line, document, object and ``field``."""
        location = f"document {self.document}" + (f" items[{self.item}]" if self.item is not None else "")
        return TraceError(
            problem, path=f"{self.file}:{self.line}", location=location, obj=self._who(), field=field
        )

    def _who(self) -> str | None:
        if not isinstance(self.obj, dict) or not isinstance(self.obj.get("kind"), str):
            return None
        meta = self.obj.get("metadata")
        if isinstance(meta, dict) and not isinstance(meta.get("namespace"), str):
            return describe({**self.obj, "metadata": {**meta, "namespace": self.namespace}})
        return describe(self.obj)


# ---------------------------------------------------------------------------------------------------------
# reading


def manifest_files(source: str | Path) -> list[Path]:
    """``source`` itself, or the manifest files of folder ``source`` (sorted by name, not recursive)."""
    path = Path(source)
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in MANIFEST_SUFFIXES and p.is_file())
        if not found:
            raise TraceError(
                f"no manifests ({', '.join(MANIFEST_SUFFIXES)}) in this folder", path=str(source)
            )
        return found
    if not path.exists():
        raise TraceError("no such file", path=str(source))
    return [path]


def read_manifests(path: str | Path) -> list[Manifest]:
    """Every object of one YAML/JSON file (empty documents skipped, ``kind: List`` expanded)."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TraceError(f"not UTF-8 text (byte {exc.start})", path=name) from None
    except OSError as exc:
        raise TraceError(f"cannot read ({exc.strerror or exc})", path=name) from None
    return parse_manifests(text, name)


def parse_manifests(text: str, name: str) -> list[Manifest]:
    """Every object of YAML/JSON ``text``; ``name`` is the file name errors give."""
    out: list[Manifest] = []
    document = 0
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # checks the characters already
        while loader.check_node():
            node = loader.get_node()
            document += 1
            if node is None:
                continue
            line = node.start_mark.line + 1
            data = loader.construct_document(node)
            if data is None:
                continue
            out.extend(_objects_of(data, name, document, line))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}" if mark else name
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise TraceError(f"invalid YAML: {problem}", path=where) from None
    except (yaml.YAMLError, RecursionError) as exc:
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise TraceError(f"invalid YAML: {detail}", path=name) from None
    finally:
        if loader is not None:
            loader.dispose()
    return out


def _objects_of(data: Any, file: str, document: int, line: int) -> Iterable[Manifest]:
    whole = Manifest(file, document, line, data)
    if not isinstance(data, dict):
        raise whole.error(f"expected a Kubernetes object (a map), got {type_name(data)} {preview(data)}")
    if data.get("kind") == "List" and "items" in data:
        items = data["items"]
        if not isinstance(items, list):
            raise whole.error(f"expected an array of objects, got {type_name(items)}", "items")
        for n, item in enumerate(items):
            yield Manifest(file, document, line, item, n)
    else:
        yield whole


# ---------------------------------------------------------------------------------------------------------
# checking and storing one object


def _stored(m: Manifest, namespace: str | None) -> Obj | None:
    """The object as SimKube's tracer would store it; None for a Namespace (skipped, with a warning)."""
    obj = m.obj
    if not isinstance(obj, dict):
        raise m.error(f"expected a Kubernetes object (a map), got {type_name(obj)} {preview(obj)}")
    for key in ("apiVersion", "kind"):
        value = obj.get(key)
        if value is None:
            raise m.error("Required value", key)
        if not isinstance(value, str) or not value:
            raise m.error(f"expected a non-empty string, got {type_name(value)} {preview(value)}", key)
    kind, api = obj["kind"], obj["apiVersion"]
    if kind == "Namespace":
        warnings.warn(
            SimArenaWarning(
                f"{m.file}:{m.line}: document {m.document}: Namespace {preview(_name_of(obj))} skipped "
                "(SimKube's driver creates the namespaces of the objects it replays)"
            ),
            stacklevel=4,
        )
        return None
    expected_api = _KINDS.get(kind)
    if expected_api is None:
        raise m.error(
            f"kind {kind} is not supported: a trace from manifests holds {', '.join(WORKLOAD_KINDS)} and "
            f"the objects they reference ({', '.join(REFERENCED_KINDS)}), and {', '.join(POLICY_KINDS)}",
            "kind",
        )
    if api != expected_api:
        raise m.error(f'Unsupported value: "{api}": {kind} is served as {expected_api}', "apiVersion")
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        problem = "Required value" if meta is None else f"expected a map, got {type_name(meta)}"
        raise m.error(problem, "metadata")
    _check_name(m, meta.get("name"), "metadata.name", _SUBDOMAIN, 253, "subdomain")
    own = meta.get("namespace")
    if own is not None:
        _check_name(m, own, "metadata.namespace", _LABEL, 63, "label")
        if namespace is not None and own != namespace:
            # kubectl's own refusal for `kubectl apply -n <namespace>` (same wording, minus the flag name)
            raise m.error(
                f'the namespace from the provided object "{own}" does not match the namespace "{namespace}"',
                "metadata.namespace",
            )
    if kind in WORKLOAD_KINDS:
        _check_workload(m, kind)
    return _sanitized(obj, own or namespace or "default")


def _name_of(obj: Obj) -> Any:
    meta = obj.get("metadata")
    return meta.get("name") if isinstance(meta, dict) else None


def _check_name(m: Manifest, value: Any, field: str, pattern: re.Pattern[str], limit: int, what: str) -> None:
    if value is None:
        raise m.error(
            "Required value: name is required" if field.endswith("name") else "Required value", field
        )
    if not isinstance(value, str) or not value:
        raise m.error(f"expected a non-empty string, got {type_name(value)} {preview(value)}", field)
    if len(value) > limit or not pattern.match(value):
        raise m.error(
            f'Invalid value: "{value}": a lowercase RFC 1123 {what} of at most {limit} characters must '
            "consist of lower case alphanumeric characters, '-'"
            + (" or '.'" if what == "subdomain" else "")
            + ", and must start and end with an alphanumeric character",
            field,
        )


def _check_workload(m: Manifest, kind: str) -> None:
    """What the API server would refuse and the trace checks do not look at (apps and batch validation)."""
    obj = m.obj
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        raise m.error("Required value" if spec is None else f"expected a map, got {type_name(spec)}", "spec")
    if kind == "CronJob":
        if not isinstance(spec.get("schedule"), str) or not spec["schedule"].strip():
            raise m.error("Required value", "spec.schedule")
        job = spec.get("jobTemplate")
        if not isinstance(job, dict) or not isinstance(job.get("spec"), dict):
            raise m.error("Required value", "spec.jobTemplate.spec")
        spec, prefix = job["spec"], "spec.jobTemplate.spec"
    else:
        prefix = "spec"
    template = spec if kind == "Pod" else spec.get("template")
    where = "spec" if kind == "Pod" else f"{prefix}.template"
    if not isinstance(template, dict):
        raise m.error(
            "Required value" if template is None else f"expected a map, got {type_name(template)}", where
        )
    meta = template.get("metadata")
    if kind != "Pod" and meta is not None and not isinstance(meta, dict):
        raise m.error(f"expected a map, got {type_name(meta)} {preview(meta)}", f"{where}.metadata")
    pod_spec = obj["spec"] if kind == "Pod" else template.get("spec")
    pod_where = "spec" if kind == "Pod" else f"{where}.spec"
    if not isinstance(pod_spec, dict):
        raise m.error("Required value", pod_where)
    for list_key in ("initContainers", "containers"):
        found = pod_spec.get(list_key)
        if not isinstance(found, list):
            continue
        for n, container in enumerate(found):
            if isinstance(container, dict) and not container.get("image"):
                raise m.error("Required value", f"{pod_where}.{list_key}[{n}].image")
    if kind in ("Job", "CronJob"):
        policy = pod_spec.get("restartPolicy")
        # batch validation.go validateJobSpec: a Job's pods must not restart in place
        if policy is None or policy == "":
            raise m.error('Required value: valid values: "OnFailure", "Never"', f"{pod_where}.restartPolicy")
        if policy not in ("OnFailure", "Never"):
            raise m.error(
                f'Unsupported value: {preview(policy)}: supported values: "OnFailure", "Never"',
                f"{pod_where}.restartPolicy",
            )
    if kind in _SELECTOR_KINDS:
        _check_selector(m, spec, template)


def _check_selector(m: Manifest, spec: Obj, template: Obj) -> None:
    """apps/v1 requires a selector, and it must select the template's labels (apps validation.go)."""
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not (
        selector.get("matchLabels") or selector.get("matchExpressions")
    ):
        raise m.error("Required value", "spec.selector")
    wanted = selector.get("matchLabels") or {}
    meta = template.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    labels = labels if isinstance(labels, dict) else {}
    if not isinstance(wanted, dict) or any(labels.get(k) != v for k, v in wanted.items()):
        raise m.error(
            f"Invalid value: {preview(labels)}: `selector` does not match template `labels`",
            "spec.template.metadata.labels",
        )


def _sanitized(obj: Obj, namespace: str) -> Obj:
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out["metadata"]
    meta["namespace"] = namespace
    for key in _SERVER_SET_METADATA:
        meta.pop(key, None)
    annotations = meta.get("annotations")
    annotations = (
        dict(annotations) if isinstance(annotations, dict) else {} if annotations is None else annotations
    )
    if isinstance(annotations, dict):
        for key in _STRIPPED_ANNOTATIONS:
            annotations.pop(key, None)
    meta["annotations"] = annotations  # sanitize_obj always leaves the map behind (notes §1.3)
    if out.get("kind") == "Pod" and isinstance(out.get("spec"), dict):
        out["spec"].pop("nodeName", None)  # the tracer drops it for pods (notes §1.3)
    for template in pod_templates(out):
        _canonical_quantities(template)
    return out


def _canonical_quantities(template: Obj) -> None:
    """Quantities as the API server returns them (``0.5`` -> ``500m``); bad ones are left for the checks."""
    spec = template.get("spec")
    if not isinstance(spec, dict):
        return
    for list_key in ("initContainers", "containers"):
        found = spec.get(list_key)
        for container in found if isinstance(found, list) else []:
            resources = container.get("resources") if isinstance(container, dict) else None
            for kind in ("requests", "limits"):
                values = resources.get(kind) if isinstance(resources, dict) else None
                if not isinstance(values, dict):
                    continue
                for name, value in values.items():
                    with contextlib.suppress(SimArenaError, TypeError, ValueError):
                        values[name] = canonical(value)


# ---------------------------------------------------------------------------------------------------------
# the trace


def trace_from_manifests(
    sources: Sequence[str | Path],
    *,
    later: Sequence[tuple[int, str | Path]] = (),
    namespace: str | None = None,
    start: int = EPOCH,
    checks: Sequence[Callable[[Trace], Iterable[Problem]]] = (),
) -> Trace:
    """The SimKube v2 trace of ``sources`` applied at ``start`` and each ``(seconds, file)`` of ``later``.

    Objects without a namespace get ``namespace`` (default ``default``). Raises TraceError naming file,
    document, object and field for the first problem; emits SimArenaWarning for SimKube validator findings.
    ``checks`` add findings located like ``validate``'s (the CLI passes the embedded API server's checks of
    LimitRange, ResourceQuota and PriorityClass objects, which this layer cannot import).

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "web.yaml").write_text('''
    ... apiVersion: apps/v1
    ... kind: Deployment
    ... metadata: {name: web}
    ... spec:
    ...   replicas: 2
    ...   selector: {matchLabels: {app: web}}
    ...   template:
    ...     metadata: {labels: {app: web}}
    ...     spec: {containers: [{name: web, image: nginx, resources: {requests: {cpu: 0.5}}}]}
    ... ''')
    >>> trace = trace_from_manifests([folder])
    >>> [str(ref) for ref in trace.workloads()], trace.events[0]["ts"]
    (['Deployment default/web'], 1730390400)
    """
    if not sources:
        raise TraceError("no manifests given")
    if any(type(seconds) is not int or seconds < 0 for seconds, _ in later):
        raise TraceError("later events need a whole number of seconds >= 0")
    if namespace is not None and not _LABEL.match(namespace):
        raise TraceError(f"namespace {namespace!r} is not a lowercase RFC 1123 label")
    default = namespace or "default"
    groups: dict[int, list[Manifest]] = {0: [m for source in sources for m in _read_source(source, default)]}
    for seconds, file in sorted(later, key=lambda pair: pair[0]):
        groups.setdefault(seconds, []).extend(_read_source(file, default))
    events: list[Obj] = []
    origin: dict[tuple[int, int], Manifest] = {}
    for seconds in sorted(groups):
        stored = [(m, obj) for m in groups[seconds] if (obj := _stored(m, namespace)) is not None]
        _refuse_duplicates(stored)
        stored.sort(key=lambda pair: _INSTALL_ORDER[pair[1]["kind"]])  # stable: file order within a kind
        for j, (m, _) in enumerate(stored):
            origin[(len(events), j)] = m
        events.append({"ts": start + seconds, "applied_objs": [obj for _, obj in stored], "deleted_objs": []})
    if not any(event["applied_objs"] for event in events):
        raise TraceError("the manifests hold no objects", path=str(sources[0]))
    trace = Trace(
        events=events,
        config={"trackedObjects": _tracked(events)},
        extra={"metadata": _metadata(sources, later)},
    )
    rebuild_index(trace)
    _check_as_loaded(trace, origin, checks)
    return trace


def _read_source(source: str | Path, namespace: str) -> list[Manifest]:
    if str(source) == "-":  # kubectl's `-f -`: `helm template ... | simarena trace from-manifests -`
        found = parse_manifests(sys.stdin.read(), STDIN)
    else:
        found = [m for path in manifest_files(source) for m in read_manifests(path)]
    return [replace(m, namespace=namespace) for m in found]


def _refuse_duplicates(stored: list[tuple[Manifest, Obj]]) -> None:
    seen: dict[tuple[str, str, str], Manifest] = {}
    for m, obj in stored:
        key = (gvk_of(obj), obj["metadata"]["namespace"], obj["metadata"]["name"])
        first = seen.setdefault(key, m)
        if first is not m:
            where = f"{first.file}:{first.line} document {first.document}"
            raise m.error(f"Duplicate value: the same object is already defined at {where}", "metadata.name")


def _tracked(events: list[Obj]) -> Obj:
    gvks = {gvk_of(obj) for event in events for obj in event["applied_objs"]}
    return {
        gvk: {"podSpecTemplatePaths": [BUILTIN_TEMPLATE_PATHS[gvk]]}
        for gvk in sorted(gvks)
        if gvk in BUILTIN_TEMPLATE_PATHS
    }


def _metadata(sources: Sequence[str | Path], later: Sequence[tuple[int, str | Path]]) -> Obj:
    names = [str(s) for s in sources]
    meta: Obj = {
        "description": f"built from manifests: {', '.join(names)}",
        "generator": GENERATOR_ID,
        "manifests": [{"at": 0, "source": n} for n in names]
        + [{"at": seconds, "source": str(file)} for seconds, file in sorted(later, key=lambda p: p[0])],
    }
    return meta


_EVENT_OBJECT = re.compile(r"events\[(\d+)\]\.applied_objs\[(\d+)\](?: \([^)]*\))?(?:: (.*))?\Z", re.S)


def _check_as_loaded(
    trace: Trace,
    origin: dict[tuple[int, int], Manifest],
    checks: Sequence[Callable[[Trace], Iterable[Problem]]] = (),
) -> None:
    """``validate`` (the loader's structural checks first, then the semantic ones) and ``checks``, against
    the manifests."""
    problems = validate(trace)
    if not any(p.code == "malformed" for p in problems):  # the extra checks read a sound structure
        problems += [p for check in checks for p in check(trace)]
    problems.sort(key=lambda p: p.severity != "error")  # errors first, each kind in trace order
    for problem in problems:
        found = _EVENT_OBJECT.match(problem.location)
        if found is None:
            continue  # index/lifecycle findings: this module wrote both
        m = origin[(int(found[1]), int(found[2]))]
        error = m.error(problem.message, found[3])
        if problem.severity == "error":
            raise error
        warnings.warn(SimArenaWarning(str(error)), stacklevel=3)
