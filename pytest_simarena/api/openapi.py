"""The part of OpenAPI v3 that tells kubectl the server validates fields itself.

``kubectl apply|create|replace`` validate by default; kubectl first asks ``/openapi/v3`` whether the
PATCH operation of the object's group-version-kind takes the ``fieldValidation`` query parameter
(kubectl's queryParamVerifierV3). When it does, kubectl sends ``fieldValidation=Strict`` and leaves
validation to the server (api/fields.py) instead of downloading full schemas. So the served documents
list, per group-version, the paths of each resource with their operations, the
``x-kubernetes-group-version-kind`` extension and the query parameters the server honours; no schemas.
"""

from __future__ import annotations

from typing import Any

from pytest_simarena.live.resources import RESOURCES, Resource

Obj = dict[str, Any]

_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")
_LIST_PARAMS = ("labelSelector", "fieldSelector", "resourceVersion", "timeoutSeconds", "watch", "limit")


def _prefix(gv: str) -> str:
    return "api/v1" if gv == "v1" else f"apis/{gv}"


def root() -> Obj:
    """``/openapi/v3``: one entry per served group-version."""
    versions = sorted({r.group_version for r in RESOURCES})
    return {"paths": {_prefix(gv): {"serverRelativeURL": f"/openapi/v3/{_prefix(gv)}"} for gv in versions}}


def _operation(res: Resource, action: str, params: tuple[str, ...]) -> Obj:
    return {
        "operationId": f"{action}{res.kind}",
        "parameters": [
            {"name": p, "in": "query", "schema": {"type": "string"}, "uniqueItems": True} for p in params
        ],
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": res.group, "version": res.version, "kind": res.kind},
    }


def group_version(path: str) -> Obj | None:
    """``/openapi/v3/api/v1`` or ``/openapi/v3/apis/<group>/<version>``; None when not served."""
    gv = path.removeprefix("/openapi/v3/").removeprefix("api/").removeprefix("apis/")
    served = [
        r for r in RESOURCES if r.group_version == gv and _prefix(gv) == path.removeprefix("/openapi/v3/")
    ]
    if not served:
        return None
    paths: Obj = {}
    for res in served:
        base = f"/{_prefix(gv)}" + ("/namespaces/{namespace}" if res.namespaced else "")
        collection: Obj = {"get": _operation(res, "list", _LIST_PARAMS)}
        item: Obj = {"get": _operation(res, "get", ())}
        if res.allows("create"):
            collection["post"] = _operation(res, "post", _WRITE_PARAMS)
        if res.allows("update"):
            item["put"] = _operation(res, "put", _WRITE_PARAMS)
        if res.allows("patch"):
            item["patch"] = _operation(res, "patch", (*_WRITE_PARAMS, "force"))
        if res.allows("delete"):
            item["delete"] = _operation(res, "delete", ("dryRun", "gracePeriodSeconds", "propagationPolicy"))
        paths[f"{base}/{res.name}"] = collection
        paths[f"{base}/{res.name}/{{name}}"] = item
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (simarena embedded cluster)", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }
