"""A recording HTTP endpoint standing in for an API server's wire protocol in kube unit tests.

No API server can run here; this lets the real kubernetes client send real HTTP requests, so the tests
check what goes on the wire (methods, paths, query parameters, content types, bodies) and how our code
reads the API server's answers (Status bodies with ``message``, 404/409/401). Answers are set per
``(method, path)``; anything else is a 404 Status, as the API server answers an unknown path.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, Any]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str
    body: Any


@dataclass
class Endpoint:
    url: str
    answers: dict[tuple[str, str], Answer | Callable[[Recorded], Answer]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    fallback: Callable[[Recorded], Answer] | None = None  # answers what ``answers`` does not

    def on(self, method: str, path: str, answer: Answer | Callable[[Recorded], Answer]) -> None:
        self.answers[(method, path)] = answer


def status_body(code: int, reason: str, message: str) -> dict[str, Any]:
    """A ``Status`` object as the API server sends with an error."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def write_kubeconfig(path: Path, server: str, *, context: str = "test", token: str = "t0ken") -> Path:
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"current-context: {context}\n"
        f"clusters: [{{name: k, cluster: {{server: '{server}', insecure-skip-tls-verify: true}}}}]\n"
        f"users: [{{name: u, user: {{token: {token}}}}}]\n"
        f"contexts: [{{name: {context}, context: {{cluster: k, user: u}}}}]\n",
        encoding="utf-8",
    )
    return path


@contextmanager
def endpoint() -> Iterator[Endpoint]:
    state = Endpoint(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            return

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode()
            rec = Recorded(
                self.command, parts.path, parse_qs(parts.query), self.headers.get("Content-Type", ""), body
            )
            state.requests.append(rec)
            answer = state.answers.get((self.command, parts.path)) or state.fallback
            if callable(answer):
                answer = answer(rec)
            code, payload = answer or (
                404,
                status_body(404, "NotFound", f"the server could not find {parts.path}"),
            )
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# The test API server's resource table: (group/version, plural) -> (kind, namespaced), as a real API server's
# discovery lists them (kubectl api-resources). Kinds the kube backend never touches are here on purpose:
# cleanup must find a user's object of any namespaced kind the server serves.
RESOURCES: dict[tuple[str, str], tuple[str, bool]] = {
    ("v1", "namespaces"): ("Namespace", False),
    ("v1", "nodes"): ("Node", False),
    ("v1", "persistentvolumes"): ("PersistentVolume", False),
    ("v1", "pods"): ("Pod", True),
    ("v1", "events"): ("Event", True),
    ("v1", "services"): ("Service", True),
    ("v1", "endpoints"): ("Endpoints", True),
    ("v1", "configmaps"): ("ConfigMap", True),
    ("v1", "secrets"): ("Secret", True),
    ("v1", "serviceaccounts"): ("ServiceAccount", True),
    ("v1", "persistentvolumeclaims"): ("PersistentVolumeClaim", True),
    ("v1", "resourcequotas"): ("ResourceQuota", True),
    ("v1", "limitranges"): ("LimitRange", True),
    ("apps/v1", "deployments"): ("Deployment", True),
    ("apps/v1", "replicasets"): ("ReplicaSet", True),
    ("apps/v1", "statefulsets"): ("StatefulSet", True),
    ("apps/v1", "daemonsets"): ("DaemonSet", True),
    ("apps/v1", "controllerrevisions"): ("ControllerRevision", True),
    ("batch/v1", "jobs"): ("Job", True),
    ("batch/v1", "cronjobs"): ("CronJob", True),
    ("policy/v1", "poddisruptionbudgets"): ("PodDisruptionBudget", True),
    ("autoscaling/v2", "horizontalpodautoscalers"): ("HorizontalPodAutoscaler", True),
    ("coordination.k8s.io/v1", "leases"): ("Lease", True),
    ("events.k8s.io/v1", "events"): ("Event", True),
    ("discovery.k8s.io/v1", "endpointslices"): ("EndpointSlice", True),
    ("networking.k8s.io/v1", "networkpolicies"): ("NetworkPolicy", True),
    ("networking.k8s.io/v1", "ingresses"): ("Ingress", True),
    ("rbac.authorization.k8s.io/v1", "roles"): ("Role", True),
    ("rbac.authorization.k8s.io/v1", "rolebindings"): ("RoleBinding", True),
    ("rbac.authorization.k8s.io/v1", "clusterroles"): ("ClusterRole", False),
    ("storage.k8s.io/v1", "storageclasses"): ("StorageClass", False),
    ("simkube.io/v1", "simulations"): ("Simulation", False),
}
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
# Fields of an object that server-side apply does not track as anyone's (identity and server state).
_UNOWNED = {("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace"), ("metadata", "uid")}


@dataclass(frozen=True)
class Target:
    """What a request path names: a resource's collection (``name`` empty) or one object."""

    group_version: str
    plural: str
    namespace: str
    name: str
    kind: str
    namespaced: bool

    def collection(self) -> str:
        root = (
            f"/api/{self.group_version}" if "/" not in self.group_version else f"/apis/{self.group_version}"
        )
        where = f"/namespaces/{self.namespace}" if self.namespaced and self.namespace else ""
        return f"{root}{where}/{self.plural}"

    def qualified(self) -> str:
        group = self.group_version.rpartition("/")[0]
        return f"{self.plural}.{group}" if group else self.plural


def parse_path(path: str) -> Target | None:
    """The resource a REST path names, or None for a path no resource has (discovery, /version...)."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 3:
        gv, rest = parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        gv, rest = f"{parts[1]}/{parts[2]}", parts[3:]
    else:
        return None
    namespace = ""
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    if len(rest) > 2 or (gv, rest[0]) not in RESOURCES:
        return None
    kind, namespaced = RESOURCES[(gv, rest[0])]
    if namespace and not namespaced:
        return None
    return Target(gv, rest[0], namespace, rest[1] if len(rest) == 2 else "", kind, namespaced)


def selector_matches(selector: str, labels: dict[str, Any]) -> bool:
    """A label selector as the API server reads it: ``k=v``, ``k==v``, ``k!=v``, ``k`` (exists), ``!k``."""
    for term in (t.strip() for t in selector.split(",")):
        if not term:
            continue
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def leaves(obj: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """The fields an apply configuration sets: map keys recursed into, lists and scalars as leaves."""
    if isinstance(obj, dict) and (obj or not prefix):
        out: dict[tuple[str, ...], Any] = {}
        for key, value in obj.items():
            out.update(leaves(value, (*prefix, str(key))))
        return out
    return {} if prefix in _UNOWNED or prefix[:1] == ("status",) else {prefix: obj}


def _at(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _merge(into: dict[str, Any], config: dict[str, Any]) -> None:
    for key, value in config.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = json.loads(json.dumps(value))


class ObjectStore:
    """The project's test API server: an in-memory store answering as a real API server does.

    Behaviour that matters for real-cluster safety follows the API server (kube-api.md, apiserver source):
    label selectors filter lists and collection deletes (``ignore_selectors`` plays a proxy or server
    that ignores them, for the client-side re-check); a DELETE without a name deletes the collection; a
    DELETE's ``preconditions.uid``/``resourceVersion`` that do not match is 409 Conflict; deleting a
    namespace deletes everything in it; a create in a missing namespace is 404 and in a terminating one
    403; a create of an existing name is 409 AlreadyExists; server-side apply merges into the existing
    object, tracks which field manager owns each field, answers 409 Conflict when another manager owns a
    field with another value and takes the field over when forced; a ``metadata.uid`` that differs from the
    object's is 422 (immutable); ``count/<resource>[.<group>]`` ResourceQuotas refuse creates over their
    hard limit (403). Discovery (``/api``, ``/apis``, ``/api/v1``, ``/apis/<g>/<v>``) lists ``RESOURCES``.
    Objects are kept under their REST path. It models no controller: callbacks play one where needed.
    """

    def __init__(self, ep: Endpoint, *, ignore_selectors: bool = False) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.managers: dict[str, dict[str, set[tuple[str, ...]]]] = {}
        self.ignore_selectors = ignore_selectors
        self._uid = 0
        self._version = 0
        # Callbacks per collection path, run after a create or delete there (to play a controller's part).
        self.after_create: dict[str, Callable[[dict[str, Any]], None]] = {}
        self.after_delete: dict[str, Callable[[str], None]] = {}
        self._lock = threading.RLock()
        ep.fallback = self.answer

    # -------------------------------------------------------------------------------------- helpers

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Store ``obj`` as if a user had created it (no field manager of ours); returns it."""
        target = self.target_of(obj)
        with self._lock:
            return self._create(target, obj, "kubectl-create")

    def submit(self, obj: dict[str, Any]) -> Answer:
        """A user's create through the API server's checks (name taken, namespace, quota): its answer."""
        target = self.target_of(obj)
        req = Recorded("POST", target.collection(), {}, "application/json", obj)
        with self._lock:
            return self._post(req, target, dict(obj))

    @staticmethod
    def target_of(obj: dict[str, Any]) -> Target:
        meta = obj["metadata"]
        gv = str(obj["apiVersion"])
        plural = next(p for (g, p), (k, _) in RESOURCES.items() if g == gv and k == obj["kind"])
        kind, namespaced = RESOURCES[(gv, plural)]
        return Target(gv, plural, str(meta.get("namespace") or ""), str(meta["name"]), kind, namespaced)

    def path_of(self, obj: dict[str, Any]) -> str:
        target = self.target_of(obj)
        return f"{target.collection()}/{target.name}"

    def in_namespace(self, namespace: str) -> list[dict[str, Any]]:
        """Every object stored in ``namespace``, of any kind."""
        return [o for p, o in sorted(self.objects.items()) if f"/namespaces/{namespace}/" in p]

    def _tick(self) -> str:
        self._version += 1
        return str(self._version)

    def _complete(self, path: str, obj: dict[str, Any]) -> None:
        # Objects a test stored directly get what the API server would have given them.
        meta = obj.setdefault("metadata", {})
        target = parse_path(path)
        if target is not None:
            meta.setdefault("name", target.name)
            if target.namespace:
                meta.setdefault("namespace", target.namespace)
            obj.setdefault("kind", target.kind)
            obj.setdefault("apiVersion", target.group_version)
        if "uid" not in meta:
            self._uid += 1
            meta["uid"] = f"uid-{self._uid}"
        meta.setdefault("resourceVersion", self._tick())

    def _failure(self, code: int, reason: str, message: str) -> Answer:
        return code, status_body(code, reason, message)

    # ---------------------------------------------------------------------------------------- verbs

    def answer(self, req: Recorded) -> Answer:
        with self._lock:
            for path, obj in self.objects.items():
                self._complete(path, obj)
            discovery = self._discovery(req.path)
            if discovery is not None:
                return 200, discovery
            target = parse_path(req.path)
            if target is None:
                return self._failure(
                    404, "NotFound", f"the server could not find the requested resource ({req.path})"
                )
            if req.method == "GET":
                return self._get(req, target) if target.name else self._list(req, target)
            if req.method == "POST" and not target.name:
                body = dict(req.body or {})
                name = str((body.get("metadata") or {}).get("name") or "")
                return self._post(req, Target(**{**target.__dict__, "name": name}), body)
            if req.method == "PATCH" and target.name:
                return self._apply(req, target)
            if req.method == "DELETE":
                return self._delete(req, target) if target.name else self._delete_collection(req, target)
            return self._failure(
                405, "MethodNotAllowed", f"the server does not allow this method ({req.method})"
            )

    def _discovery(self, path: str) -> Any:
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"]}
        if path == "/apis":
            groups: dict[str, list[str]] = {}
            for gv, _plural in RESOURCES:
                if "/" in gv:
                    groups.setdefault(gv.split("/")[0], []).append(gv)
            return {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [
                    {
                        "name": g,
                        "versions": [
                            {"groupVersion": v, "version": v.split("/")[1]} for v in sorted(set(vs))
                        ],
                        "preferredVersion": {"groupVersion": vs[0], "version": vs[0].split("/")[1]},
                    }
                    for g, vs in sorted(groups.items())
                ],
            }
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["api"] and len(parts) == 2:
            gv = parts[1]
        elif parts[:1] == ["apis"] and len(parts) == 3:
            gv = f"{parts[1]}/{parts[2]}"
        else:
            return None
        found = [(p, k, n) for (g, p), (k, n) in RESOURCES.items() if g == gv]
        if not found:
            return None
        resources = [
            {"name": p, "singularName": "", "namespaced": n, "kind": k, "verbs": VERBS} for p, k, n in found
        ]
        if gv == "v1":  # a subresource: discovery lists it too, and a client must skip it
            resources.append({"name": "pods/log", "namespaced": True, "kind": "Pod", "verbs": ["get"]})
        return {"kind": "APIResourceList", "groupVersion": gv, "resources": resources}

    def _get(self, req: Recorded, target: Target) -> Answer:
        path = f"{target.collection()}/{target.name}"
        if path in self.objects:
            return 200, self.objects[path]
        return self._failure(404, "NotFound", f'{target.qualified()} "{target.name}" not found')

    def _selected(self, req: Recorded, target: Target) -> list[tuple[str, dict[str, Any]]]:
        collection = target.collection()
        selector = "" if self.ignore_selectors else req.query.get("labelSelector", [""])[0]
        out = []
        for path, obj in sorted(self.objects.items()):
            if path.rsplit("/", 1)[0] != collection and not (
                not target.namespace and self._unnamespaced(path) == collection
            ):
                continue
            if selector_matches(selector, dict((obj.get("metadata") or {}).get("labels") or {})):
                out.append((path, obj))
        return out

    @staticmethod
    def _unnamespaced(path: str) -> str:
        parts = path.rsplit("/", 1)[0].split("/")
        if "namespaces" in parts and parts.index("namespaces") + 2 < len(parts):
            i = parts.index("namespaces")
            parts = parts[:i] + parts[i + 2 :]
        return "/".join(parts)

    def _list(self, req: Recorded, target: Target) -> Answer:
        items = [o for _p, o in self._selected(req, target)]
        return 200, {
            "kind": f"{target.kind}List",
            "apiVersion": target.group_version,
            "metadata": {"resourceVersion": str(self._version)},
            "items": items,
        }

    def _namespace_problem(self, target: Target) -> Answer | None:
        if not target.namespaced:
            return None
        ns = self.objects.get(f"/api/v1/namespaces/{target.namespace}")
        if ns is None:
            return self._failure(404, "NotFound", f'namespaces "{target.namespace}" not found')
        if (ns.get("status") or {}).get("phase") == "Terminating":
            return self._failure(
                403,
                "Forbidden",
                f'{target.qualified()} "{target.name}" is forbidden: unable to create new content in '
                f"namespace {target.namespace} because it is being terminated",
            )
        return self._quota_problem(target)

    def _quota_problem(self, target: Target) -> Answer | None:
        group = target.group_version.rpartition("/")[0]
        key = f"count/{target.plural}.{group}" if group else f"count/{target.plural}"
        for quota in self.in_namespace(target.namespace):
            if quota.get("kind") != "ResourceQuota":
                continue
            hard = ((quota.get("spec") or {}).get("hard") or {}).get(key)
            if hard is None:
                continue
            used = sum(1 for p in self.objects if p.rsplit("/", 1)[0] == target.collection())
            if used + 1 > int(hard):
                name = quota["metadata"]["name"]
                return self._failure(
                    403,
                    "Forbidden",
                    f'{target.qualified()} "{target.name}" is forbidden: exceeded quota: {name}, requested: '
                    f"{key}=1, used: {key}={used}, limited: {key}={hard}",
                )
        return None

    def _create(self, target: Target, body: dict[str, Any], manager: str) -> dict[str, Any]:
        path = f"{target.collection()}/{target.name}"
        obj = json.loads(json.dumps(body))
        meta = obj.setdefault("metadata", {})
        meta.pop("uid", None)  # the server always gives a new object a new uid
        meta.pop("resourceVersion", None)
        if target.namespaced:
            meta["namespace"] = target.namespace
        else:
            meta.pop("namespace", None)
        meta["creationTimestamp"] = "2026-01-01T00:00:00Z"
        if target.kind == "Namespace":
            obj["status"] = {"phase": "Active"}
        self._complete(path, obj)
        self.objects[path] = obj
        self.managers[path] = {manager: set(leaves(body))}
        hook = self.after_create.get(target.collection())
        if hook is not None:
            hook(obj)
        return obj

    def _post(self, req: Recorded, target: Target, body: dict[str, Any]) -> Answer:
        if not target.name:
            return self._failure(422, "Invalid", f"{target.kind} is invalid: metadata.name: Required value")
        if f"{target.collection()}/{target.name}" in self.objects:
            return self._failure(409, "AlreadyExists", f'{target.qualified()} "{target.name}" already exists')
        problem = self._namespace_problem(target)
        if problem is not None:
            return problem
        manager = req.query.get("fieldManager", ["unknown"])[0]
        return 201, self._create(target, body, manager)

    def _apply(self, req: Recorded, target: Target) -> Answer:
        if req.content_type.split(";")[0] != "application/apply-patch+yaml":
            return self._failure(
                415, "UnsupportedMediaType", "the body of the request was in an unknown format"
            )
        config = req.body if isinstance(req.body, dict) else json.loads(req.body)
        manager = req.query.get("fieldManager", [""])[0]
        if not manager:
            return self._failure(
                422, "Invalid", "PatchOptions.meta.k8s.io is invalid: fieldManager: Required value"
            )
        force = req.query.get("force", ["false"])[0] == "true"
        path = f"{target.collection()}/{target.name}"
        current = self.objects.get(path)
        if current is None:
            problem = self._namespace_problem(target)
            return problem or (201, self._create(target, config, manager))
        given_uid = (config.get("metadata") or {}).get("uid")
        if given_uid and given_uid != current["metadata"]["uid"]:
            return self._failure(
                422,
                "Invalid",
                f'{target.kind} "{target.name}" is invalid: metadata.uid: Invalid value: "{given_uid}": '
                "field is immutable",
            )
        wanted = leaves(config)
        owners = self.managers.setdefault(path, {})
        conflicts = [
            (other, field_path)
            for field_path, value in wanted.items()
            for other, owned in owners.items()
            if other != manager and field_path in owned and _at(current, field_path) != value
        ]
        if conflicts and not force:
            # The API server's wording (structured-merge-diff's Conflicts.Error).
            gv = target.group_version
            if len(conflicts) == 1:
                ((m, p),) = conflicts
                text = f'Apply failed with 1 conflict: conflict with "{m}" using {gv}: .{".".join(p)}'
            else:
                lines = "".join(f'\n- conflict with "{m}" using {gv}: .{".".join(p)}' for m, p in conflicts)
                text = f"Apply failed with {len(conflicts)} conflicts: conflicts with others:{lines}"
            return self._failure(409, "Conflict", text)
        for other, field_path in conflicts:
            owners[other].discard(field_path)  # forced: the field changes hands
        _merge(current, {k: v for k, v in config.items() if k not in ("apiVersion", "kind")})
        current["metadata"]["uid"] = current["metadata"].get("uid")
        current["metadata"]["resourceVersion"] = self._tick()
        owners.setdefault(manager, set()).update(wanted)
        return 200, current

    def _remove(self, path: str) -> dict[str, Any]:
        obj = self.objects.pop(path)
        self.managers.pop(path, None)
        target = parse_path(path)
        if target is not None and target.kind == "Namespace" and target.group_version == "v1":
            for inner in [p for p in self.objects if f"/namespaces/{target.name}/" in p]:
                self._remove(inner)  # the namespace's deletion takes everything in it
        hook = self.after_delete.get(path.rsplit("/", 1)[0])
        if hook is not None:
            hook(path.rsplit("/", 1)[1])
        return obj

    def _delete(self, req: Recorded, target: Target) -> Answer:
        path = f"{target.collection()}/{target.name}"
        current = self.objects.get(path)
        if current is None:
            return self._failure(404, "NotFound", f'{target.qualified()} "{target.name}" not found')
        options = req.body if isinstance(req.body, dict) else {}
        pre = options.get("preconditions") or {}
        meta = current["metadata"]
        for key, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
            if pre.get(key) and pre[key] != meta.get(key):
                return self._failure(
                    409,
                    "Conflict",
                    f'Operation cannot be fulfilled on {target.qualified()} "{target.name}": Precondition '
                    f"failed: {label} in precondition: {pre[key]}, {label} in object meta: {meta.get(key)}",
                )
        return 200, self._remove(path)

    def _delete_collection(self, req: Recorded, target: Target) -> Answer:
        if target.namespaced and not target.namespace:  # served for list and watch only
            return self._failure(405, "MethodNotAllowed", "the server does not allow this method")
        items = [self._remove(path) for path, _obj in self._selected(req, target)]
        return 200, {"kind": f"{target.kind}List", "apiVersion": target.group_version, "items": items}


def _allow_all(req: Recorded) -> Answer:
    return 201, {**req.body, "status": {"allowed": True}}


@contextmanager
def served_cluster(
    tmp_path: Path, *, ignore_selectors: bool = False
) -> Iterator[tuple[Endpoint, ObjectStore, Path]]:
    """A reachable test API server that passes the direct-mode preflight: RBAC allowed, 3 KWOK nodes."""
    from pytest_simarena.backends.embedded import EmbeddedCluster

    with endpoint() as ep:
        store = ObjectStore(ep, ignore_selectors=ignore_selectors)
        ep.on("GET", "/version", (200, {"gitVersion": "v1.31.0"}))
        ep.on("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", _allow_all)
        for node in EmbeddedCluster().observe("x").nodes:
            store.add(node)
        yield ep, store, write_kubeconfig(tmp_path / "kc", ep.url)
