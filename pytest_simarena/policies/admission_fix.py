"""Repairs for pods refused at admission (issue 15), read from the FailedCreate message.

Shared by the heuristic and vpa policies, as one clearly named rule each:

- ``exceeded quota: <q>, requested: ..., used: ..., limited: ...`` (resourcequota/controller.go) on a
  request or limit: size the per-pod amount so ``target`` pods fit what the quota leaves once the
  workload's own pods are taken out of ``used`` (the quota's other users keep theirs);
- a LimitRange violation (limitranger/admission.go minConstraint, maxConstraint,
  limitRequestRatioConstraint, Container items): bring the container's request or limit inside the range.

A ``pods`` quota, a Pod-type LimitRange item or a ``must specify`` refusal is not a size a resource change
fixes here: no action. A single container without a request of its own (a LimitRange default filled it
in) gets the quota's per-pod share as its request.
"""

from __future__ import annotations

import math
import re

from pytest_simarena.actions import Action
from pytest_simarena.episode.observation import ContainerView, Observation
from pytest_simarena.errors import QuantityError
from pytest_simarena.quantities import format_cpu, format_memory, parse_cpu, parse_memory

MI = 1024 * 1024


def fmt(resource: str, value: int) -> str:
    """A quantity text for millicores (cpu) or bytes (memory)."""
    return format_cpu(value) if resource == "cpu" else format_memory(value)


def _resize(obs: Observation, container: str, requests: dict[str, str], limits: dict[str, str]) -> Action:
    ref = obs.workload
    return Action(
        "set_resources",
        ref.name,
        namespace=ref.namespace,
        kind=ref.kind,
        container=container,
        requests=requests or None,
        limits=limits or None,
    )


_QUOTA = re.compile(r"exceeded quota: [^,]+, requested: (\S+), used: (\S+), limited: (\S+)")
_MIN = re.compile(
    r"minimum (cpu|memory) usage per Container is (\S+?)(?:, but (request|limit) is \S+|\.  No)"
)
_MAX = re.compile(
    r"maximum (cpu|memory) usage per Container is (\S+?)(?:, but (request|limit) is \S+|\.  No)"
)
_RATIO = re.compile(r"(cpu|memory) max limit to request ratio per Container is (\S+?),")


def fix_admission(obs: Observation) -> Action | None:
    """One ``set_resources`` that clears the latest admission refusal, or None."""
    message = obs.rejected or ""
    if "is forbidden: " not in message:
        return None
    found = _QUOTA.search(message)
    if found is not None:
        return _fit_quota(obs, *(_pairs(g) for g in found.groups()))
    return _fit_limit_range(obs, message)


def _amount(resource: str, text: str) -> int | None:
    try:
        return parse_cpu(text) if resource == "cpu" else parse_memory(text)
    except QuantityError:
        return None


def _pairs(text: str) -> dict[str, str]:
    """``requests.cpu=500m,pods=1`` -> {"requests.cpu": "500m", "pods": "1"} (controller.go prettyPrint)."""
    return dict(part.split("=", 1) for part in text.rstrip(",").split(",") if "=" in part)


def _fit_quota(
    obs: Observation, requested: dict[str, str], used: dict[str, str], hard: dict[str, str]
) -> Action | None:
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}
    container = max(obs.containers, key=lambda c: c.effective_cpu_request, default=None)
    if container is None:
        return None
    for key in requested:
        field, _, resource = key.rpartition(".")
        if resource not in ("cpu", "memory") or field not in ("", "requests", "limits"):
            continue  # pods, count/pods, ephemeral storage ...: not a size to change
        per_pod = _amount(resource, requested[key])
        in_use, limit = _amount(resource, used.get(key, "0")), _amount(resource, hard.get(key, "0"))
        if per_pod is None or in_use is None or limit is None:
            continue
        others = max(in_use - obs.total * per_pod, 0)  # what the quota's other users hold
        budget = (limit - others) // max(obs.target, 1)
        if resource == "memory":
            budget = budget // MI * MI
        shrink = per_pod - budget  # the pod's amount goes down by this, taken from one container
        if budget <= 0 or shrink <= 0:
            continue
        target = limits if field == "limits" else requests
        current = _limit(container, resource) if field == "limits" else _request(container, resource)
        if current is None and field != "limits" and len(obs.containers) == 1:
            # the request came from a LimitRange default (admission fills it in before the quota check):
            # the refused pod's whole request is this container's; stating a lower one overrides the default
            current = per_pod
        if current is None or current - shrink <= 0:
            continue
        target[resource] = fmt(resource, current - shrink)
        if field != "limits":
            lim = _limit(container, resource)
            if lim is not None and lim < current - shrink:
                limits[resource] = target[resource]
        elif (req := _request(container, resource)) is not None and req > current - shrink:
            requests[resource] = target[resource]  # a request may not exceed its limit
    if not requests and not limits:
        return None
    return _resize(obs, container.name, requests, limits)


def _request(c: ContainerView, resource: str) -> int | None:
    return c.cpu_request if resource == "cpu" else c.memory_request


def _limit(c: ContainerView, resource: str) -> int | None:
    return c.cpu_limit if resource == "cpu" else c.memory_limit


def _fit_limit_range(obs: Observation, message: str) -> Action | None:
    """Per container: the changes its values need for every constraint the message names."""
    constraints: list[tuple[str, str, int]] = []  # (kind, resource, bound)
    for kind, pattern in (("min", _MIN), ("max", _MAX)):
        for found in pattern.finditer(message):
            bound = _amount(found.group(1), found.group(2))
            if bound is not None:
                constraints.append((kind, found.group(1), bound))
    for found in _RATIO.finditer(message):
        try:
            ratio = float(found.group(2))
        except ValueError:
            continue
        constraints.append(("ratio", found.group(1), math.floor(ratio * 1000)))
    for c in obs.containers:
        requests: dict[str, str] = {}
        limits: dict[str, str] = {}
        for kind, resource, bound in constraints:
            req, lim = _request(c, resource), _limit(c, resource)
            if kind == "min":
                if req is None or req < bound:
                    requests[resource] = fmt(resource, bound)
                if lim is not None and lim < bound:
                    limits[resource] = fmt(resource, bound)
            elif kind == "max":
                if lim is None or lim > bound:
                    limits[resource] = fmt(resource, bound)
                if req is not None and req > bound:
                    requests[resource] = fmt(resource, bound)
            elif lim is not None and req is not None and req > 0 and lim * 1000 > req * bound:
                needed = math.ceil(lim * 1000 / bound)  # the request the ratio allows at this limit
                if resource == "memory":
                    needed = math.ceil(needed / MI) * MI
                requests[resource] = fmt(resource, min(needed, lim))
        if requests or limits:
            return _resize(obs, c.name, requests, limits)
    return None
