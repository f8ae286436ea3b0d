"""One repair rule heuristic and vpa share: the workload's pods were preempted by an over-requesting one.

kube-scheduler evicts lower-priority pods to place a higher-priority one (DefaultPreemption; the victims get
a ``Preempted`` event) and the evicted workload's replacements stay Pending: nothing below them to preempt.
Shrinking the victim would hide the problem; the operator's fix is to right-size the higher-priority
workload whose requests far exceed what it uses (its declared usage, the ``simarena.io/usage`` annotation),
so both fit. The action names that other workload.
"""

from __future__ import annotations

import math
from typing import Any

from pytest_simarena.actions import Action
from pytest_simarena.episode.observation import Observation
from pytest_simarena.errors import QuantityError, TraceError
from pytest_simarena.quantities import format_cpu, format_memory, parse_cpu, parse_memory
from pytest_simarena.trace.usage import read_usage

Obj = dict[str, Any]
MI = 1024 * 1024


def _priority(pod: Obj) -> int:
    value = (pod.get("spec") or {}).get("priority")
    return value if isinstance(value, int) else 0


def _owned_by(pod: Obj, name: str) -> bool:
    # Deployment pods are <deployment>-<template hash>-<suffix>.
    return str(pod["metadata"]["name"]).rsplit("-", 2)[0] == name


def preemptor_fix(obs: Observation, *, margin: float, floors: dict[str, int] | None = None) -> Action | None:
    """``set_resources`` on the higher-priority Deployment that preempted ``obs.workload``'s pods, or None.

    The new request is the declared usage x (1 + ``margin``) (at least ``floors``), for each resource whose
    request exceeds that; the container and workload with the largest cpu excess are chosen.
    """
    snap = obs.snapshot
    if snap is None or obs.pending == 0 or not snap.may_hold_event("Preempted"):
        return None  # (a fast-path step: reading its pods would make the engine replay it for nothing)
    namespace = f"{snap.prefix}-{obs.workload.namespace}" if snap.prefix else obs.workload.namespace
    mine = [
        p
        for p in snap.pods
        if p["metadata"].get("namespace") == namespace and _owned_by(p, obs.workload.name)
    ]
    preempted = any(
        e.get("reason") == "Preempted"
        and e["involvedObject"].get("namespace") == namespace
        and _owned_by({"metadata": {"name": e["involvedObject"].get("name", "")}}, obs.workload.name)
        for e in snap.events
    )
    if not preempted or not mine:
        return None
    floor = floors or {}
    my_priority = max(_priority(p) for p in mine)
    best: tuple[int, str, str, str, dict[str, str]] | None = None
    for workload in snap.workloads:
        if workload.get("kind") != "Deployment" or workload["metadata"].get("name") == obs.workload.name:
            continue
        name = str(workload["metadata"]["name"])
        ns = str(workload["metadata"].get("namespace", ""))
        pods = [p for p in snap.pods if p["metadata"].get("namespace") == ns and _owned_by(p, name)]
        if not pods or max(_priority(p) for p in pods) <= my_priority:
            continue
        template = (workload.get("spec") or {}).get("template") or {}
        try:
            usage = read_usage(template)
        except (TraceError, QuantityError):
            continue
        for c in (template.get("spec") or {}).get("containers") or []:
            used = usage.get(str(c.get("name")), {})
            requests = (c.get("resources") or {}).get("requests") or {}
            new: dict[str, str] = {}
            excess = 0
            for resource, parse, show in (
                ("cpu", parse_cpu, format_cpu),
                ("memory", parse_memory, format_memory),
            ):
                if resource not in used or resource not in requests:
                    continue
                want = max(math.ceil(used[resource] * (1 + margin)), floor.get(resource, 1))
                if resource == "memory":
                    want = math.ceil(want / MI) * MI
                have = parse(requests[resource])
                if have > want:
                    new[resource] = show(want)
                    if resource == "cpu":
                        excess = have - want
            if new and (best is None or (excess, name) > (best[0], best[1])):
                original_ns = (
                    ns[len(snap.prefix) + 1 :] if snap.prefix and ns.startswith(snap.prefix + "-") else ns
                )
                best = (excess, name, original_ns, str(c.get("name")), new)
    if best is None:
        return None
    _, name, ns, container, requests = best
    return Action(
        "set_resources", name, namespace=ns, kind="Deployment", container=container, requests=requests
    )
