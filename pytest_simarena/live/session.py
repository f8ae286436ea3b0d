"""LiveSession: a running embedded cluster replaying a trace, read and written like a Kubernetes API.

    from pytest_simarena.live import LiveSession
    session = LiveSession.start("traces/canonical/slightly-bad-cpu.sktrace", seed=1)
    session.advance(30)                                    # simulated seconds; nothing else moves time
    pods = session.list("pods", "default", label_selector="app=web")
    session.patch("deployments", "default", "web", {"spec": {"replicas": 2}}, "merge")
    session.advance_until(lambda s: s.observation().healthy, timeout=300)
    session.write_run("runs/live-1")                        # `simarena replay runs/live-1` reproduces it

Objects live in the trace's own namespaces (``default``). Every write goes through admission: the
project's safeguards judge the values it changes (a crossed cap is a 403 Forbidden Status carrying the
safeguard's message) and the embedded API validation rejects invalid objects (422 Invalid with the field
path); errors are :class:`~pytest_simarena.live.errors.ApiError`. An allowed write takes effect on the
running cluster (controllers react at once, in simulated time) and is recorded, with the project Actions
it amounts to, so the run folder replays it and :meth:`export_trace` writes the edited workloads.

Time stands still between calls: it moves only in :meth:`advance`/:meth:`advance_until` (the API server
adds its per-request cost through them). Same seed, same trace, same calls -> the same objects (names,
uids, timestamps, resourceVersions) and a byte-identical event log. Not thread-safe: one caller at a time
(the API server orders requests with one lock).
"""

from __future__ import annotations

import builtins
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_simarena.actions import Action, ActionResult, apply_action
from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
from pytest_simarena.backends.embedded.admission import POLICY_KINDS, Forbidden
from pytest_simarena.backends.embedded.pods import InvalidObject, UnsupportedKind
from pytest_simarena.errors import ActionError, SimArenaError
from pytest_simarena.safeguards import DEFAULT_SAFEGUARDS, Safeguards
from pytest_simarena.settings import ClusterSettings
from pytest_simarena.trace.model import Trace, gvk_of
from pytest_simarena.trace.virtualize import clone

from . import views
from .admission import admit, equivalent_actions, schedulable_on_virtual_nodes, validate
from .errors import (
    ApiError,
    already_exists,
    bad_request,
    conflict,
    forbidden,
    invalid,
    method_not_allowed,
    not_found,
)
from .patch import apply_patch
from .resources import RESOURCES, TEMPLATE_KINDS, Resource, resource
from .selectors import field_matcher, label_matcher

Obj = dict[str, Any]
# The live session replays with no namespace prefix: objects keep the trace's namespaces.
LIVE_PREFIX = ""
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
# Server-set metadata a client may send back; never stored from a request.
_SERVER_FIELDS = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink")


@dataclass(frozen=True, slots=True)
class Change:
    """One watch event: ``type`` ADDED/MODIFIED/DELETED of ``resource`` at ``rv``."""

    rv: int
    type: str
    resource: str
    obj: Obj


@dataclass(frozen=True, slots=True)
class WriteRecord:
    """An allowed write: what was sent (after patching) and the project Actions it amounts to."""

    seq: int
    time: float
    verb: str
    resource: str
    namespace: str
    name: str
    body: Obj | None = None
    actions: tuple[Action, ...] = ()

    def to_json(self) -> Obj:
        return {
            "seq": self.seq,
            "time": self.time,
            "verb": self.verb,
            "resource": self.resource,
            "namespace": self.namespace,
            "name": self.name,
            "body": self.body,
            "actions": [a.to_dict() for a in self.actions],
        }

    @classmethod
    def from_json(cls, data: Obj) -> WriteRecord:
        return cls(
            seq=int(data["seq"]),
            time=float(data["time"]),
            verb=str(data["verb"]),
            resource=str(data["resource"]),
            namespace=str(data["namespace"]),
            name=str(data["name"]),
            body=data.get("body"),
            actions=tuple(Action.from_dict(a) for a in data.get("actions") or []),
        )


def _strip_server_fields(obj: Obj) -> Obj:
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        obj["metadata"] = {k: v for k, v in meta.items() if k not in _SERVER_FIELDS}
    obj.pop("status", None)
    return obj


# NodeSystemInfo's fields are all required by the API schema (typed clients reject a node without them);
# a KWOK node reports empty strings for what it does not have.
_NODE_INFO_FIELDS = (
    "architecture",
    "bootID",
    "containerRuntimeVersion",
    "kernelVersion",
    "kubeProxyVersion",
    "kubeletVersion",
    "machineID",
    "operatingSystem",
    "osImage",
    "systemUUID",
)


def _complete_node(node: Obj) -> Obj:
    status = node.get("status")
    if not isinstance(status, dict):
        return node
    raw = status.get("nodeInfo")
    info: Obj = raw if isinstance(raw, dict) else {}
    missing = [f for f in _NODE_INFO_FIELDS if f not in info]
    if not missing:
        return node
    return {**node, "status": {**status, "nodeInfo": {**dict.fromkeys(missing, ""), **info}}}


def _invalid_from(exc: InvalidObject, kind: str, group: str, name: str) -> ApiError:
    """The embedded cluster's ``The Deployment "web" is invalid: <field>: <problem>`` as a 422 Status."""
    text = str(exc)
    marker = " is invalid: "
    rest = text.split(marker, 1)[1] if marker in text else text
    causes: list[tuple[str, str]] = []
    body = rest[1:-1] if rest.startswith("[") and rest.endswith("]") else rest
    for part in body.split(", ") if rest.startswith("[") else [body]:
        path, sep, problem = part.partition(": ")
        causes.append((path, problem) if sep and " " not in path else ("", part))
    return invalid(kind, group, name, causes)


@dataclass
class _Known:
    rv: int
    obj: Obj


@dataclass
class LiveSession:
    """A live embedded cluster replaying ``trace``; build it with :meth:`start`."""

    trace: Trace
    cluster: EmbeddedCluster
    seed: int = 0
    safeguards: Safeguards = DEFAULT_SAFEGUARDS
    label: str = "<trace>"
    writes: list[WriteRecord] = field(default_factory=list)
    _known: dict[str, dict[tuple[str, str], _Known]] = field(default_factory=dict)
    _changes: list[Change] = field(default_factory=list)
    _rv: int = 0
    _version: int = 0
    _synced: dict[str, int] = field(default_factory=dict)
    _namespaces: dict[str, float] = field(default_factory=dict)
    _namespace_meta: dict[str, Obj] = field(default_factory=dict)  # labels/annotations sent by clients
    _inert: dict[tuple[str, str, str], Obj] = field(default_factory=dict)  # (resource, ns, name) -> object

    # -- life -----------------------------------------------------------------------------------------
    @classmethod
    def start(
        cls,
        trace: Trace | str | Path,
        *,
        seed: int = 0,
        cluster: ClusterSettings | None = None,
        spec: ClusterSpec | None = None,
        safeguards: Safeguards | None = None,
    ) -> LiveSession:
        """Start replaying ``trace`` (a Trace, a trace file or a trace name) on a fresh embedded cluster.

        The cluster is ``spec`` when given, else what ``cluster`` (the settings' cluster rows: a spec
        file or uniform nodes) says, else the cluster the trace was made for (its generator metadata),
        else the default three nodes. ``seed`` seeds every random choice. ``cluster``'s
        kubernetes_version, when set, is over the spec's own.
        """
        from pytest_simarena.episode.target import intended_cluster
        from pytest_simarena.trace.catalog import find_trace
        from pytest_simarena.trace.io import load_trace

        label = str(trace) if isinstance(trace, str | Path) else (trace.path or "<trace>")
        # A name (``slightly-bad-cpu``) resolves as on the command line: the project's traces, then packaged.
        loaded = load_trace(find_trace(trace)) if isinstance(trace, str | Path) else trace
        if spec is None:
            chosen = cluster or ClusterSettings()
            options = chosen.backend_options("embedded", intended=intended_cluster(loaded))
            if "cluster" in options:
                spec = ClusterSpec.from_file(Path(options["cluster"]))
            elif "uniform" in options:
                shape = options["uniform"]
                spec = ClusterSpec.uniform(
                    int(shape["nodes"]), shape["cpu"], shape["memory"], int(shape.get("pods", 110))
                )
        if cluster is not None and cluster.kubernetes_version is not None:
            spec = (spec if spec is not None else ClusterSpec.default()).with_version(
                cluster.kubernetes_version
            )
        embedded = EmbeddedCluster(spec, seed=seed)
        embedded.start(loaded, LIVE_PREFIX)
        session = cls(loaded, embedded, seed=seed, safeguards=safeguards or DEFAULT_SAFEGUARDS, label=label)
        for ref in loaded.workloads():
            session._namespaces.setdefault(ref.namespace, 0.0)
        session.cluster.run(0)  # what the trace applies at its start is there at once
        session._touch()
        return session

    def close(self) -> None:
        self.cluster.close()

    # -- time -----------------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """Simulated seconds since the session started (the trace's first event)."""
        return self.cluster.now

    def timestamp(self) -> str:
        """Now, as RFC 3339 (the simulated wall clock objects' timestamps use)."""
        return self.cluster.clock.timestamp()

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass (the trace's events and controllers run)."""
        if seconds < 0:
            raise SimArenaError(f"advance: seconds must not be negative, got {seconds!r}")
        changes = self._changes_by(self.now + seconds)
        self.cluster.run(seconds)
        if changes:
            self._touch()

    def advance_to(self, when: float) -> None:
        """Run to simulated time ``when`` exactly (no float drift; used by replays)."""
        changes = self._changes_by(when)
        if when > self.cluster.clock.now:
            self.cluster.clock.run_until_time(when)
        if changes:
            self._touch()

    def _changes_by(self, until: float) -> bool:
        """Whether running to ``until`` can change what the API shows: a timer is due by then, or a
        workload's status depends on the time itself (minReadySeconds). Otherwise the objects rendered
        at the last read are still current and a read reuses them (a quiet cluster polled stays cheap)."""
        due = self.cluster.clock.next_time()
        if due is not None and due <= until:
            return True
        return any(getattr(w, "min_ready", 0) for w in self.cluster.workloads.values())

    def advance_until(self, predicate: Callable[[LiveSession], bool], timeout: float) -> bool:
        """Run until ``predicate(session)`` holds (checked after each simulated instant), at most
        ``timeout`` seconds; True if it held."""

        def stop() -> bool:
            self._touch()
            return bool(predicate(self))

        done = self.cluster.run_until(stop, timeout)
        self._touch()
        return done

    # -- reading --------------------------------------------------------------------------------------
    @property
    def resource_version(self) -> str:
        """The latest resourceVersion given out (a list's ``metadata.resourceVersion``)."""
        return str(self._rv)

    def list(
        self,
        resource_name: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> builtins.list[Obj]:
        """Objects of a resource (in ``namespace``, or all for None), filtered by the selectors."""
        res = resource(resource_name)
        labels = label_matcher(label_selector)
        fields = field_matcher(res.name, field_selector)
        self._sync(res.name)
        out = []
        for (ns, _), known in self._known.get(res.name, {}).items():
            if namespace is not None and res.namespaced and ns != namespace:
                continue
            obj = self._versioned(known)
            if labels(obj) and fields(obj):
                out.append(obj)
        return out

    def get(self, resource_name: str, namespace: str | None, name: str) -> Obj:
        """One object; 404 Status when absent."""
        res = resource(resource_name)
        self._sync(res.name)
        key = ((namespace or "") if res.namespaced else "", name)
        known = self._known.get(res.name, {}).get(key)
        if known is None:
            raise not_found(res.name, res.group, name)
        return self._versioned(known)

    def changes_since(
        self,
        rv: int,
        resource_name: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> builtins.list[tuple[str, Obj]]:
        """Watch events of a resource after resourceVersion ``rv``: ``(type, object)`` in order."""
        res = resource(resource_name)
        labels = label_matcher(label_selector)
        fields = field_matcher(res.name, field_selector)
        self._sync(res.name)
        out = []
        for change in self._changes:
            if change.rv <= rv or change.resource != res.name:
                continue
            obj = change.obj
            if namespace is not None and res.namespaced and obj["metadata"].get("namespace") != namespace:
                continue
            if labels(obj) and fields(obj):
                out.append((change.type, obj))
        return out

    def events(
        self, namespace: str | None = None, *, field_selector: str | None = None
    ) -> builtins.list[Obj]:
        """Core/v1 Events (``describe`` asks with ``involvedObject.*`` field selectors)."""
        return self.list("events", namespace, field_selector=field_selector)

    def logs(self, namespace: str, pod: str, container: str | None = None, *, previous: bool = False) -> str:
        """The container's synthetic log (see :mod:`pytest_simarena.live.views`)."""
        return views.pod_logs(self.get("pods", namespace, pod), container, previous=previous)

    def pod_metrics(self, namespace: str | None = None) -> builtins.list[Obj]:
        """PodMetrics of the running pods (metrics.k8s.io), from the usage annotation."""
        stamp = self.timestamp()
        found = (views.pod_metrics(p, stamp) for p in self.list("pods", namespace))
        return [m for m in found if m is not None]

    def node_metrics(self) -> builtins.list[Obj]:
        """NodeMetrics: per node, the usage of the running pods on it."""
        stamp = self.timestamp()
        pods = self.list("pods")
        return [views.node_metrics(node, pods, stamp) for node in self.list("nodes")]

    def namespaces(self) -> builtins.list[str]:
        return [(o["metadata"]["name"]) for o in self.list("namespaces")]

    def observation(
        self,
        workload: str | None = None,
        *,
        kind: str | None = None,
        namespace: str | None = None,
        target: int | None = None,
        step: int = 0,
    ) -> Any:
        """The episode :class:`~pytest_simarena.episode.observation.Observation` of the live cluster."""
        from pytest_simarena.episode.observation import build_observation
        from pytest_simarena.episode.target import default_target, resolve_workload

        current = self.current_trace()
        ref = resolve_workload(current, workload, kind=kind, namespace=namespace)
        goal = default_target(self.trace, ref) if target is None else int(target)
        snapshot = self.cluster.observe(None)
        return build_observation(snapshot, trace=current, workload=ref, target=goal, step=step)

    # -- writing --------------------------------------------------------------------------------------
    def create(self, resource_name: str, namespace: str | None, body: Obj, *, dry_run: bool = False) -> Obj:
        """Create an object (POST); 409 AlreadyExists, 403 when a safeguard is crossed, 422 when invalid.

        With ``dry_run`` every check runs and the object that would be created is returned, unstored.
        """
        res = self._writable(resource_name, "create")
        sent = clone(body)  # recorded as sent: a replay draws the same generated name
        obj = self._body(res, namespace, body)
        meta = obj["metadata"]
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise invalid(
                    res.kind,
                    res.group,
                    "",
                    [("metadata.name", "Required value: name or generateName is required")],
                )
            meta["name"] = str(meta["generateName"]) + self.cluster.clock.token(
                5, "bcdfghjklmnpqrstvwxz2456789"
            )
        name = str(meta["name"])
        ns = str(meta.get("namespace") or "")
        self._sync(res.name)
        if (ns, name) in self._known.get(res.name, {}):
            raise already_exists(res.name, res.group, name)
        if res.name != "namespaces":
            if res.namespaced:
                self._require_namespace(ns)
            self._admit(res, None, obj, "create")
        if dry_run:
            return obj
        if res.name == "namespaces":
            self._namespaces[name] = self.now
            self._set_namespace_meta(name, meta)
        elif res.inert:
            self._store_inert(res, None, obj)
        else:
            self._store(res, None, obj)
        self._record("create", res, ns, name, sent, ())
        return self.get(res.name, ns, name)

    def replace(
        self,
        resource_name: str,
        namespace: str | None,
        name: str,
        body: Obj,
        *,
        verb: str = "update",
        dry_run: bool = False,
    ) -> Obj:
        """Replace an object (PUT); a ``metadata.resourceVersion`` that is not current is a 409 Conflict.

        With ``dry_run`` every check runs and the object that would be stored is returned, unstored.
        """
        res = self._writable(resource_name, "update")
        current = self.get(res.name, namespace, name)
        obj = self._body(res, namespace, body)
        if obj["metadata"].get("name") not in (None, name):
            raise bad_request(
                f"the name of the object ({obj['metadata']['name']}) does not match the name on the URL "
                f"({name})"
            )
        obj["metadata"]["name"] = name
        sent_rv = (body.get("metadata") or {}).get("resourceVersion")
        if sent_rv not in (None, "") and str(sent_rv) != current["metadata"]["resourceVersion"]:
            raise conflict(
                res.name,
                res.group,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        if res.name == "namespaces":
            if dry_run:
                return obj
            self._set_namespace_meta(name, obj["metadata"])
            self._record(verb, res, "", name, _strip_server_fields(clone(obj)), ())
            return self.get(res.name, None, name)
        if res.inert:
            if not dry_run:
                self._store_inert(res, current, obj)
                self._record(verb, res, namespace or "", name, _strip_server_fields(clone(obj)), ())
            return obj if dry_run else self.get(res.name, namespace, name)
        self._admit(res, current, obj, verb)
        if dry_run:
            meta = current["metadata"]
            obj["metadata"].update({k: meta[k] for k in ("uid", "creationTimestamp") if k in meta})
            return obj
        actions = self._store(res, current, obj)
        self._record(verb, res, namespace or "", name, _strip_server_fields(clone(obj)), actions)
        return self.get(res.name, namespace, name)

    def patch(
        self, resource_name: str, namespace: str | None, name: str, patch: Any, patch_type: str = "strategic"
    ) -> Obj:
        """Patch an object: ``patch_type`` strategic, merge or json (or their media types)."""
        current = self.get(resource_name, namespace, name)
        media = {
            "strategic": "application/strategic-merge-patch+json",
            "merge": "application/merge-patch+json",
            "json": "application/json-patch+json",
        }.get(patch_type, patch_type)
        patched = apply_patch(clone(current), patch, media)
        return self.replace(resource_name, namespace, name, patched, verb="patch")

    def delete(
        self,
        resource_name: str,
        namespace: str | None,
        name: str,
        *,
        preconditions: Obj | None = None,
        dry_run: bool = False,
    ) -> Obj:
        """Delete an object and what it owns; returns it as it was. A deleted pod of a controller is
        replaced by the controller, as on a real cluster. ``preconditions`` (DeleteOptions': ``uid``,
        ``resourceVersion``) that do not hold are a 409 Conflict."""
        res = self._writable(resource_name, "delete")
        current = self.get(res.name, namespace, name)
        meta = current["metadata"]
        for key, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
            wanted = (preconditions or {}).get(key)
            if wanted not in (None, "") and str(wanted) != str(meta.get(key)):
                raise conflict(
                    res.name,
                    res.group,
                    name,
                    f"Precondition failed: {label} in precondition: {wanted}, {label} in object meta: "
                    f"{meta.get(key)}",
                )
        if dry_run:
            return current
        if res.name == "namespaces":
            for other in RESOURCES:
                if other.namespaced and other.allows("delete"):
                    for obj in self.list(other.name, name):
                        self._delete_one(other, name, obj["metadata"]["name"])
            self._namespaces.pop(name, None)
            self._namespace_meta.pop(name, None)
            self.cluster.recorder.drop_namespace(name)
            self._touch()
        else:
            self._delete_one(res, namespace or "default", name)
        self.cluster.run(0)
        self._touch()
        self._record("delete", res, namespace or "", name, None, ())
        return current

    def get_scale(self, resource_name: str, namespace: str, name: str) -> Obj:
        """The ``autoscaling/v1 Scale`` of a Deployment, ReplicaSet or StatefulSet."""
        res = resource(resource_name)
        if "scale" not in res.subresources:
            raise not_found(f"{res.name}/scale", res.group, name)
        obj = self.get(res.name, namespace, name)
        meta = obj["metadata"]
        selector = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                if k in meta
            },
            "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
            "status": {
                "replicas": (obj.get("status") or {}).get("replicas", 0),
                "selector": ",".join(f"{k}={v}" for k, v in selector.items()),
            },
        }

    def scale(self, resource_name: str, namespace: str, name: str, replicas: int) -> Obj:
        """Set ``spec.replicas`` (the scale subresource); returns the new Scale."""
        if isinstance(replicas, bool) or not isinstance(replicas, int):
            raise invalid(
                "Scale",
                "autoscaling",
                name,
                [("spec.replicas", f"Invalid value: {replicas!r}: must be an integer")],
            )
        if replicas < 0:
            raise invalid(
                "Scale",
                "autoscaling",
                name,
                [("spec.replicas", f"Invalid value: {replicas}: must be greater than or equal to 0")],
            )
        res = resource(resource_name)
        self.get_scale(res.name, namespace, name)
        current = self.get(res.name, namespace, name)
        body = clone(current)
        body["spec"]["replicas"] = replicas
        self.replace(res.name, namespace, name, body, verb="scale")
        return self.get_scale(res.name, namespace, name)

    def apply_action(self, action: Action) -> ActionResult:
        """Apply a project Action to the live workload it names, through the safeguards.

        ``blocked`` raises the 403 Forbidden ApiError (the safeguard's message), ``not_found`` the 404;
        ``unchanged`` is returned as it is; ``applied`` writes the edited object and records the action.
        """
        kind = action.kind or "Deployment"
        res = resource(kind)
        namespace = action.namespace or "default"
        current = self.get(res.name, namespace, action.workload)
        mini = Trace(
            events=[{"ts": 0, "applied_objs": [_strip_server_fields(clone(current))], "deleted_objs": []}]
        )
        result = apply_action(mini, action, safeguards=self.safeguards)
        if result.status == "blocked":
            from .admission import WEBHOOK

            raise ApiError(403, f'admission webhook "{WEBHOOK}" denied the request: {result.message}')
        if result.status == "not_found":
            raise ApiError(404, result.message)
        if result.status == "applied":
            edited = result.trace.events[0]["applied_objs"][0]
            self._admit(res, current, edited, action.type, judge=False)  # the safeguards judged the plan
            self._store(res, current, clone(edited))  # the action itself is recorded, not its translation
            self._record(action.type, res, namespace, action.workload, clone(edited), (action,))
        return result

    # -- results --------------------------------------------------------------------------------------
    def actions(self) -> builtins.list[Action]:
        """Every recorded write as project Actions, in order (writes with no Action form are skipped)."""
        return [a for w in self.writes for a in w.actions]

    def current_trace(self) -> Trace:
        """The input trace plus one event, now, applying the live version of every workload written."""
        import dataclasses

        applied: builtins.list[Obj] = []
        deleted: builtins.list[Obj] = []
        seen: set[tuple[str, str, str]] = set()
        for w in self.writes:
            key = (w.resource, w.namespace, w.name)
            if key in seen or w.resource in ("namespaces", "pods"):
                continue
            seen.add(key)
            try:
                applied.append(_strip_server_fields(clone(self.get(w.resource, w.namespace, w.name))))
            except ApiError:
                deleted.append(
                    {
                        "apiVersion": resource(w.resource).api_version,
                        "kind": resource(w.resource).kind,
                        "metadata": {"namespace": w.namespace, "name": w.name},
                    }
                )
        if not applied and not deleted:
            return self.trace
        ts = self.trace.end_ts if self.trace.events else 0
        event = {
            "ts": max(ts, int(self.trace.start_ts + self.now)),
            "applied_objs": applied,
            "deleted_objs": deleted,
        }
        return dataclasses.replace(self.trace, events=[*self.trace.events, event])

    def export_trace(self) -> Trace:
        """The input trace with the session's workload edits applied to every version (as episodes edit
        traces), so replaying it starts from the repaired workloads."""
        current = self.trace
        for action in self.actions():
            current = apply_action(current, action, safeguards=self.safeguards).trace
        return current

    def write_run(self, directory: str | Path) -> Path:
        """Write the run folder into ``directory`` (created); layout in :mod:`.runfolder`."""
        from pytest_simarena.trace.io import dumps

        from . import runfolder as rf

        meta = {
            "kind": "LiveSession",
            "version": 1,
            "trace": self.label,
            "seed": self.seed,
            "clusterSpec": self.cluster.spec.to_dict(),
            "safeguards": self.safeguards.to_dict(),
            "endTime": self.now,
            "writes": len(self.writes),
            "actions": len(self.actions()),
        }
        writes = "".join(
            json.dumps(w.to_json(), separators=(",", ":"), ensure_ascii=False) + "\n" for w in self.writes
        )
        # live.json last: a folder is a live run (is_live_run) only once everything else is in it.
        return rf.write_folder(
            Path(directory),
            {
                rf.INPUT_FILE: dumps(self.trace),
                rf.WRITES_FILE: writes.encode(),
                rf.EVENTS_FILE: "".join(line + "\n" for line in self.cluster.event_log).encode(),
                rf.OBJECTS_FILE: rf.json_bytes(self.snapshot_objects(versions=False)),
                rf.EXPORT_FILE: dumps(self.export_trace()),
                rf.LIVE_FILE: rf.json_bytes(meta),
            },
        )

    def snapshot_objects(self, *, versions: bool = True) -> Obj:
        """Every object by resource (sorted by namespace/name), for comparing runs.

        ``versions=False`` leaves resourceVersions out: they count the changes the session's reads saw,
        so a replay of the writes alone (which reads nothing) gives the same objects with other versions.
        """
        self._sync()
        return {
            res.name: [
                self._versioned(k) if versions else k.obj
                for _, k in sorted(self._known.get(res.name, {}).items())
            ]
            for res in RESOURCES
        }

    # -- internals ------------------------------------------------------------------------------------
    def _touch(self) -> None:
        self._version += 1

    def _writable(self, resource_name: str, verb: str) -> Resource:
        res = resource(resource_name)
        if not res.allows(verb):
            allowed = ", ".join(res.verbs)
            raise method_not_allowed(
                f"{res.name} are read-only in the embedded cluster: {verb} is not supported "
                f"(supported verbs: {allowed})"
            )
        return res

    def _body(self, res: Resource, namespace: str | None, body: Any) -> Obj:
        if not isinstance(body, dict):
            raise bad_request(f"the request body must be a {res.kind} object")
        obj: Obj = clone(body)
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        if kind not in (None, res.kind) or api_version not in (None, res.api_version):
            raise bad_request(
                f"the API version in the data ({api_version}) and kind ({kind}) do not match "
                f"{res.api_version} {res.kind} of the URL"
            )
        obj["kind"], obj["apiVersion"] = res.kind, res.api_version
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if res.namespaced:
            sent = meta.get("namespace")
            if sent not in (None, "", namespace) and namespace is not None:
                raise bad_request(
                    f"the namespace of the provided object ({sent}) does not match the namespace sent "
                    f"on the request ({namespace})"
                )
            meta["namespace"] = namespace or sent or "default"
        else:
            meta.pop("namespace", None)
        return obj

    def _require_namespace(self, namespace: str) -> None:
        if namespace not in self.namespaces():
            raise not_found("namespaces", "", namespace)

    def _delete_one(self, res: Resource, namespace: str, name: str) -> None:
        if res.inert:
            self._inert.pop((res.name, namespace, name), None)
            self._touch()
        else:
            self.cluster.delete(res.kind, namespace, name, missing_ok=True)

    def _store_inert(self, res: Resource, current: Obj | None, obj: Obj) -> None:
        """Keep an object of a kind the simulator has no behaviour for, with server metadata."""
        stored = _strip_server_fields(clone(obj))
        meta = stored["metadata"]
        if current is None:
            meta["uid"] = self.cluster.clock.uid()
            meta["creationTimestamp"] = self.timestamp()
        else:
            for key in ("uid", "creationTimestamp"):
                meta[key] = current["metadata"][key]
        self._inert[(res.name, str(meta.get("namespace") or ""), str(meta["name"]))] = stored
        self._touch()

    def _set_namespace_meta(self, name: str, meta: Obj) -> None:
        self._namespace_meta[name] = {
            key: dict(meta[key]) for key in ("labels", "annotations") if isinstance(meta.get(key), dict)
        }
        self._touch()

    def _admit(self, res: Resource, current: Obj | None, obj: Obj, verb: str, *, judge: bool = True) -> None:
        """Validation, then admission (the safeguards, unless ``judge`` is false: an Action was judged
        already) and pod immutability: every check of a write."""
        name = str(obj["metadata"]["name"])
        if res.kind in (*TEMPLATE_KINDS, "Pod"):
            try:
                validate(obj)  # object validation comes before admission, as in the apiserver
            except InvalidObject as exc:
                raise _invalid_from(exc, res.kind, res.group, name) from None
            if judge:
                admit(self.safeguards, verb, current, obj)
        if res.kind == "Pod" and current is not None and obj.get("spec") != current.get("spec"):
            raise invalid(
                "Pod",
                "",
                name,
                [
                    (
                        "spec",
                        "Forbidden: pod updates may not change fields other than `metadata.labels`, "
                        "`metadata.annotations` (the embedded cluster keeps pod specs immutable)",
                    )
                ],
            )

    def _store(self, res: Resource, current: Obj | None, obj: Obj) -> tuple[Action, ...]:
        """The write on the cluster (after :meth:`_admit`); returns the Actions it amounts to."""
        name = str(obj["metadata"]["name"])
        stored = schedulable_on_virtual_nodes(_strip_server_fields(clone(obj)))
        meta = stored["metadata"]
        root = ("", gvk_of(stored), f"{meta.get('namespace') or 'default'}/{name}")  # the replay's key
        try:
            # apply_virtual, not apply(): a refused request leaves no Warning event, as on a real apiserver.
            self.cluster.apply_virtual(stored, root=root, replay=None)
        except Forbidden as exc:
            raise forbidden(str(exc)) from None
        except InvalidObject as exc:
            raise _invalid_from(exc, res.kind, res.group, name) from None
        except UnsupportedKind as exc:
            raise method_not_allowed(str(exc)) from None
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            # A shape the embedded validation cannot even read (a string where a map belongs ...).
            problem = f"cannot be decoded: {type(exc).__name__}: {exc}"
            raise invalid(res.kind, res.group, name, [("", problem)]) from None
        self.cluster.run(0)
        self._touch()
        try:
            return tuple(equivalent_actions(current, obj)) if res.kind in TEMPLATE_KINDS else ()
        except ActionError:  # a change no Action expresses (e.g. a request removed under a limit)
            return ()

    def _record(
        self,
        verb: str,
        res: Resource,
        namespace: str,
        name: str,
        body: Obj | None,
        actions: tuple[Action, ...],
    ) -> None:
        self.writes.append(
            WriteRecord(len(self.writes), self.now, verb, res.name, namespace, name, body, actions)
        )

    def _versioned(self, known: _Known) -> Obj:
        obj = dict(known.obj)
        obj["metadata"] = {**obj["metadata"], "resourceVersion": str(known.rv)}
        return obj

    def _namespace_obj(self, name: str, created: float) -> Obj:
        sent = self._namespace_meta.get(name, {})
        meta: Obj = {
            "name": name,
            # Derived from the name, not the cluster's RNG: namespaces must not shift the run's draws.
            "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"simarena:namespace:{name}")),
            "creationTimestamp": self.cluster.clock.timestamp(created),
            "labels": {**sent.get("labels", {}), "kubernetes.io/metadata.name": name},
        }
        if sent.get("annotations"):
            meta["annotations"] = dict(sent["annotations"])
        return {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": meta,
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }

    def _collect(self, res: Resource) -> dict[tuple[str, str], Obj]:
        """The objects of one resource as the API shows them, by (namespace, name)."""
        cluster, clock = self.cluster, self.cluster.clock
        if res.inert:
            return {(ns, name): obj for (r, ns, name), obj in self._inert.items() if r == res.name}
        if res.name == "pods":
            objs = [p.to_api(clock) for by_name in cluster.pods.values() for p in by_name.values()]
        elif res.name == "events":
            objs = [e.to_api(clock) for e in cluster.recorder.events_in(cluster.recorder.namespaces())]
        elif res.name == "nodes":
            return {(("", n.name)): _complete_node(n.to_api(clock)) for n in cluster.scheduler.nodes.values()}
        elif res.name == "namespaces":
            return {("", ns): self._namespace_obj(ns, created) for ns, created in self._namespace_names()}
        elif res.name == "priorityclasses":
            objs = cluster.priority_class_objects()
        elif res.kind in POLICY_KINDS:
            objs = [o.to_api(clock) for o in cluster.admission.objects(res.kind)]
        else:
            objs = [w.to_api() for w in cluster.workloads.values() if w.kind == res.kind]
        return {(str(o["metadata"].get("namespace", "")), str(o["metadata"]["name"])): o for o in objs}

    def _namespace_names(self) -> builtins.list[tuple[str, float]]:
        names = dict.fromkeys(SYSTEM_NAMESPACES, 0.0)
        names.update(self._namespaces)
        for ns, by_name in self.cluster.pods.items():
            if by_name:
                names.setdefault(ns, 0.0)
        for _, ns, _ in self.cluster.workloads:
            names.setdefault(ns, 0.0)
        for ns in self.cluster.admission.namespaces():
            names.setdefault(ns, 0.0)
        for _, ns, _ in self._inert:
            names.setdefault(ns, 0.0)
        return sorted(names.items())

    def _sync(self, *names: str) -> None:
        """Give every changed object of the resources ``names`` (all when none) a new resourceVersion and
        a watch event. Resources are synced when read, so versions follow the requests: the same requests
        give the same versions."""
        for res in RESOURCES if not names else [resource(n) for n in names]:
            if self._synced.get(res.name) == self._version:
                continue
            objs = self._collect(res)
            known = self._known.setdefault(res.name, {})
            for key, obj in objs.items():
                prev = known.get(key)
                if prev is not None and prev.obj == obj:
                    continue
                self._rv += 1
                known[key] = _Known(self._rv, obj)
                change_type = "ADDED" if prev is None else "MODIFIED"
                self._changes.append(Change(self._rv, change_type, res.name, self._versioned(known[key])))
            for key in [k for k in known if k not in objs]:
                gone = known.pop(key)
                self._rv += 1
                self._changes.append(
                    Change(self._rv, "DELETED", res.name, self._versioned(_Known(self._rv, gone.obj)))
                )
            self._synced[res.name] = self._version


def gvk_resource(obj: Obj) -> Resource:
    """The served resource of an API object (by its kind)."""
    return resource(gvk_of(obj).rsplit(".", 1)[-1])
