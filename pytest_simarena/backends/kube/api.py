"""A small generic API layer over the official client's ``DynamicClient.request``: dicts in, dicts out.

Objects stay API-shaped camelCase dicts (the trace's own objects are applied as they are), so we never go
through the typed models. Paths are built from a table of the kinds we use, with API discovery
(``GET /apis/<group>/<version>``) for any other kind a trace tracks. Every request carries a timeout;
a connection problem becomes :class:`Unreachable` and an HTTP error :class:`ApiError` with the status and
the API server's own message.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_simarena.errors import BackendError, BackendUnavailable

from .client import load_client
from .config import Connection

Obj = dict[str, Any]

# (apiVersion, kind) -> (plural, namespaced), for the kinds traces and SimKube use most.
BUILTIN_RESOURCES: dict[tuple[str, str], tuple[str, bool]] = {
    ("v1", "Namespace"): ("namespaces", False),
    ("v1", "Node"): ("nodes", False),
    ("v1", "Pod"): ("pods", True),
    ("v1", "Event"): ("events", True),
    ("v1", "Service"): ("services", True),
    ("v1", "ConfigMap"): ("configmaps", True),
    ("v1", "Secret"): ("secrets", True),
    ("v1", "ServiceAccount"): ("serviceaccounts", True),
    ("v1", "PersistentVolumeClaim"): ("persistentvolumeclaims", True),
    ("v1", "ResourceQuota"): ("resourcequotas", True),
    ("v1", "LimitRange"): ("limitranges", True),
    ("apps/v1", "Deployment"): ("deployments", True),
    ("apps/v1", "ReplicaSet"): ("replicasets", True),
    ("apps/v1", "StatefulSet"): ("statefulsets", True),
    ("apps/v1", "DaemonSet"): ("daemonsets", True),
    ("batch/v1", "Job"): ("jobs", True),
    ("batch/v1", "CronJob"): ("cronjobs", True),
    ("policy/v1", "PodDisruptionBudget"): ("poddisruptionbudgets", True),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): ("horizontalpodautoscalers", True),
    ("coordination.k8s.io/v1", "Lease"): ("leases", True),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): ("customresourcedefinitions", False),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): ("selfsubjectaccessreviews", False),
    ("simkube.io/v1", "Simulation"): ("simulations", False),
    ("simkube.io/v1", "SimulationRoot"): ("simulationroots", False),
    ("cert-manager.io/v1", "ClusterIssuer"): ("clusterissuers", False),
}


@dataclass(frozen=True)
class Resource:
    api_version: str
    kind: str
    plural: str
    namespaced: bool

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The REST path: ``/api/v1/namespaces/ns/pods/name``, ``/apis/apps/v1/deployments``."""
        return resource_path(self.api_version, self.plural, self.namespaced, namespace, name)


def group_version_root(api_version: str) -> str:
    """``/api/v1`` for the core group, ``/apis/<group>/<version>`` otherwise."""
    return f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"


def resource_path(
    api_version: str, plural: str, namespaced: bool, namespace: str | None = None, name: str | None = None
) -> str:
    """The REST path of a collection (``name`` None) or object; all namespaces if ``namespace`` is None."""
    path = group_version_root(api_version)
    if namespaced and namespace:
        path += f"/namespaces/{namespace}"
    path += f"/{plural}"
    if name:
        path += f"/{name}"
    return path


class ApiError(BackendError):
    """The API server answered with an error status; ``message`` is its own explanation."""

    def __init__(self, what: str, status: int, reason: str, message: str) -> None:
        self.what = what
        self.status = status
        self.reason = reason
        self.message = message
        super().__init__(f"{what}: HTTP {status} {reason}: {message}".rstrip(": "))


class Unreachable(BackendUnavailable):
    """The API server could not be contacted (refused, timed out, TLS failure)."""


def _status_message(exc: Any) -> tuple[int, str, str]:
    status = int(getattr(exc, "status", 0) or 0)
    reason = str(getattr(exc, "reason", "") or "")
    body = getattr(exc, "body", None)
    message = ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body:
        try:
            parsed = json.loads(body)
            message = str(parsed.get("message", "")) if isinstance(parsed, dict) else ""
        except ValueError:
            message = body.strip().splitlines()[0][:200]
    return status, reason, message


def describe_connection_error(exc: BaseException) -> str:
    """``connection refused`` / ``timed out`` / the innermost reason of a urllib3 error, in a few words."""
    inner: Any = getattr(exc, "reason", None) or exc
    text = str(inner)
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if "timed out" in lowered or "timeout" in lowered:
        return "timed out"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "host name does not resolve"
    if "certificate" in lowered or "ssl" in lowered:
        return f"TLS failure ({text.split(':')[-1].strip() or text})"
    return text.split("\n")[0][:160]


def _no_discovery(_client: Any, _cache_file: Any) -> None:
    # DynamicClient's discoverer calls the server (without a timeout) in its constructor; we build
    # paths ourselves and discover lazily with timeouts instead.
    return None


def _as_dict(_client: Any, data: Any) -> Any:
    return data


class KubeApi:
    """Requests against one cluster; ``timeout`` is (connect, read) seconds for every request."""

    def __init__(self, connection: Connection, *, timeout: tuple[float, float] = (3.0, 30.0)) -> None:
        k8s = load_client()
        self.connection = connection
        self.server = connection.server
        self.timeout = timeout
        self._k8s = k8s
        self._dyn = k8s.dynamic.DynamicClient(connection.api_client, discoverer=_no_discovery)
        self._resources: dict[tuple[str, str], Resource] = {}
        self._namespaced: builtins.list[Resource] | None = None
        self._urllib3_error: type[BaseException] = __import__("urllib3").exceptions.HTTPError

    # ------------------------------------------------------------------------------------------ requests

    def request(self, method: str, path: str, what: str, *, body: Any = None, **params: Any) -> Any:
        """One request; ``what`` names it in errors (``get Deployment virtual-default/web``)."""
        params.setdefault("_request_timeout", self.timeout)
        try:
            return self._dyn.request(method, path, body=body, serializer=_as_dict, **params)
        except self._k8s.client.exceptions.ApiException as exc:
            status, reason, message = _status_message(exc)
            if status == 0:  # the client's own wrapper of a TLS failure
                raise Unreachable(f"cannot reach the API server at {self.server}: {reason}") from None
            raise ApiError(what, status, reason, message) from None
        except self._urllib3_error as exc:
            raise Unreachable(
                f"cannot reach the API server at {self.server} ({describe_connection_error(exc)})"
            ) from None
        except OSError as exc:
            raise Unreachable(f"cannot reach the API server at {self.server} ({exc})") from None

    def resource(self, api_version: str, kind: str) -> Resource:
        """Plural and scope of ``kind``: from the table, else API discovery (cached)."""
        key = (api_version, kind)
        found = self._resources.get(key)
        if found is not None:
            return found
        if key in BUILTIN_RESOURCES:
            plural, namespaced = BUILTIN_RESOURCES[key]
            found = Resource(api_version, kind, plural, namespaced)
        else:
            listing = self.request("GET", group_version_root(api_version), f"discover {api_version}")
            for entry in (listing or {}).get("resources") or []:
                if entry.get("kind") == kind and "/" not in str(entry.get("name", "")):
                    found = Resource(api_version, kind, str(entry["name"]), bool(entry.get("namespaced")))
                    break
            if found is None:
                raise BackendError(f"the cluster does not serve {kind} in {api_version}")
        self._resources[key] = found
        return found

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        """The object, or None when it does not exist."""
        res = self.resource(api_version, kind)
        try:
            obj: Obj = self.request("GET", res.path(namespace, name), f"get {kind} {_ref(namespace, name)}")
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return obj

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[Obj]:
        """The items (each with its apiVersion and kind set, which list responses leave out)."""
        res = self.resource(api_version, kind)
        where = f" in {namespace}" if namespace else ""
        data = self.request(
            "GET",
            res.path(namespace),
            f"list {res.plural}{where}",
            label_selector=label_selector,
            field_selector=field_selector,
        )
        items: list[Obj] = []
        for item in (data or {}).get("items") or []:
            if isinstance(item, dict):
                item.setdefault("apiVersion", api_version)
                item.setdefault("kind", kind)
                items.append(item)
        return items

    def list_if_served(
        self, api_version: str, kind: str, namespace: str | None = None, *, label_selector: str | None = None
    ) -> builtins.list[Obj]:
        """:meth:`list`, or ``[]`` when the server does not serve the kind (404 on the collection).

        A kind the server does not serve has no objects; a partial API (the embedded cluster's served
        API) serves fewer kinds than the backend's fixed lists name.
        """
        try:
            return self.list(api_version, kind, namespace, label_selector=label_selector)
        except ApiError as exc:
            if exc.status == 404:
                return []
            raise

    def apply(self, obj: Mapping[str, Any], *, field_manager: str, force: bool = True) -> Obj:
        """Server-side apply of ``obj`` (PATCH ``application/apply-patch+yaml``; JSON is valid YAML)."""
        api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
        meta = obj.get("metadata") or {}
        name, namespace = str(meta.get("name", "")), meta.get("namespace")
        res = self.resource(api_version, kind)
        _scope_check(res, namespace, name)
        out: Obj = self.request(
            "PATCH",
            res.path(namespace if res.namespaced else None, name),
            f"apply {kind} {_ref(namespace, name)}",
            # A pre-serialized body is sent as it is by every client version, whatever it does with dicts.
            body=json.dumps(obj),
            content_type="application/apply-patch+yaml",
            field_manager=field_manager,
            force_conflicts=force,
        )
        return out

    def create(
        self, obj: Mapping[str, Any], *, field_manager: str | None = None, dry_run: bool = False
    ) -> Obj:
        """POST ``obj``: 409 AlreadyExists when the name is taken (never a takeover)."""
        api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace")
        res = self.resource(api_version, kind)
        _scope_check(res, namespace, meta.get("name"))
        params: dict[str, Any] = {}
        if field_manager:
            params["field_manager"] = field_manager
        if dry_run:
            params["dry_run"] = "All"
        out: Obj = self.request(
            "POST",
            res.path(namespace if res.namespaced else None),
            f"create {kind} {_ref(namespace, meta.get('name'))}",
            body=dict(obj),
            **params,
        )
        return out

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        uid: str,
        propagation: str = "Background",
    ) -> str:
        """Delete the object ``name`` if it still is the one with ``uid`` (a precondition on the server).

        ``"deleted"``, ``"absent"`` (404), ``"terminating"`` (409: a namespace already going) or
        ``"replaced"`` (409: the name now belongs to another object, which stays). An empty name or uid is
        refused before any request: without a name the DELETE would address the whole collection.
        """
        res = self.resource(api_version, kind)
        what = f"delete {kind} {_ref(namespace, name)}"
        if not name:
            raise BackendError(
                f"{what}: refused: an empty name would delete every {res.plural} in the collection"
            )
        if not uid:
            raise BackendError(f"{what}: refused: no uid to send as the deletion's precondition")
        _scope_check(res, namespace, name)
        body = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "propagationPolicy": propagation,
            "preconditions": {"uid": uid},
        }
        try:
            self.request("DELETE", res.path(namespace, name), what, body=body)
        except ApiError as exc:
            if exc.status == 404:
                return "absent"
            if exc.status == 409:
                return "replaced" if "precondition" in exc.message.lower() else "terminating"
            raise
        return "deleted"

    def namespaced_resources(self) -> builtins.list[Resource]:
        """Every namespaced kind the server lists in discovery that can be listed and deleted (cached).

        Core ``v1`` and each group's preferred version; subresources (``pods/log``) are skipped. A group
        whose discovery fails raises :class:`ApiError`: what cannot be listed cannot be proven absent.
        """
        if self._namespaced is not None:
            return self._namespaced
        versions = ["v1"] + [
            str((g.get("preferredVersion") or {}).get("groupVersion") or "")
            for g in (self.request("GET", "/apis", "discover API groups") or {}).get("groups") or []
        ]
        found: builtins.list[Resource] = []
        for gv in (v for v in versions if v):
            listing = self.request("GET", group_version_root(gv), f"discover {gv}") or {}
            for entry in listing.get("resources") or []:
                name, verbs = str(entry.get("name", "")), set(entry.get("verbs") or [])
                if "/" in name or not entry.get("namespaced") or "list" not in verbs:
                    continue
                if verbs.isdisjoint({"delete", "deletecollection"}):
                    continue  # served views (metrics.k8s.io): a namespace's deletion destroys nothing there
                found.append(Resource(gv, str(entry.get("kind", "")), name, True))
        self._namespaced = found
        return found

    def post(self, path: str, body: Mapping[str, Any], what: str) -> Obj:
        out: Obj = self.request("POST", path, what, body=dict(body))
        return out

    def close(self) -> None:
        closer = getattr(self.connection.api_client, "close", None)
        if callable(closer):
            closer()


def _scope_check(res: Resource, namespace: Any, name: Any) -> None:
    # A cluster-scoped path drops the namespace: an object meant for a namespace of ours would land on
    # (or delete) the cluster's own object of that name, a Node or a Namespace.
    if namespace and not res.namespaced:
        raise BackendError(
            f"{res.kind} {name} is cluster-scoped: refusing to write it for namespace {namespace} "
            "(it would change the cluster's own object of that name)"
        )


def _ref(namespace: Any, name: Any) -> str:
    return f"{namespace}/{name}" if namespace else str(name)
