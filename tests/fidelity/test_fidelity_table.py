"""The fidelity table: the embedded cluster against Kubernetes' rules, one readable case per rule.

Every expected outcome below is worked out from the rules in ``shared/notes/kubernetes.md`` (section in the
case id, e.g. ``k8s-1.2``) or ``shared/notes/simkube.md`` (``sk-3.4``), never read back from the engine.
The messages are the literal texts a current kube-scheduler / controller / kubelet prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fidelity_kit import (
    KWOK_TAINT,
    PREFIX,
    bare_pod,
    condition,
    container,
    deployment,
    events_for,
    kwok_group,
    limit_range,
    main_container,
    name_of,
    pods_of,
    priority_class,
    quota_status,
    replay,
    replicasets_of,
    resource_quota,
    scheduling_messages,
    seconds_since_start,
    statefulset,
    statuses,
    trace,
    with_priority_class,
    workload,
)

from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
from pytest_simarena.backends.protocol import ClusterSnapshot
from pytest_simarena.kubeview import pod_ready, pod_restarts, pod_status, summarize

Obj = dict[str, Any]
GPU_TAINT = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


# The cluster's default Kubernetes version is the newest supported one; the cases below expect its texts.
NEWEST = "1.37"


def fit_error(nodes: int, reasons: str, preemption: str | None = None, version: str = NEWEST) -> str:
    """The FitError text of k8s §1.2, with the counts written out by the case (not computed).

    From 1.34 DynamicResourceAllocation is on by default and its PostFilter says "no new claims to
    deallocate" before DefaultPreemption's part, joined with ", " (dynamicresources.go PostFilter,
    framework.go RunPostFilterPlugins; CHANGELOG-1.35.md: DRA GA in 1.34).
    """
    pre = preemption or f"{nodes} No preemption victims found for incoming pod"
    dra = "no new claims to deallocate, " if int(version.split(".")[1]) >= 34 else ""
    return f"0/{nodes} nodes are available: {reasons}. {dra}preemption: 0/{nodes} nodes are available: {pre}."


CPU1 = fit_error(1, "1 Insufficient cpu")


def not_helpful(nodes: int) -> str:
    """DefaultPreemption's text for nodes it skips (UnschedulableAndUnresolvable), k8s §1.2."""
    return f"{nodes} Preemption is not helpful for scheduling"


# A pod larger than every node's whole allocatable: from 1.34 NodeResourcesFit marks such a node
# UnschedulableAndUnresolvable (noderesources/fit.go fitsRequest InsufficientResource.Unresolvable,
# PR 131345), so preemption does not consider it: "not helpful" instead of "No preemption victims found".
CPU3_OVER = fit_error(3, "3 Insufficient cpu", not_helpful(3))
MEM3_OVER = fit_error(3, "3 Insufficient memory", not_helpful(3))
CPU1_OVER = fit_error(1, "1 Insufficient cpu", not_helpful(1))


@dataclass(frozen=True)
class Case:
    id: str
    run: Callable[[], None]


CASES: list[Case] = []


def case(case_id: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(fn: Callable[[], None]) -> Callable[[], None]:
        CASES.append(Case(case_id, fn))
        return fn

    return register


def one_node(cpu: str = "16", memory: str = "32Gi", pods: int = 110) -> ClusterSpec:
    return ClusterSpec([kwok_group("node", 1, cpu, memory, pods)])


def assert_pending_with(snap_pods: list[Obj], snap: ClusterSnapshot, message: str) -> None:
    assert snap_pods, "no pods were created"
    assert statuses(snap_pods) == ["Pending"] * len(snap_pods)
    for p in snap_pods:
        cond = condition(p, "PodScheduled")
        assert cond is not None
        assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", message)
        assert not (p.get("spec") or {}).get("nodeName")


def assert_failed_scheduling_event(snap: ClusterSnapshot, pod_name: str, message: str) -> None:
    evs = events_for(snap, pod_name, "FailedScheduling")
    assert [(e["type"], e["message"]) for e in evs] == [("Warning", message)]


def assert_running_ready(pods: list[Obj]) -> None:
    assert pods
    assert statuses(pods) == ["Running"] * len(pods)
    for p in pods:
        ready = condition(p, "Ready")
        assert ready is not None and ready["status"] == "True"


# ---------------------------------------------------------------------------------------------------
# Scheduler: NodeResourcesFit (k8s §1.1) and the FitError text (§1.2)


@case("fit-exact-16000m-on-16cpu-node-runs[k8s-1.1]")
def _exact_cpu() -> None:
    _, snap = replay(trace((0, [deployment("web", 1, cpu="16000m")])), 10)
    assert_running_ready(pods_of(snap, "web"))


@case("fit-one-millicore-over-16001m-pending-exact-text[k8s-1.1,1.2]")
def _one_milli_over() -> None:
    _, snap = replay(trace((0, [deployment("web", 1, cpu="16001m")])), 10)
    pods = pods_of(snap, "web")
    assert_pending_with(pods, snap, CPU3_OVER)
    assert_failed_scheduling_event(snap, name_of(pods[0]), CPU3_OVER)


@case("fit-memory-exact-32Gi-runs[k8s-1.1]")
def _exact_memory() -> None:
    _, snap = replay(trace((0, [deployment("web", 1, memory="32Gi")])), 10)
    assert_running_ready(pods_of(snap, "web"))


@case("fit-memory-one-byte-over-pending[k8s-1.1,1.2]")
def _memory_over() -> None:
    _, snap = replay(trace((0, [deployment("web", 1, memory=str(32 * 2**30 + 1))])), 10)
    assert_pending_with(pods_of(snap, "web"), snap, MEM3_OVER)


@case("fit-second-pod-one-millicore-over-on-used-node[k8s-1.1]")
def _used_node() -> None:
    tr = trace((0, [deployment("a", 1, cpu="8")]), (5, [deployment("b", 1, cpu="8001m")]))
    _, snap = replay(tr, 15, one_node())
    assert_running_ready(pods_of(snap, "a"))
    assert_pending_with(pods_of(snap, "b"), snap, CPU1)


@case("fit-pods-limit-Too-many-pods[k8s-1.1,1.2-example]")
def _too_many_pods() -> None:
    spec = ClusterSpec([kwok_group("small", 2, "16", "32Gi", pods=2)])
    _, snap = replay(trace((0, [deployment("web", 5)])), 10, spec)
    pods = pods_of(snap, "web")
    assert statuses(pods) == ["Pending", "Running", "Running", "Running", "Running"]
    pending = [p for p in pods if pod_status(p) == "Pending"]
    assert scheduling_messages(snap, pending) == {fit_error(2, "2 Too many pods")}


@case("fit-zero-request-pod-fits-on-a-full-node[k8s-1.1]")
def _zero_request() -> None:
    tr = trace((0, [deployment("full", 1, cpu="16", memory="32Gi")]), (5, [deployment("free", 1)]))
    _, snap = replay(tr, 15, one_node())
    assert_running_ready(pods_of(snap, "full") + pods_of(snap, "free"))


@case("fit-uses-allocatable-not-capacity[k8s-1.1,7.3]")
def _allocatable() -> None:
    spec = ClusterSpec([kwok_group("r", 1, "16", "32Gi", allocatable={"cpu": "15500m"})])
    tr = trace((0, [deployment("whole", 1, cpu="16")]), (5, [deployment("most", 1, cpu="15500m")]))
    _, snap = replay(tr, 15, spec)
    assert_pending_with(pods_of(snap, "whole"), snap, CPU1_OVER)
    assert_running_ready(pods_of(snap, "most"))


@case("fit-init-container-max-not-sum-fits[k8s-1.1]")
def _init_max_fits() -> None:
    # init 16 cpu, then two 8-cpu containers: the pod needs max(16, 8 + 8) = 16, not 32
    dep = deployment(
        "web",
        1,
        containers=[container("a", cpu="8"), container("b", cpu="8")],
        init=[container("init", cpu="16")],
    )
    _, snap = replay(trace((0, [dep])), 10, one_node())
    assert_running_ready(pods_of(snap, "web"))


@case("fit-init-container-larger-than-node-pending[k8s-1.1]")
def _init_max_over() -> None:
    dep = deployment("web", 1, containers=[container(cpu="1")], init=[container("init", cpu="17")])
    _, snap = replay(trace((0, [dep])), 10, one_node())
    assert_pending_with(pods_of(snap, "web"), snap, CPU1_OVER)


@case("overhead-without-RuntimeClass-rejected-FailedCreate[k15-5,k8s-2.4]")
def _overhead() -> None:
    # plugin/pkg/admission/runtimeclass/admission.go validateOverhead: spec.overhead with no RuntimeClass that
    # defines it -> admission.NewForbidden(..., "pod rejected: Pod Overhead set without corresponding
    # RuntimeClass defined Overhead"); RuntimeClass Validate is a validating plugin, so the pod is named by
    # its generated name (see the Admission section below: registry store.go create, rest/create.go
    # AdmissionToValidateObjectFunc); the ReplicaSet records Warning FailedCreate "Error creating: %v"
    # (pkg/controller/controller_utils.go) and ReplicaFailure (replica_set_utils.go).
    dep = deployment("web", 1, cpu="1", overhead={"cpu": "1m"})
    _, snap = replay(trace((0, [dep])), 10, one_node())
    assert pods_of(snap, "web") == []
    (rs,) = replicasets_of(snap, "web")
    reason = "pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"
    names = failed_creates(snap, name_of(rs), reason)
    assert len(names) > 1  # the controller requeues with rate-limited backoff and fails again
    failure = condition(rs, "ReplicaFailure")
    assert failure is not None
    assert (failure["status"], failure["reason"], failure["message"]) == (
        "True",
        "FailedCreate",
        f'pods "{names[0]}" is forbidden: {reason}',
    )


@case("overhead-without-RuntimeClass-StatefulSet-FailedCreate-names-the-pod[k15-5]")
def _overhead_statefulset() -> None:
    # runtimeclass/admission.go validateOverhead as above; pkg/controller/statefulset/stateful_pod_control.go
    # recordPodEvent: Warning FailedCreate "create Pod %s in StatefulSet %s failed error: %s". A StatefulSet
    # sets the pod's name itself, so the Forbidden error names "db-0", not a generateName prefix.
    sts = statefulset("db", 2, cpu="1")
    sts["spec"]["template"]["spec"]["overhead"] = {"cpu": "1m"}
    _, snap = replay(trace((0, [sts])), 10, one_node())
    assert pods_of(snap, "db") == []
    evs = events_for(snap, "db", "FailedCreate")
    error = (
        'pods "db-0" is forbidden: '
        "pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"
    )
    assert [(e["type"], e["message"]) for e in evs] == [
        ("Warning", f"create Pod db-0 in StatefulSet db failed error: {error}")
    ]


# ---------------------------------------------------------------------------------------------------
# Admission: LimitRange and ResourceQuota (issue 15). A refused pod is named by its generated name:
# staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go create() sets the name from
# generateName ("Init metadata as early as possible") before createValidation, and rest/create.go
# AdmissionToValidateObjectFunc passes that name to the validating plugins ("in case the generated name is
# populated"); apimachinery errors.NewForbidden -> 'pods "<name>" is forbidden: <err>'.
# Files cited by short name in the LimitRange and ResourceQuota cases: "admission.go" is
# plugin/pkg/admission/limitranger/admission.go; "controller.go" is
# staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go; "pods.go" is
# pkg/quota/v1/evaluator/core/pods.go; "resource_quota_controller.go" is in pkg/controller/resourcequota/;
# "stateful_pod_control.go" in pkg/controller/statefulset/; "replica_set_utils.go" in
# pkg/controller/replicaset/.


def failed_creates(snap: ClusterSnapshot, rs_name: str, reason: str) -> list[str]:
    """The FailedCreate messages of ReplicaSet ``rs_name``, checked to be 'Error creating: pods "<rs>-xxxxx"
    is forbidden: <reason>' with a generated five-character suffix; returns the generated names."""
    evs = events_for(snap, rs_name, "FailedCreate")
    assert evs, "no FailedCreate"
    pattern = re.compile(
        rf'Error creating: pods "({re.escape(rs_name)}-[bcdfghjklmnpqrstvwxz2456789]{{5}})" '
        rf"is forbidden: {re.escape(reason)}"
    )
    names = []
    for e in evs:
        assert e["type"] == "Warning"
        found = pattern.fullmatch(e["message"])
        assert found is not None, e["message"]
        names.append(found.group(1))
    assert len(set(names)) == len(names)  # each attempt generates a new name
    return names


@case("limitrange-defaults-requests-and-limits-with-annotation[k15-lr]")
def _lr_defaults() -> None:
    # pkg/apis/core/v1/defaults.go SetDefaults_LimitRangeItem: defaultRequest takes memory from default;
    # limitranger/admission.go mergeContainerResources fills what the container omits and the annotation
    # lists requests then limits, keys sorted; qos.GetPodQOS: requests != limits -> Burstable.
    lr = limit_range(
        "lr",
        {
            "type": "Container",
            "default": {"cpu": "200m", "memory": "512Mi"},
            "defaultRequest": {"cpu": "100m"},
        },
    )
    _, snap = replay(trace((0, [lr, deployment("web", 1)])), 10, one_node())
    (pod,) = pods_of(snap, "web")
    assert pod["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "200m", "memory": "512Mi"},
        "requests": {"cpu": "100m", "memory": "512Mi"},
    }
    assert pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app"
    )
    assert pod["status"]["qosClass"] == "Burstable"
    assert_running_ready([pod])


@case("limitrange-defaults-init-containers-too[k15-lr]")
def _lr_defaults_init() -> None:
    # admission.go mergePodResourceRequirements: containers first, then init containers ("init container").
    lr = limit_range("lr", {"type": "Container", "default": {"cpu": "200m", "memory": "256Mi"}})
    dep = deployment("web", 1, containers=[container(cpu="100m", memory="64Mi")], init=[container("init")])
    _, snap = replay(trace((0, [lr, dep])), 10, one_node())
    (pod,) = pods_of(snap, "web")
    assert pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory limit for container app; "
        "cpu, memory request for init container init; cpu, memory limit for init container init"
    )
    assert pod["spec"]["initContainers"][0]["resources"] == {
        "limits": {"cpu": "200m", "memory": "256Mi"},
        "requests": {"cpu": "200m", "memory": "256Mi"},
    }
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "100m", "memory": "64Mi"}


@case("limitrange-min-request-refused-FailedCreate-exact-text[k15-lr]")
def _lr_min() -> None:
    # admission.go minConstraint: "minimum %s usage per %s is %s, but request is %s"; ReplicaFailure keeps
    # the first error (replica_set_utils.go calculateStatus sets it only when absent).
    lr = limit_range("lr", {"type": "Container", "min": {"cpu": "100m"}})
    _, snap = replay(trace((0, [lr, deployment("web", 2, cpu="50m", memory="64Mi")])), 10, one_node())
    assert pods_of(snap, "web") == []
    (rs,) = replicasets_of(snap, "web")
    reason = "minimum cpu usage per Container is 100m, but request is 50m"
    names = failed_creates(snap, name_of(rs), reason)
    assert len(names) > 1  # rate-limited retries, each with a new name
    failure = condition(rs, "ReplicaFailure")
    assert failure is not None
    assert failure["message"] == f'pods "{names[0]}" is forbidden: {reason}'


@case("limitrange-max-two-violations-aggregate-in-brackets[k15-lr]")
def _lr_max_aggregate() -> None:
    # admission.go maxConstraint per resource; utilerrors.NewAggregate: "[a, b]". Go ranges over the max map
    # in random order, so either order is what a real apiserver may print.
    lr = limit_range("lr", {"type": "Container", "max": {"cpu": "1", "memory": "1Gi"}})
    app = container(cpu="500m", memory="256Mi", limit_cpu="2", limit_memory="2Gi")
    _, snap = replay(trace((0, [lr, deployment("web", 1, containers=[app])])), 5, one_node())
    (rs,) = replicasets_of(snap, "web")
    cpu = "maximum cpu usage per Container is 1, but limit is 2"
    mem = "maximum memory usage per Container is 1Gi, but limit is 2Gi"
    message = events_for(snap, name_of(rs), "FailedCreate")[0]["message"]
    assert message.endswith((f": [{cpu}, {mem}]", f": [{mem}, {cpu}]")), message


@case("limitrange-default-limit-below-request-makes-pod-invalid[k15-lr,k8s-2.3]")
def _lr_default_invalid() -> None:
    # pkg/apis/core/v1/defaults.go SetDefaults_LimitRangeItem: default cpu = max 1; the container requests 2
    # without a limit, so the mutated pod fails validation (pkg/apis/core/validation/validation.go
    # ValidateResourceRequirements, kubernetes.md §2.3) before the validating plugins
    # (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go): errors.NewInvalid 'Pod "<name>" is
    # invalid: ...'.
    lr = limit_range("lr", {"type": "Container", "max": {"cpu": "1"}})
    _, snap = replay(trace((0, [lr, deployment("web", 1, cpu="2")])), 5, one_node())
    (rs,) = replicasets_of(snap, "web")
    message = events_for(snap, name_of(rs), "FailedCreate")[0]["message"]
    assert re.fullmatch(
        rf'Error creating: Pod "{re.escape(name_of(rs))}-[a-z0-9]{{5}}" is invalid: '
        r'spec\.containers\[0\]\.resources\.requests: Invalid value: "2": must be less than or equal to '
        r"cpu limit of 1",
        message,
    ), message


@case("limitrange-max-limit-request-ratio-six-decimals[k15-lr]")
def _lr_ratio() -> None:
    # admission.go limitRequestRatioConstraint: 1 / 100m = 10 > 4 -> "... but provided ratio is 10.000000".
    lr = limit_range("lr", {"type": "Container", "maxLimitRequestRatio": {"cpu": "4"}})
    app = container(cpu="100m", memory="64Mi", limit_cpu="1")
    _, snap = replay(trace((0, [lr, deployment("web", 1, containers=[app])])), 5, one_node())
    (rs,) = replicasets_of(snap, "web")
    failed_creates(
        snap,
        name_of(rs),
        "cpu max limit to request ratio per Container is 4, but provided ratio is 10.000000",
    )


@case("limitrange-pod-max-on-summed-limits[k15-lr]")
def _lr_pod_max() -> None:
    # admission.go PodValidateLimitFunc, Pod items: podLimits sums the containers (768Mi + 768Mi = 1536Mi,
    # Quantity.String in BinarySI) against max 1Gi.
    lr = limit_range("lr", {"type": "Pod", "max": {"memory": "1Gi"}})
    two = [
        container("a", memory="256Mi", limit_memory="768Mi"),
        container("b", memory="256Mi", limit_memory="768Mi"),
    ]
    _, snap = replay(trace((0, [lr, deployment("web", 1, containers=two)])), 5, one_node())
    (rs,) = replicasets_of(snap, "web")
    failed_creates(snap, name_of(rs), "maximum memory usage per Pod is 1Gi, but limit is 1536Mi")


def refused_limit_range(*items: Obj) -> str:
    """Apply a LimitRange with ``items`` before a Deployment; the FailedApply message (the apply is refused,
    so the Deployment's pod runs with no LimitRange defaults)."""
    lr = limit_range("lr", *items)
    _, snap = replay(trace((0, [lr, deployment("web", 1)])), 5, one_node())
    (pod,) = pods_of(snap, "web")
    assert "kubernetes.io/limit-ranger" not in (pod["metadata"].get("annotations") or {})
    (event,) = events_for(snap, "lr", "FailedApply")
    assert event["type"] == "Warning"
    return str(event["message"])


@case("limitrange-refused-min-greater-than-max-after-defaulting[k15-lr]")
def _lr_refused_min_max() -> None:
    # pkg/apis/core/validation/validation.go ValidateLimitRange runs on the defaulted object (defaults.go:
    # default cpu = max 1, defaultRequest = default 1), so min 2 fails three checks, in validation.go's order;
    # field.Error renders a Quantity bad value through json.Marshal (apimachinery field/errors.go ErrorBody).
    message = refused_limit_range({"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}})
    assert message == (
        'The LimitRange "lr" is invalid: ['
        'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1, '
        'spec.limits[0].defaultRequest[cpu]: Invalid value: "1": min value 2 is greater than default request '
        "value 1, "
        'spec.limits[0].default[cpu]: Invalid value: "2": min value 2 is greater than default value 1]'
    )


@case("limitrange-refused-default-on-pod-item[k15-lr]")
def _lr_refused_pod_default() -> None:
    # validation.go ValidateLimitRange: field.Forbidden(idxPath.Child("default"), "may not be specified when
    # `type` is 'Pod'"); a Forbidden error prints no value.
    message = refused_limit_range({"type": "Pod", "max": {"cpu": "2"}, "default": {"cpu": "1"}})
    assert message == (
        'The LimitRange "lr" is invalid: spec.limits[0].default: Forbidden: '
        "may not be specified when `type` is 'Pod'"
    )


@case("limitrange-refused-ratio-above-max-over-min[k15-lr]")
def _lr_refused_ratio() -> None:
    # validation.go ValidateLimitRange: maxLimitRequestRatio 4 > max/min = 300m/100m, printed with %f.
    message = refused_limit_range(
        {
            "type": "Container",
            "min": {"cpu": "100m"},
            "max": {"cpu": "300m"},
            "maxLimitRequestRatio": {"cpu": "4"},
        }
    )
    assert message == (
        'The LimitRange "lr" is invalid: spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "4": '
        "ratio 4 is greater than max/min = 3.000000"
    )


@case("limitrange-refused-ratio-below-one[k15-lr]")
def _lr_refused_ratio_below_one() -> None:
    # validation.go ValidateLimitRange: maxRatio.Cmp(1) < 0 -> "ratio %s is less than 1".
    message = refused_limit_range({"type": "Container", "maxLimitRequestRatio": {"memory": "500m"}})
    assert message == (
        'The LimitRange "lr" is invalid: spec.limits[0].maxLimitRequestRatio[memory]: Invalid value: "500m": '
        "ratio 500m is less than 1"
    )


@case("quota-exceeded-requests-cpu-after-slow-start-status-used[k15-quota]")
def _quota_cpu() -> None:
    # controller.go CheckRequest: 4 x 500m against requests.cpu 1500m; slowStartBatch (1, 2, then 1) admits 3
    # pods, the fourth: "exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=1500m,
    # limited: requests.cpu=1500m" (prettyPrint of the exceeded resources only; pods=4 <= 10 is fine).
    # status.used sums with Quantity.Add: 3 x 128Mi = 384Mi.
    quota = resource_quota("compute", {"requests.cpu": "1500m", "requests.memory": "1Gi", "pods": "10"})
    c, snap = replay(trace((0, [quota, deployment("web", 4, cpu="500m", memory="128Mi")])), 10)
    assert len(pods_of(snap, "web")) == 3
    (rs,) = replicasets_of(snap, "web")
    failed_creates(
        snap,
        name_of(rs),
        "exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=1500m, "
        "limited: requests.cpu=1500m",
    )
    assert quota_status(c, "compute") == {
        "hard": {"pods": "10", "requests.cpu": "1500m", "requests.memory": "1Gi"},
        "used": {"pods": "3", "requests.cpu": "1500m", "requests.memory": "384Mi"},
    }


@case("quota-must-specify-per-resource-containers-sorted[k15-quota]")
def _quota_must_specify() -> None:
    # pods.go Constraints: required = hard & validationSet; "must specify <res> for: <names>" per resource,
    # resources and names sorted, joined by "; "; the plugin wraps it: "failed quota: <name>: <err>".
    quota = resource_quota("compute", {"requests.cpu": "4", "limits.memory": "4Gi"})
    two = [container("b", memory="64Mi"), container("a", cpu="100m", memory="64Mi")]
    _, snap = replay(trace((0, [quota, deployment("web", 1, containers=two)])), 5)
    (rs,) = replicasets_of(snap, "web")
    failed_creates(
        snap, name_of(rs), "failed quota: compute: must specify limits.memory for: a,b; requests.cpu for: b"
    )


@case("quota-limits-and-cpu-alias-exceeded-together-sorted[k15-quota]")
def _quota_limits_alias() -> None:
    # pods.go podComputeUsageHelper: "cpu" is the cpu request (as requests.cpu), limits.memory the memory
    # limit; 3 x (400m, limit 512Mi) against cpu 1, limits.memory 1Gi: the third pod exceeds both, listed in
    # name order (quota.LessThanOrEqual's exceeded set, prettyPrint sorts): cpu before limits.memory.
    quota = resource_quota("q", {"cpu": "1", "limits.memory": "1Gi", "pods": "5"})
    app = container(cpu="400m", memory="128Mi", limit_memory="512Mi")
    c, snap = replay(trace((0, [quota, deployment("web", 3, containers=[app])])), 5)
    assert len(pods_of(snap, "web")) == 2
    (rs,) = replicasets_of(snap, "web")
    failed_creates(
        snap,
        name_of(rs),
        "exceeded quota: q, requested: cpu=400m,limits.memory=512Mi, used: cpu=800m,limits.memory=1Gi, "
        "limited: cpu=1,limits.memory=1Gi",
    )
    assert quota_status(c, "q")["used"] == {"cpu": "800m", "limits.memory": "1Gi", "pods": "2"}


@case("quota-scope-NotBestEffort-ignores-best-effort-pods[k15-quota]")
def _quota_scope() -> None:
    # pods.go podMatchesScopeFunc: NotBestEffort matches pods with some request or limit; a BestEffort pod
    # (qos.GetPodQOS) is neither charged nor refused by it (generic.Matches: every scope must match).
    quota = resource_quota("q", {"pods": "1"})
    quota["spec"]["scopes"] = ["NotBestEffort"]
    best_effort = deployment("free", 3, containers=[container()])
    _, snap = replay(trace((0, [quota, best_effort, deployment("web", 2, cpu="100m")])), 5)
    assert len(pods_of(snap, "free")) == 3
    assert len(pods_of(snap, "web")) == 1
    (rs,) = replicasets_of(snap, "web")
    failed_creates(snap, name_of(rs), "exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1")


@case("quota-pods-replenished-after-delete[k15-quota]")
def _quota_replenish() -> None:
    # resource_quota_controller.go: a deleted pod triggers a recount (replenishment), so the ReplicaSet's
    # rate-limited retry is admitted once "other" is gone; before: "requested: pods=1, used: pods=2".
    quota = resource_quota("q", {"pods": "2"})
    tr = trace((0, [quota, deployment("other", 2, cpu="100m")]), (10, [deployment("web", 1, cpu="100m")]))
    tr.events.append(
        {"ts": tr.events[0]["ts"] + 20, "applied_objs": [], "deleted_objs": [deployment("other", 2)]}
    )
    c, snap = replay(tr, 15)
    assert pods_of(snap, "web") == []
    (rs,) = replicasets_of(snap, "web")
    failed_creates(snap, name_of(rs), "exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2")
    c.run(60)
    after = c.observe(PREFIX)
    assert_running_ready(pods_of(after, "web"))
    assert pods_of(after, "other") == []
    assert quota_status(c, "q")["used"] == {"pods": "1"}


@case("quota-statefulset-and-bare-pod-name-the-pod[k15-quota]")
def _quota_sts_pod() -> None:
    # stateful_pod_control.go recordPodEvent names the pod it set; a bare Pod's create is refused outright
    # (the SimKube driver's apply fails: FailedApply with the Forbidden text).
    quota = resource_quota("q", {"requests.memory": "100Mi"})
    sts = statefulset("db", 1, cpu="100m", memory="128Mi")
    pod = bare_pod("solo", cpu="100m", memory="256Mi")
    _, snap = replay(trace((0, [quota, sts, pod])), 5)
    msg = (
        "exceeded quota: q, requested: requests.memory={}, used: requests.memory=0, "
        "limited: requests.memory=100Mi"
    )
    evs = events_for(snap, "db", "FailedCreate")
    assert evs[0]["message"] == (
        f'create Pod db-0 in StatefulSet db failed error: pods "db-0" is forbidden: {msg.format("128Mi")}'
    )
    (rejected,) = events_for(snap, "solo", "FailedApply")
    assert rejected["message"] == f'pods "solo" is forbidden: {msg.format("256Mi")}'


@case("fit-sidecar-runs-alongside-containers[k8s-1.1]")
def _sidecar() -> None:
    sidecar = {**container("proxy", cpu="1"), "restartPolicy": "Always"}
    dep = deployment("web", 1, cpu="16", init=[sidecar])
    _, snap = replay(trace((0, [dep])), 10, one_node())
    assert_pending_with(pods_of(snap, "web"), snap, CPU1_OVER)


@case("fit-mixed-reasons-sorted-as-strings[k8s-1.2]")
def _mixed_sorted() -> None:
    spec = ClusterSpec([kwok_group("cpu-poor", 3, "2", "32Gi"), kwok_group("mem-poor", 1, "16", "1Gi")])
    _, snap = replay(trace((0, [deployment("web", 1, cpu="4", memory="2Gi")])), 10, spec)
    # "1 Insufficient memory" sorts before "3 Insufficient cpu": sort.Strings on "<count> <reason>"; every
    # node is smaller than the pod (4 cpu > 2, 2Gi > 1Gi), so none is a preemption candidate (1.34+)
    expected = fit_error(4, "1 Insufficient memory, 3 Insufficient cpu", not_helpful(4))
    assert_pending_with(pods_of(snap, "web"), snap, expected)


@case("fit-one-node-reports-every-failing-resource[k8s-1.1]")
def _both_reasons() -> None:
    _, snap = replay(trace((0, [deployment("web", 1, cpu="2", memory="2Gi")])), 10, one_node("1", "1Gi"))
    expected = fit_error(1, "1 Insufficient cpu, 1 Insufficient memory", not_helpful(1))
    assert_pending_with(pods_of(snap, "web"), snap, expected)


@case("fit-seed-cpu-and-memory-both-over[k8s-1.2]")
def _cpu_and_memory() -> None:
    _, snap = replay(trace((0, [deployment("web", 3, cpu="17", memory="33Gi")])), 10)
    expected = fit_error(3, "3 Insufficient cpu, 3 Insufficient memory", not_helpful(3))
    assert_pending_with(pods_of(snap, "web"), snap, expected)


@case("fit-pod-count-and-cpu-both-reported-by-one-node[k8s-1.1]")
def _pods_and_cpu() -> None:
    tr = trace((0, [deployment("first", 1)]), (5, [deployment("web", 1, cpu="17")]))
    _, snap = replay(tr, 15, one_node(pods=1))
    assert_running_ready(pods_of(snap, "first"))
    # one unresolvable resource makes the node's status UnschedulableAndUnresolvable (fit.go Filter)
    expected = fit_error(1, "1 Insufficient cpu, 1 Too many pods", not_helpful(1))
    assert_pending_with(pods_of(snap, "web"), snap, expected)


@case("fit-reasons-sort-as-strings-10-before-2[k8s-1.2]")
def _sort_ten() -> None:
    # sort.Strings, not a numeric sort: "10 Too many pods" < "2 Insufficient cpu"
    spec = ClusterSpec([kwok_group("full", 10, "16", "32Gi", pods=0), kwok_group("tiny", 2, "1", "32Gi")])
    _, snap = replay(trace((0, [deployment("web", 1, cpu="2")])), 10, spec)
    # "Too many pods" is never unresolvable (fitsRequest sets no Unresolvable for pods); 2 cpu > 1 is
    expected = fit_error(
        12,
        "10 Too many pods, 2 Insufficient cpu",
        "10 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling",
    )
    assert_pending_with(pods_of(snap, "web"), snap, expected)


@case("fit-memory-decimal-vs-binary-units[k8s-1.1,3]")
def _units() -> None:
    # node memory 1Gi = 1073741824 bytes: 1073M (1.073e9) fits, 1074M (1.074e9) does not
    tr = trace((0, [deployment("fits", 1, memory="1073M")]), (5, [deployment("over", 1, memory="1074M")]))
    _, snap = replay(tr, 15, ClusterSpec([kwok_group("a", 1, "16", "1Gi"), kwok_group("b", 1, "16", "1Gi")]))
    assert_running_ready(pods_of(snap, "fits"))
    assert_pending_with(pods_of(snap, "over"), snap, fit_error(2, "2 Insufficient memory", not_helpful(2)))


@case("fit-sub-millicore-request-rounds-up-to-1m[k8s-1.1,3]")
def _sub_milli() -> None:
    # MilliValue() rounds up: 0.0001 cpu -> 1m fits the last free millicore; 0.0011 cpu -> 2m does not
    tr = trace(
        (0, [deployment("big", 1, cpu="15999m")]),
        (5, [deployment("tiny", 1, cpu="0.0001")]),
        (10, [deployment("small", 1, cpu="0.0011")]),
    )
    _, snap = replay(tr, 20, one_node())
    assert_running_ready(pods_of(snap, "big") + pods_of(snap, "tiny"))
    assert_pending_with(pods_of(snap, "small"), snap, CPU1)


@case("node-cordoned-unschedulable-not-helpful[k8s-1.1]")
def _cordoned() -> None:
    spec = ClusterSpec([kwok_group("c", 2, "16", "32Gi", unschedulable=True)])
    _, snap = replay(trace((0, [deployment("web", 1, cpu="1")])), 10, spec)
    expected = fit_error(2, "2 node(s) were unschedulable", "2 Preemption is not helpful for scheduling")
    assert_pending_with(pods_of(snap, "web"), snap, expected)


@case("no-nodes-at-all[k8s-1.2]")
def _no_nodes() -> None:
    # ErrNoNodesAvailable is UnschedulableAndUnresolvable: reason Unschedulable, no FitError text
    _, snap = replay(
        trace((0, [deployment("web", 1, cpu="1")])), 10, ClusterSpec([kwok_group("none", 0, "16", "32Gi")])
    )
    assert_pending_with(pods_of(snap, "web"), snap, "no nodes available to schedule pods")


@case("scoring-least-allocated-spreads-pods[k8s-1-scoring]")
def _spread() -> None:
    _, snap = replay(trace((0, [deployment("web", 3, cpu="4", memory="1Gi")])), 10)
    nodes = sorted(str(p["spec"]["nodeName"]) for p in pods_of(snap, "web"))
    assert nodes == ["kwok-node-0", "kwok-node-1", "kwok-node-2"]


# ---------------------------------------------------------------------------------------------------
# Taints, tolerations, node selectors (k8s §1.1 filter order, §1.2 preemption text)


@case("taint-untolerated-preemption-not-helpful[k8s-1.1,1.2]")
def _taint() -> None:
    spec = ClusterSpec([kwok_group("gpu", 3, "16", "32Gi", taints=[GPU_TAINT])])
    _, snap = replay(trace((0, [deployment("web", 1, cpu="1")])), 10, spec)
    expected = fit_error(
        3, "3 node(s) had untolerated taint(s)", "3 Preemption is not helpful for scheduling"
    )
    assert_pending_with(pods_of(snap, "web"), snap, expected)


@case("taint-tolerated-with-operator-Equal-runs[k8s-1.1]")
def _tolerated() -> None:
    spec = ClusterSpec([kwok_group("gpu", 3, "16", "32Gi", taints=[GPU_TAINT])])
    tol = [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]
    _, snap = replay(trace((0, [deployment("web", 1, cpu="1", tolerations=tol)])), 10, spec)
    assert_running_ready(pods_of(snap, "web"))


@case("taint-NoExecute-filters-like-NoSchedule[k8s-1.1]")
def _no_execute() -> None:
    spec = ClusterSpec([kwok_group("x", 1, "16", "32Gi", taints=[{**GPU_TAINT, "effect": "NoExecute"}])])
    _, snap = replay(trace((0, [deployment("web", 1, cpu="1")])), 10, spec)
    expected = fit_error(
        1, "1 node(s) had untolerated taint(s)", "1 Preemption is not helpful for scheduling"
    )
    assert_pending_with(pods_of(snap, "web"), snap, expected)


@case("taint-PreferNoSchedule-never-filters[k8s-1.1]")
def _prefer_no_schedule() -> None:
    soft = {**GPU_TAINT, "effect": "PreferNoSchedule"}
    spec = ClusterSpec([kwok_group("gpu", 3, "16", "32Gi", taints=[soft])])
    _, snap = replay(trace((0, [deployment("web", 1, cpu="1")])), 10, spec)
    assert_running_ready(pods_of(snap, "web"))


@case("taint-first-failing-filter-wins-and-splits-preemption-text[k8s-1.1,1.2]")
def _taint_and_cpu() -> None:
    spec = ClusterSpec(
        [kwok_group("gpu", 1, "64", "256Gi", taints=[GPU_TAINT]), kwok_group("small", 2, "2", "8Gi")]
    )
    _, snap = replay(trace((0, [deployment("web", 1, cpu="4")])), 10, spec)
    # From 1.35 the taint reason names no taint (taint_toleration.go Filter, PR 134740); the small nodes are
    # smaller than the pod (4 cpu > 2), so they are unresolvable too from 1.34: every node is "not helpful".
    # tests/fidelity/test_fidelity_versions.py shows the 1.33 text, where the preemption part splits.
    expected = fit_error(3, "1 node(s) had untolerated taint(s), 2 Insufficient cpu", not_helpful(3))
    assert_pending_with(pods_of(snap, "web"), snap, expected)


@case("node-selector-type-virtual-mismatch[sk-3.4,k8s-1.1]")
def _selector() -> None:
    # SimKube's driver adds nodeSelector type=virtual; these nodes lack the label
    spec = ClusterSpec.uniform(3, "16", "32Gi", labels={"type": "real"})
    _, snap = replay(trace((0, [deployment("web", 1, cpu="1")])), 10, spec)
    expected = fit_error(
        3, "3 node(s) didn't match Pod's node affinity/selector", "3 Preemption is not helpful for scheduling"
    )
    assert_pending_with(pods_of(snap, "web"), snap, expected)


@case("virtualized-pods-carry-simkube-selector-toleration-and-namespace[sk-3.4]")
def _virtualized() -> None:
    _, snap = replay(trace((0, [deployment("web", 1, cpu="1")])), 5)
    (pod,) = pods_of(snap, "web")
    assert pod["metadata"]["namespace"] == f"{PREFIX}-default"
    assert pod["spec"]["nodeSelector"] == {"type": "virtual"}
    assert {"key": "kwok-provider", "operator": "Exists", "effect": "NoSchedule"} in pod["spec"][
        "tolerations"
    ]
    annotations = pod["metadata"].get("annotations") or {}
    assert annotations.get("static.simkube.io/original-namespace") == "default"
    assert [s.namespace for s in summarize(snap)] == ["default"]


# ---------------------------------------------------------------------------------------------------
# Retries (k8s §1.3, §1.4)


@case("compete-two-deployments-first-wins[k8s-1.1]")
def _compete() -> None:
    tr = trace((0, [deployment("a", 1, cpu="10")]), (5, [deployment("b", 1, cpu="10")]))
    _, snap = replay(tr, 20, one_node())
    assert_running_ready(pods_of(snap, "a"))
    assert_pending_with(pods_of(snap, "b"), snap, CPU1)


@case("retry-scale-down-frees-room-pending-pod-scheduled[k8s-1.4]")
def _scale_down_frees() -> None:
    tr = trace(
        (0, [deployment("a", 1, cpu="10")]),
        (5, [deployment("b", 1, cpu="10")]),
        (60, [deployment("a", 0, cpu="10")]),
    )
    c, snap = replay(tr, 59, one_node())
    assert statuses(pods_of(snap, "b")) == ["Pending"]
    c.run(46)  # deletion of an assigned pod requeues it: well before the 5-minute flush
    snap = c.observe(PREFIX)
    assert pods_of(snap, "a") == []
    assert_running_ready(pods_of(snap, "b"))


@case("retry-longest-waiting-pod-gets-the-freed-room[k8s-1.4]")
def _fifo() -> None:
    # equal priority: the queue orders by the time each pod was (re)queued, so b (t=5) before c (t=10)
    tr = trace(
        (0, [deployment("a", 1, cpu="10")]),
        (5, [deployment("b", 1, cpu="10")]),
        (10, [deployment("c", 1, cpu="10")]),
        (60, [deployment("a", 0, cpu="10")]),
    )
    _, snap = replay(tr, 90, one_node())
    assert_running_ready(pods_of(snap, "b"))
    assert_pending_with(pods_of(snap, "c"), snap, CPU1)


@case("retry-node-added-frees-pending-pod[k8s-1.4]")
def _node_added() -> None:
    c, snap = replay(trace((0, [deployment("web", 1, cpu="17")])), 60)
    assert_pending_with(pods_of(snap, "web"), snap, CPU3_OVER)
    c.add_node("big-0", "32", "64Gi", labels={"type": "virtual"}, taints=[KWOK_TAINT])
    c.run(15)  # a Node add requeues pods rejected by NodeResourcesFit; backoff is at most 10 s
    (pod,) = pods_of(c.observe(PREFIX), "web")
    assert pod_status(pod) == "Running"
    assert pod["spec"]["nodeName"] == "big-0"


@case("retry-node-added-too-small-still-pending-then-counted[k8s-1.4]")
def _node_added_small() -> None:
    c, _ = replay(trace((0, [deployment("web", 1, cpu="17")])), 60)
    c.add_node("extra-0", "16", "32Gi", labels={"type": "virtual"}, taints=[KWOK_TAINT])
    c.run(400)  # by the 5-minute unschedulable flush at the latest, the new node is in the message
    snap = c.observe(PREFIX)
    cpu4 = fit_error(4, "4 Insufficient cpu", not_helpful(4))
    assert_pending_with(pods_of(snap, "web"), snap, cpu4)
    # a changed message is a new Event object; the old one keeps its count (k8s §1.4)
    evs = events_for(snap, name_of(pods_of(snap, "web")[0]), "FailedScheduling")
    assert sorted(e["message"] for e in evs) == [CPU3_OVER, cpu4]


@case("events-FailedScheduling-series-count-as-events-k8s-io[k15-2,k8s-1.3,1.4]")
def _merge() -> None:
    # kube-scheduler records through events.k8s.io (client-go tools/events event_broadcaster.go recordToSink):
    # the first attempt creates the Event, the first repeat starts a series and writes count 2, later repeats
    # only raise the recorder's cached count, written by refreshExistingEventSeries every 30 minutes (from
    # start); finishSeries (every 6 min) ends a series last observed > 6 min before. Quiet cluster: attempts
    # at 0, 330, 660, 990, 1320, 1650 s (5-minute flush at the next 30 s sweep), so never finished.
    c, snap = replay(trace((0, [deployment("web", 1, cpu="17")])), 200)
    (pod,) = pods_of(snap, "web")
    counts = []
    for until in (200, 400, 700, 1790, 1810):
        c.run(until - c.now)
        evs = events_for(c.observe(PREFIX), name_of(pod), "FailedScheduling")
        assert len(evs) == 1, evs  # one Event object
        counts.append(evs[0].get("count", 1))
    assert counts == [1, 2, 2, 2, 6]
    assert evs[0]["series"]["count"] == 6
    assert seconds_since_start(evs[0]["lastTimestamp"]) == 1650


@case("retry-waits-out-the-backoff-1-2-4-8-10s[k8s-1.4]")
def _backoff_wait() -> None:
    # b (7 cpu) fails at 1 s (attempt 1); deleting c1 at 100 s requeues it: attempt 2 fails (free 5 cpu).
    # Deleting a at 101 s frees room, but b is in back-off for 2 s after attempt 2: bound at 102 s.
    tr = trace(
        (0, [deployment("a", 1, cpu="10"), deployment("c1", 1, cpu="1"), deployment("c2", 1, cpu="1")]),
        (1, [deployment("b", 1, cpu="7")]),
        (100, [deployment("c1", 0, cpu="1")]),
        (101, [deployment("a", 0, cpu="10")]),
    )
    c, _ = replay(tr, 0, one_node())

    def b_bound() -> bool:
        return any(p["spec"].get("nodeName") for p in pods_of(c.observe(PREFIX), "b"))

    assert c.run_until(b_bound, 200)
    assert c.now == 102
    (pod,) = pods_of(c.observe(PREFIX), "b")
    assert events_for(c.observe(PREFIX), name_of(pod), "FailedScheduling")[0]["count"] == 2


@case("retry-flush-at-first-30s-sweep-over-5-minutes[k8s-1.4]")
def _flush_timing() -> None:
    # first attempt at 7 s; the sweep runs every 30 s (from scheduler start) and moves pods unschedulable for
    # strictly more than 300 s: the first tick after 307 s is 330 s, then 660 s (330 + 300 is not > 300).
    # Attempts are counted in the event log (one line per occurrence): the Event's count follows the
    # events.k8s.io series rules instead (k15-2).
    c, _ = replay(trace((0, []), (7, [deployment("web", 1, cpu="17")])), 0)
    counts = {}
    for t in (8, 329, 331, 659, 661):
        c.run(t - c.now)
        counts[t] = sum(" FailedScheduling " in line for line in c.event_log)
    assert counts == {8: 1, 329: 1, 331: 2, 659: 2, 661: 3}


@case("events-Scheduled-Successfully-assigned[k8s-1.3]")
def _scheduled_event() -> None:
    _, snap = replay(trace((0, [deployment("web", 1, cpu="1")])), 5)
    (pod,) = pods_of(snap, "web")
    evs = events_for(snap, name_of(pod), "Scheduled")
    node = pod["spec"]["nodeName"]
    assert [(e["type"], e["message"]) for e in evs] == [
        ("Normal", f"Successfully assigned {PREFIX}-default/{name_of(pod)} to {node}")
    ]


@case("events-sources-as-kubectl-describe-From[k8s-1.3,4.3,6.3]")
def _sources() -> None:
    tr = trace((0, [deployment("web", 1, cpu="17"), _oom_deployment_named("oom")]))
    _, snap = replay(tr, 15)
    sources = {(e["reason"], e["source"].get("component")) for e in snap.events}
    assert sources == {
        ("ScalingReplicaSet", "deployment-controller"),
        ("SuccessfulCreate", "replicaset-controller"),
        ("FailedScheduling", "default-scheduler"),
        ("Scheduled", "default-scheduler"),
        ("BackOff", "kubelet"),
    }
    backoff = [e for e in snap.events if e["reason"] == "BackOff"]
    assert [e["involvedObject"].get("fieldPath") for e in backoff] == ["spec.containers{app}"]


# ---------------------------------------------------------------------------------------------------
# Deployment controller (k8s §6)


@case("deployment-all-pending-status-fields-no-ready-key[k8s-6.4,6.5]")
def _all_pending_status() -> None:
    _, snap = replay(trace((0, [deployment("web", 3, cpu="17")])), 30)
    status = workload(snap, "Deployment", "web")["status"]
    assert (status.get("replicas"), status.get("updatedReplicas"), status.get("unavailableReplicas")) == (
        3,
        3,
        3,
    )
    assert "readyReplicas" not in status and "availableReplicas" not in status  # zero fields are omitted
    avail = condition(workload(snap, "Deployment", "web"), "Available")
    assert avail is not None
    assert (avail["status"], avail["reason"], avail["message"]) == (
        "False",
        "MinimumReplicasUnavailable",
        "Deployment does not have minimum availability.",
    )
    assert_pending_with(pods_of(snap, "web"), snap, CPU3_OVER)


@case("deployment-healthy-conditions-and-events[k8s-6.3,6.5,2.4]")
def _healthy() -> None:
    _, snap = replay(trace((0, [deployment("web", 3, cpu="1")])), 30)
    dep = workload(snap, "Deployment", "web")
    (rs,) = replicasets_of(snap, "web")
    rs_name = name_of(rs)
    assert re.fullmatch(r"web-[a-z0-9]{6,10}", rs_name)
    pods = pods_of(snap, "web")
    assert_running_ready(pods)
    assert all(re.fullmatch(rf"{rs_name}-[a-z0-9]{{5}}", name_of(p)) for p in pods)
    st = dep["status"]
    assert (st["replicas"], st["updatedReplicas"], st["readyReplicas"], st["availableReplicas"]) == (
        3,
        3,
        3,
        3,
    )
    assert "unavailableReplicas" not in st
    avail, prog = condition(dep, "Available"), condition(dep, "Progressing")
    assert avail is not None and prog is not None
    assert (avail["status"], avail["reason"], avail["message"]) == (
        "True",
        "MinimumReplicasAvailable",
        "Deployment has minimum availability.",
    )
    assert (prog["status"], prog["reason"], prog["message"]) == (
        "True",
        "NewReplicaSetAvailable",
        f'ReplicaSet "{rs_name}" has successfully progressed.',
    )
    scaling = [e["message"] for e in events_for(snap, "web", "ScalingReplicaSet")]
    assert scaling == [f"Scaled up replica set {rs_name} from 0 to 3"]
    created = sorted(e["message"] for e in events_for(snap, rs_name, "SuccessfulCreate"))
    assert created == sorted(f"Created pod: {name_of(p)}" for p in pods)


SAFE = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's rand alphabet (no vowels, no 0/1/3)


@case("deployment-rollout-revisions-hash-labels-owners[k8s-6.3]")
def _rollout_metadata() -> None:
    old, new = deployment("web", 3, cpu="1"), deployment("web", 3, cpu="2")
    _, snap = replay(trace((0, [old]), (60, [new])), 120)
    dep = workload(snap, "Deployment", "web")
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    by_rev = {
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs
        for rs in replicasets_of(snap, "web")
    }
    assert sorted(by_rev) == ["1", "2"]
    new_rs = by_rev["2"]
    pod_hash = new_rs["metadata"]["labels"]["pod-template-hash"]
    assert name_of(new_rs) == f"web-{pod_hash}" and set(pod_hash) <= set(SAFE)
    assert new_rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pod_hash}
    ann = new_rs["metadata"]["annotations"]
    assert (
        ann["deployment.kubernetes.io/desired-replicas"],
        ann["deployment.kubernetes.io/max-replicas"],
    ) == ("3", "4")
    assert by_rev["1"]["spec"]["replicas"] == 0  # the old ReplicaSet is kept, scaled to 0
    owner = new_rs["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("Deployment", "web", True)
    for pod in pods_of(snap, "web"):
        assert pod["metadata"]["labels"]["pod-template-hash"] == pod_hash
        suffix = name_of(pod).removeprefix(f"web-{pod_hash}-")
        assert len(suffix) == 5 and set(suffix) <= set(SAFE)
        (ref,) = pod["metadata"]["ownerReferences"]
        assert (ref["kind"], ref["name"], ref["controller"]) == ("ReplicaSet", name_of(new_rs), True)


@case("deployment-metadata-only-change-keeps-the-replicaset[k8s-6.3]")
def _metadata_only() -> None:
    relabeled = deployment("web", 3, cpu="1")
    relabeled["metadata"]["labels"] = {"team": "blue"}
    _, snap = replay(trace((0, [deployment("web", 3, cpu="1")]), (30, [relabeled])), 60)
    (rs,) = replicasets_of(snap, "web")  # only a spec.template change makes a new pod-template-hash
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert_running_ready(pods_of(snap, "web"))


@case("deployment-rollback-to-old-template-reuses-its-replicaset[k8s-6.3]")
def _rollback() -> None:
    v1, v2 = deployment("web", 3, cpu="1"), deployment("web", 3, cpu="2")
    _, snap = replay(trace((0, [v1]), (60, [v2]), (120, [v1])), 200)
    sets = replicasets_of(snap, "web")
    assert len(sets) == 2  # the v1 ReplicaSet (same hash) is scaled up again, not recreated
    by_rev = {rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs for rs in sets}
    assert sorted(by_rev) == ["2", "3"]
    assert by_rev["3"]["spec"]["replicas"] == 3 and by_rev["2"]["spec"]["replicas"] == 0
    requests = {p["spec"]["containers"][0]["resources"]["requests"]["cpu"] for p in pods_of(snap, "web")}
    assert requests == {"1"}


@case("deployment-progress-deadline-600s-ProgressDeadlineExceeded[k8s-6.5,9.A]")
def _deadline() -> None:
    c, snap = replay(trace((0, [deployment("web", 3, cpu="17")])), 590)
    prog = condition(workload(snap, "Deployment", "web"), "Progressing")
    assert prog is not None and prog["status"] == "True"
    c.run(12)  # deadline passes at 600 s; the controller re-checks 1 s later
    snap = c.observe(PREFIX)
    (rs,) = replicasets_of(snap, "web")
    prog = condition(workload(snap, "Deployment", "web"), "Progressing")
    assert prog is not None
    assert (prog["status"], prog["reason"], prog["message"]) == (
        "False",
        "ProgressDeadlineExceeded",
        f'ReplicaSet "{name_of(rs)}" has timed out progressing.',
    )
    assert statuses(pods_of(snap, "web")) == ["Pending"] * 3  # no rollback, nothing else changes


@case("deployment-progress-deadline-custom-60s[k8s-6.5]")
def _deadline_custom() -> None:
    c, snap = replay(trace((0, [deployment("web", 1, cpu="17", progress_deadline=60)])), 55)
    assert (condition(workload(snap, "Deployment", "web"), "Progressing") or {}).get("status") == "True"
    c.run(10)
    prog = condition(workload(c.observe(PREFIX), "Deployment", "web"), "Progressing")
    assert prog is not None and (prog["status"], prog["reason"]) == ("False", "ProgressDeadlineExceeded")


def _stuck_rollout(
    replicas: int,
) -> tuple[Obj, list[Obj], list[Obj]]:
    old, new = deployment("web", replicas, cpu="1"), deployment("web", replicas, cpu="17")
    _, snap = replay(trace((0, [old]), (60, [new])), 240)
    pods = pods_of(snap, "web")
    new_pods = [
        p for p in pods if p["spec"]["containers"][0]["resources"]["requests"]["cpu"] in ("17", "17000m")
    ]
    old_pods = [p for p in pods if p not in new_pods]
    return workload(snap, "Deployment", "web")["status"], old_pods, new_pods


def _status_tuple(st: Obj) -> tuple[object, ...]:
    keys = ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas")
    return tuple(st.get(k, 0) for k in keys)


@case("rolling-update-stuck-3-replicas-surge1-unavail0[k8s-6.2,6.4]")
def _stuck3() -> None:
    # maxSurge ceil(0.75)=1, maxUnavailable floor(0.75)=0: new RS 1 pod, old RS keeps 3 serving
    st, old, new = _stuck_rollout(3)
    assert statuses(old) == ["Running"] * 3 and statuses(new) == ["Pending"]
    assert _status_tuple(st) == (4, 1, 3, 3, 1)
    assert (condition({"status": st}, "Available") or {}).get("status") == "True"


@case("rolling-update-stuck-4-replicas-surge1-unavail1[k8s-6.2,6.4]")
def _stuck4() -> None:
    # surge 1, unavailable 1: old RS scaled 4 -> 3, new RS 2 pods (5 = 4 + surge), 3 still serving
    st, old, new = _stuck_rollout(4)
    assert statuses(old) == ["Running"] * 3 and statuses(new) == ["Pending"] * 2
    assert _status_tuple(st) == (5, 2, 3, 3, 2)
    assert (condition({"status": st}, "Available") or {}).get("status") == "True"


@case("rolling-update-stuck-10-replicas-surge3-unavail2[k8s-6.2,6.4]")
def _stuck10() -> None:
    # surge ceil(2.5)=3, unavailable floor(2.5)=2: old 10 -> 8, new 3 -> 5 (13 = 10 + 3)
    st, old, new = _stuck_rollout(10)
    assert statuses(old) == ["Running"] * 8 and statuses(new) == ["Pending"] * 5
    assert _status_tuple(st) == (13, 5, 8, 8, 5)


@case("rolling-update-stuck-explicit-surge0-unavailable1[k8s-6.2,6.4,6.5]")
def _stuck_surge0() -> None:
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    old = deployment("web", 3, cpu="1", strategy=strategy)
    new = deployment("web", 3, cpu="17", strategy=strategy)
    _, snap = replay(trace((0, [old]), (60, [new])), 240)
    pods = pods_of(snap, "web")
    assert statuses(pods) == ["Pending", "Running", "Running"]
    st = workload(snap, "Deployment", "web")["status"]
    assert _status_tuple(st) == (3, 1, 2, 2, 1)
    assert (condition({"status": st}, "Available") or {}).get("status") == "True"  # 2 >= 3 - 1


@case("rolling-update-stuck-maxSurge-50pct-rounds-up[k8s-6.2,6.4]")
def _stuck_surge50() -> None:
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "50%"}}  # ceil(1.5) = 2, unavail 0
    old = deployment("web", 3, cpu="1", strategy=strategy)
    new = deployment("web", 3, cpu="17", strategy=strategy)
    _, snap = replay(trace((0, [old]), (60, [new])), 240)
    assert statuses(pods_of(snap, "web")) == ["Pending", "Pending", "Running", "Running", "Running"]
    assert _status_tuple(workload(snap, "Deployment", "web")["status"]) == (5, 2, 3, 3, 2)


@case("deployment-replicas-change-scales-the-same-replicaset[k8s-6.3]")
def _rescale() -> None:
    tr = trace(
        (0, [deployment("web", 3, cpu="1")]),
        (30, [deployment("web", 5, cpu="1")]),
        (60, [deployment("web", 2, cpu="1")]),
    )
    _, snap = replay(tr, 90)
    (rs,) = replicasets_of(snap, "web")  # replicas alone: no new ReplicaSet
    rs_name = name_of(rs)
    scaling = [e["message"] for e in events_for(snap, "web", "ScalingReplicaSet")]
    assert scaling == [
        f"Scaled up replica set {rs_name} from 0 to 3",
        f"Scaled up replica set {rs_name} from 3 to 5",
        f"Scaled down replica set {rs_name} from 5 to 2",
    ]
    assert_running_ready(pods_of(snap, "web"))
    assert len(pods_of(snap, "web")) == 2


@case("delete-in-trace-cascades-to-replicasets-and-pods[sk-3.4]")
def _delete() -> None:
    dep = deployment("web", 3, cpu="1")
    _, snap = replay(trace((0, [dep]), (30, [], [dep])), 60)
    assert pods_of(snap, "web") == [] and replicasets_of(snap, "web") == []
    assert [o for o in snap.workloads if o.get("kind") == "Deployment"] == []


@case("qos-class-guaranteed-burstable-besteffort[k8s-2.2]")
def _qos() -> None:
    guaranteed = deployment("g", 1, containers=[container(limit_cpu="1", limit_memory="1Gi")])
    burstable = deployment("b", 1, containers=[container(cpu="1", limit_memory="1Gi")])
    best = deployment("e", 1)
    _, snap = replay(trace((0, [guaranteed, burstable, best])), 10)
    qos = {n: pods_of(snap, n)[0]["status"].get("qosClass") for n in ("g", "b", "e")}
    assert qos == {"g": "Guaranteed", "b": "Burstable", "e": "BestEffort"}


@case("rolling-update-stuck-times-out-but-stays-available[k8s-6.5]")
def _stuck_deadline() -> None:
    old, new = deployment("web", 3, cpu="1"), deployment("web", 3, cpu="17")
    _, snap = replay(trace((0, [old]), (60, [new])), 60 + 620)
    dep = workload(snap, "Deployment", "web")
    prog, avail = condition(dep, "Progressing"), condition(dep, "Available")
    assert prog is not None and (prog["status"], prog["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert avail is not None and avail["status"] == "True"  # the 3 old pods still serve
    assert statuses(pods_of(snap, "web")) == ["Pending", "Running", "Running", "Running"]


@case("scale-down-deletes-pending-pods-first[k8s-6.3,controller-ranking]")
def _scale_down_pending_first() -> None:
    # ReplicaSet scale-down ranks unscheduled pods before scheduled ones (ActivePods ranking)
    tr = trace((0, [deployment("web", 3, cpu="8")]), (30, [deployment("web", 2, cpu="8")]))
    c, snap = replay(tr, 20, one_node())
    running = sorted(name_of(p) for p in pods_of(snap, "web") if pod_status(p) == "Running")
    assert len(running) == 2
    c.run(20)
    after = pods_of(c.observe(PREFIX), "web")
    assert sorted(name_of(p) for p in after) == running
    assert_running_ready(after)


@case("deployment-zero-replicas-is-available[k8s-6.4,6.5]")
def _zero() -> None:
    _, snap = replay(trace((0, [deployment("web", 0, cpu="1")])), 10)
    dep = workload(snap, "Deployment", "web")
    assert pods_of(snap, "web") == []
    assert not {"replicas", "readyReplicas", "availableReplicas", "unavailableReplicas"} & set(dep["status"])
    assert (condition(dep, "Available") or {}).get("status") == "True"


@case("rolling-update-Recreate-kills-old-first-then-stuck[k8s-6.2]")
def _recreate() -> None:
    strategy = {"type": "Recreate"}
    old = deployment("web", 3, cpu="1", strategy=strategy)
    new = deployment("web", 3, cpu="17", strategy=strategy)
    _, snap = replay(trace((0, [old]), (60, [new])), 240)
    pods = pods_of(snap, "web")
    assert statuses(pods) == ["Pending"] * 3
    st = workload(snap, "Deployment", "web")["status"]
    assert (st.get("updatedReplicas"), st.get("readyReplicas", 0)) == (3, 0)


# ---------------------------------------------------------------------------------------------------
# StatefulSet OrderedReady, Pod API defaulting and validation


@case("statefulset-blocked-at-pod-0[issue4-controllers]")
def _sts_blocked() -> None:
    _, snap = replay(trace((0, [statefulset("db", 3, cpu="17")])), 120)
    pods = pods_of(snap, "db")
    assert [name_of(p) for p in pods] == ["db-0"]  # db-1 waits for db-0 Running and Ready
    assert_pending_with(pods, snap, CPU3_OVER)


@case("statefulset-unblocked-by-a-new-node-then-creates-the-rest[issue4-controllers,k8s-1.4]")
def _sts_unblocked() -> None:
    c, snap = replay(trace((0, [statefulset("db", 3, cpu="17")])), 60)
    assert [name_of(p) for p in pods_of(snap, "db")] == ["db-0"]
    for i in range(3):
        c.add_node(f"big-{i}", "32", "64Gi", labels={"type": "virtual"}, taints=[KWOK_TAINT])
    c.run(60)
    pods = pods_of(c.observe(PREFIX), "db")
    assert [name_of(p) for p in pods] == ["db-0", "db-1", "db-2"]
    assert_running_ready(pods)
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["big-0", "big-1", "big-2"]


@case("statefulset-waits-for-Ready-not-just-Running[issue4-controllers,k8s-4.3]")
def _sts_not_ready() -> None:
    sts = statefulset("db", 3)
    sts["spec"]["template"]["spec"]["containers"] = [container(memory="64Mi", limit_memory="64Mi")]
    sts["spec"]["template"]["metadata"]["annotations"] = {"simarena.io/usage": '{"app": {"memory": "1Gi"}}'}
    _, snap = replay(trace((0, [sts])), 120)
    pods = pods_of(snap, "db")
    assert [name_of(p) for p in pods] == ["db-0"]  # Running (phase) but crash-looping, never Ready
    assert pods[0]["status"]["phase"] == "Running" and pod_status(pods[0]) in (
        "CrashLoopBackOff",
        "OOMKilled",
    )


@case("statefulset-ordered-ready-creates-all[issue4-controllers]")
def _sts_all() -> None:
    _, snap = replay(trace((0, [statefulset("db", 3, cpu="1")])), 60)
    pods = pods_of(snap, "db")
    assert [name_of(p) for p in pods] == ["db-0", "db-1", "db-2"]
    assert_running_ready(pods)
    assert workload(snap, "StatefulSet", "db")["status"].get("readyReplicas") == 3


@case("statefulset-scale-down-removes-highest-ordinal-first[issue4-controllers]")
def _sts_down() -> None:
    tr = trace((0, [statefulset("db", 3, cpu="1")]), (60, [statefulset("db", 1, cpu="1")]))
    _, snap = replay(tr, 120)
    pods = pods_of(snap, "db")
    assert [name_of(p) for p in pods] == ["db-0"]
    assert_running_ready(pods)


@case("requests-defaulted-from-limits-on-the-pod-only[k8s-2.1]")
def _defaulted() -> None:
    dep = deployment("web", 1, containers=[container(limit_cpu="17", limit_memory="1Gi")])
    _, snap = replay(trace((0, [dep])), 10)
    (pod,) = pods_of(snap, "web")
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "17", "memory": "1Gi"}
    template = workload(snap, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0]
    assert "requests" not in template["resources"]  # the template keeps what the user wrote
    assert_pending_with([pod], snap, CPU3_OVER)


@case("request-greater-than-limit-rejected-by-the-API[k8s-2.3,9.C]")
def _request_over_limit() -> None:
    dep = deployment("web", 1, containers=[container(cpu="3", limit_cpu="2")])
    c, snap = replay(trace((0, [dep])), 10)
    assert pods_of(snap, "web") == [] and replicasets_of(snap, "web") == []
    wanted = (
        "spec.template.spec.containers[0].resources.requests: "
        'Invalid value: "3": must be less than or equal to cpu limit of 2'
    )
    shown = [str(e.get("message")) for e in snap.events] + list(c.event_log)
    assert any(wanted in line for line in shown), shown


# ---------------------------------------------------------------------------------------------------
# Kubelet with declared usage: OOM kills and CrashLoopBackOff (k8s §4), kubectl columns (§5.3)

OOM_USAGE = {"app": {"memory": "512Mi"}}


def _oom_deployment() -> Obj:
    return _oom_deployment_named("web")


def _oom_deployment_named(name: str) -> Obj:
    return deployment(
        name, 1, containers=[container(cpu="100m", memory="256Mi", limit_memory="256Mi")], usage=OOM_USAGE
    )


@case("oom-restart-times-0-10-30-70-150-310-610[k8s-4.3,issue4]")
def _oom_timeline() -> None:
    c, _ = replay(trace((0, [_oom_deployment()])), 0)
    times = []
    for k in range(1, 8):

        def restarted(k: int = k) -> bool:
            return any(pod_restarts(p) >= k for p in pods_of(c.observe(PREFIX), "web"))

        assert c.run_until(restarted, 700), f"restart {k} never came (now {c.now})"
        times.append(round(c.now, 3))
    # first restart at once, then back-off 10 s doubling (20, 40, 80, 160) capped at 300 s
    assert times == [0, 10, 30, 70, 150, 310, 610]


@case("oom-kubectl-STATUS-shows-OOMKilled-then-CrashLoopBackOff[k8s-4.3,5.3,issue4-must-show]")
def _oom_status_sequence() -> None:
    # k8s §4.3: between the kill and the restart (or the back-off wait) the container is terminated
    # {OOMKilled}, so `kubectl get pods` briefly prints OOMKilled; issue 4 "Must show" asks for it.
    c, _ = replay(trace((0, [_oom_deployment()])), 0)
    seen: list[str] = []

    def record() -> bool:
        for p in pods_of(c.observe(PREFIX), "web"):
            if not seen or seen[-1] != pod_status(p):
                seen.append(pod_status(p))
        return False

    record()
    while c.now < 80:  # every instant the engine stops at, plus a half-second grid
        c.run_until(record, min(0.5, 80 - c.now))
    assert "OOMKilled" in seen, seen
    first = seen.index("OOMKilled")
    assert "CrashLoopBackOff" in seen[first:], seen


@case("oom-CrashLoopBackOff-message-and-BackOff-event[k8s-4.3]")
def _crashloop_message() -> None:
    c, _ = replay(trace((0, [_oom_deployment()])), 0)
    seen = {}
    for t in (5, 15, 40, 100, 200, 400):
        c.run(t - c.now)
        (pod,) = pods_of(c.observe(PREFIX), "web")
        waiting = main_container(pod)["state"].get("waiting") or {}
        seen[t] = (pod_status(pod), waiting.get("message", ""))
    ns, uid = pod["metadata"]["namespace"], pod["metadata"]["uid"]
    fmt = f"back-off {{}} restarting failed container=app pod={name_of(pod)}_{ns}({uid})"
    assert seen == {
        5: ("CrashLoopBackOff", fmt.format("10s")),
        15: ("CrashLoopBackOff", fmt.format("20s")),
        40: ("CrashLoopBackOff", fmt.format("40s")),
        100: ("CrashLoopBackOff", fmt.format("1m20s")),
        200: ("CrashLoopBackOff", fmt.format("2m40s")),
        400: ("CrashLoopBackOff", fmt.format("5m0s")),
    }
    backoff = events_for(c.observe(PREFIX), name_of(pod), "BackOff")
    assert [(e["type"], e["message"]) for e in backoff] == [
        ("Warning", f"Back-off restarting failed container app in pod {name_of(pod)}_{ns}({uid})")
    ]
    assert backoff[0]["count"] >= 5


@case("oom-lastState-137-phase-Running-not-Ready[k8s-4.1,4.3,5.2]")
def _oom_state() -> None:
    _, snap = replay(trace((0, [_oom_deployment()])), 45)
    (pod,) = pods_of(snap, "web")
    cs = main_container(pod)
    last = cs["lastState"]["terminated"]
    assert (last["reason"], last["exitCode"]) == ("OOMKilled", 137)
    assert pod["status"]["phase"] == "Running" and cs["ready"] is False
    ready = condition(pod, "Ready")
    assert ready is not None
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False",
        "ContainersNotReady",
        "containers with unready status: [app]",
    )
    (summary,) = summarize(snap)
    assert (summary.ready, summary.running, summary.crash_looping, summary.oom_killed) == (0, 1, 1, 1)
    assert "unavailableReplicas" in workload(snap, "Deployment", "web")["status"]


@case("oom-one-of-two-containers-READY-1-of-2[k8s-4.1,5.3]")
def _oom_one_of_two() -> None:
    dep = deployment(
        "web",
        1,
        containers=[
            container("app", memory="256Mi", limit_memory="256Mi"),
            container("proxy", memory="64Mi"),
        ],
        usage={"app": {"memory": "1Gi"}, "proxy": {"memory": "32Mi"}},
    )
    _, snap = replay(trace((0, [dep])), 45)
    (pod,) = pods_of(snap, "web")
    assert (pod_status(pod), pod_ready(pod), pod_restarts(pod)) == ("CrashLoopBackOff", "1/2", 3)
    ready = condition(pod, "Ready")
    assert ready is not None and ready["message"] == "containers with unready status: [app]"


@case("oom-init-container-Init-CrashLoopBackOff-pod-Pending[k8s-4.1,4.3,5.1,5.3]")
def _oom_init() -> None:
    # an init container is a container: above its memory limit it is OOM-killed and restarted with the
    # same back-off; the app container never starts (waiting PodInitializing), the phase stays Pending
    dep = deployment(
        "web",
        1,
        containers=[container(cpu="1")],
        init=[container("init", memory="64Mi", limit_memory="64Mi")],
        usage={"init": {"memory": "1Gi"}},
    )
    _, snap = replay(trace((0, [dep])), 45)
    (pod,) = pods_of(snap, "web")
    assert (pod_status(pod), pod_ready(pod), pod_restarts(pod)) == ("Init:CrashLoopBackOff", "0/1", 3)
    assert pod["status"]["phase"] == "Pending"
    init = pod["status"]["initContainerStatuses"][0]
    assert (init["lastState"]["terminated"]["reason"], init["lastState"]["terminated"]["exitCode"]) == (
        "OOMKilled",
        137,
    )


@case("kwok-init-containers-reported-Completed[k8s-8]")
def _init_completed() -> None:
    # KWOK's pod-ready stage marks init containers terminated{exitCode 0, reason Completed}
    dep = deployment("web", 1, containers=[container(cpu="1")], init=[container("init", cpu="1")])
    _, snap = replay(trace((0, [dep])), 10)
    (pod,) = pods_of(snap, "web")
    assert (pod_status(pod), pod_ready(pod)) == ("Running", "1/1")
    (init,) = pod["status"].get("initContainerStatuses") or [{}]
    term = (init.get("state") or {}).get("terminated") or {}
    assert (init.get("name"), term.get("exitCode"), term.get("reason")) == ("init", 0, "Completed")


@case("oom-crash-looping-deployment-times-out-progressing[k8s-6.5,9.E]")
def _oom_deadline() -> None:
    _, snap = replay(trace((0, [_oom_deployment()])), 602)
    dep = workload(snap, "Deployment", "web")
    prog, avail = condition(dep, "Progressing"), condition(dep, "Available")
    assert prog is not None and (prog["status"], prog["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert avail is not None and (avail["status"], avail["reason"]) == ("False", "MinimumReplicasUnavailable")
    assert (dep["status"].get("replicas"), dep["status"].get("unavailableReplicas")) == (1, 1)


@case("cpu-usage-over-limit-only-throttles[k8s-4.2,9.F]")
def _cpu_throttle() -> None:
    dep = deployment(
        "web",
        1,
        containers=[container(cpu="500m", limit_cpu="1")],
        usage={"app": {"cpu": "3", "memory": "10Mi"}},
    )
    _, snap = replay(trace((0, [dep])), 900)
    pods = pods_of(snap, "web")
    assert_running_ready(pods)
    assert pod_restarts(pods[0]) == 0
    assert [e for e in snap.events if e.get("type") == "Warning"] == []


@case("memory-usage-under-limit-runs[k8s-4.1]")
def _memory_ok() -> None:
    dep = deployment(
        "web",
        1,
        containers=[container(memory="256Mi", limit_memory="1Gi")],
        usage={"app": {"memory": "600Mi"}},
    )
    _, snap = replay(trace((0, [dep])), 300)
    pods = pods_of(snap, "web")
    assert_running_ready(pods)
    assert pod_restarts(pods[0]) == 0


@case("kwok-lifecycle-delays-Pending-ContainerCreating-Running[k8s-8,sk-3.2]")
def _lifecycle_delays() -> None:
    # SimKube lifecycleParams (ms): pod-create stage after the image-pull delay, ready after the startup delay
    c = EmbeddedCluster(
        ClusterSpec.default(), seed=0, lifecycle={"imagePullDelay": 2000, "podStartupDelay": 3000}
    )
    c.start(trace((0, [deployment("web", 1, cpu="1")])), PREFIX)
    seen = []
    for t in (1, 3, 6):
        c.run(t - c.now)
        (pod,) = pods_of(c.observe(PREFIX), "web")
        seen.append((pod_status(pod), pod_ready(pod), pod["status"]["phase"]))
    assert seen == [
        ("Pending", "0/1", "Pending"),
        ("ContainerCreating", "0/1", "Pending"),
        ("Running", "1/1", "Running"),
    ]


@case("bare-pod-without-lifecycle-runs-forever-on-kwok[k8s-8,sk-3.4]")
def _bare_pod() -> None:
    _, snap = replay(trace((0, [bare_pod("solo", cpu="1")])), 600)
    (pod,) = [p for p in snap.pods if name_of(p) == "solo"]
    assert pod_status(pod) == "Running"


# ---------------------------------------------------------------------------------------------------
# Issue 15: rules a real cluster applies, expected values from kubernetes/kubernetes source (file named per
# case; the ids carry "k15-<rule>").


@case("podrequests-exact-sum-then-one-rounding-fits[k15-1]")
def _exact_sum_fits() -> None:
    # staging/src/k8s.io/component-helpers/resource/helpers.go PodRequests: container requests are added as
    # Quantities (exact); pkg/scheduler/framework/plugins/noderesources/fit.go computePodResourceRequest then
    # calls SetMaxResource, which takes MilliValue() of the total: 0.5m + 0.5m = 1m, the last free millicore.
    halves = deployment("halves", 1, containers=[container("a", cpu="0.0005"), container("b", cpu="0.0005")])
    tr = trace((0, [deployment("big", 1, cpu="15999m")]), (5, [halves]))
    _, snap = replay(tr, 15, one_node())
    assert_running_ready(pods_of(snap, "big") + pods_of(snap, "halves"))


@case("podrequests-exact-sum-rounds-up-once-pending[k15-1]")
def _exact_sum_over() -> None:
    # same sources (component-helpers/resource/helpers.go PodRequests, noderesources/fit.go
    # computePodResourceRequest): 0.4m x 3 = 1.2m, rounded once to 2m, fits the 2 free millicores
    thirds = deployment("thirds", 1, containers=[container(n, cpu="0.0004") for n in ("a", "b", "c")])
    tr = trace((0, [deployment("big", 1, cpu="15998m")]), (5, [thirds]))
    _, snap = replay(tr, 15, one_node())
    # rounding per container (3 x 1m = 3m) would leave it Pending
    assert_running_ready(pods_of(snap, "big") + pods_of(snap, "thirds"))


@case("fit-error-ends-in-one-period-since-1.30[k15-4]")
def _one_period() -> None:
    # pkg/scheduler/framework/types.go FitError.Error: filter histogram with SeparatorFormat " %v.", then the
    # PostFilter message appended as " %v" (no period; kubernetes issue 123301, fixed by 1.30). The nested
    # preemption FitError ends in its own single ".". (1.37: DynamicResources' PostFilter reason comes
    # first, and a 17-cpu pod on 16-cpu nodes is not helped by preemption; test_fidelity_versions.py has
    # each version.)
    _, snap = replay(trace((0, [deployment("web", 1, cpu="17")])), 10)
    text = (
        "0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, preemption: "
        "0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    pods = pods_of(snap, "web")
    assert_pending_with(pods, snap, text)
    assert_failed_scheduling_event(snap, name_of(pods[0]), text)


@case("fit-error-preemptionPolicy-Never-one-period[k15-4]")
def _never_one_period() -> None:
    # defaultpreemption PodEligibleToPreemptOthers: "not eligible due to preemptionPolicy=Never."; PostFilter
    # prefixes "preemption: "; FitError.Error appends it without another period. The policy comes from a
    # PriorityClass (plugin/pkg/admission/priority/admission.go admitPod copies it into the pod).
    dep = with_priority_class(deployment("web", 1, cpu="17"), "polite")
    _, snap = replay(trace((0, [priority_class("polite", 10, never=True)]), (1, [dep])), 10)
    # RunPostFilterPlugins joins DynamicResources' reason (1.34+) and this one with ", ".
    text = (
        "0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, "
        "preemption: not eligible due to preemptionPolicy=Never."
    )
    assert_pending_with(pods_of(snap, "web"), snap, text)


@case("replicaset-scale-down-deletes-doubled-up-pod-before-newest[k15-3]")
def _doubled_up_first() -> None:
    # pkg/controller/replicaset/replica_set.go getPodsToDelete -> getPodsRankedByRelatedPodsOnSameNode (rank =
    # active related pods on the pod's node) and pkg/controller/controller_utils.go ActivePodsWithRanks.Less:
    # after assigned/phase/ready/deletion-cost, "5. Doubled up < not doubled up" comes before "6. ready for
    # less time". Two pods share node-0; the third, newest pod is alone on the node added later: a node-0 pod
    # goes.
    tr = trace(
        (0, [deployment("web", 2, cpu="1")]),
        (20, [deployment("web", 3, cpu="1")]),
        (40, [deployment("web", 2, cpu="1")]),
    )
    c, snap = replay(tr, 10, one_node())
    assert sorted(p["spec"]["nodeName"] for p in pods_of(snap, "web")) == ["node-0"] * 2
    c.add_node("late-0", "16", "32Gi", labels={"type": "virtual"}, taints=[KWOK_TAINT])
    c.run(20)
    newest = [p for p in pods_of(c.observe(PREFIX), "web") if p["spec"].get("nodeName") == "late-0"]
    assert len(newest) == 1
    c.run(20)
    after = pods_of(c.observe(PREFIX), "web")
    assert sorted(p["spec"]["nodeName"] for p in after) == ["late-0", "node-0"]
    assert name_of(newest[0]) in {name_of(p) for p in after}


# ---------------------------------------------------------------------------------------------------
# Issue 15: PriorityClass, queue order and preemption (ids carry "k15-prio"). Sources: plugin/pkg/admission/
# priority/admission.go, pkg/scheduler/framework/plugins/queuesort/priority_sort.go, pkg/scheduler/framework/
# preemption/preemption.go, pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go.


def _pod(name: str, cpu: str, class_name: str, node: str | None = None, **kw: Any) -> Obj:
    pod = with_priority_class(bare_pod(name, cpu=cpu), class_name)
    if node is not None:
        pod["spec"]["nodeName"] = node
    pod["spec"].update(kw)
    return pod


def _pod_named(snap: ClusterSnapshot, name: str) -> Obj:
    (pod,) = [p for p in snap.pods if name_of(p) == name]
    return pod


@case("priorityclass-unknown-name-refused-FailedCreate[k15-prio]")
def _unknown_class() -> None:
    # admission.go admitPod: lister.Get NotFound -> admission.NewForbidden(a, "no PriorityClass with name %v
    # was found"); the ReplicaSet records "Error creating: %v" (controller_utils.go), generateName prefix.
    dep = with_priority_class(deployment("web", 1, cpu="1"), "missing")
    _, snap = replay(trace((0, [dep])), 10, one_node())
    assert pods_of(snap, "web") == []
    (rs,) = replicasets_of(snap, "web")
    error = f'pods "{name_of(rs)}-" is forbidden: no PriorityClass with name missing was found'
    evs = events_for(snap, name_of(rs), "FailedCreate")
    assert [(e["type"], e["message"]) for e in evs] == [("Warning", f"Error creating: {error}")]


@case("priorityclass-created-later-lets-the-replicaset-create[k15-prio]")
def _class_later() -> None:
    # The ReplicaSet requeues with rate-limited backoff (replica_set.go) and admission then finds the class.
    dep = with_priority_class(deployment("web", 1, cpu="1"), "late")
    _, snap = replay(trace((0, [dep]), (5, [priority_class("late", 7)])), 60, one_node())
    (pod,) = pods_of(snap, "web")
    assert pod_status(pod) == "Running"
    assert (pod["spec"]["priorityClassName"], pod["spec"]["priority"]) == ("late", 7)


@case("priorityclass-resolves-priority-and-preemptionPolicy[k15-prio]")
def _resolves() -> None:
    # admission.go admitPod: pod.Spec.Priority = pc.Value; PreemptionPolicy copied from the class, which
    # defaults to PreemptLowerPriority (pkg/apis/scheduling/v1/defaults.go).
    tr = trace((0, [priority_class("batch", 42)]), (1, [_pod("job", "1", "batch")]))
    _, snap = replay(tr, 10, one_node())
    spec = _pod_named(snap, "job")["spec"]
    assert (spec["priorityClassName"], spec["priority"], spec["preemptionPolicy"]) == (
        "batch",
        42,
        "PreemptLowerPriority",
    )


@case("priorityclass-globalDefault-applies-when-none-named[k15-prio]")
def _global_default() -> None:
    # admission.go getDefaultPriority: the globalDefault class (lowest value if several) becomes the pod's.
    tr = trace(
        (0, [priority_class("normal", 500, global_default=True)]),
        (1, [bare_pod("plain", cpu="1")]),
    )
    _, snap = replay(tr, 10, one_node())
    spec = _pod_named(snap, "plain")["spec"]
    assert (spec["priorityClassName"], spec["priority"]) == ("normal", 500)


@case("priorityclass-system-cluster-critical-exists[k15-prio]")
def _system_class() -> None:
    # pkg/apis/scheduling/v1/helpers.go systemPriorityClasses: created at bootstrap; SystemCriticalPriority =
    # 2 * HighestUserDefinablePriority = 2000000000 (pkg/apis/scheduling/types.go).
    _, snap = replay(trace((0, [_pod("dns", "1", "system-cluster-critical")])), 10, one_node())
    assert _pod_named(snap, "dns")["spec"]["priority"] == 2_000_000_000


@case("priorityclass-value-above-1e9-invalid[k15-prio]")
def _class_too_high() -> None:
    # pkg/apis/scheduling/validation/validation.go ValidatePriorityClass: field.Forbidden(value, "maximum
    # allowed value of a user defined priority is 1000000000").
    c, _ = replay(trace((0, [priority_class("huge", 1_000_000_001)])), 5, one_node())
    text = (
        'PriorityClass.scheduling.k8s.io "huge" is invalid: value: Forbidden: maximum allowed value of a '
        "user defined priority is 1000000000"
    )
    assert any(line.endswith(text) for line in c.event_log if " error " in f" {line}")


@case("pod-stating-preemptionPolicy-Never-without-class-refused[k15-prio]")
def _never_without_class() -> None:
    # admission.go admitPod: with no class, getDefaultPriority computes PreemptLowerPriority; a pod stating
    # another policy is Forbidden "the string value of PreemptionPolicy (%s) must not be provided in pod spec;
    # priority admission controller computed %s from the given PriorityClass name".
    dep = deployment("web", 1, cpu="1")
    dep["spec"]["template"]["spec"]["preemptionPolicy"] = "Never"
    _, snap = replay(trace((0, [dep])), 10, one_node())
    assert pods_of(snap, "web") == []
    (rs,) = replicasets_of(snap, "web")
    (ev,) = events_for(snap, name_of(rs), "FailedCreate")
    assert ev["message"] == (
        f'Error creating: pods "{name_of(rs)}-" is forbidden: the string value of PreemptionPolicy (Never) '
        "must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from "
        "the given PriorityClass name"
    )


@case("queue-order-higher-priority-first-when-room-frees[k15-prio]")
def _queue_order() -> None:
    # queuesort/priority_sort.go Less: higher priority first, then earlier queue timestamp. The blocker (top)
    # cannot be preempted by either; when it goes, both pods return to activeQ and "high", queued later, is
    # popped first and takes the one free cpu.
    classes = [priority_class("top", 10_000), priority_class("low", 100), priority_class("high", 1000)]
    low = with_priority_class(deployment("low", 1, cpu="1"), "low")
    high = with_priority_class(deployment("high", 1, cpu="1"), "high")
    blocker = _pod("blocker", "1", "top")
    tr = trace((0, [*classes, blocker]), (1, [low]), (2, [high]), (30, [], [blocker]))
    _, snap = replay(tr, 45, one_node(cpu="1"))
    assert statuses(pods_of(snap, "high")) == ["Running"]
    assert statuses(pods_of(snap, "low")) == ["Pending"]
    # Had "low" been popped first it would have bound and then been preempted by "high".
    assert [e for e in snap.events if e["reason"] == "Preempted"] == []


def _victim_choice_run(version: str) -> tuple[EmbeddedCluster, ClusterSnapshot]:
    classes = [priority_class("low", 100), priority_class("mid", 500), priority_class("high", 1000)]
    tr = trace(
        (0, classes),
        (1, [_pod("mid", "1", "mid")]),
        (2, [_pod("low-a", "1", "low")]),
        (3, [_pod("low-b", "1", "low")]),
        (10, [_pod("urgent", "2", "high")]),
    )
    return replay(tr, 10.5, ClusterSpec([kwok_group("node", 1, "4", "32Gi")], kubernetes_version=version))


@case("preemption-evicts-least-important-victim-and-nominates-node-1.36[k15-prio]")
def _victim_choice() -> None:
    # default_preemption.go SelectVictimsOnNode: remove the lower-priority pods (mid, low-a, low-b), then
    # reprieve from the most important (util.MoreImportantPod: priority, then earlier start): mid and low-a
    # fit back, low-b does not and is the only victim. preemption.go PreemptPod: Normal "Preempted"
    # "Preempted by pod <preemptor UID> on node <node>". schedule_one.go: the PostFilter succeeded without
    # a message (before 1.37), so the FitError has no PostFilter part and status.nominatedNodeName is set
    # until the pod binds.
    c, snap = _victim_choice_run("1.36")
    urgent = _pod_named(snap, "urgent")
    text = "0/1 nodes are available: 1 Insufficient cpu."
    assert_pending_with([urgent], snap, text)
    assert_failed_scheduling_event(snap, "urgent", text)
    assert urgent["status"]["nominatedNodeName"] == "node-0"
    preempted = [
        (e["involvedObject"]["name"], e["type"], e["message"])
        for e in snap.events
        if e["reason"] == "Preempted"
    ]
    assert preempted == [("low-b", "Normal", f"Preempted by pod {urgent['metadata']['uid']} on node node-0")]
    c.run(10)
    after = c.observe(PREFIX)
    assert sorted(name_of(p) for p in after.pods) == ["low-a", "mid", "urgent"]
    assert statuses(after.pods) == ["Running"] * 3
    assert "nominatedNodeName" not in _pod_named(after, "urgent")["status"]


@case("preemption-found-message-since-1.37[k15-prio]")
def _found_message() -> None:
    # preemption.go Evaluator.Preempt returns Success with "found a potential placement for pod on node %v,
    # preempting %d victims" (kubernetes PR 140180, in 1.37; a v1.37.0 cluster prints exactly this);
    # DefaultPreemption.PostFilter prefixes "preemption: "; framework.go RunPostFilterPlugins returns at that
    # first Success, so no other PostFilter reason is joined; FitError.Error appends it after a space.
    _, snap = _victim_choice_run("1.37")
    text = (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: found a potential placement for pod on "
        "node node-0, preempting 1 victims"
    )
    assert_pending_with([_pod_named(snap, "urgent")], snap, text)
    assert _pod_named(snap, "urgent")["status"]["nominatedNodeName"] == "node-0"


@case("preemption-nominatedNodeName-stays-after-binding-before-1.35[k15-prio]")
def _nominated_stays() -> None:
    # pkg/registry/core/pod/storage/storage.go setPodNodeAndMetadata clears Status.NominatedNodeName only
    # with ClearingNominatedNodeNameAfterBinding, alpha (off) in 1.34 and beta (on) from 1.35
    # (pkg/features/kube_features.go): a 1.34 preemptor keeps the field once it runs.
    c, _ = _victim_choice_run("1.34")
    c.run(10)
    urgent = _pod_named(c.observe(PREFIX), "urgent")
    assert urgent["spec"]["nodeName"] == "node-0"
    assert urgent["status"]["nominatedNodeName"] == "node-0"


@case("preemption-picks-node-with-lowest-highest-victim-priority[k15-prio]")
def _pick_node() -> None:
    # preemption.go pickOneNodeForPreemption: after PDB violations, the node whose highest-priority victim is
    # lowest wins: node-1 (victim priority 100) over node-0 (200).
    classes = [priority_class("p100", 100), priority_class("p200", 200), priority_class("high", 1000)]
    tr = trace(
        (0, [*classes, _pod("a", "2", "p200", node="node-0"), _pod("b", "2", "p100", node="node-1")]),
        (5, [_pod("urgent", "2", "high")]),
    )
    _, snap = replay(tr, 20, ClusterSpec([kwok_group("node", 2, "2", "32Gi")]))
    assert sorted(name_of(p) for p in snap.pods) == ["a", "urgent"]
    assert _pod_named(snap, "urgent")["spec"]["nodeName"] == "node-1"
    assert [e["involvedObject"]["name"] for e in snap.events if e["reason"] == "Preempted"] == ["b"]


@case("preemption-failed-counts-per-node-reason-1.33[k15-prio,k15-4]")
def _preemption_counts() -> None:
    # default_preemption.go SelectVictimsOnNode: a-0 still lacks cpu with its lower-priority pod gone (the
    # filter's own "Insufficient cpu"), a-1 holds only a higher-priority pod ("No preemption victims found for
    # incoming pod"); preemption.go Preempt: b-0 failed the selector (UnschedulableAndUnresolvable), so it is
    # absent from the candidates and reads "Preemption is not helpful for scheduling". Sorted as strings.
    classes = [priority_class("low", 100), priority_class("top", 10_000), priority_class("high", 1000)]
    urgent = _pod("urgent", "3", "high", nodeSelector={"tier": "a"})
    tr = trace(
        (
            0,
            [
                *classes,
                _pod("x", "1", "low", node="a-0"),
                _pod("z", "2", "top", node="a-0"),
                _pod("y", "2", "top", node="a-1"),
            ],
        ),
        (5, [urgent]),
    )
    # 1.33: before DynamicResources joined its PostFilter reason (versions.py); the preemption part is alike.
    spec = ClusterSpec(
        [kwok_group("a", 2, "4", "32Gi", labels={"tier": "a"}), kwok_group("b", 1, "4", "32Gi")],
        kubernetes_version="1.33",
    )
    _, snap = replay(tr, 10, spec)
    text = (
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 1 Insufficient cpu, 1 No preemption victims found for incoming "
        "pod, 1 Preemption is not helpful for scheduling."
    )
    assert_pending_with([_pod_named(snap, "urgent")], snap, text)
    assert [e for e in snap.events if e["reason"] == "Preempted"] == []


@case("preemption-nominated-node-kept-for-preemptor-deployment-1.33[k15-prio]")
def _nominated_reserved() -> None:
    # The ReplicaSet replaces its two preempted pods at once, but the scheduler's filters count pods nominated
    # to a node with equal or higher priority (pkg/scheduler/framework/runtime/framework.go
    # RunFilterPluginsWithNominatedPods / addGENominatedPods), so the replacements cannot take the room; they
    # find no lower-priority victims either.
    low = with_priority_class(deployment("low", 4, cpu="1"), "low")
    high = with_priority_class(deployment("high", 1, cpu="2"), "high")
    tr = trace((0, [priority_class("low", 100), priority_class("high", 1000)]), (1, [low]), (10, [high]))
    _, snap = replay(tr, 30, ClusterSpec([kwok_group("node", 1, "4", "32Gi")], kubernetes_version="1.33"))
    assert statuses(pods_of(snap, "high")) == ["Running"]
    assert statuses(pods_of(snap, "low")) == ["Pending", "Pending", "Running", "Running"]
    pending = [p for p in pods_of(snap, "low") if pod_status(p) == "Pending"]
    assert_pending_with(pending, snap, fit_error(1, "1 Insufficient cpu", version="1.33"))
    assert len([e for e in snap.events if e["reason"] == "Preempted"]) == 2


@pytest.mark.parametrize("fidelity_case", CASES, ids=[c.id for c in CASES])
def test_fidelity(fidelity_case: Case) -> None:
    fidelity_case.run()


def test_table_has_at_least_30_cases() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


def test_every_issue_15_case_cites_a_kubernetes_source_file() -> None:
    # issue 15: "Derive every expected value from the Kubernetes source and cite the file"
    import inspect

    uncited = [
        c.id for c in CASES if "[k15" in c.id and not re.search(r"[\w/]+\.go\b", inspect.getsource(c.run))
    ]
    assert uncited == []
