"""Cleanup selection: only this run's labelled objects; only namespaces it created and holds alone (7, 10)."""

from __future__ import annotations

from typing import Any

from pytest_simarena.backends.kube.cleanup import (
    foreign_objects,
    namespace_verdict,
    owned_closure,
    select_for_cleanup,
)
from pytest_simarena.backends.kube.labels import CREATED_KEY, our_labels

OURS = our_labels("r1", "p1")
OLD_RUN = our_labels("r0", "p1")


def obj(kind: str, name: str, labels: dict[str, str] | None = None, *, uid: str = "", owner: str = "") -> Any:
    meta: dict[str, Any] = {"name": name, "namespace": "p1-default", "uid": uid or f"uid-{name}"}
    if labels is not None:
        meta["labels"] = labels
    if owner:
        meta["ownerReferences"] = [{"kind": "ReplicaSet", "name": owner, "uid": f"uid-{owner}"}]
    return {"apiVersion": "v1", "kind": kind, "metadata": meta}


def test_unlabelled_and_other_prefix_objects_are_never_selected() -> None:
    ours = obj("Deployment", "web", OURS)
    leftover = obj("Deployment", "old", OLD_RUN)  # a crashed earlier run of the same prefix
    users_pod = obj("Pod", "debug")
    other_test = obj("Deployment", "x", our_labels("r1", "p2"))
    partial = obj("Pod", "p", {"app.kubernetes.io/managed-by": "pytest-simarena"})  # no prefix label
    selected = select_for_cleanup([ours, leftover, users_pod, other_test, partial], "p1", "r1")
    assert selected == [ours]  # another run's objects are that run's to clean up (issue 10)


def test_owned_closure_follows_owner_references() -> None:
    dep = obj("Deployment", "web", OURS)
    rs = obj("ReplicaSet", "web-abc", owner="")
    rs["metadata"]["ownerReferences"] = [{"kind": "Deployment", "name": "web", "uid": "uid-web"}]
    pod = obj("Pod", "web-abc-1", owner="web-abc")
    stranger = obj("Pod", "debug")
    assert owned_closure([dep, rs, pod, stranger], [dep]) == {"uid-web", "uid-web-abc", "uid-web-abc-1"}
    assert foreign_objects([dep, rs, pod, stranger], "p1", "r1") == [stranger]


def _ns(labels: dict[str, str]) -> Any:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "p1-default", "labels": labels}}


def test_a_namespace_we_created_and_hold_alone_is_deleted() -> None:
    verdict = namespace_verdict(_ns({**OURS, CREATED_KEY: "true"}), [obj("Pod", "web-1", OURS)], "p1", "r1")
    assert verdict.delete and verdict.name == "p1-default"


def test_a_namespace_with_a_users_unlabelled_pod_survives() -> None:
    contents = [obj("Deployment", "web", OURS), obj("Pod", "debug")]
    verdict = namespace_verdict(_ns({**OURS, CREATED_KEY: "true"}), contents, "p1", "r1")
    assert not verdict.delete
    assert verdict.reason == "it holds objects that are not ours: Pod debug"


def test_a_namespace_we_did_not_create_is_never_deleted() -> None:
    # labelled by someone copying our labels, but without the created mark
    assert not namespace_verdict(_ns(dict(OURS)), [], "p1", "r1").delete
    assert "existed before us" in namespace_verdict(_ns(dict(OURS)), [], "p1", "r1").reason
    assert not namespace_verdict(_ns({}), [], "p1", "r1").delete
    assert not namespace_verdict(_ns({**our_labels("r1", "p2"), CREATED_KEY: "true"}), [], "p1", "r1").delete


def test_many_foreign_objects_are_summarized() -> None:
    contents = [obj("Pod", f"u{i}") for i in range(5)]
    verdict = namespace_verdict(_ns({**OURS, CREATED_KEY: "true"}), contents, "p1", "r1")
    assert verdict.reason.endswith("Pod u0, Pod u1, Pod u2 and 2 more")
