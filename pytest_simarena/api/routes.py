"""Routing: a Kubernetes REST request (method, path, query, body) -> the live session's answer.

Paths served (everything else is a 404 Status that lists them; a known path with an unserved verb is a
405 Status listing the verbs)::

    /version /api /apis /api/v1 /apis/<group> /apis/<group>/<version>       discovery
    /api/v1/[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]           core/v1
    /apis/<group>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<sub>]]  apps/v1, batch/v1
    /apis/metrics.k8s.io/v1beta1/[namespaces/<ns>/]pods|nodes[/<name>]     kubectl top
    /simarena/v1/clock (GET), /simarena/v1/advance?seconds=N (POST)         the simulated clock
    /healthz /livez /readyz

Subresources: ``scale`` (get, update, patch), ``status`` (get), pods' ``log`` (get: ``container``,
``previous``). Watches (``?watch=1``) are planned here and streamed by the server (api/watch.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from pytest_simarena.live import ApiError, LiveSession
from pytest_simarena.live.errors import bad_request, method_not_allowed
from pytest_simarena.live.patch import APPLY_PATCH, apply_patch, strategic_merge
from pytest_simarena.live.resources import RESOURCES, Resource, resource
from pytest_simarena.trace.virtualize import clone

from . import discovery, openapi
from .fields import check_fields
from .tables import to_table, wants_table

Obj = dict[str, Any]

VERB_OF = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
SERVED_PATHS = (
    "/version, /api, /apis, /api/v1/..., /apis/{apps,batch}/v1/..., /apis/metrics.k8s.io/v1beta1/..., "
    "/simarena/v1/clock, /simarena/v1/advance"
)
ACCESS_REVIEW_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
# Paths that cost no simulated time: discovery, health, the clock itself.
FREE_PREFIXES = ("/version", "/openapi", "/healthz", "/livez", "/readyz", "/simarena/")


@dataclass(slots=True)
class Request:
    """A parsed HTTP request."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: str = ""
    accept: str = ""

    @classmethod
    def parse(cls, method: str, target: str, body: bytes, headers: Any) -> Request:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        return cls(
            method=method,
            path=parts.path.rstrip("/") or "/",
            query=query,
            body=body,
            content_type=str(headers.get("Content-Type") or ""),
            accept=str(headers.get("Accept") or ""),
        )

    @property
    def free(self) -> bool:
        """Whether answering costs no simulated time (discovery, health, clock)."""
        if self.path in ("/api", "/apis", "/api/v1") or self.path.startswith(FREE_PREFIXES):
            return True
        parts = self.path.strip("/").split("/")
        return parts[0] == "apis" and len(parts) <= 3

    @property
    def dry_run(self) -> bool:
        """``?dryRun=All``: run every check, store nothing."""
        return self.query.get("dryRun") == "All"

    @property
    def watch(self) -> bool:
        return self.method == "GET" and self.query.get("watch", "") in ("1", "true", "True")


@dataclass(frozen=True, slots=True)
class Target:
    """Where a resource request points."""

    res: Resource
    namespace: str | None
    name: str | None
    subresource: str | None


@dataclass(slots=True)
class Response:
    """A complete (non-streaming) answer."""

    code: int
    body: bytes
    content_type: str = "application/json"
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def json(cls, code: int, data: Any, warnings: list[str] | None = None) -> Response:
        return cls(code, json.dumps(data, separators=(",", ":")).encode(), warnings=warnings or [])

    @classmethod
    def status(cls, error: ApiError) -> Response:
        return cls.json(error.code, error.status)


def _not_served(path: str) -> ApiError:
    return ApiError(404, f"the server could not find the requested resource ({path}); served: {SERVED_PATHS}")


def parse_target(path: str) -> Target | None:
    """The resource a path names, or None for a path that is not a resource path."""
    parts = path.strip("/").split("/")
    if parts[:2] == ["api", "v1"]:
        group_version, rest = "v1", parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        group_version, rest = f"{parts[1]}/{parts[2]}", parts[3:]
    else:
        return None
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    elif len(rest) >= 1 and rest[0] == "namespaces" and len(rest) <= 2:
        # /api/v1/namespaces[/<name>]: the namespaces resource itself
        rest = rest
    if not rest or len(rest) > 3:
        return None
    try:
        res = resource(rest[0])
    except ApiError:
        return None
    if res.group_version != group_version or res.name != rest[0]:
        return None
    if namespace is not None and not res.namespaced:
        return None
    return Target(res, namespace, rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None)


class Router:
    """Answers requests from one :class:`LiveSession`; the server holds the lock around each call."""

    def __init__(self, session: LiveSession, *, server_address: str = "127.0.0.1") -> None:
        self.session = session
        self.server_address = server_address

    # -- entry ------------------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        """Answer ``req`` (never raises ApiError: it becomes the Status answer)."""
        try:
            return self._handle(req)
        except ApiError as exc:
            return Response.status(exc)

    def _handle(self, req: Request) -> Response:
        path = req.path
        if path in ("/healthz", "/livez", "/readyz"):
            return Response(200, b"ok", "text/plain")
        if path.startswith("/simarena/"):
            return self._clock(req)
        found = self._discovery(path)
        if found is not None:
            if req.method != "GET":
                raise method_not_allowed(f"{req.method} is not supported on {path} (supported: GET)")
            return Response.json(200, found)
        if path.startswith("/apis/metrics.k8s.io/v1beta1/"):
            return self._metrics(req)
        if path == ACCESS_REVIEW_PATH:
            return self._access_review(req)
        target = parse_target(path)
        if target is None:
            raise _not_served(path)
        return self._resource(req, target)

    # -- discovery and clock ------------------------------------------------------------------------------
    def _discovery(self, path: str) -> Any:
        if path == "/version":
            return discovery.version(self.session.cluster.spec.kubernetes_version)
        if path == "/api":
            return discovery.core_versions(self.server_address)
        if path == "/apis":
            return discovery.group_list()
        if path == "/openapi/v3":
            return openapi.root()
        if path.startswith("/openapi/v3/"):
            document = openapi.group_version(path)
            if document is None:
                raise _not_served(path)
            return document
        if path.startswith("/openapi"):
            raise ApiError(
                404,
                "OpenAPI v2 is not served by the embedded cluster: /openapi/v3 tells clients that the server "
                "validates fields itself (fieldValidation=Strict)",
            )
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "v1"] and len(parts) == 2:
            return discovery.resource_list("v1")
        if parts[0] == "apis" and len(parts) == 2:
            found = discovery.group(parts[1])
            if found is None:
                raise _not_served(path)
            return found
        if parts[0] == "apis" and len(parts) == 3:
            listed = discovery.resource_list(f"{parts[1]}/{parts[2]}")
            if listed is None:
                raise _not_served(path)
            return listed
        return None

    def _clock(self, req: Request) -> Response:
        session = self.session
        if req.path == "/simarena/v1/advance":
            if req.method != "POST":
                raise method_not_allowed("advance the clock with POST /simarena/v1/advance?seconds=N")
            raw = req.query.get("seconds", "")
            try:
                seconds = float(raw)
            except ValueError:
                raise bad_request(f"seconds={raw!r}: expected a number of simulated seconds") from None
            if not 0 <= seconds <= 86400:
                raise bad_request(f"seconds={raw!r}: expected 0 to 86400 simulated seconds")
            session.advance(seconds)
        elif req.path != "/simarena/v1/clock":
            raise _not_served(req.path)
        return Response.json(200, {"now": session.now, "time": session.timestamp()})

    # -- authorization.k8s.io: what the token may do (kubectl auth can-i, preflight checks) ----------------
    def _access_review(self, req: Request) -> Response:
        """SelfSubjectAccessReview: the token may do everything (what is not served answers 404)."""
        if req.method != "POST":
            raise method_not_allowed("selfsubjectaccessreviews supports only POST (create)")
        body = self._decode(req)
        if not isinstance(body, dict):
            raise bad_request("the request body must be a SelfSubjectAccessReview object")
        # Authorization, not existence (as RBAC): the token is the cluster's admin, like a kind cluster's
        # kubeconfig; a resource that is not served is then a 404 when used.
        allowed, reason = True, "the kubeconfig's token is the embedded cluster's admin"
        answer = {**body, "status": {"allowed": allowed, "reason": reason}}
        answer.setdefault("apiVersion", "authorization.k8s.io/v1")
        answer.setdefault("kind", "SelfSubjectAccessReview")
        return Response.json(201, answer)

    # -- metrics.k8s.io -------------------------------------------------------------------------------
    def _metrics(self, req: Request) -> Response:
        if req.method != "GET":
            raise method_not_allowed("metrics.k8s.io is read-only (supported: get, list)")
        parts = req.path.strip("/").split("/")[3:]
        namespace = None
        if len(parts) >= 3 and parts[0] == "namespaces":
            namespace, parts = parts[1], parts[2:]
        if not parts or parts[0] not in ("pods", "nodes") or len(parts) > 2:
            raise _not_served(req.path)
        kind = parts[0]
        items = self.session.pod_metrics(namespace) if kind == "pods" else self.session.node_metrics()
        if kind == "nodes" and namespace is not None:
            raise _not_served(req.path)
        if req.query.get("labelSelector"):
            from pytest_simarena.live.selectors import label_matcher

            match = label_matcher(req.query["labelSelector"])
            items = [m for m in items if match(m)]
        if len(parts) == 2:
            for item in items:
                if item["metadata"]["name"] == parts[1]:
                    return Response.json(200, item)
            raise ApiError(404, f'{kind}.metrics.k8s.io "{parts[1]}" not found')
        list_kind = "PodMetricsList" if kind == "pods" else "NodeMetricsList"
        return Response.json(
            200, {"kind": list_kind, "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items}
        )

    # -- resources ------------------------------------------------------------------------------------
    def _decode(self, req: Request) -> Any:
        kind = req.content_type.split(";", 1)[0].strip().lower()
        if kind in ("application/json", ""):
            loader: Any = json.loads
        elif kind in ("application/yaml", "application/x-yaml", APPLY_PATCH):
            loader = yaml.safe_load
        else:
            hint = ""
            if "protobuf" in kind:
                # kubectl's typed generators (create configmap/deployment, run, auth can-i) send protobuf.
                hint = " (protobuf is not served: write the object as YAML, then kubectl apply -f)"
            raise ApiError(
                415,
                f"the body of the request was in an unknown format ({kind}) - accepted media types include: "
                f"application/json, application/yaml{hint}",
            )
        try:
            return loader(req.body.decode("utf-8"))
        except (ValueError, yaml.YAMLError, UnicodeDecodeError) as exc:
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise bad_request(f"the request body is not valid {kind or 'JSON'}: {text}") from None

    def _object_body(self, req: Request, target: Target) -> tuple[Obj, list[str]]:
        body = self._decode(req)
        if not isinstance(body, dict):
            raise bad_request(
                f"the request body must be a {target.res.kind} object, got {type(body).__name__}"
            )
        warnings = check_fields(body, strict=req.query.get("fieldValidation", "Warn"))
        return body, warnings

    def _resource(self, req: Request, target: Target) -> Response:
        verb = VERB_OF.get(req.method)
        res, ns, name, sub = target.res, target.namespace, target.name, target.subresource
        if verb is None:
            raise method_not_allowed(
                f"{req.method} is not supported (supported: GET, POST, PUT, PATCH, DELETE)"
            )
        if name is None:
            return self._collection(req, target, verb)
        if sub is not None:
            return self._subresource(req, target, verb)
        session = self.session
        if verb == "get":
            obj = session.get(res.name, ns, name)
            return self._answer(req, res, [obj], single=True)
        if verb == "update":
            body, warnings = self._object_body(req, target)
            replaced = session.replace(res.name, ns, name, body, dry_run=req.dry_run)
            return Response.json(200, replaced, warnings)
        if verb == "patch":
            return self._patch(req, target)
        if verb == "delete":
            options = self._decode(req) if req.body.strip() else {}
            if not isinstance(options, dict):
                raise bad_request("the body of a DELETE must be DeleteOptions (a JSON object)")
            preconditions = options.get("preconditions")
            dry_run = req.dry_run or options.get("dryRun") == ["All"]
            session.delete(
                res.name,
                ns,
                name,
                preconditions=preconditions if isinstance(preconditions, dict) else None,
                dry_run=dry_run,
            )
            return Response.json(
                200,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Success",
                    "details": {"name": name, "group": res.group, "kind": res.name},
                },
            )
        raise method_not_allowed(
            f"{req.method} is not supported on {req.path} (supported: GET, PUT, PATCH, DELETE)"
        )

    def _collection(self, req: Request, target: Target, verb: str) -> Response:
        res, ns = target.res, target.namespace
        if verb == "get":
            items = self.session.list(
                res.name,
                ns,
                label_selector=req.query.get("labelSelector"),
                field_selector=req.query.get("fieldSelector"),
            )
            return self._answer(req, res, items, single=False)
        if verb == "create":
            body, warnings = self._object_body(req, target)
            created = self.session.create(res.name, ns, body, dry_run=req.dry_run)
            return Response.json(201, created, warnings)
        raise method_not_allowed(
            f"{req.method} is not supported on a collection of {res.name} "
            "(supported: GET list/watch, POST create)"
        )

    def _patch(self, req: Request, target: Target) -> Response:
        res, ns, name = target.res, target.namespace, target.name
        assert name is not None
        kind = req.content_type.split(";", 1)[0].strip().lower()
        session = self.session
        if kind == APPLY_PATCH:
            # Server-side apply, for one field manager: the applied configuration is merged into the live
            # object as a strategic merge (managedFields are not tracked); a missing object is created.
            body, warnings = self._object_body(req, target)
            try:
                current = session.get(res.name, ns, name)
            except ApiError as exc:
                if exc.code != 404:
                    raise
                return Response.json(201, session.create(res.name, ns, body, dry_run=req.dry_run), warnings)
            merged = strategic_merge(current, body)
            applied = session.replace(res.name, ns, name, merged, verb="apply", dry_run=req.dry_run)
            return Response.json(200, applied, warnings)
        patched = apply_patch(clone(session.get(res.name, ns, name)), req.body, kind)
        # As the apiserver does, field validation applies to the object the patch produces.
        warnings = check_fields(patched, strict=req.query.get("fieldValidation", "Warn"))
        replaced = session.replace(res.name, ns, name, patched, verb="patch", dry_run=req.dry_run)
        return Response.json(200, replaced, warnings)

    def _subresource(self, req: Request, target: Target, verb: str) -> Response:
        res, ns, name, sub = target.res, target.namespace, target.name, target.subresource
        assert name is not None and sub is not None
        session = self.session
        if sub not in res.subresources:
            raise ApiError(
                404, f"{res.name} have no {sub} subresource (served: {', '.join(res.subresources) or 'none'})"
            )
        if sub == "log":
            if verb != "get":
                raise method_not_allowed("pods/log supports only GET")
            text = session.logs(
                ns or "default",
                name,
                req.query.get("container") or None,
                previous=req.query.get("previous") in ("true", "1"),
            )
            return Response(200, text.encode(), "text/plain")
        if sub == "status":
            if verb != "get":
                raise method_not_allowed(f"{res.name}/status is read-only here: the simulator owns status")
            return Response.json(200, session.get(res.name, ns, name))
        # scale
        if verb == "get":
            return Response.json(200, session.get_scale(res.name, ns or "default", name))
        if verb not in ("update", "patch"):
            raise method_not_allowed(f"{res.name}/scale supports GET, PUT and PATCH")
        current = session.get_scale(res.name, ns or "default", name)
        if verb == "update":
            scale = self._decode(req)
        else:
            scale = apply_patch(current, req.body, req.content_type)
        replicas = (scale.get("spec") or {}).get("replicas") if isinstance(scale, dict) else None
        return Response.json(200, session.scale(res.name, ns or "default", name, replicas))  # type: ignore[arg-type]

    def _answer(self, req: Request, res: Resource, items: list[Obj], *, single: bool) -> Response:
        session = self.session
        if wants_table(req.accept):
            now = session.cluster.clock.epoch + session.now  # ages as the server computes them
            table = to_table(items, res, now=now, include_object=req.query.get("includeObject"))
            table["metadata"] = {"resourceVersion": session.resource_version}
            return Response.json(200, table)
        if single:
            return Response.json(200, items[0])
        return Response.json(
            200,
            {
                "kind": f"{res.kind}List",
                "apiVersion": res.api_version,
                "metadata": {"resourceVersion": session.resource_version},
                "items": items,
            },
        )


def all_resources() -> tuple[Resource, ...]:
    return RESOURCES
