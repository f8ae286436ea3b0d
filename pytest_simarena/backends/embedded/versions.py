"""Every Kubernetes-version-dependent rule of the embedded cluster, keyed by version, in one place.

A version is a minor release, ``"1.33"`` .. ``"1.37"`` (:data:`SUPPORTED`; the default is the newest,
:data:`DEFAULT`), optionally with a patch release (``"1.34.2"``); a minor alone stands for its .0 release
(``/version`` answers ``v1.34.0``). Each rule below names the releases it applies to (a fix cherry-picked
into a patch release of an older branch is a backport of the rule) and the kubernetes/kubernetes source it
was read from; :data:`RULES` lists them for docs/embedded-cluster.md (a test checks the table there).

>>> taint_reason("1.33", "dedicated", "gpu")
'node(s) had untolerated taint {dedicated: gpu}'
>>> taint_reason("1.37", "dedicated", "gpu")
'node(s) had untolerated taint(s)'
>>> post_filter_message("1.33", "preemption: 0/1 nodes are available: 1 No preemption victims found.")
'preemption: 0/1 nodes are available: 1 No preemption victims found.'
>>> post_filter_message("1.34", "preemption: x.")
'no new claims to deallocate, preemption: x.'
>>> check_version("v1.35.2-gke.100")
'1.35.2'
>>> taint_reason("1.34.2", "dedicated", "gpu")  # the 1.35 change was cherry-picked into 1.34.2
'node(s) had untolerated taint(s)'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT",
    "RULES",
    "SUPPORTED",
    "UNRECORDED",
    "Rule",
    "check_version",
    "clears_nominated_at_binding",
    "dra_enabled",
    "git_version",
    "larger_than_node_unresolvable",
    "minor",
    "patch",
    "post_filter_message",
    "preemption_found",
    "release",
    "rules_markdown",
    "supported_text",
    "taint_reason",
]

# 1.33 is the oldest release the issue asks for; 1.37 is the newest release whose source and changelog
# are readable (CHANGELOG-1.38.md's v1.38.0-alpha.1 is "changelog since v1.37.0").
SUPPORTED: tuple[str, ...] = ("1.33", "1.34", "1.35", "1.36", "1.37")
DEFAULT: str = SUPPORTED[-1]
# The rules the engine followed before a cluster had a version (its texts were 1.33's): a run log whose
# clusterSpec has no kubernetesVersion was recorded under them, so a replay of it plays this version.
UNRECORDED: str = "1.33"

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$")


def supported_text() -> str:
    """``1.33, 1.34, ...`` for messages and help."""
    return ", ".join(SUPPORTED)


@functools.lru_cache(maxsize=256)  # every FailedScheduling message asks (a regex match per call showed)
def parse(text: str) -> tuple[int, int, int | None] | None:
    """``(major, minor, patch)`` of ``1.35``, ``v1.35.2``, ``v1.35.0-gke.1`` (patch None when not given)."""
    found = _VERSION.match(str(text).strip())
    if not found:
        return None
    patch = found.group(3)
    return int(found.group(1)), int(found.group(2)), None if patch is None else int(patch)


def check_version(text: Any) -> str:
    """``text`` as a supported version, ``1.35`` or ``1.35.2`` (``v`` and build suffixes dropped), else
    ValueError in one line naming the supported versions."""
    parsed = parse(str(text))
    if parsed is None:
        raise ValueError(f"{text!r} is not a Kubernetes version; use one of {supported_text()}")
    name = f"{parsed[0]}.{parsed[1]}"
    if name not in SUPPORTED:
        raise ValueError(f"Kubernetes {name} is not supported; use one of {supported_text()}")
    return name if parsed[2] is None else f"{name}.{parsed[2]}"


def minor(version: str) -> int:
    """The minor number of a supported version (``"1.35.2"`` -> 35)."""
    return int(check_version(version).split(".")[1])


def patch(version: str) -> int:
    """The patch release of a supported version (``"1.35.2"`` -> 2, ``"1.35"`` -> 0)."""
    parts = check_version(version).split(".")
    return int(parts[2]) if len(parts) > 2 else 0


def release(version: str) -> str:
    """The minor release of a version (``"1.34.2"`` -> ``"1.34"``)."""
    return ".".join(check_version(version).split(".")[:2])


def git_version(version: str) -> str:
    """``v1.34.0`` for ``1.34``, ``v1.34.2`` for ``1.34.2`` (what /version's gitVersion starts with)."""
    return f"v{release(version)}.{patch(version)}"


# ------------------------------------------------------------------------------------------------ rules


@dataclass(frozen=True, slots=True)
class Rule:
    """One version-dependent rule: what changes, from which minor release on, and where it is written."""

    name: str
    since: int  # first minor release with the new behaviour (1.<since>)
    before: str  # the behaviour in releases before ``since``
    after: str  # the behaviour from ``since`` on
    source: str
    backports: tuple[tuple[int, int], ...] = ()  # (minor, first patch) of older branches that got it

    def applies(self, version: str) -> bool:
        number = minor(version)
        if number >= self.since:
            return True
        return any(number == m and patch(version) >= p for m, p in self.backports)

    def versions(self) -> str:
        """``1.33..1.34.1 / 1.34.2.., 1.35..1.37``: the releases before, then those with the rule."""
        first, last = SUPPORTED[0], SUPPORTED[-1]
        until = f"1.{self.since - 1}"
        with_rule = []
        for m, p in self.backports:
            until = f"1.{m}.{p - 1}"
            with_rule.append(f"1.{m}.{p}..")
        before = first if until == first else f"{first}..{until}"
        after = f"1.{self.since}" if f"1.{self.since}" == last else f"1.{self.since}..{last}"
        return f"{before} / {', '.join([*with_rule, after])}"


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
    '"node(s) had untolerated taint {<key>: <value>}"',
    '"node(s) had untolerated taint(s)" (the taint is logged by the scheduler instead)',
    "pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go Filter; kubernetes PR 134740 "
    "(CHANGELOG-1.35.md v1.35.0: 'Pod statuses no longer include specific taint keys or values'), "
    "cherry-picked to release-1.34 as PR 135023 (CHANGELOG-1.34.md, v1.34.2)",
    backports=((34, 2),),
)

PREEMPTION_FOUND = Rule(
    "A preemptor's FailedScheduling after DefaultPreemption succeeded",
    37,
    "PostFilter succeeds without a message, so the text is the filter part alone: "
    '"0/N nodes are available: N Insufficient cpu."',
    'it adds "preemption: found a potential placement for pod on node <node>, preempting <k> victims" '
    "(no period; a Success stops RunPostFilterPlugins, so no DynamicResources reason joins it)",
    "pkg/scheduler/framework/preemption/preemption.go Evaluator.Preempt; "
    "pkg/scheduler/framework/runtime/framework.go RunPostFilterPlugins (returns at the first Success); "
    "kubernetes PR 140180 (merged 2026-07-02); the text as a v1.37.0 cluster prints it",
)

NOMINATED_CLEARED_AT_BINDING = Rule(
    "status.nominatedNodeName of a pod that binds",
    35,
    "stays on the pod after it is bound (only the scheduler's in-memory nominator forgets it)",
    "the binding clears it (feature gate ClearingNominatedNodeNameAfterBinding: alpha, off in 1.34; beta, on "
    "from 1.35)",
    "pkg/registry/core/pod/storage/storage.go setPodNodeAndMetadata (clears Status.NominatedNodeName when "
    "ClearingNominatedNodeNameAfterBinding is on); pkg/features/kube_features.go (1.34 alpha, 1.35 beta "
    "default true)",
)

RULES: tuple[Rule, ...] = (
    LARGER_THAN_NODE,
    DRA_POST_FILTER,
    TAINT_WITHOUT_KEY,
    PREEMPTION_FOUND,
    NOMINATED_CLEARED_AT_BINDING,
)

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


def preemption_found(version: str, node: str, victims: int) -> str | None:
    """The PostFilter message when preemption found a node (None: there is none before 1.37)."""
    if PREEMPTION_FOUND.applies(version):
        return f"preemption: found a potential placement for pod on node {node}, preempting {victims} victims"
    return None


def clears_nominated_at_binding(version: str) -> bool:
    """Whether binding a pod clears its status.nominatedNodeName (1.35+)."""
    return NOMINATED_CLEARED_AT_BINDING.applies(version)


def post_filter_message(version: str, preemption: str) -> str:
    """The PostFilter part of FailedScheduling: every PostFilter plugin's reason, joined with ", ".

    ``preemption`` is DefaultPreemption's message, ``"preemption: ..."``. Pods here never have
    ResourceClaims, so DynamicResources (when on) always says "no new claims to deallocate".
    """
    if dra_enabled(version):
        return f"{NO_CLAIMS_TO_DEALLOCATE}, {preemption}"
    return preemption


def rules_markdown() -> str:
    """The rules as the Markdown table docs/embedded-cluster.md carries (a test keeps the two equal)."""
    lines = [
        "| Rule | Versions | Before | From then on | Source |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in RULES:
        lines.append(f"| {rule.name} | {rule.versions()} | {rule.before} | {rule.after} | {rule.source} |")
    return "\n".join(lines)
