"""Label and field selectors as the apiserver reads them (``-l``/``--field-selector``, ``?labelSelector=``).

Label selectors (k8s.io/apimachinery labels.Parse): ``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``,
``a notin (x)``, ``a`` (exists) and ``!a`` (does not exist), joined by commas. Field selectors
(fields.ParseSelector): ``f=v``, ``f==v``, ``f!=v``; each resource supports only some fields (its
field-label conversion), anything else is a 400 ``field label not supported: <f>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .errors import bad_request

Obj = dict[str, Any]
Matcher = Callable[[Obj], bool]

# The fields each resource's field-label conversion accepts (metadata.name/namespace everywhere).
FIELDS: dict[str, tuple[str, ...]] = {
    "pods": ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "status.phase", "status.podIP"),
    "events": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "namespaces": ("status.phase",),
    "nodes": ("spec.unschedulable",),
    "replicasets": ("status.replicas",),
    "jobs": ("status.successful",),
}
_COMMON = ("metadata.name", "metadata.namespace")

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def label_matcher(selector: str | None) -> Matcher:
    """A predicate on objects for a label selector; 400 Status when it does not parse."""
    if not selector or not selector.strip():
        return lambda obj: True
    tests: list[tuple[str, str, frozenset[str]]] = []  # (op, key, values)
    for term in _split(selector):
        eq = _EQ_RE.match(term)
        if eq:
            key, op, value = eq.groups()
            tests.append(("!=" if op == "!=" else "=", key, frozenset((value,))))
            continue
        found = _SET_RE.match(term)
        if not found:
            raise bad_request(f"unable to parse requirement: invalid label selector {term.strip()!r}")
        negate, key, op, values = found.groups()
        if op is None:
            tests.append(("!exists" if negate else "exists", key, frozenset()))
            continue
        if negate:
            raise bad_request(f"unable to parse requirement: {term.strip()!r}: '!' only negates existence")
        tests.append((op, key, frozenset(v.strip() for v in values.split(",") if v.strip())))

    def match(obj: Obj) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(_label_test(labels, op, key, values) for op, key, values in tests)

    return match


def _label_test(labels: Mapping[str, str], op: str, key: str, values: frozenset[str]) -> bool:
    if op == "exists":
        return key in labels
    if op == "!exists":
        return key not in labels
    if op in ("=", "in"):
        return labels.get(key) in values
    return labels.get(key) not in values  # "!=" and "notin" (an absent label matches, as upstream)


def _field_value(obj: Obj, path: str) -> str:
    if path == "source":  # events: the source component
        return str((obj.get("source") or {}).get("component", ""))
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def field_matcher(resource: str, selector: str | None) -> Matcher:
    """A predicate for a field selector on ``resource``; 400 Status for a malformed or unsupported one."""
    if not selector or not selector.strip():
        return lambda obj: True
    supported = (*_COMMON, *FIELDS.get(resource, ()))
    tests: list[tuple[str, bool, str]] = []
    for term in _split(selector):
        found = _EQ_RE.match(term)
        if not found:
            raise bad_request(
                f"invalid field selector {term.strip()!r}: expected field=value or field!=value"
            )
        path, op, value = found.groups()
        if path not in supported:
            raise bad_request(f"field label not supported: {path} (supported: {', '.join(supported)})")
        tests.append((path, op != "!=", value))

    def match(obj: Obj) -> bool:
        return all((_field_value(obj, path) == value) == equal for path, equal, value in tests)

    return match
