"""Every Kubernetes-version-dependent rule of the embedded cluster, keyed by version, in one place.

A version is a minor release, ``"1.33"`` .. ``"1.37"`` (:data:`SUPPORTED`; the default is the newest,
:data:`DEFAULT`). Each rule below names the releases it applies to and the kubernetes/kubernetes source it
was read from; :data:`RULES` lists them for docs/embedded-cluster.md (a test checks the table there).
A minor release stands for its .0 release (``/version`` answers ``v1.35.0``); a fix cherry-picked into
a later patch release of an older branch is named in its rule.

>>> taint_reason("1.33", "dedicated", "gpu")
'node(s) had untolerated taint {dedicated: gpu}'
>>> taint_reason("1.37", "dedicated", "gpu")
'node(s) had untolerated taint(s)'
>>> post_filter_message("1.33", "preemption: 0/1 nodes are available: 1 No preemption victims found.")
'preemption: 0/1 nodes are available: 1 No preemption victims found.'
>>> post_filter_message("1.34", "preemption: x.")
'no new claims to deallocate, preemption: x.'
>>> check_version("v1.35.2")
'1.35'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT",
    "RULES",
    "SUPPORTED",
    "Rule",
    "check_version",
    "dra_enabled",
    "larger_than_node_unresolvable",
    "minor",
    "post_filter_message",
    "rules_markdown",
    "supported_text",
    "taint_reason",
]

# 1.33 is the oldest release the issue asks for; 1.37 is the newest release whose source and changelog
# are readable (CHANGELOG-1.38.md's v1.38.0-alpha.1 is "changelog since v1.37.0").
SUPPORTED: tuple[str, ...] = ("1.33", "1.34", "1.35", "1.36", "1.37")
DEFAULT: str = SUPPORTED[-1]

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$")


def supported_text() -> str:
    """``1.33, 1.34, ...`` for messages and help."""
    return ", ".join(SUPPORTED)


def parse(text: str) -> tuple[int, int] | None:
    """``(major, minor)`` of ``1.35``, ``v1.35.2``, ``v1.35.0-gke.1``; None when it is not a version."""
    found = _VERSION.match(str(text).strip())
    return (int(found.group(1)), int(found.group(2))) if found else None


def check_version(text: Any) -> str:
    """The supported minor version ``text`` names (``v1.35.2`` -> ``1.35``), else ValueError in one line."""
    parsed = parse(str(text))
    if parsed is None:
        raise ValueError(f"{text!r} is not a Kubernetes version; use one of {supported_text()}")
    name = f"{parsed[0]}.{parsed[1]}"
    if name not in SUPPORTED:
        raise ValueError(f"Kubernetes {name} is not supported; use one of {supported_text()}")
    return name


def minor(version: str) -> int:
    """The minor number of a supported version (``"1.35"`` -> 35)."""
    return int(check_version(version).split(".")[1])


# ------------------------------------------------------------------------------------------------ rules


@dataclass(frozen=True, slots=True)
class Rule:
    """One version-dependent rule: what changes, from which minor release on, and where it is written."""

    name: str
    since: int  # first minor release with the new behaviour (1.<since>)
    before: str  # the behaviour in releases before ``since``
    after: str  # the behaviour from ``since`` on
    source: str

    def applies(self, version: str) -> bool:
        return minor(version) >= self.since


LARGER_THAN_NODE = Rule(
    "A pod larger than a node's whole allocatable",
    34,
    "the node fails NodeResourcesFit as Unschedulable, so preemption counts it as "
    '"No preemption victims found for incoming pod"',
    "NodeResourcesFit marks the node UnschedulableAndUnresolvable (same 'Insufficient <r>' reason), so "
    'preemption skips it: "Preemption is not helpful for scheduling"',
    "pkg/scheduler/framework/plugins/noderesources/fit.go Filter and fitsRequest "
    "(InsufficientResource.Unresolvable: request > allocatable); kubernetes PR 131345 (issue 131310), "
    "merged for v1.34",
)

DRA_POST_FILTER = Rule(
    'DynamicResources PostFilter: "no new claims to deallocate, " before "preemption:"',
    34,
    "FailedScheduling has only the preemption part: the 1.33 PostFilter returns no reason for a pod without "
    "ResourceClaims (len(pod.Spec.ResourceClaims) == 0 fast path, PR 129823 in CHANGELOG-1.33), and the "
    "DynamicResourceAllocation gate is still beta (off by default in the 1.32 gate list)",
    "DRA is GA and on by default; the reworked PostFilter (claim store with the DRA extended-resource "
    "claim) returns 'no new claims to deallocate' when state.claims.empty(), i.e. for every pod without "
    "claims, and RunPostFilterPlugins joins the PostFilter reasons with ', ' in profile order "
    "(DynamicResources before DefaultPreemption)",
    "pkg/scheduler/framework/plugins/dynamicresources/dynamicresources.go PostFilter; "
    "pkg/scheduler/framework/runtime/framework.go RunPostFilterPlugins; CHANGELOG-1.35.md "
    "(v1.35.0-alpha.3: 'the DynamicResourceAllocation feature gate ... (GA in 1.34)'); "
    "CHANGELOG-1.33.md (PR 129823); website kube-apiserver gate list for 1.32 "
    "('DynamicResourceAllocation=true|false (BETA - default=false)')",
)

TAINT_WITHOUT_KEY = Rule(
    "TaintToleration's reason names no taint",
    35,
    '"node(s) had untolerated taint {<key>: <value>}" (1.34 until the cherry-pick, PR 135023, in a '
    "1.34 patch release)",
    '"node(s) had untolerated taint(s)" (the taint is logged by the scheduler instead)',
    "pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go Filter; kubernetes PR 134740 "
    "(CHANGELOG-1.35.md v1.35.0: 'Pod statuses no longer include specific taint keys or values'), "
    "cherry-picked to release-1.34 as PR 135023",
)

RULES: tuple[Rule, ...] = (LARGER_THAN_NODE, DRA_POST_FILTER, TAINT_WITHOUT_KEY)

# The DynamicResources plugin's PostFilter reason for a pod without ResourceClaims (1.34+).
NO_CLAIMS_TO_DEALLOCATE = "no new claims to deallocate"


def larger_than_node_unresolvable(version: str) -> bool:
    """Whether a node smaller than the pod's request is UnschedulableAndUnresolvable (preemption skips it)."""
    return LARGER_THAN_NODE.applies(version)


def dra_enabled(version: str) -> bool:
    """Whether the DynamicResources plugin runs by default (its PostFilter adds a reason)."""
    return DRA_POST_FILTER.applies(version)


def taint_reason(version: str, key: str, value: str) -> str:
    """TaintToleration's Filter reason for an untolerated NoSchedule/NoExecute taint."""
    if TAINT_WITHOUT_KEY.applies(version):
        return "node(s) had untolerated taint(s)"
    return f"node(s) had untolerated taint {{{key}: {value}}}"


def post_filter_message(version: str, preemption: str) -> str:
    """The PostFilter part of FailedScheduling: every PostFilter plugin's reason, joined with ", ".

    ``preemption`` is DefaultPreemption's message, ``"preemption: ..."``. Pods here never have
    ResourceClaims, so DynamicResources (when on) always says "no new claims to deallocate".
    """
    if dra_enabled(version):
        return f"{NO_CLAIMS_TO_DEALLOCATE}, {preemption}"
    return preemption


def _span(first: str, last: str) -> str:
    return first if first == last else f"{first}..{last}"


def rules_markdown() -> str:
    """The rules as the Markdown table docs/embedded-cluster.md carries (a test keeps the two equal)."""
    lines = [
        "| Rule | Versions | Before | From then on | Source |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in RULES:
        before = _span(SUPPORTED[0], f"1.{rule.since - 1}")
        versions = f"{before} / {_span(f'1.{rule.since}', SUPPORTED[-1])}"
        lines.append(f"| {rule.name} | {versions} | {rule.before} | {rule.after} | {rule.source} |")
    return "\n".join(lines)
