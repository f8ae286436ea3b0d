"""Cleanup that touches only what we created: labelled objects, and namespaces we made that hold nothing else.

Rules (issue 7):

- an object is deleted only if it carries our managed-by and prefix labels (any run of the prefix, so a
  crashed run's leftovers go too); an unlabelled pod survives every run and cleanup;
- a namespace is deleted only if it carries our labels *and* the ``simarena.io/created`` mark (we made
  it), and no foreign workload or pod lives in it: deleting a namespace deletes everything inside, so a
  user's pod in it keeps the namespace alive (we delete our objects and leave the namespace);
- 404 (already gone) and 409 (already terminating) count as done, so cleanup is idempotent.

The selection is pure (API-shaped dicts in, decisions out); :func:`cleanup_prefix` does the requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .labels import CREATED_KEY, cleanup_labels, labels_of, matches, selector
from .waits import poll_until

if TYPE_CHECKING:
    from .api import KubeApi

Obj = Mapping[str, Any]

# Deleted in this order: owners before what they own, so controllers do not recreate what we just deleted.
CLEANUP_KINDS: tuple[tuple[str, str], ...] = (
    ("batch/v1", "CronJob"),
    ("batch/v1", "Job"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "ServiceAccount"),
    ("v1", "PersistentVolumeClaim"),
)
# What a user could have put in a namespace that its deletion would destroy; Events, the auto-created
# ``default`` ServiceAccount and ``kube-root-ca.crt`` ConfigMap are namespace machinery, not theirs.
WORKLOAD_KINDS: tuple[tuple[str, str], ...] = CLEANUP_KINDS[:7]


def _meta(obj: Obj) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def select_for_cleanup(objs: Iterable[Obj], prefix: str) -> list[Obj]:
    """The objects cleanup of ``prefix`` deletes: those carrying our managed-by and prefix labels."""
    wanted = cleanup_labels(prefix)
    return [o for o in objs if matches(o, wanted)]


def owned_closure(objs: Sequence[Obj], roots: Iterable[Obj]) -> set[str]:
    """UIDs of ``roots`` and of everything in ``objs`` owned by them, transitively (RS of a Deployment...)."""
    uids = {str(_meta(r).get("uid")) for r in roots if _meta(r).get("uid")}
    changed = True
    while changed:
        changed = False
        for obj in objs:
            uid = str(_meta(obj).get("uid") or "")
            if not uid or uid in uids:
                continue
            owners = _meta(obj).get("ownerReferences") or []
            if any(isinstance(ref, Mapping) and str(ref.get("uid")) in uids for ref in owners):
                uids.add(uid)
                changed = True
    return uids


def foreign_objects(contents: Sequence[Obj], prefix: str) -> list[Obj]:
    """Objects in a namespace that are neither ours nor owned (transitively) by ours."""
    ours = select_for_cleanup(contents, prefix)
    keep = owned_closure(contents, ours)
    out = []
    for obj in contents:
        uid = str(_meta(obj).get("uid") or "")
        if (uid and uid in keep) or any(obj is o for o in ours):
            continue
        out.append(obj)
    return out


@dataclass(frozen=True)
class NamespaceVerdict:
    name: str
    delete: bool
    reason: str


def namespace_verdict(namespace: Obj, contents: Sequence[Obj], prefix: str) -> NamespaceVerdict:
    """Whether cleanup of ``prefix`` may delete ``namespace`` given the workloads and pods in it."""
    name = str(_meta(namespace).get("name", ""))
    if not matches(namespace, cleanup_labels(prefix)):
        return NamespaceVerdict(name, False, "not labelled as ours for this prefix")
    if labels_of(namespace).get(CREATED_KEY) != "true":
        return NamespaceVerdict(name, False, "it existed before us (no simarena.io/created mark)")
    foreign = foreign_objects(contents, prefix)
    if foreign:
        names = ", ".join(f"{o.get('kind', '?')} {_meta(o).get('name', '?')}" for o in foreign[:3])
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        return NamespaceVerdict(name, False, f"it holds objects that are not ours: {names}{more}")
    return NamespaceVerdict(name, True, "created by us and holds nothing else")


@dataclass
class CleanupReport:
    """What a cleanup did: objects deleted, namespaces deleted and kept (with why)."""

    deleted: list[str] = field(default_factory=list)
    absent: int = 0
    namespaces_deleted: list[str] = field(default_factory=list)
    namespaces_kept: list[NamespaceVerdict] = field(default_factory=list)


def _describe(obj: Obj) -> str:
    meta = _meta(obj)
    ns = meta.get("namespace")
    return f"{obj.get('kind', '?')} {ns + '/' if ns else ''}{meta.get('name', '?')}"


def cleanup_prefix(
    api: KubeApi,
    prefix: str,
    *,
    extra_kinds: Iterable[tuple[str, str]] = (),
    delete_namespaces: bool = True,
    wait: bool = True,
    timeout: float = 120.0,
) -> CleanupReport:
    """Delete what we created under ``prefix`` (cluster-wide, by label), then our namespaces; idempotent."""
    report = CleanupReport()
    label_sel = selector(cleanup_labels(prefix))
    kinds = list(CLEANUP_KINDS) + [k for k in extra_kinds if k not in CLEANUP_KINDS]
    for api_version, kind in kinds:
        # The API server selects by label; select_for_cleanup re-checks, so a server ignoring the
        # selector (or a proxy) could never make us delete an unlabelled object.
        for obj in select_for_cleanup(api.list(api_version, kind, label_selector=label_sel), prefix):
            meta = _meta(obj)
            outcome = api.delete(api_version, kind, str(meta.get("name")), meta.get("namespace"))
            if outcome == "absent":
                report.absent += 1
            else:
                report.deleted.append(_describe(obj))
    if not delete_namespaces:
        return report
    for ns in select_for_cleanup(api.list("v1", "Namespace", label_selector=label_sel), prefix):
        name = str(_meta(ns).get("name"))
        contents: list[Obj] = []
        for api_version, kind in WORKLOAD_KINDS:
            contents.extend(
                o for o in api.list(api_version, kind, name) if not _meta(o).get("deletionTimestamp")
            )
        verdict = namespace_verdict(ns, contents, prefix)
        if not verdict.delete:
            report.namespaces_kept.append(verdict)
            continue
        if api.delete("v1", "Namespace", name) != "absent":
            report.namespaces_deleted.append(name)
    if wait and report.namespaces_deleted:
        gone = list(report.namespaces_deleted)
        poll_until(
            lambda: [n for n in gone if api.get("v1", "Namespace", n) is not None],
            lambda left: not left,
            awaited=f"namespaces {', '.join(gone)} to be deleted",
            timeout=timeout,
            describe=lambda left: f"still present: {', '.join(left)}",
        )
    return report
