"""Cleanup that touches only what this run created: its labelled objects, and namespaces holding only them.

Rules (issues 7 and 10):

- an object is deleted only if it carries our managed-by label, the prefix *and this run's id*, checked
  again after the API server's label selection, and the DELETE carries its uid as a precondition (an
  object replaced meanwhile is left alone); two sessions sharing a prefix never delete each other's
  objects, and a prefix another live run holds is refused (:func:`other_runs`);
- a namespace is deleted only if it carries this run's labels *and* the ``simarena.io/created`` mark (we
  made it), and holds nothing but our objects across every namespaced kind the server lists in
  discovery (Events, the ``default`` ServiceAccount and the ``kube-root-ca.crt`` ConfigMap are namespace
  machinery). Before its contents are read, a ResourceQuota of ours (the *fence*) sets every kind's object
  count to 0, so the API server refuses what anyone creates in it from then on: an object cannot appear
  between the check and the deletion. A namespace that holds anything else keeps living (the fence goes);
- 404 (already gone) and 409 (already terminating) count as done, so cleanup is idempotent.

The selection is pure (API-shaped dicts in, decisions out); :func:`cleanup_run` does the requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .labels import (
    CREATED_KEY,
    labels_of,
    matches,
    prefix_labels,
    run_labels,
    run_of,
    selector,
)
from .waits import poll_until

if TYPE_CHECKING:
    from .api import KubeApi, Resource

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
FENCE_NAME = "simarena-cleanup-fence"
# What Kubernetes itself puts in every namespace (kind, name; "" = any name): not a user's.
NAMESPACE_MACHINERY: tuple[tuple[str, str], ...] = (
    ("Event", ""),
    ("ServiceAccount", "default"),
    ("ConfigMap", "kube-root-ca.crt"),
)


def _meta(obj: Obj) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def select_for_cleanup(objs: Iterable[Obj], prefix: str, run_id: str) -> list[Obj]:
    """The objects cleanup of this run deletes: those carrying managed-by, the prefix and the run id."""
    wanted = run_labels(run_id, prefix)
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


def is_machinery(obj: Obj) -> bool:
    kind, name = str(obj.get("kind", "")), str(_meta(obj).get("name", ""))
    return any(kind == k and (not n or name == n) for k, n in NAMESPACE_MACHINERY)


def with_owned(objs: Sequence[Obj], prefix: str, run_id: str) -> list[Obj]:
    """The objects of ``objs`` that are this run's or owned (transitively) by them, in order."""
    ours = select_for_cleanup(objs, prefix, run_id)
    keep = owned_closure(objs, ours)
    return [o for o in objs if str(_meta(o).get("uid") or "") in keep or any(o is x for x in ours)]


def foreign_objects(contents: Sequence[Obj], prefix: str, run_id: str) -> list[Obj]:
    """Objects in a namespace that are neither this run's, owned (transitively) by them, nor machinery."""
    mine = with_owned(contents, prefix, run_id)
    return [o for o in contents if not any(o is m for m in mine) and not is_machinery(o)]


@dataclass(frozen=True)
class NamespaceVerdict:
    name: str
    delete: bool
    reason: str


def namespace_verdict(namespace: Obj, contents: Sequence[Obj], prefix: str, run_id: str) -> NamespaceVerdict:
    """Whether cleanup of this run may delete ``namespace`` given everything in it."""
    name = str(_meta(namespace).get("name", ""))
    if not matches(namespace, prefix_labels(prefix)):
        return NamespaceVerdict(name, False, "not labelled as ours for this prefix")
    if labels_of(namespace).get(CREATED_KEY) != "true":
        return NamespaceVerdict(name, False, "it existed before us (no simarena.io/created mark)")
    if run_of(namespace) != run_id:
        return NamespaceVerdict(name, False, f"another run created it ({run_of(namespace) or 'unknown'})")
    foreign = foreign_objects(contents, prefix, run_id)
    if foreign:
        names = ", ".join(f"{o.get('kind', '?')} {_meta(o).get('name', '?')}" for o in foreign[:3])
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        return NamespaceVerdict(name, False, f"it holds objects that are not ours: {names}{more}")
    return NamespaceVerdict(name, True, "created by us and holds nothing else")


def fence_body(namespace: str, resources: Sequence[Resource], labels: Mapping[str, str]) -> dict[str, Any]:
    """The ResourceQuota that lets no new object of any listed kind be created in ``namespace``.

    Object-count quota ``count/<resource>.<group>`` (``count/<resource>`` for the core group) works for every
    namespaced resource; the API server's quota admission refuses a create over ``hard`` with 403, and
    refuses every counted create until the quota controller has computed the quota's usage.
    """
    hard = {}
    for res in resources:
        group = res.api_version.rpartition("/")[0]
        hard[f"count/{res.plural}.{group}" if group else f"count/{res.plural}"] = "0"
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": FENCE_NAME, "namespace": namespace, "labels": dict(labels)},
        "spec": {"hard": dict(sorted(hard.items()))},
    }


@dataclass
class CleanupReport:
    """What a cleanup did: objects deleted, namespaces deleted and kept (with why)."""

    deleted: list[str] = field(default_factory=list)
    absent: int = 0
    replaced: list[str] = field(default_factory=list)
    namespaces_deleted: list[str] = field(default_factory=list)
    namespaces_kept: list[NamespaceVerdict] = field(default_factory=list)


def _describe(obj: Obj) -> str:
    meta = _meta(obj)
    ns = meta.get("namespace")
    return f"{obj.get('kind', '?')} {ns + '/' if ns else ''}{meta.get('name', '?')}"


def delete_checked(api: KubeApi, obj: Obj, report: CleanupReport, *, propagation: str = "Background") -> None:
    """Delete ``obj`` (proven ours) with its uid as the precondition; the outcome goes to ``report``."""
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    meta = _meta(obj)
    outcome = api.delete(
        api_version,
        kind,
        str(meta.get("name") or ""),
        meta.get("namespace"),
        uid=str(meta.get("uid") or ""),
        propagation=propagation,
    )
    if outcome == "absent":
        report.absent += 1
    elif outcome == "replaced":
        report.replaced.append(_describe(obj))
    else:
        report.deleted.append(_describe(obj))


def other_runs(
    api: KubeApi, prefix: str, run_id: str, kinds: Iterable[tuple[str, str]] = ()
) -> dict[str, str]:
    """Runs other than ``run_id`` that have objects of ``prefix`` (run id -> one of its objects)."""
    found: dict[str, str] = {}
    label_sel = selector(prefix_labels(prefix))
    for api_version, kind in [("v1", "Namespace"), *CLEANUP_KINDS, *kinds]:
        for obj in api.list_if_served(api_version, kind, label_selector=label_sel):
            run = run_of(obj)
            if matches(obj, prefix_labels(prefix)) and run and run != run_id:
                found.setdefault(run, _describe({**obj, "kind": kind}))
    return found


def _namespace_contents(api: KubeApi, name: str) -> list[Obj]:
    contents: list[Obj] = []
    for res in api.namespaced_resources():
        contents.extend(
            {**o, "apiVersion": res.api_version, "kind": res.kind}
            for o in api.list(res.api_version, res.kind, name)
            if not _meta(o).get("deletionTimestamp")
        )
    return contents


def _fence(api: KubeApi, name: str, labels: Mapping[str, str]) -> Obj | str:
    """Create the fence in namespace ``name``: the quota object, or why it could not be made."""
    from .api import ApiError

    try:
        return api.create(
            fence_body(name, api.namespaced_resources(), labels), field_manager="pytest-simarena"
        )
    except ApiError as exc:
        if exc.status == 409:
            found = api.get("v1", "ResourceQuota", FENCE_NAME, name)
            if found is not None and matches(found, labels):
                return found
        return f"it could not be fenced before the check ({exc})"


def delete_namespace_if_only_ours(api: KubeApi, ns: Obj, prefix: str, run_id: str) -> NamespaceVerdict:
    """Fence namespace ``ns``, read everything in it, then delete it (uid precondition) or unfence it."""
    name = str(_meta(ns).get("name"))
    verdict = namespace_verdict(ns, [], prefix, run_id)
    if not verdict.delete:
        return verdict
    labels = run_labels(run_id, prefix)
    fence = _fence(api, name, labels)
    if isinstance(fence, str):
        return NamespaceVerdict(name, False, fence)
    verdict = namespace_verdict(ns, _namespace_contents(api, name), prefix, run_id)
    if not verdict.delete:
        delete_checked(api, fence, CleanupReport())
        return verdict
    outcome = api.delete("v1", "Namespace", name, uid=str(_meta(ns).get("uid") or ""))
    if outcome == "replaced":
        return NamespaceVerdict(name, False, "it was replaced by another namespace of that name")
    return verdict


def cleanup_run(
    api: KubeApi,
    prefix: str,
    run_id: str,
    *,
    extra_kinds: Iterable[tuple[str, str]] = (),
    delete_namespaces: bool = True,
    wait: bool = True,
    timeout: float = 120.0,
) -> CleanupReport:
    """Delete what run ``run_id`` created under ``prefix`` (cluster-wide, by label), then its namespaces."""
    report = CleanupReport()
    label_sel = selector(run_labels(run_id, prefix))
    kinds = list(CLEANUP_KINDS) + [k for k in extra_kinds if k not in CLEANUP_KINDS]
    for api_version, kind in kinds:
        # The API server selects by label; select_for_cleanup re-checks, so a server ignoring the
        # selector (or a proxy) could never make us delete an unlabelled object.
        for obj in select_for_cleanup(
            api.list_if_served(api_version, kind, label_selector=label_sel), prefix, run_id
        ):
            delete_checked(api, {**obj, "apiVersion": api_version, "kind": kind}, report)
    if not delete_namespaces:
        return report
    for ns in select_for_cleanup(api.list("v1", "Namespace", label_selector=label_sel), prefix, run_id):
        verdict = delete_namespace_if_only_ours(api, ns, prefix, run_id)
        if verdict.delete:
            report.namespaces_deleted.append(verdict.name)
        else:
            report.namespaces_kept.append(verdict)
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
