"""Fidelity per Kubernetes version: each supported version's FailedScheduling text for the same pods.

Three Pending pods, on every supported version (the cluster's ``kubernetesVersion``):

- ``fits-a-node`` asks 10 cpu of a 16-cpu node that already runs 10 cpu: the node could take it if a pod
  left (preemption candidate, no lower-priority victim);
- ``tainted`` asks 4 cpu of three nodes: one tainted ``dedicated=gpu:NoSchedule`` and two with 8 cpu of
  which 6 are taken, so the pod fits either empty small node but not as they are;
- ``larger-than-node`` asks 17 cpu of 16-cpu nodes.

The expected texts are written out below, one literal string per version, from these sources (never from
the engine):

- FitError.Error (pkg/scheduler/framework/types.go): ``0/N nodes are available: <sorted "count reason">.``
  then `` <PostFilter message>``;
- RunPostFilterPlugins (pkg/scheduler/framework/runtime/framework.go) joins the PostFilter plugins' reasons
  with ``", "`` in profile order: DynamicResources (on by default from 1.34, DRA GA: CHANGELOG-1.35.md
  v1.35.0-alpha.3; its PostFilter says "no new claims to deallocate" for a pod without claims,
  dynamicresources.go PostFilter), then DefaultPreemption ("preemption: " + a nested FitError);
- NodeResourcesFit (noderesources/fit.go Filter/fitsRequest, PR 131345) marks a node smaller than the
  request UnschedulableAndUnresolvable from 1.34, and preemption calls such nodes "Preemption is not
  helpful for scheduling" (preemption.go nodesWherePreemptionMightHelp);
- TaintToleration (taint_toleration.go Filter) says "node(s) had untolerated taint {key: value}" up to
  1.34.0 and "node(s) had untolerated taint(s)" from 1.35 (PR 134740).
"""

from __future__ import annotations

import pytest
from fidelity_kit import condition, deployment, kwok_group, pods_of, replay, statuses, trace

from pytest_simarena.backends.embedded import ClusterSpec
from pytest_simarena.backends.embedded.versions import SUPPORTED

GPU_TAINT = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
DRA = "no new claims to deallocate, "

EXPECTED: dict[str, dict[str, str]] = {
    "fits-a-node": {
        "1.33": f"0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
        f"1 {NO_VICTIMS}.",
        "1.34": f"0/1 nodes are available: 1 Insufficient cpu. {DRA}preemption: 0/1 nodes are available: "
        f"1 {NO_VICTIMS}.",
        "1.35": f"0/1 nodes are available: 1 Insufficient cpu. {DRA}preemption: 0/1 nodes are available: "
        f"1 {NO_VICTIMS}.",
        "1.36": f"0/1 nodes are available: 1 Insufficient cpu. {DRA}preemption: 0/1 nodes are available: "
        f"1 {NO_VICTIMS}.",
        "1.37": f"0/1 nodes are available: 1 Insufficient cpu. {DRA}preemption: 0/1 nodes are available: "
        f"1 {NO_VICTIMS}.",
    },
    "tainted": {
        "1.33": "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, "
        f"2 Insufficient cpu. preemption: 0/3 nodes are available: 1 {NOT_HELPFUL}, 2 {NO_VICTIMS}.",
        "1.34": "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, "
        f"2 Insufficient cpu. {DRA}preemption: 0/3 nodes are available: 1 {NOT_HELPFUL}, 2 {NO_VICTIMS}.",
        "1.35": "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. "
        f"{DRA}preemption: 0/3 nodes are available: 1 {NOT_HELPFUL}, 2 {NO_VICTIMS}.",
        "1.36": "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. "
        f"{DRA}preemption: 0/3 nodes are available: 1 {NOT_HELPFUL}, 2 {NO_VICTIMS}.",
        "1.37": "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. "
        f"{DRA}preemption: 0/3 nodes are available: 1 {NOT_HELPFUL}, 2 {NO_VICTIMS}.",
    },
    "larger-than-node": {
        "1.33": f"0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
        f"3 {NO_VICTIMS}.",
        "1.34": f"0/3 nodes are available: 3 Insufficient cpu. {DRA}preemption: 0/3 nodes are available: "
        f"3 {NOT_HELPFUL}.",
        "1.35": f"0/3 nodes are available: 3 Insufficient cpu. {DRA}preemption: 0/3 nodes are available: "
        f"3 {NOT_HELPFUL}.",
        "1.36": f"0/3 nodes are available: 3 Insufficient cpu. {DRA}preemption: 0/3 nodes are available: "
        f"3 {NOT_HELPFUL}.",
        "1.37": f"0/3 nodes are available: 3 Insufficient cpu. {DRA}preemption: 0/3 nodes are available: "
        f"3 {NOT_HELPFUL}.",
    },
}


def _case(name: str, version: str) -> tuple[ClusterSpec, list[tuple[float, list[dict[str, object]]]]]:
    if name == "fits-a-node":
        spec = ClusterSpec([kwok_group("node", 1, "16", "32Gi")], version)
        return spec, [(0, [deployment("first", 1, cpu="10")]), (5, [deployment("web", 1, cpu="10")])]
    if name == "tainted":
        groups = [
            kwok_group("gpu", 1, "64", "256Gi", taints=[GPU_TAINT]),
            kwok_group("small", 2, "8", "32Gi"),
        ]
        # two 6-cpu pods fill the small nodes first (the gpu node is tainted for them too)
        return ClusterSpec(groups, version), [
            (0, [deployment("first", 2, cpu="6")]),
            (5, [deployment("web", 1, cpu="4")]),
        ]
    return ClusterSpec.default().with_version(version), [(0, [deployment("web", 1, cpu="17")])]


def test_every_supported_version_has_a_row() -> None:
    assert all(set(by_version) == set(SUPPORTED) for by_version in EXPECTED.values())


@pytest.mark.parametrize("version", SUPPORTED)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_failed_scheduling_text_per_version(name: str, version: str) -> None:
    spec, events = _case(name, version)
    _, snap = replay(trace(*events), 15, spec)
    pods = pods_of(snap, "web")
    assert statuses(pods) == ["Pending"]
    cond = condition(pods[0], "PodScheduled")
    assert cond is not None and (cond["reason"], cond["message"]) == (
        "Unschedulable",
        EXPECTED[name][version],
    )


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        ("1.34.0", "node(s) had untolerated taint {dedicated: gpu}"),
        ("1.34.1", "node(s) had untolerated taint {dedicated: gpu}"),
        # PR 135023 (the cherry-pick of PR 134740) is listed in CHANGELOG-1.34.md under v1.34.2
        ("1.34.2", "node(s) had untolerated taint(s)"),
        ("1.34.7", "node(s) had untolerated taint(s)"),
    ],
)
def test_the_taint_text_changed_in_a_1_34_patch_release(version: str, reason: str) -> None:
    spec, events = _case("tainted", version)
    _, snap = replay(trace(*events), 15, spec)
    cond = condition(pods_of(snap, "web")[0], "PodScheduled")
    assert cond is not None and cond["message"] == (
        f"0/3 nodes are available: 1 {reason}, 2 Insufficient cpu. {DRA}preemption: 0/3 nodes are "
        f"available: 1 {NOT_HELPFUL}, 2 {NO_VICTIMS}."
    )
