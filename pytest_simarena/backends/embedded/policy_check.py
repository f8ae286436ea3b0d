"""What the embedded API server refuses in a trace's LimitRange, ResourceQuota and PriorityClass objects.

A replay records such an object as ``FailedApply`` (a real API server refuses it the same way); this module
reports it before any replay, as ``trace.validate.Problem`` errors, for ``simarena trace validate`` and
``simarena trace from-manifests`` (which names the manifest's file, line and document). The checks are the
objects' own constructors, so the two can never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pytest_simarena.trace.model import Trace, describe
from pytest_simarena.trace.validate import Problem

from .limitrange import LimitRange
from .pods import InvalidObject
from .priority import PriorityClass
from .quota import ResourceQuota

Obj = dict[str, Any]

_BUILDERS: dict[str, Callable[[Obj], object]] = {
    "LimitRange": lambda obj: LimitRange(obj, uid="", created=0.0),
    "ResourceQuota": lambda obj: ResourceQuota(obj, uid="", created=0.0),
    "PriorityClass": lambda obj: PriorityClass(obj, uid="", created=0.0, prefix=""),
}
# 'The LimitRange "lr" is invalid: spec.limits[0].max[cpu]: Invalid value: ...' -> field, problem; an
# aggregate ('... is invalid: [a, b]') has no single field.
_INVALID = re.compile(r".*? is invalid: (?:([A-Za-z][\w.\[\]/-]*): )?(.*)\Z", re.S)


def policy_problems(trace: Trace) -> list[Problem]:
    """One error per applied LimitRange, ResourceQuota or PriorityClass the embedded API server refuses."""
    problems = []
    for i, event in enumerate(trace.events):
        for j, obj in enumerate(event.get("applied_objs") or []):
            build = _BUILDERS.get(str(obj.get("kind"))) if isinstance(obj, dict) else None
            if build is None:
                continue
            try:
                build(obj)
            except InvalidObject as exc:
                found = _INVALID.match(str(exc))
                field, message = (found[1], found[2]) if found else (None, str(exc))
                location = f"events[{i}].applied_objs[{j}] ({describe(obj)})"
                location += f": {field}" if field else ""
                problems.append(Problem("error", "invalid_object", location, message))
    return problems
