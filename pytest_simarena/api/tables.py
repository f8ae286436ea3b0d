"""``meta.k8s.io/v1 Table`` answers: what ``kubectl get`` asks for to print a kind's real columns.

Columns and cells come from :mod:`pytest_simarena.kubeview.columns` (kubectl's server-side printers), so
the API and ``simarena simulate`` print the same things. ``includeObject`` follows the apiserver: the
default ``PartialObjectMetadata`` puts each object's metadata in its row, ``Object`` the whole object,
``None`` nothing.
"""

from __future__ import annotations

from typing import Any

from pytest_simarena.kubeview.columns import cells, columns
from pytest_simarena.live.resources import Resource

Obj = dict[str, Any]


def wants_table(accept: str) -> bool:
    """Whether an Accept header asks for a Table (``application/json;as=Table;v=v1;g=meta.k8s.io``)."""
    for part in accept.split(","):
        params = {p.split("=", 1)[0].strip(): p.split("=", 1)[-1].strip() for p in part.split(";")[1:]}
        if params.get("as") == "Table" and params.get("g", "meta.k8s.io") == "meta.k8s.io":
            return True
    return False


def _row_object(obj: Obj, include_object: str | None) -> Obj | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata") or {},
    }


def to_table(items: list[Obj], res: Resource, *, now: float, include_object: str | None = None) -> Obj:
    """A Table of ``items`` (all of ``res``'s kind); ``now`` in epoch seconds, for ages."""
    rows = []
    for obj in items:
        row: Obj = {"cells": cells(obj, now)}
        shown = _row_object(obj, include_object)
        if shown is not None:
            row["object"] = shown
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": [c.to_api() for c in columns(res.kind)],
        "rows": rows,
    }
