"""The three PATCH types kubectl sends: JSON patch (RFC 6902), merge patch (RFC 7386), strategic merge.

JSON patch is the ``jsonpatch`` library's. Merge patch is RFC 7386's few lines. Strategic merge patch is
Kubernetes' own (k8s.io/apimachinery/pkg/util/strategicpatch), with the merge keys of the core types'
``patchMergeKey`` tags for the lists the served kinds have: lists of containers, env, ports, volumes,
volume mounts, conditions and owner references merge by key; other lists are replaced. Directives:
``$patch: replace|delete|merge``, ``$retainKeys``, ``$setElementOrder/<list>`` and
``$deleteFromPrimitiveList/<list>``; a null value deletes a key.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ApiError, bad_request

Obj = dict[str, Any]

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH)

# patchMergeKey of list fields (by field name; the names are unambiguous within the served kinds).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "ports": "containerPort",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}
# Lists of scalars that merge (patchStrategy "merge" without a key): finalizers.
MERGE_SCALAR_LISTS = ("finalizers",)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(target: Obj, operations: Any) -> Obj:
    """RFC 6902 via ``jsonpatch``; a malformed or failing patch is a 422 as the apiserver answers."""
    import jsonpatch  # lazily: only PATCH requests need it

    if not isinstance(operations, list):
        raise bad_request("json patch must be a JSON array of operations")
    try:
        result = jsonpatch.JsonPatch(operations).apply(target)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, KeyError) as exc:
        raise ApiError(
            422, f"the server rejected our request due to an error in our request: {exc}"
        ) from None
    if not isinstance(result, dict):
        raise ApiError(422, "json patch must leave an object")
    return result


def _strategic_list(field: str, target: list[Any], patch: list[Any], order: list[Any] | None) -> list[Any]:
    key = MERGE_KEYS.get(field)
    if key is None:
        if field in MERGE_SCALAR_LISTS:
            return [*target, *(v for v in patch if v not in target)]
        return [strategic_merge({}, v) if isinstance(v, dict) else v for v in patch]
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [strategic_merge({}, i) for i in patch if isinstance(i, dict) and i.get("$patch") != "replace"]
    result = [dict(item) if isinstance(item, dict) else item for item in target]
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise bad_request(f"strategic merge patch: items of {field} must be objects with {key!r}")
        index = next(
            (i for i, cur in enumerate(result) if isinstance(cur, dict) and cur.get(key) == item[key]), None
        )
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
            continue
        if index is None:
            result.append(strategic_merge({}, item))
        else:
            result[index] = strategic_merge(result[index], item)
    if order:
        rank = {json.dumps(v, sort_keys=True): i for i, v in enumerate(o.get(key) for o in order)}
        result.sort(
            key=lambda item: rank.get(
                json.dumps(item.get(key) if isinstance(item, dict) else item), len(rank)
            )
        )
    return result


def strategic_merge(target: Any, patch: Any) -> Any:
    """Apply a strategic merge patch to ``target`` (not modified); returns the new value."""
    if not isinstance(patch, dict):
        return patch
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: v for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    if directive not in (None, "merge"):
        raise bad_request(f"strategic merge patch: unknown $patch directive {directive!r}")
    result = dict(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith("$setElementOrder/"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = [v for v in result[field] if v not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            current = result.get(key)
            order = patch.get(f"$setElementOrder/{key}")
            merged = _strategic_list(key, current if isinstance(current, list) else [], value, order)
            result[key] = merged
        elif isinstance(value, dict):
            merged_value = strategic_merge(result.get(key), value)
            if merged_value is None:
                result.pop(key, None)
            else:
                result[key] = merged_value
        else:
            result[key] = value
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def apply_patch(target: Obj, body: bytes | str | Any, content_type: str) -> Obj:
    """``target`` patched by ``body`` (raw JSON text or already decoded) of ``content_type``."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in PATCH_TYPES:
        raise ApiError(
            415,
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{', '.join(PATCH_TYPES)}",
        )
    if isinstance(body, bytes | str):
        try:
            patch = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise bad_request(f"error decoding patch: {exc}") from None
    else:
        patch = body
    if kind == JSON_PATCH:
        return json_patch(target, patch)
    if not isinstance(patch, dict):
        raise bad_request(f"{kind}: the patch must be a JSON object")
    result = merge_patch(target, patch) if kind == MERGE_PATCH else strategic_merge(target, patch)
    if not isinstance(result, dict):
        raise ApiError(422, "the patch deleted the whole object")
    return result
